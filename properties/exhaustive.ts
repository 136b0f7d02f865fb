/**
 * Exhaustive exploration: breadth-first over the operation alphabet and its crashes, within
 * the bounds, deduplicating states by the 128-bit fingerprint of their canonical encoding
 * (canonical.ts), until no new state appears (a fixpoint: `complete`) or an optional depth
 * bound. Every property is checked on every transition, and the search goes on past
 * violations: for each property it keeps the first violation found, which breadth-first
 * order makes a shortest one (fewest actions), and for each cause of it (a pluggable
 * classifier) the shortest of that cause.
 *
 * Level-synchronous: each level's frontier is expanded in order (by this thread, or split
 * into chunks among worker threads, see parallel.ts), and the results are merged in
 * frontier order, so the states, the verdicts and the counterexamples do not depend on the
 * number of workers or on their scheduling.
 */
import type { FsView } from '../model/disk.js';
import { readOnlyAtStart } from '../model/state.js';
import type { ModelEvent } from '../model/step.js';
import { CanonicalEncoder, timeHorizonMs, timeHorizons, uniformHorizons, type TimeHorizons } from './canonical.js';
import { FingerprintSet } from './fpset.js';
import { digestNode, withCounters } from './digest.js';
import { ghostView, type Ghost } from './ghost.js';
import { JUDGED_EVENT_TYPES, type PropertyId } from './invariants.js';
import { exploredConfig } from './alphabet.js';
import { classifyRun, type Cause } from './causes.js';
import { rootNode, runAction, successorActions, type Action, type SearchContext, type SearchNode } from './runner.js';

export interface Counterexample {
  readonly property: PropertyId;
  readonly message: string;
  readonly events: readonly ModelEvent[];
  /** Index into `events` of the event after which the property failed. */
  readonly failedAt: number;
  /** Why it failed (properties/causes.ts); absent until classified. */
  readonly cause?: Cause;
}

/** Names the cause of a counterexample (pure). The search keeps the shortest of each cause. */
export type CauseClassifier = (ce: Counterexample) => Cause;

/** The default classifier: replay the counterexample and ask causes.ts (`classifyRun`). */
export function replayClassifier(ctx: SearchContext): CauseClassifier {
  const config = ctx.config ?? exploredConfig(ctx.bounds, ctx.crash);
  return (ce) => classifyRun(config, ctx.profile, ce.events, ce.failedAt);
}

export interface ExhaustiveResult {
  /** Per property, its first (shortest) counterexample. */
  readonly counterexamples: Partial<Record<PropertyId, Counterexample>>;
  /** With `byCause`: per property, per cause, the shortest counterexample of that cause (causes sorted). */
  readonly byCause: Partial<Record<PropertyId, Partial<Record<Cause, Counterexample>>>>;
  /** States generated: the root plus one per transition. */
  readonly statesGenerated: number;
  readonly transitions: number;
  readonly distinctStates: number;
  /** The depth (in actions) of the deepest distinct state. */
  readonly depthReached: number;
  /** True when no new state was left to expand: every reachable state within the bounds was checked. */
  readonly complete: boolean;
  /** Bytes of the visited-state table (fingerprints). */
  readonly visitedBytes: number;
  /**
   * States not expanded because the same state with at least as much budget left (starts,
   * crashes, redeliveries, stores) was reached first, at no greater depth (budget
   * subsumption). They are not counted in `distinctStates`.
   */
  readonly subsumedStates: number;
  /**
   * Verify mode: how many distinct canonical texts the search met. Every fingerprint was
   * checked to stand for one text (no two distinct states merged); equal to `distinctStates`
   * when the fingerprint also never told apart two states with one text.
   */
  readonly verifiedStates: number | null;
}

