/**
 * Durable explicit-ack consumer on a WorkQueue stream, through `step`. Expected values from
 * nats-server v2.10.22:
 * - consumer.go deliverMsg L4334: dseq = o.dseq++; `seq, ts := pmsg.seq, pmsg.ts` (the
 *   stored message's sequence and timestamp) → updateDelivered(dseq, seq, dc, ts) (L2196) →
 *   consumerFileStore.UpdateDelivered (filestore.go L8831); trackPending L4464 keeps
 *   time.Now() in o.pending.
 * - processAckMsg L2782: `if sseq >= o.sseq { o.sseq = sseq + 1 }` first; floors move only
 *   for a pending ack (L2817-L2830); then updateAcks → UpdateAcks (filestore.go L8900):
 *   `if sseq > Delivered.Stream { Delivered.Stream = sseq + 1 }` (L8916-L8918) before the
 *   pending check, which returns ErrStoreMsgNotFound without kickFlusher (L8920-L8923).
 * - consumerFileStore.flushLoop L8755: on a kick, if time.Since(lastWrite) < 100 ms wait the
 *   rest, then encode and write; lastWrite is set only there (SetStarting L8811 writes
 *   directly). writeState → writeFileWithOptionalSync (O_TRUNC: truncate + write).
 * - encodeConsumerState (store.go L371): pending ts stored as ts/1e9 (seconds).
 * - applyState L2525 on restart: o.sseq = Delivered.Stream+1, o.dseq = Delivered.Consumer+1,
 *   floors, pending, rdc from o.dat; no comparison with the stream.
 * - checkForOrphanMsgs (stream.go L5896) → checkStateForInterestStream (consumer.go L5529):
 *   ack floor > LastSeq → "Detected consumer '%s > %s > %s' ack floor %d is ahead of
 *   stream's last sequence %d"; else ackMsg every stored message at or below the ack floor.
 *   At v2.10.22 the server runs it at start only for Interest streams: jetstream.go L1352
 *   (`if cfg.StreamConfig.Retention == InterestPolicy { ipstreams = append(...) }`) and
 *   L1428-L1431. (setLeader's checkInterestState, stream.go L878, runs before the consumers
 *   are restored.) Reference section 5 says "interest and WQ": that is not what the code does.
 * - AckWait default 30 s; redelivery: incDeliveryCount (L3462), UpdateDelivered with dc 2
 *   sets Redelivered[sseq] = dc-1.
 */
import { describe, expect, it } from 'vitest';
import { Sim, fmtOp, FOO10 } from './testing.js';
import { type StoreConfig } from './config.js';
import { fileContent } from './disk.js';
import { observe } from './observe.js';
import type { StoredConsumerState } from './records.js';
import { step, type StepResult } from './step.js';

const BIG = 1 << 20;
const ODAT = 'obs/C/o.dat';

function wq(extra: Partial<StoreConfig> = {}): Sim {
  const s = new Sim({ retention: 'workqueue', blockSizeBytes: BIG, consumers: ['C'], ...extra });
  s.do({ type: 'start' });
  return s;
}

/** Interest retention with the one consumer C: an ack removes the message as on WorkQueue. */
function interest(extra: Partial<StoreConfig> = {}): Sim {
  return wq({ retention: 'interest', ...extra });
}

function deliver(s: Sim, count = 1) {
  return s.do({ type: 'deliver', consumer: 'C', count }).outcome.deliveries ?? [];
}

function ack(s: Sim, streamSeq: number): StepResult {
  return s.do({ type: 'ack', consumer: 'C', streamSeq });
}

function con(s: Sim) {
  return observe(s.state).consumers['C']!;
}

/** The o.dat image in the page cache, pending without timestamps. */
function odat(s: Sim): Omit<StoredConsumerState, 'pending'> & { pending: { streamSeq: number; consumerSeq: number }[] } {
  const content = fileContent(s.state.disk.cache, ODAT);
  expect(content?.length).toBe(1);
  const img = content![0]!;
  if (img.kind !== 'odat') throw new Error(`o.dat holds ${img.kind}`);
  return { ...img.state, pending: img.state.pending.map((p) => ({ streamSeq: p.streamSeq, consumerSeq: p.consumerSeq })) };
}

