/**
 * Trace files (`filestore-trace/2`, defined by the schema in schemas/trace.ts): a run of the model that replays. A trace holds the
 * profile, the full configuration, where it came from (seed, search, scenario), the events
 * with every crash and persistence choice, and the observations after each step; replaying
 * it re-runs the events and names the first step whose observations differ.
 */
import type { StoreConfig } from '../model/config.js';
import { TRACE_FORMAT, type TraceFileData } from '../schemas/trace.js';
import { observe } from '../model/observe.js';
import type { ModelState } from '../model/state.js';
import { initialState, step, type ModelEvent, type StepResult } from '../model/step.js';

export { TRACE_FORMAT } from '../schemas/trace.js';

/** A trace file, as the schema (schemas/trace.ts) defines it. */
export type TraceFile = TraceFileData;

/** Where a trace came from. */
export type TraceOrigin = TraceFile['origin'];

/** The invariant a trace breaks, at the step (counted from 1) after which it broke. */
export type TraceViolation = NonNullable<TraceFile['violation']>;

/** What one event did, as recorded: the step's result without the state, plus what could be observed after it. */
export type TraceStep = TraceFile['steps'][number];

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