export interface ExhaustiveOptions {
  /** Stop as soon as every selected property has a counterexample. */
  readonly stopWhenAllViolated: boolean;
  /** Stop (not complete) once this many distinct states are known: a budget for benchmarks. */
  readonly maxStates?: number;
  /** Test mode: keep every state's full canonical encoding and fail if two distinct ones share a fingerprint. */
  readonly verifyFingerprints?: boolean;
  /** Classify every violation and keep the shortest of each cause (the check's verdict table needs them). */
  readonly byCause?: boolean;
  /** The classifier `byCause` uses (default: `replayClassifier`, causes.ts). */
  readonly classifyCause?: CauseClassifier;
  /** Test: no kill reduction (under `kill`, states are told apart by what only a power loss reads too). */
  readonly noReduction?: boolean;
  /** Test: every time class with the clock's horizon (canonical.ts, "Old is old"), as before time classes. */
  readonly oneHorizon?: boolean;
  /** Test: no budget subsumption (a state is expanded even when the same state with more budget left was). */
  readonly noSubsumption?: boolean;
  /** Test: the whole ghost in fingerprints, not its readers' view (ghost.ts `ghostView`). */
  readonly noGhostView?: boolean;
  /** Test: the last run (no start left) searched like any other (`lastRun`). */
  readonly noLastRun?: boolean;
  /** Called after each depth level (for progress lines). */
  readonly onLevel?: (depth: number, frontier: number, distinct: number) => void;
}

/** One successor of a frontier state, as an expander reports it. */
export interface Successor {
  readonly fp: Uint32Array;
  /** The fingerprint of the state without its budget counters, and those counters (`budgetCounters`). */
  readonly core: Uint32Array;
  readonly counters: readonly number[];
  readonly events: readonly ModelEvent[];
  readonly violations: readonly { readonly property: PropertyId; readonly message: string; readonly eventOffset: number }[];
  /** The new node; left out when this expander already reported the same fingerprint. */
  readonly node: SearchNode | null;
  /** Verify mode: the canonical encoding. */
  readonly canonical: string | null;
  /**
   * The successor has nothing left to do: the process is down and no start is left (`lastRun`).
   * Its transition's violations count; the state itself is neither stored nor expanded.
   */
  readonly dead: boolean;
  /** The successor is in the last run and fingerprinted as such (`lastRun`, under `kill`). */
  readonly last: boolean;
  /**
   * A new running successor with a start left, under `kill`: its core as the last run would
   * see it (without the files only a start reads). A last-run state with that core and no
   * less budget spent is subsumed by it (`subsumed`, the `lastRunCovers` set).
   */
  readonly lastRunCore: Uint32Array | null;
}

/** Which reductions an expander applies (all, except in tests that compare with and without). */
export interface Reductions {
  /** Under `kill`, the page cache alone (`withoutPowerLossState`). */
  readonly kill: boolean;
  /** Each time class with its own horizon (canonical.ts). */
  readonly timeClasses: boolean;
  /** The ghost as its readers see it (ghost.ts `ghostView`). */
  readonly ghostView: boolean;
  /** The last run (no start left) as only its stores and deliveries can be judged (`lastRun`). */
  readonly lastRun: boolean;
}
export const ALL_REDUCTIONS: Reductions = { kill: true, timeClasses: true, ghostView: true, lastRun: true };

/**
 * The last run: the process is up and no start is left within the bounds. From here on no
 * start can follow, and only a start reads index.db or o.dat (model/state.ts
 * `readOnlyAtStart`) or judges the properties that need one; what is left to judge are the
 * stores and deliveries of this run (invariants.ts `on`). So in the last run:
 * - a crash or a stop leads to a state with nothing enabled (no start; a power loss while down
 *   needs a start to matter, and is judged by nothing). Such an action is not taken unless its
 *   events include a judged event (a crash inside a store or a delivery, whose violations count),
 *   and its successor is not stored;
 * - under `kill`, the contents of the files only a start reads are left out of the state's
 *   fingerprint: two states that differ only there take the same operations to the same
 *   judgements (under power loss the file system's deadlines read every in-flight operation,
 *   so there the state is kept whole). A last-run state is also subsumed by a running state
 *   with a start left, seen first, that has the same core without those files and no more
 *   budget spent: that state takes every operation this one takes, to the same judgements.
 * Every violation reachable in the last run is still reached, at the same depth, so no verdict
 * and no shortest length changes.
 */