function odatTimestamps(s: Sim): number[] {
  const img = fileContent(s.state.disk.cache, ODAT)![0]!;
  if (img.kind !== 'odat') throw new Error(`o.dat holds ${img.kind}`);
  return img.state.pending.map((p) => p.tsMs);
}

describe('delivery', () => {
  it('delivers in stream order with consumer sequences 1, 2, 3', () => {
    const s = wq();
    s.do({ ...FOO10, count: 3 });
    expect(deliver(s, 5)).toEqual([
      { streamSeq: 1, consumerSeq: 1, redelivery: false },
      { streamSeq: 2, consumerSeq: 2, redelivery: false },
      { streamSeq: 3, consumerSeq: 3, redelivery: false },
    ]);
    expect(con(s)).toEqual({ delivered: { consumerSeq: 3, streamSeq: 3 }, ackFloor: { consumerSeq: 0, streamSeq: 0 }, numAckPending: 3 });
    expect(deliver(s)).toEqual([]);
  });

  it('skips removed messages', () => {
    const s = wq();
    s.do({ ...FOO10, count: 3 });
    s.do({ type: 'remove', from: 2, to: 2 });
    expect(deliver(s, 3).map((d) => [d.streamSeq, d.consumerSeq])).toEqual([
      [1, 1],
      [3, 2],
    ]);
  });
});

describe('ack floors (processAckMsg and UpdateAcks)', () => {
  it('move through acks in and out of order', () => {
    const s = wq();
    s.do({ ...FOO10, count: 5 });
    deliver(s, 5);
    const step = (seq: number, floor: number, pending: number) => {
      ack(s, seq);
      expect(con(s).ackFloor).toEqual({ consumerSeq: floor, streamSeq: floor });
      expect(con(s).numAckPending).toBe(pending);
      expect(s.state.proc!.consumers[0]!.stored.ackFloor).toEqual({ consumerSeq: floor, streamSeq: floor });
    };
    step(2, 0, 4); // out of order: dseq 2 != floor+1
    step(1, 2, 3); // floor to 1, then to the first pending (3) - 1 = 2
    step(4, 2, 2); // out of order
    step(3, 4, 1); // floor to 3, then first pending (5) - 1 = 4
    step(5, 5, 0); // none pending: floor = delivered
    expect(con(s).delivered).toEqual({ consumerSeq: 5, streamSeq: 5 });
    s.do({ type: 'advance', ms: 1 });
    expect(odat(s)).toEqual({ delivered: { consumerSeq: 5, streamSeq: 5 }, ackFloor: { consumerSeq: 5, streamSeq: 5 }, pending: [], redelivered: [] });
  });

  it('an ack past delivered: processAckMsg moves o.sseq to sseq+1, UpdateAcks sets Delivered.Stream = sseq+1 without a flush', () => {
    const s = wq();
    s.do({ ...FOO10, count: 3 });
    deliver(s); // seq 1
    s.do({ type: 'advance', ms: 200 });
    expect(odat(s)).toEqual({ delivered: { consumerSeq: 1, streamSeq: 1 }, ackFloor: { consumerSeq: 0, streamSeq: 0 }, pending: [{ streamSeq: 1, consumerSeq: 1 }], redelivered: [] });

    // Ack of 3, never delivered: the stream removes it (tombstone), the pointer jumps.
    const r = ack(s, 3);
    expect(r.ops.map(fmtOp)).toEqual(['write msgs/1.blk @129 tomb#3 30B (writeTombstone)']);
    expect(con(s)).toEqual({ delivered: { consumerSeq: 1, streamSeq: 3 }, ackFloor: { consumerSeq: 0, streamSeq: 0 }, numAckPending: 1 });
    expect(s.state.proc!.consumers[0]!.stored.delivered).toEqual({ consumerSeq: 1, streamSeq: 4 });
    // Not pending in the store: ErrStoreMsgNotFound before kickFlusher, so o.dat is not rewritten.
    expect(s.ops({ type: 'advance', ms: 200 })).toEqual([]);

    // The ack of 1 empties pending: both floors jump to delivered.
    ack(s, 1);
    expect(con(s)).toEqual({ delivered: { consumerSeq: 1, streamSeq: 3 }, ackFloor: { consumerSeq: 1, streamSeq: 3 }, numAckPending: 0 });
    const w = s.do({ type: 'advance', ms: 1 });
    expect(w.ops.map(fmtOp)).toEqual(['truncate obs/C/o.dat to 0 (flushLoop)', 'write obs/C/o.dat @0 o.dat 8B (flushLoop)']);
    expect(w.ops[0]!.atMs).toBe(400);
    expect(odat(s)).toEqual({ delivered: { consumerSeq: 1, streamSeq: 4 }, ackFloor: { consumerSeq: 1, streamSeq: 4 }, pending: [], redelivered: [] });

    // Message 2 was never delivered and never will be: the pointer is past it.
    expect(observe(s.state).stream).toMatchObject({ msgs: 1, firstSeq: 2, lastSeq: 3 });
    s.do(FOO10); // seq 4
    expect(deliver(s)).toEqual([{ streamSeq: 4, consumerSeq: 2, redelivery: false }]);
  });

  it('a stale ack past LastSeq moves the pointer and the stored delivered past the stream (symptom b)', () => {
    const s = wq();
    s.do(FOO10);
    deliver(s); // seq 1, dseq 1
    ack(s, 5); // not pending: no floors move; the stream only pre-acks (memory)
    expect(con(s)).toEqual({ delivered: { consumerSeq: 1, streamSeq: 5 }, ackFloor: { consumerSeq: 0, streamSeq: 0 }, numAckPending: 1 });
    expect(s.state.proc!.consumers[0]!.stored.delivered).toEqual({ consumerSeq: 1, streamSeq: 6 });
    expect(observe(s.state).stream).toMatchObject({ msgs: 1, firstSeq: 1, lastSeq: 1 });
    s.do(FOO10); // seq 2: below the pointer, never delivered
    expect(deliver(s)).toEqual([]);
    ack(s, 1); // pending empties: floors jump to the pointer, past LastSeq 2
    expect(con(s).ackFloor).toEqual({ consumerSeq: 1, streamSeq: 5 });
    s.do({ type: 'advance', ms: 200 });
    expect(odat(s)).toEqual({ delivered: { consumerSeq: 1, streamSeq: 6 }, ackFloor: { consumerSeq: 1, streamSeq: 6 }, pending: [], redelivered: [] });
  });

  it('processAckMsg moves o.sseq for an ack equal to it (sseq >= o.sseq)', () => {
    const s = wq();
    s.do({ ...FOO10, count: 3 });
    deliver(s); // o.sseq = 2
    ack(s, 2);
    expect(con(s).delivered).toEqual({ consumerSeq: 1, streamSeq: 2 });
    expect(deliver(s)).toEqual([{ streamSeq: 3, consumerSeq: 2, redelivery: false }]);
  });
});

