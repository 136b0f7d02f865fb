/**
 * The v2.10.22 paths of reference section 8, with expected values derived from the Go source
 * at v2.10.22 (and, where a profile changes them, at that tag), not from the model:
 * - syncBlocks (filestore.go L5274-L5390) with shouldCompactSync (L4017: bytes*2 < rbytes, no
 *   2 MB minimum) and compactWithFloor (L4031-L4153: keep live messages and tombstones below the
 *   block's first and at or above the floor; write N.new, rename over N.blk, no fsync; a block
 *   compacted to nothing goes through removeMsgBlock, L5337).
 * - consumer.processAckMsg: UpdateAcks (kicks the o.dat flusher, consumer.go L2885) runs before
 *   RemoveMsg (L2895); _writeFullState captures under the lock (to L8042) and writes outside (L8064).
 * - The timer phase: syncBlocks re-arms after its work (L5378), the ticker keeps its phase (L7851).
 * - checkPending at restore (consumer.go applyState L2539-L2554, checkPending L4592-L4720).
 */
import { describe, expect, it } from 'vitest';
import { fmtOp, FOO10, seg, Sim } from './testing.js';
import { observe } from './observe.js';
import { EventError } from './step.js';

function limits128(profile = 'v2.10.22', extra = {}): Sim {
  const s = new Sim({ retention: 'limits', blockSizeBytes: 128, ...extra }, profile);
  s.do({ type: 'start' });
  return s;
}

describe('sync-time compaction (syncBlocks → compactWithFloor)', () => {
  // 43-byte records, two per 128-byte block. 1.blk [1,2]; remove 1 → tombstone 1 into lmb 2.blk
  // [3, t1]; store 4 → 2.blk [3, t1, 4] (116 bytes); 5 → 3.blk; remove 3 → tombstone 3 into 3.blk.
  function setup(profile = 'v2.10.22') {
    const s = limits128(profile);
    s.do({ ...FOO10, count: 3 });
    s.do({ type: 'remove', from: 1, to: 1 });
    s.do({ ...FOO10, count: 2 });
    s.do({ type: 'remove', from: 3, to: 3 });
    return s;
  }

  it('rewrites the non-last block through N.new and a rename, dropping tombstones below the floor', () => {
    const s = setup();
    expect((s.content('msgs/2.blk') ?? []).map(seg)).toEqual(['msg#3', 'tomb#1', 'msg#4']);
    const r = s.do({ type: 'advance', ms: 120_000 });
    // Block 1: bytes 43 (message 2), rbytes 86: 86 < 86 is false, not compacted. Block 2: bytes
    // 43, rbytes 116: compacted with floor FirstSeq = 2; block 3 is the lmb: never compacted.
    // Blocks in order (L5288): 1 is fsynced; 2 is compacted, then fsynced (its needSync was taken
    // before the compaction, L5315); 3 is fsynced; index.db does not exist yet; then the ticker.
    expect(r.ops.map(fmtOp).slice(0, 6)).toEqual([
      'fsync msgs/1.blk (syncBlocks)',
      'create msgs/2.new (compactWithFloor)',
      'write msgs/2.new @0 msg#4 43B (compactWithFloor)',
      'rename msgs/2.new msgs/2.blk (compactWithFloor)',
      'fsync msgs/2.blk (syncBlocks)',
      'fsync msgs/3.blk (syncBlocks)',
    ]);
    expect((s.content('msgs/2.blk') ?? []).map(seg)).toEqual(['msg#4']);
    expect((s.content('msgs/1.blk') ?? []).map(seg)).toEqual(['msg#1', 'msg#2']);
  });

  it('the removed message 1 comes back after a kill once the lmb has changed (the §8 example)', () => {
    const s = setup();
    s.do({ type: 'advance', ms: 120_000 });
    s.do(FOO10);
    s.do({ type: 'kill' });
    s.do({ type: 'start' });
    const st = observe(s.state).stream!;
    expect(st).toMatchObject({ msgs: 5, firstSeq: 1, lastSeq: 6, numDeleted: 1 });
  });

  it('v2.14.0 keeps a tombstone only if the delete map holds it: the same tombstone is dropped', () => {
    const s = setup('v2.14.0');
    s.do({ type: 'advance', ms: 120_000 }); // first sync at 60000 (SyncInterval/2), index.db at 120000
    expect((s.content('msgs/2.blk') ?? []).map(seg)).toEqual(['msg#4']);
  });

  it('a block left with no bytes is removed by removeMsgBlock, without a tombstone in v2.10.22', () => {
    // A tombstone-only block that stops being the lmb (built with newBlock).
    const s = limits128();
    s.do({ ...FOO10, count: 2 }); // 1.blk [1, 2]
    s.do({ type: 'newBlock' }); // 2.blk, empty lmb
    s.do({ type: 'remove', from: 1, to: 1 }); // tombstone 1 into 2.blk
    s.do({ type: 'newBlock' }); // 3.blk: 2.blk is no longer the lmb; it holds only tombstone 1
    s.do({ type: 'remove', from: 2, to: 2 }); // block 1 emptied (not the lmb): unlinked; FirstSeq 3
    // Block 2: bytes 0, rbytes 30: compacted with floor 3; tombstone 1 < 3 is dropped: 0 bytes.
    const r = s.do({ type: 'advance', ms: 120_000 });
    expect(r.ops.map(fmtOp).slice(0, 3)).toEqual([
      'create msgs/2.new (compactWithFloor)',
      'rename msgs/2.new msgs/2.blk (compactWithFloor)',
      'unlink msgs/2.blk (removeMsgBlock)',
    ]);
    expect(s.files().map((f) => f.path)).not.toContain('msgs/2.blk');
  });
});