export function lastRun(node: SearchNode, bounds: SearchContext['bounds']): boolean {
  return node.state.proc !== null && bounds.maxStarts !== undefined && node.ghost.starts >= bounds.maxStarts;
}

/** An action after which the process is down: a crash or a stop. */
function endsRun(action: Action): boolean {
  return action.crash || action.events[0]!.type === 'stop';
}

/** The page cache without the files only a start reads (their inodes go with them). */
function withoutStartOnlyFiles(cache: FsView): FsView {
  const entries: Record<string, number> = {};
  const inodes: Record<number, FsView['inodes'][number]> = {};
  const sizes: Record<number, number> = {};
  for (const [path, inode] of Object.entries(cache.entries)) {
    if (readOnlyAtStart(path)) continue;
    entries[path] = inode;
    inodes[inode] = cache.inodes[inode]!;
    if (cache.sizes?.[inode] !== undefined) sizes[inode] = cache.sizes[inode]!;
  }
  return { entries, inodes, sizes };
}
const NO_FINGERPRINT = new Uint32Array(4);

/**
 * A node's budget counters, as far as the bounds read them: completed starts (the ghost's;
 * up to 2 only when starts are not bounded, since the properties read "restarted or not"),
 * crashes, redeliveries (0 when they are not bounded) and stores.
 */
export function budgetCounters(node: SearchNode, bounds: SearchContext['bounds']): [number, number, number, number] {
  const starts = bounds.maxStarts === undefined ? Math.min(node.ghost.starts, 2) : node.ghost.starts;
  return [starts, node.crashes, bounds.maxRedeliveries === undefined ? 0 : node.redeliveries, node.ghost.stores];
}

/** Expands frontier states; keeps what it has reported so it sends each new node once. */
export class Expander {
  private readonly encoder: CanonicalEncoder;
  private readonly horizons: TimeHorizons;
  private readonly reported = new FingerprintSet(1 << 12);

  constructor(
    private readonly ctx: SearchContext,
    private readonly keepCanonical: boolean,
    private readonly reductions: Reductions = ALL_REDUCTIONS,
  ) {
    const config = rootNode(ctx).state.config;
    this.horizons = reductions.timeClasses ? timeHorizons(config) : uniformHorizons(timeHorizonMs(config));
    this.encoder = new CanonicalEncoder(this.horizons, Math.max(2, ctx.bounds.maxStarts ?? 2));
  }

  /**
   * The node's fingerprint, its core's (the node without its budget counters, with the
   * ghost's starts as the properties read them: up to 2) and its counters; and, when kept,
   * its canonical text (of the node with its counters as `budgetCounters` reads them).
   */
  fingerprintOf(node: SearchNode): { fp: Uint32Array; core: Uint32Array; counters: number[]; canonical: string | null; last: boolean } {
    const last = this.lastRunView(node);
    const { seen, ghost, core } = this.coreOf(node, last);
    const counters = budgetCounters(node, this.ctx.bounds);
    const fp = new Uint32Array(4);
    withCounters(core, counters, fp);
    const canonical = this.keepCanonical ? this.encoder.encode({ ...seen, crashes: counters[1], redeliveries: counters[2], ghost: { ...ghost, starts: counters[0], stores: counters[3] } }, node.state.nowMs) : null;
    return { fp, core, counters, canonical, last };
  }

  /**
   * Whether a last-run state could share this running node's core (`lastRunCore`): under
   * `kill`, a start left, and as many starts as the properties read (the core holds the
   * ghost's starts up to 2, and a last-run state has reached that many).
   */
  private mayCoverLastRun(node: SearchNode): boolean {
    const max = this.ctx.bounds.maxStarts;
    return this.reductions.lastRun && this.ctx.crash === 'kill' && max !== undefined && node.state.proc !== null && node.ghost.starts < max && Math.min(node.ghost.starts, 2) === Math.min(max, 2);
  }