describe('o.dat flush timing', () => {
  it('SetStarting writes at start; a change is written at the next advance when the loop has not written within 100 ms, else at lastWrite+100', () => {
    const s = new Sim({ retention: 'workqueue', blockSizeBytes: BIG, consumers: ['C'] });
    const start = s.do({ type: 'start' });
    expect(start.ops.map(fmtOp).filter((o) => o.includes('o.dat'))).toEqual(['create obs/C/o.dat (SetStarting)', 'write obs/C/o.dat @0 o.dat 8B (SetStarting)']);
    s.do({ ...FOO10, count: 2 });
    s.do({ type: 'advance', ms: 10 });
    // Delivery at t=10: SetStarting's write at t=0 does not count as the loop's lastWrite.
    const d = s.do({ type: 'deliver', consumer: 'C' });
    expect(d.ops).toEqual([]);
    const w1 = s.do({ type: 'advance', ms: 1 });
    expect(w1.ops.map(fmtOp)).toEqual(['truncate obs/C/o.dat to 0 (flushLoop)', 'write obs/C/o.dat @0 o.dat 16B (flushLoop)']);
    expect(w1.ops.map((o) => o.atMs)).toEqual([10, 10]);
    expect(odat(s)).toEqual({ delivered: { consumerSeq: 1, streamSeq: 1 }, ackFloor: { consumerSeq: 0, streamSeq: 0 }, pending: [{ streamSeq: 1, consumerSeq: 1 }], redelivered: [] });

    // Delivery at t=50, 40 ms after the loop's write: written at 10 + 100 = 110.
    s.do({ type: 'advance', ms: 39 });
    deliver(s);
    expect(s.ops({ type: 'advance', ms: 59 })).toEqual([]); // t=109
    const w2 = s.do({ type: 'advance', ms: 1 }); // t=110
    expect(w2.ops.map(fmtOp)).toEqual(['truncate obs/C/o.dat to 0 (flushLoop)', 'write obs/C/o.dat @0 o.dat 19B (flushLoop)']);
    expect(w2.ops.map((o) => o.atMs)).toEqual([110, 110]);

    // Ack at t=300, 190 ms after the last write: written at once (t=300).
    s.do({ type: 'advance', ms: 190 });
    ack(s, 1);
    const w3 = s.do({ type: 'advance', ms: 5 });
    expect(w3.ops.filter((o) => o.op.type !== 'write' || o.op.path === ODAT).map((o) => [fmtOp(o), o.atMs])).toEqual([
      ['truncate obs/C/o.dat to 0 (flushLoop)', 300],
      ['write obs/C/o.dat @0 o.dat 16B (flushLoop)', 300],
    ]);
  });

  it('several changes within 100 ms are written once, with the last state', () => {
    const s = wq();
    s.do({ ...FOO10, count: 3 });
    deliver(s);
    s.do({ type: 'advance', ms: 1 }); // written at 0
    s.do({ type: 'advance', ms: 19 });
    deliver(s); // t=20
    s.do({ type: 'advance', ms: 30 });
    deliver(s); // t=50
    const w = s.do({ type: 'advance', ms: 100 });
    expect(w.ops.map((o) => [fmtOp(o), o.atMs])).toEqual([
      ['truncate obs/C/o.dat to 0 (flushLoop)', 100],
      ['write obs/C/o.dat @0 o.dat 22B (flushLoop)', 100],
    ]);
    expect(odat(s).delivered).toEqual({ consumerSeq: 3, streamSeq: 3 });
  });

  it('Stop writes what is still dirty', () => {
    const s = wq();
    s.do(FOO10);
    deliver(s);
    const r = s.do({ type: 'stop' });
    expect(r.ops.map(fmtOp).filter((o) => o.includes('o.dat'))).toEqual(['truncate obs/C/o.dat to 0 (consumerFileStore.Stop)', 'write obs/C/o.dat @0 o.dat 16B (consumerFileStore.Stop)']);
  });
});

