/**
 * Which fix closes which counterexample. A counterexample is a client workload (the events a
 * client and the clock cause: start, store, deliver, ack, advance, stop) plus crash choices
 * (where the process died, and under power loss what the disk kept). Another profile issues
 * other file operations, so the old cut cannot simply be replayed: the workload is rerun under
 * that profile with *every* crash choice its own file operations allow at the same points
 * (every kill point of the event the crash interrupted, and every power-loss outcome the file
 * system allows there), and the property is judged on each run. `violated` means some choice
 * still breaks it (every cause found is kept; the reported one is the first in CAUSES order);
 * `holds` that none does; `vacuous` that no run reached the property's precondition.
 */
import { EventError, type ModelEvent } from '../model/step.js';
import { exploredConfig, isCrashModel, powerLossChoices, startChoices, type CrashModel, type ExploreBounds } from './alphabet.js';
import { CAUSES, classifyRun, type Cause } from './causes.js';
import type { Verdict } from './explore.js';
import { PROPERTY_IDS, type PropertyId } from './invariants.js';
import { rootNode, runAction, type Action, type SearchContext, type SearchNode } from './runner.js';
import type { TraceFile } from '../traces/trace.js';

/** A counterexample to close. */
export interface CounterexampleRef {
  /** Its name in the matrix (and its trace file's name). */
  readonly id: string;
  readonly profile: string;
  readonly crash: CrashModel;
  readonly property: PropertyId;
  readonly cause: Cause;
  readonly trace: TraceFile;
}

/** The counterexample's workload rerun under one other profile. */
export interface ClosureEntry {
  /** The counterexample (CounterexampleRef.id). */
  readonly trace: string;
  readonly profile: string;
  readonly verdict: Verdict;
  /** With `violated`: the cause of the first run that still breaks the property. */
  readonly cause: Cause | null;
}

/** One step of a workload: a client event, where a crash may cut it, or a power loss while down. */
export type WorkloadStep = { readonly kind: 'event'; readonly event: ModelEvent; readonly crash: boolean } | { readonly kind: 'powerLossWhileDown' };

/** The client workload of a run: its events without kill points and power-loss choices, with the crash points marked. */
export function clientWorkload(events: readonly ModelEvent[]): WorkloadStep[] {
  const out: WorkloadStep[] = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.type === 'powerLoss') {
      const prev = events[i - 1];
      if (!(prev && 'killAfterFileOps' in prev && prev.killAfterFileOps !== undefined)) out.push({ kind: 'powerLossWhileDown' });
      continue;
    }
    if ('killAfterFileOps' in e && e.killAfterFileOps !== undefined) {
      const { killAfterFileOps: _cut, ...plain } = e;
      out.push({ kind: 'event', event: plain as ModelEvent, crash: true });
    } else {
      out.push({ kind: 'event', event: e, crash: false });
    }
  }
  return out;
}

interface PropertyOutcome {
  reached: boolean;
  /** The first violating run of each cause: its events and the index of the failing event. */
  byCause: Map<Cause, { events: readonly ModelEvent[]; failedAt: number }>;
}

/** Rerun `workload` under `profile` with every crash choice, judging every property. */
/** A property's verdict on a rerun; with `violated`, the first violating run (its events, and the failing event's index). */
export interface RerunVerdict {
  readonly verdict: Verdict;
  /** With `violated`: the first of `causes` in CAUSES order (the removal causes first). */
  readonly cause: Cause | null;
  /** Every cause some crash choice breaks the property with, in CAUSES order. */
  readonly causes: readonly Cause[];
  readonly witness?: { readonly events: readonly ModelEvent[]; readonly failedAt: number };
}