  /** Whether the node is fingerprinted without the files only a start reads: in the last run, under `kill`. */
  private lastRunView(node: SearchNode): boolean {
    return this.reductions.lastRun && this.ctx.crash === 'kill' && lastRun(node, this.ctx.bounds);
  }

  /** The node as the fingerprint sees it (`lastRunView`: without the files only a start reads), its ghost's view, and its core's fingerprint. */
  private coreOf(node: SearchNode, lastRunView: boolean): { seen: SearchNode; ghost: Ghost; core: Uint32Array } {
    let seen = (this.reductions.kill && this.ctx.crash === 'kill' ? withoutPowerLossState(node) : node) as SearchNode;
    if (lastRunView) seen = { ...seen, state: { ...seen.state, disk: { ...seen.state.disk, cache: withoutStartOnlyFiles(seen.state.disk.cache) } } };
    const ghost = (this.reductions.ghostView ? ghostView(seen.ghost) : seen.ghost) as Ghost;
    const core = new Uint32Array(4);
    digestNode({ ...seen, crashes: 0, redeliveries: 0, ghost: { ...ghost, starts: Math.min(seen.ghost.starts, 2), stores: 0 } }, node.state.nowMs, this.horizons, 2, core);
    return { seen, ghost, core };
  }

  expand(node: SearchNode): Successor[] {
    const out: Successor[] = [];
    const last = this.reductions.lastRun && lastRun(node, this.ctx.bounds);
    for (const { action, full } of successorActions(this.ctx, node)) {
      if (last && endsRun(action) && !action.events.some((e) => JUDGED_EVENT_TYPES.has(e.type))) continue;
      const t = runAction(this.ctx, node, action, full);
      if (last && t.node.state.proc === null) {
        out.push({ fp: NO_FINGERPRINT, core: NO_FINGERPRINT, counters: [], events: action.events, violations: t.violations, node: null, canonical: null, dead: true, last: true, lastRunCore: null });
        continue;
      }
      const { fp, core, counters, canonical, last: inLastRun } = this.fingerprintOf(t.node);
      const fresh = this.reported.add(fp);
      const lastRunCore = fresh && this.mayCoverLastRun(t.node) ? this.coreOf(t.node, true).core : null;
      out.push({ fp, core, counters, events: action.events, violations: t.violations, node: fresh ? t.node : null, canonical, dead: false, last: inLastRun, lastRunCore });
    }
    return out;
  }
}

/**
 * Budget subsumption: whether the search already holds this state (its core) with counters
 * no greater than these, component by component (starts, crashes, redeliveries, stores),
 * and with the same "restarted or not" (starts below 2 exactly; from 2 on, any count from
 * 2). The counters only bound which operations are enabled (runner.ts `withinBounds`,
 * `successorActions`; alphabet.ts for stores) and grow alike along a run; `stores` also
 * numbers the next message identity, which the properties compare only for equality and
 * the ghost view renames. So every run from this node is a run from that one, with no more
 * budget spent: every violation reachable from here is reachable from there in as many
 * actions, and that node was reached at no greater depth (it was seen first, breadth-first).
 * Skipping this node changes no verdict and no shortest length.
 */
function subsumed(seen: FingerprintSet, core: Uint32Array, counters: readonly number[], key: Uint32Array): boolean {
  const [starts, crashes, redeliveries, stores] = counters as [number, number, number, number];
  const probe = [0, 0, 0, 0];
  for (let s = starts < 2 ? starts : 2; s <= starts; s++) {
    for (let c = 0; c <= crashes; c++) {
      for (let r = 0; r <= redeliveries; r++) {
        for (let m = 0; m <= stores; m++) {
          if (s === starts && c === crashes && r === redeliveries && m === stores) continue;
          probe[0] = s;
          probe[1] = c;
          probe[2] = r;
          probe[3] = m;
          withCounters(core, probe, key);
          if (seen.has(key)) return true;
        }
      }
    }
  }
  return false;
}