describe('background writers inside a removal', () => {
  function drainOne(profile = 'v2.10.22') {
    const s = new Sim({ retention: 'workqueue', blockSizeBytes: 1024, consumers: ['C'] }, profile);
    s.do({ type: 'start' });
    s.do(FOO10);
    s.do({ type: 'deliver', consumer: 'C' });
    s.do({ type: 'advance', ms: 200 }); // o.dat flushed at 0 (delivered 1): the flusher may write again
    return s;
  }

  it('the o.dat flusher, kicked by UpdateAcks before RemoveMsg, can land between the unlink and the create', () => {
    const s = drainOne();
    const r = s.do({ type: 'ack', consumer: 'C', streamSeq: 1, odatFlushAfterFileOps: 1 });
    expect(r.ops.map(fmtOp)).toEqual([
      'unlink msgs/1.blk (removeMsgBlock)',
      'truncate obs/C/o.dat to 0 (flushLoop)',
      // encodeConsumerState: magic and version (2), four one-byte uvarints, 0 pending, 0 redelivered.
      'write obs/C/o.dat @0 o.dat 8B (flushLoop)',
      'create msgs/2.blk (newMsgBlockForWrite)',
      'write msgs/2.blk @0 tomb#1 30B (writeTombstone)',
    ]);
  });

  it('a kill after the o.dat write leaves the ack recorded and no block holding LastSeq', () => {
    const s = drainOne();
    s.do({ type: 'ack', consumer: 'C', streamSeq: 1, odatFlushAfterFileOps: 1, killAfterFileOps: 3 });
    s.do({ type: 'start' });
    const o = observe(s.state);
    expect(o.stream).toMatchObject({ msgs: 0, lastSeq: 0 });
    expect(o.consumers.C).toMatchObject({ delivered: { streamSeq: 1 }, ackFloor: { streamSeq: 1 } });
  });

  it('the index.db writer captures the state before the removal and writes it after its unlink', () => {
    const s = drainOne();
    const r = s.do({ type: 'ack', consumer: 'C', streamSeq: 1, indexDbWriteAfterFileOps: 1 });
    // At 120000 ms syncBlocks fires first (first cycle), fsyncing 1.blk; then the ticker.
    expect(r.ops.map(fmtOp).slice(0, 4)).toEqual([
      'fsync msgs/1.blk (syncBlocks)',
      'unlink msgs/1.blk (removeMsgBlock)',
      'create msgs/index.db (flushStreamStateLoop)',
      expect.stringMatching(/^write msgs\/index\.db @0 index\.db \d+B \(flushStreamStateLoop\)$/),
    ]);
    expect(r.timers).toEqual([
      { timer: 'sync', atMs: 120_000, opsBefore: 0 },
      { timer: 'indexFlush', atMs: 120_000, opsBefore: 1 },
    ]);
    // The image names lmb 1 holding message 1: a kill now leaves index.db naming a missing block
    // that had a message, so recovery records lost data and keeps LastSeq 1 (L457).
    s.do({ type: 'kill' });
    s.do({ type: 'start' });
    expect(observe(s.state).stream).toMatchObject({ lastSeq: 1 });
  });

  it('the index.db interleaving needs the ticker to be the next timer', () => {
    const s = drainOne();
    s.do({ type: 'ack', consumer: 'C', streamSeq: 1 }); // kicks the flusher: a consumer flush is due first
    s.do(FOO10);
    s.do({ type: 'deliver', consumer: 'C' });
    expect(() => s.do({ type: 'ack', consumer: 'C', streamSeq: 2, indexDbWriteAfterFileOps: 0 })).toThrow(EventError);
  });
});

