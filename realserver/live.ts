/**
 * `confirm --live`: the write path on a real server. Drive a fresh nats-server through a
 * trace's client events (create the stream and consumers at the first start, publish, fetch,
 * ack, wait out `advance`, stop with SIGTERM, restart), kill it with SIGKILL (which keeps the
 * page cache), decode its directory and compare it with the model's page-cache view, times
 * excluded.
 *
 * The model is re-run with the real server's block size (`dynBlkSize`, filestore.go L623: 8 MiB
 * for limits retention, 4 MiB otherwise), since a real stream's block size cannot be set.
 * Refused, with the reason: a kill inside an event (no real server can be stopped between two
 * file operations: use the crash image), power losses and operator file edits, events with no
 * client action (skip, remove, newBlock), and traces that need the 2-minute timers (sync,
 * index.db) or waits longer than `MAX_LIVE_WAIT_MS` in all.
 */
import { join } from 'node:path';
import { jetstream, jetstreamManager, AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { makeConfig } from '../model/config.js';
import type { FsView } from '../model/disk.js';
import type { Segment } from '../model/records.js';
import { compareWithModel, readStoreDir } from '../traces/image/decode.js';
import { buildImage, runEvents, streamSubjects, type Run } from '../traces/image/image.js';
import { headerBytes, payloadBytes } from '../traces/image/content.js';
import { makeTempDir, removeTempDir, startServer, type RunningServer } from './server.js';
import { headers as natsHeaders } from '@nats-io/transport-node';

export const MAX_LIVE_WAIT_MS = 60_000;
const DELIVER_EXPIRES_MS = 1000;

export class LiveRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveRefusal';
  }
}

/** The block size a real server gives this stream (`dynBlkSize` with no MaxBytes, unencrypted). */
export function realBlockSizeBytes(retention: string): number {
  return retention === 'limits' ? 8 * 1024 * 1024 : 4 * 1024 * 1024;
}

/** Check a run can be driven on a real server; the model re-run at the real block size. */
export function liveRun(run: Run): Run {
  const cfg = run.config;
  if (run.events[0]?.type !== 'start') throw new LiveRefusal('the trace must begin with start');
  let waitMs = 0;
  run.events.forEach((e, i) => {
    const where = `event ${i + 1} (${e.type})`;
    const r = run.results[i]!;
    if ('killAfterFileOps' in e && e.killAfterFileOps !== undefined && !r.completed) throw new LiveRefusal(`${where} is killed between two file operations; a real server cannot be stopped there: use confirm without --live (the crash image)`);
    switch (e.type) {
      case 'start':
      case 'store':
      case 'deliver':
      case 'ack':
      case 'stop':
      case 'kill':
        return;
      case 'advance':
        waitMs += e.ms;
        return;
      default:
        throw new LiveRefusal(`${where} has no client action on a real server (live runs take start, store, deliver, ack, advance, stop and kill)`);
    }
  });
  const endMs = run.states[run.states.length - 1]!.nowMs;
  const timerMs = Math.min(cfg.syncIntervalMs, cfg.indexFlushIntervalMs);
  if (endMs >= timerMs) throw new LiveRefusal(`the trace runs ${endMs} ms of model time and needs the ${timerMs} ms timers (sync, index.db), too long to wait for on a real server`);
  if (waitMs > MAX_LIVE_WAIT_MS) throw new LiveRefusal(`the trace waits ${waitMs} ms in all; live runs wait at most ${MAX_LIVE_WAIT_MS} ms`);
  const config = makeConfig({ ...cfg, blockSizeBytes: realBlockSizeBytes(cfg.retention) });
  return runEvents(config, run.profile, run.events);
}