/**
 * Under the `kill` crash model no power loss ever happens, and only a power loss reads what
 * is durable and what is still in flight: `powerLoss` and `survivingView` read `durable` and
 * `inFlight`; `tick`, `fold` and `issueOp` only move operations between the two (the page
 * cache is written at issue, whatever the file system); the process reads the page cache
 * alone (`Io`); and the ghost's claims read their `deps` (in-flight operation ids) only to
 * judge a power loss (`nextGhost`, `keeps`). So two states that differ only there have the
 * same futures: the search sees the page cache and the claims without their deps.
 */
function withoutPowerLossState(node: SearchNode): object {
  const g = node.ghost;
  const noDeps = (cs: Ghost['assigned']) => (cs.every((c) => c.deps.length === 0) ? cs : cs.map((c) => ({ seq: c.seq, msgId: c.msgId, deps: NO_DEPS })));
  return { ...node, state: { ...node.state, disk: { cache: node.state.disk.cache } }, ghost: { ...g, assigned: noDeps(g.assigned), unacked: noDeps(g.unacked), acked: noDeps(g.acked) } };
}
const NO_DEPS: readonly number[] = Object.freeze([]);

/** Frontier states expanded and merged at a time (a multiple of the worker pool's chunk). */
const LEVEL_SLICE_STATES = 4096;

interface Entry {
  readonly node: SearchNode;
  /** Events from the root to this node. */
  readonly path: readonly ModelEvent[];
}

/** Expands one level's frontier, in order; the sequential form runs in this thread. */
export type LevelExpander = (frontier: readonly SearchNode[]) => Successor[][];

