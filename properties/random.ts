/**
 * Random exploration with fast-check. A run is a list of choices; each choice picks one of the
 * operations enabled in the current state (so every list is a valid run) and, optionally, a
 * crash of it: the kill point and, under power loss, which in-flight operations survive.
 * fast-check shrinks a failing list to a minimal one; the seed and path replay it.
 */
import fc from 'fast-check';
import { EventError, step, type ModelEvent, type StepResult } from '../model/step.js';
import { enabledActions, powerLossChoices } from './alphabet.js';
import type { Counterexample } from './exhaustive.js';
import type { PropertyId } from './invariants.js';
import { rootNode, runAction, type Action, type SearchContext, type SearchNode } from './runner.js';

/** One step of a random run: which operation, and which crash of it (null: none). */
export interface Choice {
  readonly op: number;
  readonly crash: number | null;
}

export const choiceArbitrary: fc.Arbitrary<Choice> = fc.record({
  op: fc.nat({ max: 1_000_000 }),
  // Five times in six no crash; null comes first so shrinking removes crashes.
  crash: fc.oneof({ arbitrary: fc.constant(null), weight: 5 }, { arbitrary: fc.nat({ max: 1_000_000 }), weight: 1 }),
});

/** Turn a choice into an action at a node (deterministic), with the operation's full result. */
export function chooseAction(ctx: SearchContext, node: SearchNode, choice: Choice): { action: Action; full: StepResult } {
  // A delivery with nothing to deliver changes nothing: leave it out so no choice is wasted.
  const ops = enabledActions(node.state, node.ghost, ctx.bounds, ctx.crash).filter((e) => e.type !== 'deliver' || (step(node.state, e).outcome.deliveries?.length ?? 0) > 0);
  const event = ops[choice.op % ops.length]!;
  const full = step(node.state, event);
  if (choice.crash === null || node.crashes >= ctx.bounds.maxCrashes) return { action: { events: [event], crash: false, firstResult: full }, full };
  const opCount = full.ops.length;
  const k = choice.crash % (opCount + 1);
  const killed = { ...event, killAfterFileOps: k } as ModelEvent;
  if (ctx.crash === 'kill') return { action: { events: [killed], crash: true }, full };
  const afterKill = step(node.state, killed);
  const keeps = powerLossChoices(ctx.crash, afterKill.state.disk, ctx.bounds.reorderWindow);
  const keep = keeps[Math.floor(choice.crash / (opCount + 1)) % keeps.length]!;
  return { action: { events: [killed, { type: 'powerLoss', keep }], crash: true, firstResult: afterKill }, full };
}

type Violation = Omit<Counterexample, 'events'>;

/** A random run needs a length: this one when the bounds name none. */
const RANDOM_DEPTH_WITHOUT_BOUND = 24;

/** Play choices from the root; the first violation of a selected property ends the run. */
export function playChoices(ctx: SearchContext, choices: readonly Choice[]): { events: ModelEvent[]; violation: Violation | null } {
  let node = rootNode(ctx);
  const events: ModelEvent[] = [];
  for (const choice of choices) {
    const { action, full } = chooseAction(ctx, node, choice);
    const t = runAction(ctx, node, action, full);
    const first = t.violations[0];
    if (first) {
      const failedAt = events.length + first.eventOffset;
      events.push(...action.events.slice(0, first.eventOffset + 1));
      return { events, violation: { property: first.property, message: first.message, failedAt } };
    }
    events.push(...action.events);
    node = t.node;
  }
  return { events, violation: null };
}

/**
 * Play raw events (one action each); an event invalid where it now stands ends the run clean.
 * With `alphabetOnly`, an ack of a message the consumer does not hold as pending is invalid too.
 */
export function playEvents(ctx: SearchContext, events: readonly ModelEvent[], alphabetOnly = true): Violation | null {
  let node = rootNode(ctx);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    // Stay within the explored alphabet: acks are for messages the consumer holds as pending.
    if (alphabetOnly && e.type === 'ack' && !node.state.proc?.consumers.find((c) => c.name === e.consumer)?.pending.some((p) => p.streamSeq === e.streamSeq)) return null;
    let t;
    try {
      t = runAction(ctx, node, { events: [events[i]!], crash: false }, null);
    } catch (e) {
      if (e instanceof EventError) return null;
      throw e;
    }
    const first = t.violations[0];
    if (first) return { property: first.property, message: first.message, failedAt: i };
    node = t.node;
  }
  return null;
}

/**
 * Make a counterexample 1-minimal: drop events one at a time (last first) while the same
 * property still fails, until no single event can go. Deterministic.
 */
export function minimizeEvents(ctx: SearchContext, events: readonly ModelEvent[], property: PropertyId): { events: ModelEvent[]; violation: Violation } {
  const quiet = { ...ctx, properties: [property], coverage: {}, reached: {} };
  let best = [...events];
  let violation = playEvents(quiet, best);
  if (!violation) throw new Error('model bug: a counterexample did not replay');
  best = best.slice(0, violation.failedAt + 1);
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = best.length - 1; i >= 0; i--) {
      const candidate = [...best.slice(0, i), ...best.slice(i + 1)];
      const v = playEvents(quiet, candidate);
      if (v) {
        best = candidate.slice(0, v.failedAt + 1);
        violation = v;
        changed = true;
      }
    }
  }
  return { events: best, violation: violation! };
}

export interface RandomOptions {
  readonly seed: number;
  readonly runs: number;
  /** A fast-check replay path (from a previous failure) to replay just that run. */
  readonly path?: string;
  readonly onProgress?: (runsDone: number) => void;
}

export interface RandomResult {
  readonly counterexample: (Counterexample & { readonly path: string; readonly choices: readonly Choice[] }) | null;
  readonly runs: number;
  readonly shrinks: number;
  readonly statesGenerated: number;
  readonly depthReached: number;
}

export function exploreRandom(ctx: SearchContext, opts: RandomOptions): RandomResult {
  let statesGenerated = 0;
  let depthReached = 0;
  let runsDone = 0;
  const property = fc.property(fc.array(choiceArbitrary, { minLength: 1, maxLength: ctx.bounds.depth ?? RANDOM_DEPTH_WITHOUT_BOUND, size: 'max' }), (choices) => {
    runsDone++;
    if (runsDone % 100 === 0) opts.onProgress?.(runsDone);
    const r = playChoices(ctx, choices);
    statesGenerated += r.events.length;
    depthReached = Math.max(depthReached, choices.length);
    return r.violation === null;
  });
  const details = fc.check(property, { seed: opts.seed, numRuns: opts.runs, ...(opts.path !== undefined ? { path: opts.path } : {}) });
  if (!details.failed || !details.counterexample) {
    return { counterexample: null, runs: details.numRuns, shrinks: details.numShrinks, statesGenerated, depthReached };
  }
  const choices = details.counterexample[0];
  // Re-play the shrunk run with fresh counters so coverage is not skewed by the replay.
  const replay = playChoices({ ...ctx, coverage: {}, reached: {} }, choices);
  if (!replay.violation) throw new Error('model bug: a shrunk counterexample did not replay');
  const minimal = minimizeEvents(ctx, replay.events, replay.violation.property);
  return {
    counterexample: { ...minimal.violation, events: minimal.events, path: details.counterexamplePath ?? '', choices },
    runs: details.numRuns,
    shrinks: details.numShrinks,
    statesGenerated,
    depthReached,
  };
}

