/**
 * The search as one call: run random or exhaustive exploration of a profile under a crash
 * model, judge the selected properties (violated / holds / vacuous), and turn each
 * counterexample into a replayable trace. The command line (cli/explore.ts, cli/check.ts)
 * and the tests use this; it does no I/O and reads no clock (the caller times it).
 */
import { makeTrace, recordRun, type TraceFile } from '../traces/trace.js';
import { crashFileSystem, exploredConfig, type CrashModel, type ExploreBounds } from './alphabet.js';
import type { SearchBudget } from './budget.js';
import { CAUSES, classifyRun, type Cause } from './causes.js';
import { sortedCoverage, type Coverage } from './coverage.js';
import { exploreExhaustive, type CauseClassifier, type Counterexample } from './exhaustive.js';
import { WorkerPool } from './parallel.js';
import type { PropertyId } from './invariants.js';
import { exploreRandom } from './random.js';

const CAUSE_ORDER = (c: Cause) => CAUSES.indexOf(c);
import type { SearchContext } from './runner.js';

export type Mode = 'random' | 'exhaustive';
export type Verdict = 'violated' | 'holds' | 'vacuous';

/** Exhaustive search runs to its fixpoint: no depth bound, starts and redeliveries bounded. */
export const EXTRA_STARTS = 2;
export const DEFAULT_MAX_REDELIVERIES = 1;
export const DEFAULT_EXHAUSTIVE_BOUNDS: ExploreBounds = { depth: null, maxMsgs: 2, maxCrashes: 1, consumers: 1, blockSizeBytes: 128, reorderWindow: 4, retention: 'workqueue', syncAlways: false, maxStarts: 1 + EXTRA_STARTS, maxRedeliveries: DEFAULT_MAX_REDELIVERIES };
/** The previous engine's default check (depth-bounded): kept to show its verdicts and shortest lengths are unchanged. */
export const DEPTH9_BOUNDS: ExploreBounds = { depth: 9, maxMsgs: 2, maxCrashes: 1, consumers: 1, blockSizeBytes: 128, reorderWindow: 4, retention: 'workqueue', syncAlways: false };
/** Random runs are longer and may crash more often: they sample, they do not enumerate. */
export const DEFAULT_RANDOM_BOUNDS: ExploreBounds = { depth: 24, maxMsgs: 6, maxCrashes: 4, consumers: 1, blockSizeBytes: 128, reorderWindow: 4, retention: 'workqueue', syncAlways: false };
export const DEFAULT_RANDOM_RUNS = 3000;
export const DEFAULT_SEED = 1;

export interface ExploreRequest {
  readonly profile: string;
  readonly properties: readonly PropertyId[];
  readonly crash: CrashModel;
  readonly mode: Mode;
  readonly bounds: ExploreBounds;
  /** Random mode. */
  readonly seed: number;
  readonly runs: number;
  readonly path?: string;
  /** Exhaustive mode: stop once every selected property is violated. */
  readonly stopEarly: boolean;
  /** Exhaustive mode: classify every violation, keeping the shortest counterexample of each cause. */
  readonly byCause?: boolean;
  /** Exhaustive mode: worker threads (1: search in this thread). */
  readonly workers?: number;
  /** Exhaustive mode: stop, not complete, past this many distinct states (benchmarks' budget). */
  readonly maxStates?: number;
  /** Exhaustive mode, test: compare full canonical encodings behind every fingerprint. */
  readonly verifyFingerprints?: boolean;
  /** Exhaustive mode with `byCause`: names each counterexample's cause (default: causes.ts, by replay). */
  readonly classifyCause?: CauseClassifier;
  readonly onProgress?: (text: string) => void;
  /** Ends the search with BudgetExhausted when spent (budget.ts). */
  readonly budget?: SearchBudget;
}

export interface PropertyResult {
  readonly property: PropertyId;
  readonly verdict: Verdict;
  /** How often the property's precondition was reached. */
  readonly reached: number;
  readonly counterexample: (Counterexample & { readonly cause: Cause; readonly trace: TraceFile; readonly seed: number | null; readonly path: string | null }) | null;
  /** With `byCause`: the shortest counterexample of each cause found, shortest first. */
  readonly causes: readonly (Counterexample & { readonly cause: Cause; readonly trace: TraceFile })[];
}

export interface ExploreResult {
  readonly request: ExploreRequest;
  readonly results: readonly PropertyResult[];
  readonly stats: {
    readonly statesGenerated: number;
    readonly distinctStates: number | null;
    readonly depth: number;
    readonly runs: number | null;
    /** Whether the whole bounded space was explored (exhaustive, run to its fixpoint). */
    readonly complete: boolean;
    /** Exhaustive: transitions explored; bytes of the visited-state table; worker threads. */
    readonly transitions?: number;
    readonly visitedBytes?: number;
    readonly workers?: number;
    /** Exhaustive: states not expanded by budget subsumption (not in `distinctStates`). */
    readonly subsumedStates?: number;
    /** Exhaustive with `verifyFingerprints`: distinct canonical states met (equal to `distinctStates` when no fingerprint merged or split states). */
    readonly verifiedStates?: number | null;
  };
  /** The file system the crash model ran on. */
  readonly fileSystem: string;
  readonly coverage: Coverage;
}