export function exploreExhaustive(ctx: SearchContext, opts: ExhaustiveOptions, expandLevel?: LevelExpander): ExhaustiveResult {
  const classify = opts.byCause ? (opts.classifyCause ?? replayClassifier(ctx)) : null;
  const counterexamples: Partial<Record<PropertyId, Counterexample>> = {};
  const causes: Partial<Record<PropertyId, Partial<Record<Cause, Counterexample>>>> = {};
  const local = new Expander(ctx, opts.verifyFingerprints === true, { kill: opts.noReduction !== true, timeClasses: opts.oneHorizon !== true, ghostView: opts.noGhostView !== true, lastRun: opts.noLastRun !== true });
  const subsume = opts.noSubsumption !== true;
  const probe = new Uint32Array(4);
  const pruned = new FingerprintSet(1 << 10);
  // Running states with a start left, keyed by their core as the last run sees it: such a
  // state takes every operation a last-run state with that core takes, to the same judgements
  // (the files it keeps besides are read only by a start), and it may also stop, crash or start.
  const lastRunCovers = new FingerprintSet(1 << 10);
  const expand: LevelExpander = expandLevel ?? ((frontier) => frontier.map((n) => local.expand(n)));
  const root = rootNode(ctx);
  const seen = new FingerprintSet();
  const rootFp = local.fingerprintOf(root);
  seen.add(rootFp.fp);
  const full = opts.verifyFingerprints ? new Map<string, string>([[hex(rootFp.fp), rootFp.canonical!]]) : null;
  const texts = opts.verifyFingerprints ? new Set<string>([rootFp.canonical!]) : null;
  let frontier: Entry[] = [{ node: root, path: [] }];
  let transitions = 0;
  let depthReached = 0;
  const depthBound = ctx.bounds.depth ?? Infinity;
  const allFound = () => ctx.properties.every((p) => counterexamples[p] !== undefined);
  const result = (complete: boolean): ExhaustiveResult => ({
    counterexamples,
    byCause: sortCauses(causes),
    statesGenerated: transitions + 1,
    transitions,
    distinctStates: seen.size,
    depthReached,
    complete,
    visitedBytes: seen.bytes,
    subsumedStates: pruned.size,
    verifiedStates: texts ? texts.size : null,
  });

  for (let depth = 1; depth <= depthBound && frontier.length > 0; depth++) {
    const next: Entry[] = [];
    // The level is expanded a slice at a time and merged in frontier order (the same order
    // whatever the slice, so the same result): the successors of one slice, not of the whole
    // level, are held at once, and a frontier entry is let go once merged.
    for (let from = 0; from < frontier.length; from += LEVEL_SLICE_STATES) {
      const slice = frontier.slice(from, from + LEVEL_SLICE_STATES);
      const expanded = expand(slice.map((e) => e.node));
      for (let i = 0; i < slice.length; i++) {
        const entry = slice[i]!;
        (frontier as (Entry | null)[])[from + i] = null;
        for (const s of expanded[i]!) {
          transitions++;
          // Worker threads cannot share the budget: count their transitions here, a slice at a time
          // (in this thread runAction counts them). The budget ends the search at most one slice late.
          if (expandLevel) ctx.budget?.spend();
          if (s.violations.length > 0) {
            const path = [...entry.path, ...s.events];
            for (const v of s.violations) {
              const failedAt = entry.path.length + v.eventOffset;
              if (!classify) {
                counterexamples[v.property] ??= { property: v.property, message: v.message, events: path, failedAt };
                continue;
              }
              const ce: Counterexample = { property: v.property, message: v.message, events: path, failedAt };
              const cause = classify(ce);
              const byCause = (causes[v.property] ??= {});
              byCause[cause] ??= { ...ce, cause };
              counterexamples[v.property] ??= byCause[cause];
            }
            if (opts.stopWhenAllViolated && allFound()) return result(false);
          }
          if (s.dead) continue;
          if (full) {
            const key = hex(s.fp);
            const known = full.get(key);
            if (known !== undefined && known !== s.canonical) throw new Error(`fingerprint collision: two distinct states share ${key}`);
            if (known === undefined) full.set(key, s.canonical!);
          }
          if (seen.has(s.fp)) continue;
          if (subsume && (subsumed(seen, s.core, s.counters, probe) || (s.last && subsumed(lastRunCovers, s.core, s.counters, probe)))) {
            pruned.add(s.fp);
            continue;
          }
          seen.add(s.fp);
          if (subsume && s.lastRunCore) {
            withCounters(s.lastRunCore, s.counters, probe);
            lastRunCovers.add(probe);
          }
          texts?.add(s.canonical!);
          if (!s.node) throw new Error('model bug: an expander left out a node the search had not seen');
          next.push({ node: s.node, path: [...entry.path, ...s.events] });
        }
      }
      // A state budget ends the search within the level that reaches it (its frontier would
      // otherwise hold the whole next level).
      const moreToDo = next.length > 0 || from + LEVEL_SLICE_STATES < frontier.length;
      if (opts.maxStates !== undefined && seen.size >= opts.maxStates && moreToDo) {
        if (next.length > 0) depthReached = depth;
        return result(false);
      }
    }
    if (next.length > 0) depthReached = depth;
    opts.onLevel?.(depth, next.length, seen.size);
    frontier = next;
  }
  return result(frontier.length === 0);
}

function hex(w: Uint32Array): string {
  let s = '';
  for (let i = 0; i < 4; i++) s += w[i]!.toString(16).padStart(8, '0');
  return s;
}

function sortCauses(causes: Partial<Record<PropertyId, Partial<Record<Cause, Counterexample>>>>): Partial<Record<PropertyId, Partial<Record<Cause, Counterexample>>>> {
  const out: Partial<Record<PropertyId, Partial<Record<Cause, Counterexample>>>> = {};
  for (const p of Object.keys(causes).sort() as PropertyId[]) {
    const byCause: Partial<Record<Cause, Counterexample>> = {};
    for (const c of Object.keys(causes[p]!).sort() as Cause[]) byCause[c] = causes[p]![c]!;
    out[p] = byCause;
  }
  return out;
}
