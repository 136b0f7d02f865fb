/**
 * What must hold. Each property is one small pure function with a stable id and a one-line
 * claim, checked on every transition of a run; `applies` says whether this transition
 * reached the property's precondition (a property whose precondition was never reached is
 * reported vacuous, never holds).
 */
import { observe, storedSeqs } from '../model/observe.js';
import type { ModelState } from '../model/state.js';
import { step, type ModelEvent, type ModelEventType, type StepResult } from '../model/step.js';
import { msgIdAt, type Ghost } from './ghost.js';

export const PROPERTY_IDS = [
  'stream-not-behind-consumer',
  'no-sequence-reuse',
  'no-acked-redelivery',
  'no-stored-loss',
  'consumer-keeps-delivering',
  'clean-restart-identity',
] as const;

export type PropertyId = (typeof PROPERTY_IDS)[number];

/** One transition of a run, as properties see it. */
export interface Transition {
  readonly before: ModelState;
  readonly event: ModelEvent;
  readonly result: StepResult;
  readonly ghostBefore: Ghost;
  readonly ghostAfter: Ghost;
}

export interface Property {
  readonly id: PropertyId;
  /** The claim, in one line. */
  readonly claim: string;
  /** What must have been explored for a verdict other than vacuous. */
  readonly precondition: string;
  /** The only events whose transitions it judges (the runner asks `applies` of no other). */
  readonly on: readonly ModelEventType[];
  applies(t: Transition): boolean;
  /** A violation message, or null. Called only when `applies`. */
  check(t: Transition): string | null;
}

/** A start that completed after an earlier one, with the process still up: a restart. */
function isRestart(t: Transition): boolean {
  return t.event.type === 'start' && t.result.completed && !t.result.killed && t.ghostAfter.starts >= 2;
}

const streamNotBehindConsumer: Property = {
  id: 'stream-not-behind-consumer',
  claim: "after every start, the stream's LastSeq is at least each consumer's delivered stream sequence and its ack floor",
  precondition: 'a restart',
  on: ['start'],
  applies: isRestart,
  check(t) {
    const o = observe(t.result.state);
    const lastSeq = o.stream?.lastSeq ?? 0;
    for (const [name, c] of Object.entries(o.consumers)) {
      if (c.delivered.streamSeq > lastSeq) return `after restart the stream's LastSeq is ${lastSeq} but consumer ${name} has delivered stream sequence ${c.delivered.streamSeq}`;
      if (c.ackFloor.streamSeq > lastSeq) return `after restart the stream's LastSeq is ${lastSeq} but consumer ${name}'s ack floor is ${c.ackFloor.streamSeq}`;
    }
    return null;
  },
};

const noSequenceReuse: Property = {
  id: 'no-sequence-reuse',
  claim: 'a sequence number given to a stored message is never given to another message, across restarts',
  precondition: 'a store after a restart',
  on: ['store'],
  applies: (t) => t.event.type === 'store' && t.result.completed && t.ghostBefore.starts >= 2 && t.ghostBefore.assigned.length > 0,
  check(t) {
    for (const seq of t.result.outcome.seqs ?? []) {
      if (t.ghostBefore.assigned.some((c) => c.seq === seq)) return `sequence ${seq} was given to a stored message before and is given again to a new one`;
    }
    return null;
  },
};

const noAckedRedelivery: Property = {
  id: 'no-acked-redelivery',
  claim: 'a message whose ack was processed (and whose removal the crash kept) is never delivered again after a restart; judged by message identity, so a new message reusing an acked sequence is no-sequence-reuse\'s, not this',
  precondition: 'a delivery after a restart that followed a processed ack',
  on: ['deliver'],
  applies: (t) => t.event.type === 'deliver' && t.ghostBefore.restartAfterAck && t.ghostBefore.acked.length > 0,
  check(t) {
    for (const d of t.result.outcome.deliveries ?? []) {
      const id = msgIdAt(t.ghostBefore, d.streamSeq);
      if (id !== undefined && t.ghostBefore.acked.some((c) => c.msgId === id)) return `message #${id} (stream sequence ${d.streamSeq}) was acked and removed, yet it is delivered again after the restart`;
    }
    return null;
  },
};