export function rerunWorkload(workload: readonly WorkloadStep[], profile: string, crash: CrashModel, bounds: ExploreBounds): Record<PropertyId, RerunVerdict> {
  const ctx: SearchContext = { profile, crash, bounds: { ...bounds, maxCrashes: Number.MAX_SAFE_INTEGER }, properties: PROPERTY_IDS, coverage: {}, reached: {} };
  /** For steps that only measure (the operation count, the disk after a kill point): judges nothing. */
  const quiet: SearchContext = { ...ctx, properties: [], reached: {} };
  const outcome = Object.fromEntries(PROPERTY_IDS.map((p) => [p, { reached: false, byCause: new Map() }])) as Record<PropertyId, PropertyOutcome>;
  const config = exploredConfig(bounds, crash);

  let completedRuns = 0;
  const visit = (i: number, node: SearchNode, path: readonly ModelEvent[]): void => {
    if (i === workload.length) {
      completedRuns++;
      return;
    }
    const w = workload[i]!;
    const actions: Action[] = [];
    // A start's timer jitter (#6041, #6128, #6220) is the server's choice, not the client's:
    // every choice this profile allows (one, for a profile without jitter).
    const variants = w.kind === 'event' && w.event.type === 'start' ? startChoices(node.state) : w.kind === 'event' ? [w.event] : [];
    if (w.kind === 'powerLossWhileDown') {
      if (crash !== 'kill') for (const keep of powerLossChoices(crash, node.state.disk, bounds.reorderWindow)) actions.push({ events: [{ type: 'powerLoss', keep }], crash: true });
    } else if (!w.crash) {
      for (const event of variants) actions.push({ events: [event], crash: false });
    } else for (const event of variants) {
      let full;
      try {
        full = runAction(quiet, node, { events: [event], crash: false }, null).results[0]!;
      } catch (e) {
        if (e instanceof EventError) continue; // the workload does not apply here
        throw e;
      }
      for (let k = 0; k <= full.ops.length; k++) {
        const killed = { ...event, killAfterFileOps: k } as ModelEvent;
        if (crash === 'kill') {
          actions.push({ events: [killed], crash: true });
          continue;
        }
        const afterKill = runAction(quiet, node, { events: [killed], crash: true }, null).node.state;
        for (const keep of powerLossChoices(crash, afterKill.disk, bounds.reorderWindow)) actions.push({ events: [killed, { type: 'powerLoss', keep }], crash: true });
      }
    }
    for (const action of actions) {
      let t;
      try {
        t = runAction(ctx, node, action, null);
      } catch (e) {
        if (e instanceof EventError) continue;
        throw e;
      }
      const events = [...path, ...action.events];
      for (const v of t.violations) {
        const failedAt = path.length + v.eventOffset;
        const cause = classifyRun(config, profile, events, failedAt);
        const o = outcome[v.property];
        if (!o.byCause.has(cause)) o.byCause.set(cause, { events, failedAt });
      }
      visit(i + 1, t.node, events);
    }
  };
  visit(0, rootNode(ctx), []);

  const result = {} as Record<PropertyId, RerunVerdict>;
  for (const p of PROPERTY_IDS) {
    const o = outcome[p];
    const reached = (ctx.reached[p] ?? 0) > 0;
    const causes = CAUSES.filter((c) => o.byCause.has(c));
    if (causes.length > 0) result[p] = { verdict: 'violated', cause: causes[0]!, causes, witness: o.byCause.get(causes[0]!)! };
    // No run got through the whole workload (an event this profile refuses): nothing is claimed.
    else result[p] = { verdict: reached && completedRuns > 0 ? 'holds' : 'vacuous', cause: null, causes: [] };
  }
  return result;
}

/**
 * Close every counterexample under every other profile of `profiles`. Counterexamples with the
 * same workload and crash model share one rerun per profile.
 */
export function closeCounterexamples(refs: readonly CounterexampleRef[], profiles: readonly string[], bounds: ExploreBounds, onProgress?: (text: string) => void): ClosureEntry[] {
  const cache = new Map<string, Record<PropertyId, RerunVerdict>>();
  const out: ClosureEntry[] = [];
  refs.forEach((ref, n) => {
    onProgress?.(`${n + 1}/${refs.length} ${ref.id}`);
    const workload = clientWorkload(ref.trace.steps.map((s) => s.event));
    const key = JSON.stringify([ref.crash, workload]);
    for (const profile of profiles) {
      if (profile === ref.profile) continue;
      const k = `${profile}\u0000${key}`;
      let r = cache.get(k);
      if (!r) {
        r = rerunWorkload(workload, profile, ref.crash, bounds);
        cache.set(k, r);
      }
      out.push({ trace: ref.id, profile, verdict: r[ref.property].verdict, cause: r[ref.property].cause });
    }
  });
  return out;
}

/** The bounds a saved counterexample was found within, read from its own file: what its rerun needs. */
export function traceBounds(trace: TraceFile, base: ExploreBounds): ExploreBounds {
  const stores = trace.steps.filter((s) => s.event.type === 'store').length;
  return {
    ...base,
    maxMsgs: Math.max(base.maxMsgs, stores),
    consumers: trace.config.consumers.length,
    blockSizeBytes: trace.config.blockSizeBytes,
    retention: trace.config.retention,
    syncAlways: trace.config.syncAlways,
  };
}

/** A saved counterexample trace (traces/corpus/) as a closure reference, or null when it names no crash model or violation. */
export function corpusRef(name: string, trace: TraceFile): CounterexampleRef | null {
  const crash = trace.origin.kind === 'explore' && isCrashModel(trace.origin.crash) ? trace.origin.crash : null;
  if (!crash || !trace.violation || !trace.violation.cause) return null;
  return { id: name, profile: trace.profile, crash, property: trace.violation.property as PropertyId, cause: trace.violation.cause as Cause, trace };
}

/**
 * Rerun each saved counterexample under every profile of `profiles` (its own included, which
 * must still break it: the check that the rerun reaches the same crash choices), with the
 * bounds its file records.
 */
export function closeCorpus(refs: readonly CounterexampleRef[], profiles: readonly string[], base: ExploreBounds, onProgress?: (text: string) => void): ClosureEntry[] {
  const out: ClosureEntry[] = [];
  refs.forEach((ref, n) => {
    onProgress?.(`${n + 1}/${refs.length} ${ref.id}`);
    const workload = clientWorkload(ref.trace.steps.map((s) => s.event));
    const bounds = traceBounds(ref.trace, base);
    for (const profile of profiles) {
      const r = rerunWorkload(workload, profile, ref.crash, bounds)[ref.property];
      out.push({ trace: ref.id, profile, verdict: r.verdict, cause: r.cause });
    }
  });
  return out;
}
