/**
 * The verdict matrix: profile × property × crash model → holds / violated / vacuous, from one
 * all-properties exhaustive search per profile and crash model; the cost of each profile on
 * the standard WorkQueue workload; and the closure of every counterexample under every other
 * profile (properties/closure.ts). Pure: no I/O, no clock (callers time it).
 *
 * `searchAllProperties` is the one place that calls the search engine, so changing engines is
 * a change here only.
 */
import { availableParallelism } from 'node:os';
import { ALL_PROFILE_NAMES, getProfile } from '../model/profile.js';
import { crashFileSystem, type CrashModel, type ExploreBounds } from './alphabet.js';
import type { Cause } from './causes.js';
import { closeCounterexamples, type ClosureEntry, type CounterexampleRef } from './closure.js';
import { measureCost } from './cost.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS, explore, type Verdict } from './explore.js';
import { PROPERTY_IDS, type PropertyId } from './invariants.js';
import { runSearches, type SearchJob } from './searchpool.js';
import type { TraceFile } from '../traces/trace.js';

/**
 * Bounds of `npm start` (every profile, kill and power-loss:ext4). `depth` caps only the
 * searches whose space does not close (see `closesUnderKill` and MATRIX_POWER_LOSS_DEPTH);
 * the others run to their fixpoint within the bounds on messages, crashes, starts and
 * redeliveries.
 */
export const MATRIX_BOUNDS: ExploreBounds = { depth: 6, maxMsgs: 1, maxCrashes: 1, consumers: 1, blockSizeBytes: 128, reorderWindow: 4, retention: 'workqueue', syncAlways: false };
/**
 * A search to the fixpoint needs the starts and the redeliveries bounded (every restart opens
 * a new block, every redelivery a new delivery sequence): the explorer's defaults.
 */
export const FIXPOINT_BOUNDS = { maxStarts: DEFAULT_EXHAUSTIVE_BOUNDS.maxStarts!, maxRedeliveries: DEFAULT_EXHAUSTIVE_BOUNDS.maxRedeliveries! };
/**
 * The depth of a power-loss search in the matrix. Each power loss branches into every disk the
 * file system allows: at depth 6 a v2.14.5-based profile under power-loss:ext4 generates some
 * 190,000 states (over 100 CPU s each, seven such profiles), at depth 5 some 50,000; to its
 * fixpoint (1 message, 1 crash, 3 starts) v2.10.22 alone has 116,424 distinct states and
 * 1.5 million transitions (about 8 min on one core; 556,126 and 7.4 million before time
 * classes, budget subsumption and the last-run reduction). Depth 5 holds every removal counterexample of
 * one message (start, store, deliver, the ack cut by the power loss, start: 6 events), which
 * is what the matrix judges the fixes by.
 */
export const MATRIX_POWER_LOSS_DEPTH = 5;
/** Bounds of `check --quick` (CI): both of its profiles close under kill, so both searches run to their fixpoint. */
export const QUICK_BOUNDS: ExploreBounds = { ...MATRIX_BOUNDS, depth: 5 };

/**
 * Whether a profile's space under `kill` closes at the matrix's bounds, so its search runs to
 * the fixpoint. It does when the server's timers are deterministic. With timer jitter (#6041,
 * #6128, #6220: `firstSyncJitter`, `indexFlushJitterMaxMs`) every start draws one of four
 * timer layouts, and the index.db ticker keeps its drawn period (2 min + jitter) beside the
 * 2-minute syncBlocks timer, so their relative phase walks an orbit instead of repeating:
 * measured at 1 message, 1 crash, 3 starts, v2.10.22 closes at 2,011 distinct states (depth 16,
 * 3 s) while v2.10.23 holds 41,823 at depth 12 and still adds about 12,000 a level (no
 * reduction touches the timers' deadlines). Those searches
 * keep the depth cap and say they are not complete.
 */
export function closesUnderKill(profile: string): boolean {
  const p = getProfile(profile);
  return !p.firstSyncJitter && p.indexFlushJitterMaxMs === 0;
}

/**
 * The bounds of one search: a power loss stops at MATRIX_POWER_LOSS_DEPTH; a kill search of a
 * profile whose space closes runs to its fixpoint (starts and redeliveries bounded); any other
 * keeps the depth cap.
 */
export function searchBounds(bounds: ExploreBounds, crash: CrashModel, profile: string): ExploreBounds {
  if (crash !== 'kill') return { ...bounds, depth: bounds.depth === null ? MATRIX_POWER_LOSS_DEPTH : Math.min(bounds.depth, MATRIX_POWER_LOSS_DEPTH) };
  if (!closesUnderKill(profile)) return bounds;
  return { ...bounds, depth: null, maxStarts: bounds.maxStarts ?? FIXPOINT_BOUNDS.maxStarts, maxRedeliveries: bounds.maxRedeliveries ?? FIXPOINT_BOUNDS.maxRedeliveries };
}
export const MATRIX_CRASH_MODELS: readonly CrashModel[] = ['kill', 'power-loss:ext4'];
/** `--quick`: the seed release and the fix that closes its kill counterexample; both close under kill, so both searches are complete. */
export const QUICK_PROFILES: readonly string[] = ['v2.10.22', 'v2.10.22+atomic-lmb-rotation'];
export const QUICK_CRASH_MODELS: readonly CrashModel[] = ['kill'];

/** One cause of a violation: its shortest counterexample. */
export interface MatrixCause {
  readonly cause: Cause;
  /** Events in the shortest counterexample of this cause. */
  readonly length: number;
  /** Its trace, replayable. */
  readonly trace: TraceFile;
  readonly message: string;
}