/** A replayable trace of a counterexample, with the step that broke the property. */
export function counterexampleTrace(req: Pick<ExploreRequest, 'profile' | 'crash' | 'mode' | 'bounds'>, ce: Counterexample, seed: number | null, path: string | null): TraceFile {
  const config = exploredConfig(req.bounds, req.crash);
  const { steps } = recordRun(config, req.profile, ce.events);
  return makeTrace({
    config,
    profile: req.profile,
    origin: { kind: 'explore', mode: req.mode, crash: req.crash, seed, ...(path ? { path } : {}) },
    title: `${ce.property} violated at ${req.profile} under ${req.crash} (${req.mode} search)${ce.cause ? `, cause ${ce.cause}` : ''}`,
    // failedAt is an index into the events; trace steps count from 1
    violation: { property: ce.property, message: ce.message, step: ce.failedAt + 1, ...(ce.cause ? { cause: ce.cause } : {}) },
    steps,
  });
}

export function explore(req: ExploreRequest): ExploreResult {
  const ctx: SearchContext = { profile: req.profile, crash: req.crash, bounds: req.bounds, properties: req.properties, coverage: {}, reached: {}, ...(req.budget ? { budget: req.budget } : {}) };
  const found: Partial<Record<PropertyId, { ce: Counterexample; seed: number | null; path: string | null }>> = {};
  const byCause: Partial<Record<PropertyId, Partial<Record<Cause, Counterexample>>>> = {};
  let stats: ExploreResult['stats'];

  if (req.mode === 'exhaustive') {
    const workers = req.workers ?? 1;
    const pool = workers > 1 ? new WorkerPool(ctx, workers, req.verifyFingerprints === true) : null;
    let r: ReturnType<typeof exploreExhaustive>;
    try {
      r = exploreExhaustive(
        ctx,
        {
          stopWhenAllViolated: req.stopEarly,
          verifyFingerprints: req.verifyFingerprints === true,
          byCause: req.byCause ?? false,
          ...(req.maxStates !== undefined ? { maxStates: req.maxStates } : {}),
          ...(req.classifyCause ? { classifyCause: req.classifyCause } : {}),
          onLevel: (depth, frontier, distinct) => req.onProgress?.(`depth ${depth}${req.bounds.depth !== null ? `/${req.bounds.depth}` : ''}: ${distinct} distinct states, ${frontier} to expand`),
        },
        pool?.expandLevel,
      );
    } finally {
      pool?.close();
    }
    for (const id of req.properties) {
      const ce = r.counterexamples[id];
      if (ce) found[id] = { ce, seed: null, path: null };
      if (r.byCause[id]) byCause[id] = r.byCause[id];
    }
    stats = { statesGenerated: r.statesGenerated, distinctStates: r.distinctStates, depth: r.depthReached, runs: null, transitions: r.transitions, complete: r.complete, visitedBytes: r.visitedBytes, subsumedStates: r.subsumedStates, workers, ...(req.verifyFingerprints ? { verifiedStates: r.verifiedStates } : {}) };
  } else {
    const r = exploreRandom(ctx, {
      seed: req.seed,
      runs: req.runs,
      ...(req.path !== undefined ? { path: req.path } : {}),
      onProgress: (done) => req.onProgress?.(`run ${done}/${req.runs}`),
    });
    if (r.counterexample) found[r.counterexample.property] = { ce: r.counterexample, seed: req.seed, path: r.counterexample.path };
    stats = { statesGenerated: r.statesGenerated, distinctStates: null, depth: r.depthReached, runs: r.runs, complete: false };
  }

  const config = exploredConfig(req.bounds, req.crash);
  const results = req.properties.map((id): PropertyResult => {
    const f = found[id];
    const reached = ctx.reached[id] ?? 0;
    const causes = Object.values(byCause[id] ?? {})
      .map((ce) => ({ ...ce, cause: ce.cause!, trace: counterexampleTrace(req, ce, null, null) }))
      .sort((a, b) => a.events.length - b.events.length || CAUSE_ORDER(a.cause) - CAUSE_ORDER(b.cause));
    if (f) {
      const ce = { ...f.ce, cause: f.ce.cause ?? classifyRun(config, req.profile, f.ce.events, f.ce.failedAt) };
      return { property: id, verdict: 'violated', reached, counterexample: { ...ce, trace: counterexampleTrace(req, ce, f.seed, f.path), seed: f.seed, path: f.path }, causes };
    }
    return { property: id, verdict: reached === 0 ? 'vacuous' : 'holds', reached, counterexample: null, causes };
  });
  return { request: req, results, stats, fileSystem: crashFileSystem(req.crash), coverage: sortedCoverage(ctx.coverage) };
}

