/**
 * Trace files (`filestore-trace/1`): a run of the model that replays. A trace holds the
 * profile, the full configuration, where it came from (seed, search, scenario), the events
 * with every crash and persistence choice, and the observations after each step; replaying
 * it re-runs the events and names the first step whose observations differ.
 */
import type { StoreConfig } from '../model/config.js';
import { observe, type Observation } from '../model/observe.js';
import type { ModelState } from '../model/state.js';
import { initialState, step, type ModelEvent, type StepResult } from '../model/step.js';

export const TRACE_FORMAT = 'filestore-trace/1';

/** Where a trace came from. */
export type TraceOrigin =
  | { readonly kind: 'explore'; readonly mode: 'random' | 'exhaustive'; readonly crash: string; readonly seed: number | null; readonly path?: string }
  | { readonly kind: 'scenario'; readonly name: string; readonly source: string }
  | { readonly kind: 'manual' };

/** The invariant a trace breaks, at the step where it broke. */
export interface TraceViolation {
  readonly property: string;
  readonly message: string;
  /** Index into `steps` of the step after which the property failed. */
  readonly step: number;
  /** Why (properties/causes.ts), when the search classified it. */
  readonly cause?: string;
}

/** What one event did, as recorded: the step's result without the state, plus what could be observed after it. */
export type TraceStep = Omit<StepResult, 'state'> & {
  readonly event: ModelEvent;
  readonly observation: Observation;
};

export interface TraceFile {
  readonly format: typeof TRACE_FORMAT;
  readonly profile: string;
  readonly config: StoreConfig;
  readonly origin: TraceOrigin;
  readonly title: string;
  readonly violation: TraceViolation | null;
  readonly steps: readonly TraceStep[];
}

export function traceStep(event: ModelEvent, r: StepResult): TraceStep {
  return { event, ops: r.ops, log: r.log, logAfterOps: r.logAfterOps, timers: r.timers, killed: r.killed, completed: r.completed, outcome: r.outcome, observation: observe(r.state) };
}

/** Run `events` from a fresh store and record every step. */
export function recordRun(config: StoreConfig, profile: string, events: readonly ModelEvent[]): { steps: TraceStep[]; final: ModelState } {
  let state = initialState(config, profile);
  const steps: TraceStep[] = [];
  for (const event of events) {
    const r = step(state, event);
    steps.push(traceStep(event, r));
    state = r.state;
  }
  return { steps, final: state };
}

export function makeTrace(args: { config: StoreConfig; profile: string; origin: TraceOrigin; title: string; violation: TraceViolation | null; steps: readonly TraceStep[] }): TraceFile {
  return { format: TRACE_FORMAT, profile: args.profile, config: args.config, origin: args.origin, title: args.title, violation: args.violation, steps: args.steps };
}

/** Deterministic JSON: keys in insertion order (all objects are built in a fixed order), 2-space indent. */
export function serializeTrace(trace: TraceFile): string {
  return `${JSON.stringify(trace, null, 2)}\n`;
}
