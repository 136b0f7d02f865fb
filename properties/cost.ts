/**
 * The I/O cost of a profile on one standard WorkQueue workload, counted from the file
 * operations `step` returns (never re-derived): what a deletion protocol or a sync policy
 * costs, so a fix verdict can be weighed against it.
 *
 * The workload (`COST_WORKLOAD`): a WorkQueue stream with the server's default 4 MiB blocks
 * and one durable pull consumer; `messages` times: publish one message, deliver it, ack it,
 * then let `cycleMs` of model time pass with every timer running (o.dat flush, syncBlocks,
 * the index.db ticker). Start-up and shutdown are not counted. Each ack empties the lmb, so
 * every cycle also pays one removal of the last block (`removeMsgBlock`).
 */
import { makeConfig, type StoreConfig } from '../model/config.js';
import type { PerformedOp } from '../model/io.js';
import { initialState, step, type ModelEvent } from '../model/step.js';
import { assert } from '../model/assert.js';

export interface CostWorkload {
  readonly messages: number;
  readonly subject: string;
  readonly payloadBytes: number;
  /** Model time between one message's ack and the next publish. */
  readonly cycleMs: number;
  /** The server's default for a WorkQueue stream with no limits (`dynBlkSize`: 4 MB). */
  readonly blockSizeBytes: number;
  readonly consumer: string;
}

export const COST_WORKLOAD: CostWorkload = Object.freeze({
  messages: 1000,
  subject: 'wq.job',
  payloadBytes: 100,
  cycleMs: 1000,
  blockSizeBytes: 4 * 1024 * 1024,
  consumer: 'C',
});

/** Upper bound on `messages`, so a cost run stays a fraction of a second per profile. */
export const COST_MESSAGES_MAX = 100_000;

/** Counts of one set of file operations. */
export interface OpCounts {
  /** Every file operation, fsyncs included. */
  fileOps: number;
  /** fsync(2) of a file, plus writes under O_SYNC (each is a write and an fsync). */
  fsyncs: number;
  /** fsync(2) of a directory. */
  dirFsyncs: number;
  /** Bytes handed to write(2). */
  bytesWritten: number;
}

export interface ProfileCost {
  readonly profile: string;
  readonly syncAlways: boolean;
  readonly messages: number;
  /** The whole workload, scaled to 1000 messages. */
  readonly per1000: OpCounts;
  /** One removal of the last block: the file operations of an ack that replaced the lmb. */
  readonly perLastBlockRemoval: OpCounts;
  /** How many acks replaced the lmb (every one, on a WorkQueue stream drained each cycle). */
  readonly lastBlockRemovals: number;
}

function zero(): OpCounts {
  return { fileOps: 0, fsyncs: 0, dirFsyncs: 0, bytesWritten: 0 };
}

/** Add one operation's cost. An O_SYNC write is a write and an fsync of its range. */
export function countOp(into: OpCounts, p: PerformedOp): void {
  into.fileOps += 1;
  const op = p.op;
  if (op.type === 'fsync') into.fsyncs += 1;
  if (op.type === 'fsyncDir') into.dirFsyncs += 1;
  if (op.type === 'write') {
    into.bytesWritten += op.segment.bytes;
    if (op.osync) into.fsyncs += 1;
  }
}

function scaled(c: OpCounts, factor: number): OpCounts {
  const r = (x: number) => Math.round(x * factor * 100) / 100;
  return { fileOps: r(c.fileOps), fsyncs: r(c.fsyncs), dirFsyncs: r(c.dirFsyncs), bytesWritten: r(c.bytesWritten) };
}

/** Run the standard workload under `profile` and count what its disk was asked to do. */
export function measureCost(profile: string, options: { syncAlways?: boolean; workload?: CostWorkload } = {}): ProfileCost {
  const w = options.workload ?? COST_WORKLOAD;
  assert(Number.isInteger(w.messages) && w.messages >= 1 && w.messages <= COST_MESSAGES_MAX, `cost workload of ${w.messages} messages (1..${COST_MESSAGES_MAX})`);
  const syncAlways = options.syncAlways ?? false;
  const config: StoreConfig = makeConfig({ retention: 'workqueue', blockSizeBytes: w.blockSizeBytes, consumers: [w.consumer], syncAlways });
  let state = initialState(config, profile);
  const run = (e: ModelEvent) => {
    const r = step(state, e);
    assert(!r.killed && r.completed, `cost workload: ${e.type} did not complete`);
    state = r.state;
    return r;
  };

  run({ type: 'start' });
  const total = zero();
  const removal = zero();
  let removals = 0;
  for (let i = 0; i < w.messages; i++) {
    const stored = run({ type: 'store', subject: w.subject, payloadBytes: w.payloadBytes });
    const seq = stored.outcome.seqs?.[0];
    assert(seq !== undefined, 'cost workload: store gave no sequence');
    const delivered = run({ type: 'deliver', consumer: w.consumer });
    assert(delivered.outcome.deliveries?.[0]?.streamSeq === seq, `cost workload: seq ${seq} was not delivered`);
    const lmbBefore = state.proc?.store.lmbIndex;
    const acked = run({ type: 'ack', consumer: w.consumer, streamSeq: seq });
    const advanced = run({ type: 'advance', ms: w.cycleMs });
    for (const r of [stored, delivered, acked, advanced]) for (const p of r.ops) countOp(total, p);
    if (state.proc?.store.lmbIndex !== lmbBefore) {
      removals += 1;
      for (const p of acked.ops) countOp(removal, p);
    }
    assert(state.proc?.store.state.msgs === 0, 'cost workload: the stream did not drain');
  }
  return {
    profile,
    syncAlways,
    messages: w.messages,
    per1000: scaled(total, 1000 / w.messages),
    perLastBlockRemoval: removals === 0 ? zero() : scaled(removal, 1 / removals),
    lastBlockRemovals: removals,
  };
}