describe('redelivery', () => {
  it('after AckWait (30000 ms), with the redelivered count in o.dat', () => {
    const s = wq();
    s.do(FOO10);
    expect(deliver(s)).toEqual([{ streamSeq: 1, consumerSeq: 1, redelivery: false }]);
    s.do({ type: 'advance', ms: 29_000 });
    expect(deliver(s)).toEqual([]);
    s.do({ type: 'advance', ms: 2_000 }); // t=31000
    expect(deliver(s)).toEqual([{ streamSeq: 1, consumerSeq: 2, redelivery: true }]);
    expect(con(s)).toEqual({ delivered: { consumerSeq: 2, streamSeq: 1 }, ackFloor: { consumerSeq: 0, streamSeq: 0 }, numAckPending: 1 });
    s.do({ type: 'advance', ms: 200 });
    // The pending entry keeps its original delivery sequence (1).
    expect(odat(s)).toEqual({
      delivered: { consumerSeq: 2, streamSeq: 1 },
      ackFloor: { consumerSeq: 0, streamSeq: 0 },
      pending: [{ streamSeq: 1, consumerSeq: 1 }],
      redelivered: [{ streamSeq: 1, count: 1 }],
    });
    s.do({ type: 'advance', ms: 31_000 });
    expect(deliver(s)).toEqual([{ streamSeq: 1, consumerSeq: 3, redelivery: true }]);
    s.do({ type: 'advance', ms: 200 });
    expect(odat(s).redelivered).toEqual([{ streamSeq: 1, count: 2 }]);
    // The ack clears pending and redelivered; floors go to delivered.
    ack(s, 1);
    s.do({ type: 'advance', ms: 200 });
    expect(odat(s)).toEqual({ delivered: { consumerSeq: 3, streamSeq: 1 }, ackFloor: { consumerSeq: 3, streamSeq: 1 }, pending: [], redelivered: [] });
    expect(con(s)).toEqual({ delivered: { consumerSeq: 3, streamSeq: 1 }, ackFloor: { consumerSeq: 3, streamSeq: 1 }, numAckPending: 0 });
  });
});