/** One search's verdict on one property. */
export interface MatrixRow {
  readonly profile: string;
  readonly property: PropertyId;
  readonly crash: CrashModel;
  readonly verdict: Verdict;
  /** Shortest first. */
  readonly causes: readonly MatrixCause[];
  readonly statesExplored: number;
  readonly complete: boolean;
  readonly bounds: ExploreBounds;
}

export interface MatrixCost {
  readonly profile: string;
  readonly fsyncsPer1000: number;
  readonly fileOpsPer1000: number;
  readonly dirFsyncsPer1000: number;
  readonly bytesPer1000: number;
  /** One removal of the last block (an ack that replaced the lmb). */
  readonly perLastBlockRemoval: { readonly fileOps: number; readonly fsyncs: number; readonly dirFsyncs: number; readonly bytesWritten: number };
}

export interface SearchRun {
  readonly profile: string;
  readonly crash: CrashModel;
  readonly fileSystem: string;
  readonly statesExplored: number;
  readonly distinctStates: number | null;
  readonly complete: boolean;
}

export interface MatrixRequest {
  readonly profiles: readonly string[];
  readonly crashes: readonly CrashModel[];
  readonly bounds: ExploreBounds;
  /** Rerun every counterexample under every other profile (closure.ts). */
  readonly closure: boolean;
  /** Threads to run searches side by side (default: the cores); the result does not depend on it. */
  readonly threads?: number;
  readonly onProgress?: (text: string) => void;
}

export interface MatrixResult {
  readonly rows: readonly MatrixRow[];
  readonly costs: readonly MatrixCost[];
  readonly closure: readonly ClosureEntry[];
  readonly runs: readonly SearchRun[];
}

/** One complete search of a profile under a crash model, every property at once, every cause kept. */
export function searchAllProperties(profile: string, crash: CrashModel, bounds: ExploreBounds, onProgress?: (text: string) => void, workers = availableParallelism()): { rows: MatrixRow[]; run: SearchRun } {
  // The search engine's worker threads (issue 9) split each level; the result does not depend on their number.
  const r = explore({ profile, properties: PROPERTY_IDS, crash, mode: 'exhaustive', bounds, seed: 0, runs: 0, stopEarly: false, byCause: true, workers, ...(onProgress ? { onProgress } : {}) });
  const run: SearchRun = { profile, crash, fileSystem: crashFileSystem(crash), statesExplored: r.stats.statesGenerated, distinctStates: r.stats.distinctStates, complete: r.stats.complete };
  const rows = r.results.map(
    (p): MatrixRow => ({
      profile,
      property: p.property,
      crash,
      verdict: p.verdict,
      causes: p.causes.map((c) => ({ cause: c.cause, length: c.events.length, trace: c.trace, message: c.message })),
      statesExplored: r.stats.statesGenerated,
      complete: r.stats.complete,
      bounds,
    }),
  );
  return { rows, run };
}

export function profileCost(profile: string): MatrixCost {
  const c = measureCost(profile);
  return { profile, fsyncsPer1000: c.per1000.fsyncs, fileOpsPer1000: c.per1000.fileOps, dirFsyncsPer1000: c.per1000.dirFsyncs, bytesPer1000: c.per1000.bytesWritten, perLastBlockRemoval: c.perLastBlockRemoval };
}

/** A stable name for a counterexample: what closure entries and trace files refer to. */
export function counterexampleId(row: Pick<MatrixRow, 'profile' | 'crash' | 'property'>, cause: Cause): string {
  return `${row.profile}_${row.crash.replace(':', '-')}_${row.property}_${cause}`;
}

export function runMatrix(req: MatrixRequest): MatrixResult {
  for (const p of req.profiles) getProfile(p); // unknown names fail before any search
  const jobs: SearchJob[] = req.profiles.flatMap((profile) => req.crashes.map((crash) => ({ profile, crash, bounds: searchBounds(req.bounds, crash, profile) })));
  const label = (i: number) => `[${i + 1}/${jobs.length}] ${jobs[i]!.profile} under ${jobs[i]!.crash}`;
  // Independent searches run side by side, one per thread (searchpool.ts); a lone search splits its levels instead.
  // Power-loss searches are the longest: started first, they finish with the rest. The order changes only the time.
  const order = [...jobs.keys()].sort((a, b) => Number(jobs[a]!.crash === 'kill') - Number(jobs[b]!.crash === 'kill') || a - b);
  const results = runSearches(
    jobs,
    req.threads ?? availableParallelism(),
    (job, i) => {
      req.onProgress?.(label(i));
      return searchAllProperties(job.profile, job.crash, job.bounds, (t) => req.onProgress?.(`${label(i)}: ${t}`));
    },
    (i, _job, r) => req.onProgress?.(`${label(i)}: ${r.run.distinctStates} distinct states, ${r.run.complete ? 'complete' : 'not complete'}`),
    order,
  );
  const rows = results.flatMap((r) => r.rows);
  const runs = results.map((r) => r.run);
  const costs = req.profiles.map(profileCost);
  let closure: ClosureEntry[] = [];
  if (req.closure) {
    const refs: CounterexampleRef[] = rows.flatMap((row) => row.causes.map((c) => ({ id: counterexampleId(row, c.cause), profile: row.profile, crash: row.crash, property: row.property, cause: c.cause, trace: c.trace })));
    closure = closeCounterexamples(refs, req.profiles, req.bounds, (t) => req.onProgress?.(`closure: ${t}`));
  }
  return { rows, costs, closure, runs };
}

/** Every profile, releases then fixes: what `npm start` checks. */
export const MATRIX_PROFILES: readonly string[] = ALL_PROFILE_NAMES;
