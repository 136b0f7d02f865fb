/**
 * Reading a real server with the official NATS client for Node: stream and consumer state as
 * `StreamInfo` / `ConsumerInfo` give them, and the probe (publish one message on `probe`,
 * fetch from each durable pull consumer without acking; if it has not come and the consumer
 * holds pending acks, wait out AckWait and fetch again, as the model's probe does).
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ConsumerFields, ProbeOutcome, RestartFields } from './prediction.js';
import { warningLines } from './server.js';

export const PROBE_FETCH_EXPIRES_MS = 1000;

export async function withConnection<T>(url: string, fn: (nc: NatsConnection) => Promise<T>): Promise<T> {
  const nc = await connect({ servers: url, reconnect: false, timeout: 5000 });
  try {
    return await fn(nc);
  } finally {
    await nc.close().catch(() => undefined);
  }
}

export interface ProbePlan {
  readonly streamName: string;
  readonly consumers: readonly string[];
  readonly ackWaitMs: number;
  /** Read the state this long after the server became ready (`readyAtMs`, Date.now()). */
  readonly settleMs: number;
  readonly readyAtMs: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** State after recovery, then the probe. `log()` gives the server's log so far. */
export async function observeRestart(url: string, plan: ProbePlan, log: () => string): Promise<RestartFields & { readonly pending: Readonly<Record<string, number>> }> {
  return withConnection(url, async (nc) => {
    const jsm = await jetstreamManager(nc, { timeout: 5000 });
    const wait = plan.readyAtMs + plan.settleMs - Date.now();
    if (plan.settleMs > 0 && wait > 0) await sleep(wait);
    let stream: RestartFields['stream'] = null;
    try {
      // With deleted details the server counts deletes as fileStore.State() does (the model's
      // numDeleted); without, FastState's arithmetic (0 whenever LastSeq <= FirstSeq).
      const si = await jsm.streams.info(plan.streamName, { deleted_details: true });
      stream = { firstSeq: si.state.first_seq, lastSeq: si.state.last_seq, msgs: si.state.messages, numDeleted: si.state.num_deleted ?? 0 };
    } catch {
      stream = null; // the stream did not come back
    }
    const consumers: Record<string, ConsumerFields> = {};
    const pending: Record<string, number> = {};
    for (const name of plan.consumers) {
      try {
        const ci = await jsm.consumers.info(plan.streamName, name);
        consumers[name] = { delivered: { consumerSeq: ci.delivered.consumer_seq, streamSeq: ci.delivered.stream_seq }, ackFloor: { consumerSeq: ci.ack_floor.consumer_seq, streamSeq: ci.ack_floor.stream_seq } };
        pending[name] = ci.num_ack_pending;
      } catch {
        // the consumer did not come back: left out, and reported as a difference
      }
    }
    const delivered: Record<string, ProbeOutcome> = {};
    let seq: number | null = null;
    if (stream) {
      const js = jetstream(nc, { timeout: 5000 });
      seq = (await js.publish('probe', new Uint8Array())).seq;
      for (const name of Object.keys(consumers)) {
        const c = await js.consumers.get(plan.streamName, name);
        const fetchOnce = async (): Promise<boolean> => {
          const si = await jsm.streams.info(plan.streamName);
          const max = si.state.messages + (pending[name] ?? 0) + 1;
          const iter = await c.fetch({ max_messages: max, expires: PROBE_FETCH_EXPIRES_MS });
          let found = false;
          for await (const m of iter) if (m.seq === seq) found = true;
          return found;
        };
        let outcome: ProbeOutcome = (await fetchOnce()) ? 'at once' : 'never';
        if (outcome === 'never' && (pending[name] ?? 0) > 0) {
          // The model's second round: AckWait after the probe was stored.
          await sleep(plan.ackWaitMs + 250);
          if (await fetchOnce()) outcome = 'after AckWait';
        }
        delivered[name] = outcome;
      }
    }
    const warnings = warningLines(log()).filter((l) => l.includes(`[${plan.streamName}]`) || l.includes(`> ${plan.streamName}`));
    return { stream, consumers, probe: { seq, delivered }, warnings, pending };
  });
}
