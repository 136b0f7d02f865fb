/**
 * What the model predicts a real server does when it starts on a crash image: the crash
 * (a kill keeps the page cache; the durable view is a power loss keeping nothing in flight),
 * then `start`, then the stream and consumer state as `StreamInfo`/`ConsumerInfo` report it,
 * the warnings recovery logs, and the probe of `consumer-keeps-delivering` (store one
 * message on `probe`, let each consumer deliver, again after AckWait).
 */
import { observe } from '../model/observe.js';
import { step, type StepResult } from '../model/step.js';
import type { ModelState } from '../model/state.js';
import { probeDelivery } from '../properties/invariants.js';
import { assert } from '../model/assert.js';
import type { Run } from '../traces/image/image.js';

/** When the probe reached a consumer: in its first deliveries, only after AckWait (as a redelivery of an old pending sequence), or never. */
export type ProbeOutcome = 'at once' | 'after AckWait' | 'never';

export interface ConsumerFields {
  readonly delivered: { readonly consumerSeq: number; readonly streamSeq: number };
  readonly ackFloor: { readonly consumerSeq: number; readonly streamSeq: number };
}

export interface RestartFields {
  readonly stream: { readonly firstSeq: number; readonly lastSeq: number; readonly msgs: number; readonly numDeleted: number } | null;
  readonly consumers: Readonly<Record<string, ConsumerFields>>;
  /** The sequence the probe message got, and per consumer when it was delivered. */
  readonly probe: { readonly seq: number | null; readonly delivered: Readonly<Record<string, ProbeOutcome>> };
  /** Warnings logged by recovery (model: its log lines; real: WRN/ERR lines about this stream). */
  readonly warnings: readonly string[];
}

export interface Prediction extends RestartFields {
  /** The model's state after recovery (before the probe). */
  readonly recovered: ModelState;
  /** Consumers holding pending acks after recovery: the real probe must also wait AckWait for them. */
  readonly pendingAfterStart: Readonly<Record<string, number>>;
  /** How long after the restore the state was read (0, or `RESTORE_SETTLE_MS`). */
  readonly settleMs: number;
}

/**
 * `probeDelivery`'s rounds for one consumer, telling which round delivered the probe: store
 * on \`probe\`; deliver up to every stored and pending message plus one; if not found, advance
 * AckWait and deliver as many again.
 */
function probeConsumer(state: ModelState, name: string): ProbeOutcome {
  const stored = step(state, { type: 'store', subject: 'probe', payloadBytes: 0 });
  const seq = stored.outcome.seqs?.[0];
  let s = stored.state;
  const rounds = (s.proc?.store.state.msgs ?? 0) + (s.proc?.consumers.find((c) => c.name === name)?.pending.length ?? 0) + 1;
  for (const round of [0, 1]) {
    if (round === 1) s = step(s, { type: 'advance', ms: state.config.ackWaitMs }).state;
    for (let i = 0; i < rounds; i++) {
      const r = step(s, { type: 'deliver', consumer: name });
      s = r.state;
      const ds = r.outcome.deliveries ?? [];
      if (ds.length === 0) break;
      if (ds.some((d) => d.streamSeq === seq)) return round === 0 ? 'at once' : 'after AckWait';
    }
  }
  return 'never';
}

/** The crash that turns the image's step into a downed server with that view of the disk. */
function crashed(state: ModelState, view: 'cache' | 'durable'): ModelState {
  if (view === 'durable') return step(state, { type: 'powerLoss', keep: { kind: 'synced' } }).state;
  return state.proc ? step(state, { type: 'kill' }).state : state;
}

/**
 * How long after a restore both sides wait before reading, when a consumer restored pending
 * acks: the server runs `checkPending` 0.5-1.5 s after the restore (consumer.go applyState
 * L2540-2555 at v2.10.22), which drops pending sequences below the stream's first and moves the
 * ack floor. Reading at once would race that timer; reading after it does not.
 */
export const RESTORE_SETTLE_MS = 2000;

export function predictRestart(run: Run, stepN: number, view: 'cache' | 'durable'): Prediction {
  const down = crashed(run.states[stepN]!, view);
  const restarted: StepResult = step(down, { type: 'start' });
  const pendingAtStart = (restarted.state.proc?.consumers ?? []).some((o) => o.pending.length > 0);
  const settled = pendingAtStart ? step(restarted.state, { type: 'advance', ms: RESTORE_SETTLE_MS }) : null;
  const started = { ...restarted, state: settled ? settled.state : restarted.state, log: [...restarted.log, ...(settled?.log ?? [])] };
  const obs = observe(started.state);
  const consumers: Record<string, ConsumerFields> = {};
  const pendingAfterStart: Record<string, number> = {};
  for (const [name, c] of Object.entries(obs.consumers)) {
    consumers[name] = { delivered: c.delivered, ackFloor: c.ackFloor };
    pendingAfterStart[name] = c.numAckPending;
  }
  const probeSeq = step(started.state, { type: 'store', subject: 'probe', payloadBytes: 0 }).outcome.seqs?.[0] ?? null;
  const delivered: Record<string, ProbeOutcome> = {};
  for (const name of run.config.consumers) {
    delivered[name] = probeConsumer(started.state, name);
    // The property's own probe must agree on whether it arrives at all. It reports the first
    // consumer that misses it; ask one consumer at a time (the configured list is read only at
    // `start`, which has run).
    const only: ModelState = { ...started.state, config: { ...started.state.config, consumers: [name] } };
    assert((probeDelivery(only) === null) === (delivered[name] !== 'never'), `the confirm probe and consumer-keeps-delivering disagree for ${name}`);
  }
  const s = obs.stream;
  return {
    stream: s ? { firstSeq: s.firstSeq, lastSeq: s.lastSeq, msgs: s.msgs, numDeleted: s.numDeleted } : null,
    consumers,
    probe: { seq: probeSeq, delivered },
    warnings: [...started.log],
    recovered: started.state,
    pendingAfterStart,
    settleMs: settled ? RESTORE_SETTLE_MS : 0,
  };
}