describe('restart', () => {
  it('restores delivered, ack floor and pending from o.dat', () => {
    const s = wq();
    s.do({ type: 'advance', ms: 1200 });
    s.do({ ...FOO10, count: 3 }); // t=1200
    s.do({ type: 'advance', ms: 500 });
    deliver(s, 3); // t=1700
    ack(s, 1);
    ack(s, 3);
    s.do({ type: 'advance', ms: 200 });
    const before = con(s);
    expect(before).toEqual({ delivered: { consumerSeq: 3, streamSeq: 3 }, ackFloor: { consumerSeq: 1, streamSeq: 1 }, numAckPending: 1 });
    s.do({ type: 'stop' });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([]);
    expect(con(s)).toEqual(before);
    const o = s.state.proc!.consumers[0]!;
    expect(o.sseq).toBe(4);
    expect(o.dseq).toBe(4);
    // Stored and delivered in the same second: 1.2 s and 1.7 s are both stored as 1 s.
    expect(o.pending).toEqual([{ streamSeq: 2, consumerSeq: 2, tsMs: 1000 }]);
    s.do(FOO10);
    expect(deliver(s)).toEqual([{ streamSeq: 4, consumerSeq: 4, redelivery: false }]);
  });

  it('pending timestamps in o.dat are the message store time at one-second resolution (deliverMsg passes pmsg.ts)', () => {
    const s = wq();
    s.do({ type: 'advance', ms: 1500 });
    s.do(FOO10); // stored at t=1500
    s.do({ type: 'advance', ms: 1200 });
    deliver(s); // delivered at t=2700
    s.do({ type: 'advance', ms: 200 });
    // UpdateDelivered(dseq, seq, dc, ts) with ts = pmsg.ts = 1500 ms → 1 s.
    expect(odatTimestamps(s)).toEqual([1000]);
    s.do({ type: 'stop' });
    s.do({ type: 'start' });
    expect(s.state.proc!.consumers[0]!.pending).toEqual([{ streamSeq: 1, consumerSeq: 1, tsMs: 1000 }]);
  });

  /** Ack of 3 with only 1 delivered, then ack of 1: stored ack floor {1, 4}; LastSeq 3. */
  function ackPastDelivered(s: Sim): void {
    s.do({ ...FOO10, count: 3 });
    deliver(s);
    s.do({ type: 'advance', ms: 200 });
    ack(s, 3); // stored Delivered.Stream = 4
    s.do({ type: 'advance', ms: 200 });
    ack(s, 1); // pending empty: stored AckFloor = Delivered = {1, 4}
    s.do({ type: 'advance', ms: 200 });
    expect(odat(s).ackFloor).toEqual({ consumerSeq: 1, streamSeq: 4 });
    s.do({ type: 'stop' });
  }

  it('Interest: "Detected consumer ... ack floor N is ahead of stream\'s last sequence M" (ack past delivered, then restart)', () => {
    const s = interest();
    ackPastDelivered(s);
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual(["Detected consumer '$G > TEST > C' ack floor 4 is ahead of stream's last sequence 3"]);
    expect(r.ops).toEqual([]);
    expect(observe(s.state).stream).toMatchObject({ msgs: 1, firstSeq: 2, lastSeq: 3 });
    expect(con(s)).toEqual({ delivered: { consumerSeq: 1, streamSeq: 4 }, ackFloor: { consumerSeq: 1, streamSeq: 4 }, numAckPending: 0 });
    // Stuck: seq 4 is below o.sseq 5; only seq 5 is delivered.
    s.do(FOO10);
    expect(deliver(s)).toEqual([]);
    s.do(FOO10);
    expect(deliver(s)).toEqual([{ streamSeq: 5, consumerSeq: 2, redelivery: false }]);
  });

  it('WorkQueue: the same state restarts with no log (no orphan check for WQ at v2.10.22), consumer equally stuck', () => {
    const s = wq();
    ackPastDelivered(s);
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([]);
    expect(r.ops).toEqual([]);
    expect(con(s)).toEqual({ delivered: { consumerSeq: 1, streamSeq: 4 }, ackFloor: { consumerSeq: 1, streamSeq: 4 }, numAckPending: 0 });
    s.do(FOO10);
    expect(deliver(s)).toEqual([]);
  });

  /** The lmb-removal kill with a stale index.db naming the emptied block (reference 4.5). */
  function lmbRemovalKill(s: Sim): void {
    s.do(FOO10);
    deliver(s);
    s.do({ type: 'advance', ms: 200 });
    ack(s, 1); // 1.blk unlinked, 2.blk = [tomb#1]
    s.do({ type: 'advance', ms: 120_000 }); // index.db: lmb 2, empty, LastSeq 1
    s.do(FOO10); // seq 2 into 2.blk
    deliver(s);
    s.do({ type: 'advance', ms: 200 }); // o.dat: delivered {2,2}, ack floor {1,1}
    const k = s.do({ type: 'ack', consumer: 'C', streamSeq: 2, killAfterFileOps: 1 });
    expect(k.ops.map(fmtOp)).toEqual(['unlink msgs/2.blk (removeMsgBlock)']);
    expect(k.killed).toBe(true);
  }

  it('WorkQueue: after the lmb-removal kill with a stale index.db the stream resets to 0; no "Detected" line', () => {
    const s = wq();
    lmbRemovalKill(s);
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([
      'Filestore [TEST] Stream state detected prior state, could not locate msg block 2',
      'Filestore [TEST] Recovering stream state from index errored: prior state file',
    ]);
    expect(r.ops.map(fmtOp)).toEqual(['create msgs/3.blk (newMsgBlockForWrite)']);
    expect(observe(s.state).stream).toMatchObject({ msgs: 0, firstSeq: 0, lastSeq: 0 });
    expect(con(s)).toEqual({ delivered: { consumerSeq: 2, streamSeq: 2 }, ackFloor: { consumerSeq: 1, streamSeq: 1 }, numAckPending: 1 });
  });

  it('Interest: the same kill logs "Detected consumer ... ack floor 1 is ahead of stream\'s last sequence 0"', () => {
    const s = interest();
    lmbRemovalKill(s);
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([
      'Filestore [TEST] Stream state detected prior state, could not locate msg block 2',
      'Filestore [TEST] Recovering stream state from index errored: prior state file',
      "Detected consumer '$G > TEST > C' ack floor 1 is ahead of stream's last sequence 0",
    ]);
    expect(observe(s.state).stream).toMatchObject({ msgs: 0, firstSeq: 0, lastSeq: 0 });
  });
});