const noStoredLoss: Property = {
  id: 'no-stored-loss',
  claim: 'a stored, unacked message survives a restart (under power loss: if its record had become durable)',
  precondition: 'a restart with stored, unacked messages',
  on: ['start'],
  applies: (t) => isRestart(t) && t.ghostBefore.unacked.length > 0,
  check(t) {
    const stored = new Set(storedSeqs(t.result.state));
    const missing = t.ghostBefore.unacked.filter((c) => !stored.has(c.seq)).map((c) => c.seq);
    return missing.length === 0 ? null : `stored, unacked message${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing after the restart`;
  },
};

/**
 * The probe behind consumer-keeps-delivering: store one message, then let each consumer
 * deliver, and again after AckWait; it must deliver that message.
 */
export function probeDelivery(state: ModelState): { consumer: string; storedSeq: number; deliveredPointer: number } | null {
  if (!state.proc) return null;
  const stored = step(state, { type: 'store', subject: 'probe', payloadBytes: 0 });
  const seq = stored.outcome.seqs?.[0];
  if (seq === undefined) return null;
  for (const name of state.config.consumers) {
    let s = stored.state;
    let found = false;
    // Enough deliveries to reach the probe: every stored message, every pending one, and it.
    const rounds = (s.proc?.store.state.msgs ?? 0) + (s.proc?.consumers.find((c) => c.name === name)?.pending.length ?? 0) + 1;
    for (let round = 0; round < 2 && !found; round++) {
      if (round === 1) s = step(s, { type: 'advance', ms: state.config.ackWaitMs }).state;
      for (let i = 0; i < rounds && !found; i++) {
        const r = step(s, { type: 'deliver', consumer: name });
        s = r.state;
        const ds = r.outcome.deliveries ?? [];
        if (ds.length === 0) break;
        found = ds.some((d) => d.streamSeq === seq);
      }
    }
    if (!found) {
      const c = observe(stored.state).consumers[name];
      return { consumer: name, storedSeq: seq, deliveredPointer: c?.delivered.streamSeq ?? 0 };
    }
  }
  return null;
}

const consumerKeepsDelivering: Property = {
  id: 'consumer-keeps-delivering',
  claim: 'after a restart, a message stored afterwards is delivered to each consumer within AckWait',
  precondition: 'a restart',
  on: ['start'],
  applies: isRestart,
  check(t) {
    const stuck = probeDelivery(t.result.state);
    return stuck ? `after the restart a new message gets sequence ${stuck.storedSeq} but consumer ${stuck.consumer} (delivered pointer at ${stuck.deliveredPointer}) never delivers it, even after AckWait` : null;
  },
};

const cleanRestartIdentity: Property = {
  id: 'clean-restart-identity',
  claim: 'a clean stop then start reproduces the stream state exactly (msgs, bytes, first/last seq, deleted count)',
  precondition: 'a start right after a clean stop',
  on: ['start'],
  applies: (t) => isRestart(t) && t.ghostBefore.beforeStop !== null,
  check(t) {
    const a = t.ghostBefore.beforeStop!;
    const b = observe(t.result.state).stream;
    if (!b) return 'the stream did not come back';
    for (const k of ['msgs', 'bytes', 'firstSeq', 'lastSeq', 'numDeleted'] as const) {
      if (a[k] !== b[k]) return `${k} was ${a[k]} before the clean stop and is ${b[k]} after the start`;
    }
    return null;
  },
};

export const PROPERTIES: Readonly<Record<PropertyId, Property>> = {
  'stream-not-behind-consumer': streamNotBehindConsumer,
  'no-sequence-reuse': noSequenceReuse,
  'no-acked-redelivery': noAckedRedelivery,
  'no-stored-loss': noStoredLoss,
  'consumer-keeps-delivering': consumerKeepsDelivering,
  'clean-restart-identity': cleanRestartIdentity,
};

/** Every event type some property judges: a transition of any other type violates nothing. */
export const JUDGED_EVENT_TYPES: ReadonlySet<ModelEventType> = new Set(Object.values(PROPERTIES).flatMap((p) => p.on));

export function isPropertyId(s: string): s is PropertyId {
  return (PROPERTY_IDS as readonly string[]).includes(s);
}