export interface LiveResult {
  /** No event or file differences (races excluded). */
  readonly agree: boolean;
  /**
   * o.dat differences that are a race, not a disagreement: at the kill the model's consumer had
   * a flush due (it writes at its next timer; the real flusher writes within milliseconds, so
   * the kill lands before, during or after that rewrite).
   */
  readonly races: readonly string[];
  /** Per event, where the real server's answer differed from the model's (seqs, deliveries). */
  readonly eventDifferences: readonly string[];
  /** File differences at the end (times excluded). */
  readonly fileDifferences: readonly string[];
  readonly serverLog: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function viewFiles(view: FsView): Map<string, readonly Segment[]> {
  return new Map(Object.keys(view.entries).sort().map((p) => [p, view.inodes[view.entries[p]!] ?? []]));
}

export async function confirmLive(original: Run, opts: { binary: string; startTimeoutMs?: number }): Promise<LiveResult> {
  const run = liveRun(original);
  const cfg = run.config;
  const tmp = makeTempDir('nats-live-');
  const storeDir = join(tmp, 'store');
  let server: RunningServer | null = null;
  let nc: NatsConnection | null = null;
  let log = '';
  const eventDifferences: string[] = [];
  const held = new Map<string, Map<number, JsMsg>>(cfg.consumers.map((c) => [c, new Map()]));
  let created = false;
  const down = async (how: 'kill' | 'stop') => {
    if (nc) await nc.close().catch(() => undefined);
    nc = null;
    if (server) {
      await (how === 'kill' ? server.kill() : server.stop());
      log += server.log();
    }
    server = null;
    for (const m of held.values()) m.clear();
  };
  try {
    for (let i = 0; i < run.events.length; i++) {
      const e = run.events[i]!;
      const r = run.results[i]!;
      const at = `event ${i + 1} (${e.type})`;
      switch (e.type) {
        case 'start': {
          server = await startServer({ binary: opts.binary, storeDir, ...(opts.startTimeoutMs !== undefined ? { timeoutMs: opts.startTimeoutMs } : {}) });
          nc = await connect({ servers: server.url, reconnect: false, timeout: 5000 });
          if (!created) {
            const jsm = await jetstreamManager(nc, { timeout: 5000 });
            const retention = { limits: RetentionPolicy.Limits, interest: RetentionPolicy.Interest, workqueue: RetentionPolicy.Workqueue }[cfg.retention];
            await jsm.streams.add({ name: cfg.streamName, subjects: streamSubjects(run.events), retention, storage: StorageType.File, discard: DiscardPolicy.Old, num_replicas: 1, max_age: cfg.maxAgeMs * 1_000_000, max_msgs_per_subject: cfg.maxMsgsPerSubject > 0 ? cfg.maxMsgsPerSubject : -1 });
            for (const name of cfg.consumers) await jsm.consumers.add(cfg.streamName, { durable_name: name, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, ack_wait: cfg.ackWaitMs * 1_000_000 });
            created = true;
          }
          break;
        }
        case 'store': {
          const js = jetstream(nc!, { timeout: 5000 });
          for (const seq of r.outcome.seqs ?? []) {
            const h = e.headersBytes ? natsHeaders() : undefined;
            if (h) h.set('Model-Pad', Buffer.from(headerBytes(seq, e.headersBytes!)).toString().replace(/^NATS\/1\.0\r\nModel-Pad: |\r\n\r\n$/g, ''));
            const ack = await js.publish(e.subject, payloadBytes(seq, e.payloadBytes), h ? { headers: h } : {});
            if (ack.seq !== seq) eventDifferences.push(`${at}: model stored seq ${seq}, real ${ack.seq}`);
          }
          break;
        }
        case 'deliver': {
          const js = jetstream(nc!, { timeout: 5000 });
          const c = await js.consumers.get(cfg.streamName, e.consumer);
          const expected = r.outcome.deliveries ?? [];
          const got: number[] = [];
          for (let k = 0; k < Math.max(1, expected.length); k++) {
            const m = await c.next({ expires: DELIVER_EXPIRES_MS });
            if (!m) break;
            got.push(m.seq);
            held.get(e.consumer)!.set(m.seq, m);
          }
          const want = expected.map((d) => d.streamSeq);
          if (want.join(',') !== got.join(',')) eventDifferences.push(`${at}: model delivered [${want.join(', ')}] to ${e.consumer}, real [${got.join(', ')}]`);
          break;
        }
        case 'ack': {
          const m = held.get(e.consumer)!.get(e.streamSeq);
          if (!m) {
            eventDifferences.push(`${at}: the real consumer ${e.consumer} holds no delivery of seq ${e.streamSeq} to ack`);
            break;
          }
          await m.ackAck({ timeout: 5000 });
          held.get(e.consumer)!.delete(e.streamSeq);
          break;
        }
        case 'advance':
          await sleep(e.ms);
          break;
        case 'stop':
          await down('stop');
          break;
        case 'kill':
          await down('kill');
          break;
        default:
          throw new LiveRefusal(`${at} cannot run live`);
      }
      if (r.killed && e.type !== 'kill' && server) await down('kill'); // killed at the end of the event
    }
    if (server) await down('kill');
    const store = readStoreDir(storeDir, { stream: cfg.streamName });
    const model = viewFiles(run.states[run.states.length - 1]!.disk.cache);
    const image = buildImage(run, run.events.length);
    const all = compareWithModel(model, store, image.checksumHex, { ignoreTimes: true });
    // The state just before the last kill: which consumers had an o.dat write due.
    const lastKill = run.results.map((r, i) => (r.killed ? i : -1)).filter((i) => i >= 0).pop() ?? run.events.length;
    const before = run.states[lastKill]!;
    const racing = new Set((before.proc?.consumers ?? []).filter((o) => o.dirty && o.flushAtMs !== null).map((o) => `obs/${o.name}/o.dat`));
    const races = all.filter((d) => racing.has(d.slice(0, d.indexOf(':'))));
    const fileDifferences = all.filter((d) => !races.includes(d));
    return { agree: eventDifferences.length === 0 && fileDifferences.length === 0, races, eventDifferences, fileDifferences, serverLog: log };
  } finally {
    if (server) await down('kill');
    removeTempDir(tmp);
  }
}