describe('checkForOrphanMsgs at start', () => {
  /** Stream put back (while down) to before two acks; o.dat keeps ack floor 2. */
  function rolledBack(s: Sim): void {
    s.do({ ...FOO10, count: 3 });
    s.do({ type: 'stop' }); // index.db: 3 messages, lmb 1 ends with msg#3
    s.do({ type: 'copyFile', from: 'msgs/1.blk', to: 'backup/1.blk' });
    s.do({ type: 'copyFile', from: 'msgs/index.db', to: 'backup/index.db' });
    s.do({ type: 'start' });
    deliver(s, 2);
    ack(s, 1);
    ack(s, 2);
    s.do({ type: 'advance', ms: 200 });
    expect(odat(s).ackFloor).toEqual({ consumerSeq: 2, streamSeq: 2 });
    s.do({ type: 'stop' });
    s.do({ type: 'copyFile', from: 'backup/1.blk', to: 'msgs/1.blk' });
    s.do({ type: 'copyFile', from: 'backup/index.db', to: 'msgs/index.db' });
  }

  it('Interest: removes stored messages at or below the ack floor (each with a tombstone)', () => {
    const s = new Sim({ retention: 'interest', blockSizeBytes: BIG, consumers: ['C'] });
    s.do({ type: 'start' });
    rolledBack(s);
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([]);
    expect(r.ops.map(fmtOp)).toEqual(['write msgs/1.blk @129 tomb#1 30B (writeTombstone)', 'write msgs/1.blk @159 tomb#2 30B (writeTombstone)']);
    expect(observe(s.state).stream).toMatchObject({ msgs: 1, bytes: 43, firstSeq: 3, lastSeq: 3 });
    expect(deliver(s)).toEqual([{ streamSeq: 3, consumerSeq: 3, redelivery: false }]);
  });

  it('WorkQueue: not run at start at v2.10.22; the messages stay (and are not redelivered)', () => {
    const s = wq();
    rolledBack(s);
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([]);
    expect(r.ops).toEqual([]);
    expect(observe(s.state).stream).toMatchObject({ msgs: 3, firstSeq: 1, lastSeq: 3 });
    expect(deliver(s)).toEqual([{ streamSeq: 3, consumerSeq: 3, redelivery: false }]);
  });
});