describe('the timer phase', () => {
  it('first cycle: syncBlocks before the ticker; later cycles: the ticker first', () => {
    const s = limits128('v2.10.22');
    s.do(FOO10);
    const first = s.do({ type: 'advance', ms: 120_000 }).timers.map((t) => t.timer);
    expect(first).toEqual(['sync', 'indexFlush']);
    s.do(FOO10);
    const second = s.do({ type: 'advance', ms: 120_000 }).timers.map((t) => t.timer);
    expect(second).toEqual(['indexFlush', 'sync']);
  });

  it('jitter is a choice of the start event, within the ranges the server draws from (#6041, #6220)', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: 128 }, 'v2.10.23');
    s.do({ type: 'start', firstSyncMs: 119_999, indexFlushJitterMs: 29_999 });
    const r = s.do({ type: 'advance', ms: 150_000 });
    expect(r.timers.map((t) => [t.timer, t.atMs])).toEqual([
      ['sync', 119_999],
      ['indexFlush', 149_999],
    ]);
    const bad = new Sim({ retention: 'limits', blockSizeBytes: 128 }, 'v2.10.23');
    expect(() => bad.do({ type: 'start', firstSyncMs: 59_999 })).toThrow(/firstSyncMs must be a whole number in \[60000, 120000\)/);
    const old = new Sim({ retention: 'limits', blockSizeBytes: 128 }, 'v2.10.22');
    expect(() => old.do({ type: 'start', indexFlushJitterMs: 0 })).toThrow(/no index.db ticker jitter/);
  });
});

describe('checkPending at restore', () => {
  it('drops pending entries below the recovered FirstSeq, raises the floors and rewrites o.dat', () => {
    // Deliver 1-3 and flush o.dat (pending 1-3); ack 1-3 and kill before o.dat is flushed again:
    // the stream comes back with FirstSeq 4 while o.dat still lists 1-3 as pending.
    const s = new Sim({ retention: 'workqueue', blockSizeBytes: 1024, consumers: ['C'] });
    s.do({ type: 'start' });
    s.do({ ...FOO10, count: 4 });
    s.do({ type: 'deliver', consumer: 'C', count: 3 });
    s.do({ type: 'advance', ms: 200 });
    for (const seq of [1, 2, 3]) s.do({ type: 'ack', consumer: 'C', streamSeq: seq });
    s.do({ type: 'kill' });
    s.do({ type: 'start' });
    expect(observe(s.state).stream).toMatchObject({ firstSeq: 4, lastSeq: 4, msgs: 1 });
    expect(observe(s.state).consumers.C).toMatchObject({ numAckPending: 3, ackFloor: { streamSeq: 0 } });
    // applyState arms checkPending 500 ms (the earliest of 0.5-1.5 s) after the restore.
    const r = s.do({ type: 'advance', ms: 600 });
    expect(r.timers.map((t) => t.timer)).toEqual(['checkPending:C', 'consumerFlush:C']);
    // Every pending seq is below FirstSeq 4: dropped, floors raised to 3/3, then (pending empty)
    // set to o.dseq-1 / o.sseq-1 = 3/3; Update accepts it (not outdated) and the flusher writes it.
    expect(observe(s.state).consumers.C).toMatchObject({ numAckPending: 0, ackFloor: { consumerSeq: 3, streamSeq: 3 }, delivered: { consumerSeq: 3, streamSeq: 3 } });
    expect(r.ops.map(fmtOp)).toEqual(['truncate obs/C/o.dat to 0 (flushLoop)', expect.stringMatching(/^write obs\/C\/o\.dat @0 o\.dat \d+B \(flushLoop\)$/)]);
  });
});

describe('inline compaction (removeMsg L3946, shouldCompactInline L4009)', () => {
  it('an interior removal in a non-last block over 2 MB that is at least half reclaimable rewrites it before the tombstone', () => {
    // 800033-byte records (22 + 3 + 800000 + 8): five fill a 4 MB block, the sixth rolls.
    const s = new Sim({ retention: 'limits', blockSizeBytes: 4 * 1024 * 1024 });
    s.do({ type: 'start' });
    s.do({ type: 'store', subject: 'foo', payloadBytes: 800_000, count: 6 });
    s.do({ type: 'remove', from: 2, to: 3 }); // bytes 3 x 800033: 2 x 2400099 > 4000165, no compaction
    const r = s.do({ type: 'remove', from: 4, to: 4 }); // bytes 1600066: 2 x 1600066 < 4000165
    expect(r.ops.map(fmtOp)).toEqual([
      'create msgs/1.new (compactWithFloor)',
      'write msgs/1.new @0 msg#1 800033B (compactWithFloor)',
      'write msgs/1.new @800033 msg#5 800033B (compactWithFloor)',
      'rename msgs/1.new msgs/1.blk (compactWithFloor)',
      'write msgs/2.blk @800093 tomb#4 30B (writeTombstone)', // after message 6 and tombstones 2, 3
    ]);
    expect(s.files().find((f) => f.path === 'msgs/1.blk')?.bytes).toBe(1_600_066);
  });
});
