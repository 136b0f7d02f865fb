/**
 * The write path through `step`, with expected values derived from nats-server v2.10.22
 * (filestore.go):
 * - newMsgBlockForWrite L3116: index lmb+1 (1 with no lmb), os.OpenFile(O_CREATE) of N.blk.
 * - fs.writeMsgRecord L5051: roll only when `mb.msgs > 0 && mb.blkSize()+rl > BlockSize`.
 * - mb.writeMsgRecord L4829 with flush = fs.fip (true in 2.10): flushPendingMsgsLocked L5644
 *   writes at cache.off+wp, then Sync() if syncAlways (L5711) else needSync = true.
 * - fileStoreMsgSize L6547: 22 + subj + msg + 8 (+4+hdr); emptyRecordLen 30.
 * - syncBlocks L5274: fsync every block with needSync, re-arm, then fsync index.db unless
 *   SyncAlways (L5383).
 * - flushStreamStateLoop L7845: a 2-minute ticker calling writeFullState, a no-op when
 *   fs.dirty == 0 (L7895); os.WriteFile (truncate+write) at L8064.
 * - SkipMsg L3420 / mb.skipMsg L3380: an empty lmb resets rbytes and cache, so the skip
 *   record is written at offset 0.
 * - consumer selectStartingSeqNo (consumer.go L4814) → SetStarting(o.sseq-1) (L4927), which
 *   writes o.dat synchronously (filestore.go L8811).
 */
import { describe, expect, it } from 'vitest';
import { Sim, seg, fmtOp, FOO10 } from './testing.js';
import { observe } from './observe.js';
import { step } from './step.js';

const BIG = 1 << 20;

describe('first start', () => {
  it('creates msgs/1.blk (0 bytes) and, for consumer C, obs/C/o.dat via SetStarting', () => {
    const s = new Sim({ retention: 'workqueue', blockSizeBytes: BIG, consumers: ['C'] });
    const ops = s.ops({ type: 'start' });
    // o.dat: magic, version, 4 zero uvarints, 0 pending, 0 redelivered = 8 bytes.
    expect(ops).toEqual(['create msgs/1.blk (newMsgBlockForWrite)', 'create obs/C/o.dat (SetStarting)', 'write obs/C/o.dat @0 o.dat 8B (SetStarting)']);
    expect(s.files()).toEqual([
      { path: 'msgs/1.blk', bytes: 0 },
      { path: 'obs/C/o.dat', bytes: 8 },
    ]);
    expect(s.durableFiles()).toEqual([]);
    const img = s.content('obs/C/o.dat')![0]!;
    expect(img.kind).toBe('odat');
    if (img.kind === 'odat') {
      expect(img.state.delivered).toEqual({ consumerSeq: 0, streamSeq: 0 });
      expect(img.state.ackFloor).toEqual({ consumerSeq: 0, streamSeq: 0 });
    }
  });

  it('logs nothing (index.db missing is not a warning)', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG });
    expect(s.do({ type: 'start' }).log).toEqual([]);
  });
});

describe('appending messages', () => {
  it('storing subject "foo" with a 10-byte payload appends a 43-byte record', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG });
    s.do({ type: 'start' });
    const r = s.do(FOO10);
    expect(r.outcome.seqs).toEqual([1]);
    expect(r.ops.map(fmtOp)).toEqual(['write msgs/1.blk @0 msg#1 43B (storeRawMsg)']);
    expect(s.ops(FOO10)).toEqual(['write msgs/1.blk @43 msg#2 43B (storeRawMsg)']);
    expect(s.files()).toEqual([{ path: 'msgs/1.blk', bytes: 86 }]);
    const o = observe(s.state);
    expect(o.stream).toMatchObject({ msgs: 2, bytes: 86, firstSeq: 1, lastSeq: 2, numDeleted: 0 });
  });

  it('a record with headers is 22 + subject + 4 + headers + payload + 8', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG });
    s.do({ type: 'start' });
    expect(s.ops({ type: 'store', subject: 'foo', payloadBytes: 10, headersBytes: 12 })).toEqual(['write msgs/1.blk @0 msg#1 59B (storeRawMsg)']);
  });

  it('rolls to 2.blk when the next record would exceed blockSizeBytes (100: 43+43 fit, the third rolls)', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: 100 });
    s.do({ type: 'start' });
    expect(s.ops(FOO10)).toEqual(['write msgs/1.blk @0 msg#1 43B (storeRawMsg)']);
    expect(s.ops(FOO10)).toEqual(['write msgs/1.blk @43 msg#2 43B (storeRawMsg)']);
    expect(s.ops(FOO10)).toEqual(['create msgs/2.blk (newMsgBlockForWrite)', 'write msgs/2.blk @0 msg#3 43B (storeRawMsg)']);
    expect(s.files()).toEqual([
      { path: 'msgs/1.blk', bytes: 86 },
      { path: 'msgs/2.blk', bytes: 43 },
    ]);
    expect(observe(s.state).blocks).toEqual([
      { index: 1, firstSeq: 1, lastSeq: 2, msgs: 2, bytes: 86 },
      { index: 2, firstSeq: 3, lastSeq: 3, msgs: 1, bytes: 43 },
    ]);
  });

  it('a record exactly filling the block does not roll (rbytes + rl == BlockSize)', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: 86 });
    s.do({ type: 'start' });
    s.do(FOO10);
    expect(s.ops(FOO10)).toEqual(['write msgs/1.blk @43 msg#2 43B (storeRawMsg)']);
  });

  it('a block holding only tombstones keeps receiving message writes (no roll while msgs == 0)', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: 100 });
    s.do({ type: 'start' });
    s.do(FOO10);
    // Removing the only message replaces the lmb: 2.blk holds the 30-byte tombstone for 1.
    s.do({ type: 'remove', from: 1, to: 1 });
    expect(s.files()).toEqual([{ path: 'msgs/2.blk', bytes: 30 }]);
    // 30 + 113 > 100, but 2.blk holds no messages: written in place at offset 30.
    expect(s.ops({ type: 'store', subject: 'foo', payloadBytes: 80 })).toEqual(['write msgs/2.blk @30 msg#2 113B (storeRawMsg)']);
    expect(s.files()).toEqual([{ path: 'msgs/2.blk', bytes: 143 }]);
    // Now it holds a message: the next one rolls.
    expect(s.ops(FOO10)).toEqual(['create msgs/3.blk (newMsgBlockForWrite)', 'write msgs/3.blk @0 msg#3 43B (storeRawMsg)']);
  });
});

describe('fsync', () => {
  it('syncAlways: an fsync after every block write (messages and tombstones)', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG, syncAlways: true, fileSystem: 'posix' });
    s.do({ type: 'start' });
    expect(s.ops(FOO10)).toEqual(['write msgs/1.blk @0 msg#1 43B (storeRawMsg)', 'fsync msgs/1.blk (storeRawMsg)']);
    expect(s.ops(FOO10)).toEqual(['write msgs/1.blk @43 msg#2 43B (storeRawMsg)', 'fsync msgs/1.blk (storeRawMsg)']);
    expect(s.ops({ type: 'remove', from: 2, to: 2 })).toEqual(['write msgs/1.blk @86 tomb#2 30B (writeTombstone)', 'fsync msgs/1.blk (writeTombstone)']);
    // The data is durable; the directory entry is not (msgs/ is never fsynced in 2.10.22).
    expect(s.durableInodeOf('msgs/1.blk')?.map(seg)).toEqual(['msg#1', 'msg#2', 'tomb#2']);
    expect(s.durableFiles()).toEqual([]);
  });

  it('syncAlways: o.dat is written with O_SYNC (data durable, entry not)', () => {
    const s = new Sim({ retention: 'workqueue', blockSizeBytes: BIG, syncAlways: true, consumers: ['C'], fileSystem: 'posix' });
    expect(s.ops({ type: 'start' })).toEqual(['create msgs/1.blk (newMsgBlockForWrite)', 'create obs/C/o.dat (SetStarting)', 'write obs/C/o.dat @0 o.dat 8B osync (SetStarting)']);
    expect(s.durableInodeOf('obs/C/o.dat')?.map(seg)).toEqual(['o.dat']);
    expect(s.durableFiles()).toEqual([]);
  });

  it('syncAlways: the sync timer fsyncs nothing (no needSync, index.db skipped)', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG, syncAlways: true, fileSystem: 'posix' });
    s.do({ type: 'start' });
    s.do(FOO10);
    // At 120000: syncBlocks (nothing), then the index.db ticker writes index.db (dirty).
    expect(s.ops({ type: 'advance', ms: 120_000 })).toEqual(['create msgs/index.db (flushStreamStateLoop)', expect.stringMatching(/^write msgs\/index\.db @0 index\.db \d+B \(flushStreamStateLoop\)$/)]);
    // Next period: not dirty, and index.db is not fsynced under sync always.
    expect(s.ops({ type: 'advance', ms: 120_000 })).toEqual([]);
  });

  it('without syncAlways nothing is fsynced until the sync timer, which fsyncs each block written since, then index.db', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: 100, fileSystem: 'posix' });
    s.do({ type: 'start' });
    s.do({ ...FOO10, count: 3 }); // 1.blk [1,2], 2.blk [3]
    s.do({ type: 'stop' }); // index.db written
    s.do({ type: 'start' });
    // After the restart: 2.blk gets seq 4 (86 bytes), seq 5 rolls to 3.blk.
    const w = s.do({ ...FOO10, count: 2 });
    expect(w.ops.map(fmtOp)).toEqual([
      'write msgs/2.blk @43 msg#4 43B (storeRawMsg)',
      'create msgs/3.blk (newMsgBlockForWrite)',
      'write msgs/3.blk @0 msg#5 43B (storeRawMsg)',
    ]);
    expect(s.ops({ type: 'advance', ms: 119_999 })).toEqual([]);
    expect(s.durableFiles()).toEqual([]);
    const r = s.do({ type: 'advance', ms: 1 });
    expect(r.ops.map(fmtOp)).toEqual([
      'fsync msgs/2.blk (syncBlocks)',
      'fsync msgs/3.blk (syncBlocks)',
      'fsync msgs/index.db (syncBlocks)',
      'truncate msgs/index.db to 0 (flushStreamStateLoop)',
      expect.stringMatching(/^write msgs\/index\.db @0 index\.db \d+B \(flushStreamStateLoop\)$/),
    ]);
    expect(r.ops.every((o) => o.atMs === 120_000)).toBe(true);
    // Data of 2.blk and 3.blk is durable, 1.blk data was never fsynced.
    expect(s.durableInodeOf('msgs/2.blk')?.map(seg)).toEqual(['msg#3', 'msg#4']);
    expect(s.durableInodeOf('msgs/3.blk')?.map(seg)).toEqual(['msg#5']);
    expect(s.durableInodeOf('msgs/1.blk')).toBeUndefined();
    // Next period: no block written since, index.db not dirty: only index.db is fsynced.
    expect(s.ops({ type: 'advance', ms: 120_000 })).toEqual(['fsync msgs/index.db (syncBlocks)']);
  });

  it('the sync timer re-arms every syncIntervalMs', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG, syncIntervalMs: 10_000, fileSystem: 'posix' });
    s.do({ type: 'start' });
    s.do(FOO10);
    const r = s.do({ type: 'advance', ms: 10_000 });
    expect(r.ops.map(fmtOp)).toEqual(['fsync msgs/1.blk (syncBlocks)']);
    s.do(FOO10);
    const r2 = s.do({ type: 'advance', ms: 10_000 });
    expect(r2.ops.map(fmtOp)).toEqual(['fsync msgs/1.blk (syncBlocks)']);
    expect(r2.ops[0]!.atMs).toBe(20_000);
  });
});

describe('durability across a power loss', () => {
  it('ext4: the block create is committed within 5 s (the file survives empty, #6881); its data is written back within 40 s', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG });
    s.do({ type: 'start' }); // t=0: create msgs/1.blk
    s.do(FOO10); // t=0: the record, in the page cache
    s.do({ type: 'advance', ms: 4_999 });
    expect(s.durableFiles()).toEqual([]);
    s.do({ type: 'advance', ms: 1 }); // commit=5: the create is in a committed transaction
    expect(s.durableFiles()).toEqual([{ path: 'msgs/1.blk', bytes: 0 }]);
    s.do({ type: 'advance', ms: 34_999 });
    expect(s.durableFiles()).toEqual([{ path: 'msgs/1.blk', bytes: 0 }]);
    s.do({ type: 'advance', ms: 1 }); // 30 s expiry + 5 s flusher + 5 s commit of the size
    expect(s.durableFiles()).toEqual([{ path: 'msgs/1.blk', bytes: 43 }]);
  });

  it('xfs: the log is forced every 30 s, data within 65 s', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG, fileSystem: 'xfs' });
    s.do({ type: 'start' });
    s.do(FOO10);
    s.do({ type: 'advance', ms: 29_999 });
    expect(s.durableFiles()).toEqual([]);
    s.do({ type: 'advance', ms: 1 });
    expect(s.durableFiles()).toEqual([{ path: 'msgs/1.blk', bytes: 0 }]);
    s.do({ type: 'advance', ms: 35_000 });
    expect(s.durableFiles()).toEqual([{ path: 'msgs/1.blk', bytes: 43 }]);
  });

  it('ext4, sync always: fsync of the new block commits the journal, so its create survives with its data', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG, syncAlways: true });
    s.do({ type: 'start' });
    s.do({ ...FOO10, count: 2 });
    s.do({ type: 'powerLoss', keep: { kind: 'synced' } });
    expect(s.files()).toEqual([{ path: 'msgs/1.blk', bytes: 86 }]);
  });

  it('posix, sync always: a new block data is fsynced but its directory entry is not; a power loss keeping nothing loses the block', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG, syncAlways: true, fileSystem: 'posix' });
    s.do({ type: 'start' });
    s.do({ ...FOO10, count: 2 });
    s.do({ type: 'advance', ms: 1000 });
    s.do({ type: 'powerLoss', keep: { kind: 'synced' } });
    expect(s.files()).toEqual([]);
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([]);
    expect(observe(s.state).stream).toMatchObject({ msgs: 0, firstSeq: 0, lastSeq: 0 });
  });

  it('lazyfs: the create is durable at once, the data only by fsync: a power loss leaves the block empty', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG, fileSystem: 'lazyfs' });
    s.do({ type: 'start' });
    s.do({ ...FOO10, count: 2 });
    s.do({ type: 'powerLoss', keep: { kind: 'synced' } });
    expect(s.files()).toEqual([{ path: 'msgs/1.blk', bytes: 0 }]);
  });

  it('without sync always the block data survives a power loss only through the sync timer or writeback', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG, fileSystem: 'posix' });
    s.do({ type: 'start' });
    s.do({ ...FOO10, count: 2 });
    s.do({ type: 'advance', ms: 120_000 }); // fsync of 1.blk, index.db written (not fsynced)
    // 'all' keeps everything in flight: both blocks' entries and index.db.
    const kept = new Sim({ retention: 'limits', blockSizeBytes: BIG, fileSystem: 'posix' });
    kept.state = s.state;
    kept.do({ type: 'powerLoss', keep: { kind: 'all' } });
    expect(kept.files()).toEqual(s.files());
    // 'synced': the fsynced data has no durable directory entry: nothing is left.
    s.do({ type: 'powerLoss', keep: { kind: 'synced' } });
    expect(s.files()).toEqual([]);
  });
});

describe('index.db', () => {
  it('Stop writes index.db: 57 bytes for 2 messages on "foo" in one block', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG });
    s.do({ type: 'start' });
    s.do({ ...FOO10, count: 2 });
    // 2 hdr + msgs 1 + bytes 1 + first 1 + firstTime 9 + last 1 + lastTime 9 + nsubj 1
    // + ("foo": len 1 + 3 + total 1 + fblk 1 + lblk 1) + nblks 1 + (7 one-byte fields)
    // + lmb index 1 + lchk 8 + hash 8 = 57.
    expect(s.ops({ type: 'stop' })).toEqual(['create msgs/index.db (fileStore.stop)', 'write msgs/index.db @0 index.db 57B (fileStore.stop)']);
  });

  it('the ticker at 120000 ms writes index.db only when dirty', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG, fileSystem: 'posix' });
    s.do({ type: 'start' }); // a rebuilt start is dirty (fs.dirty++ after recoverMsgs)
    const first = s.do({ type: 'advance', ms: 120_000 });
    // syncBlocks runs first (index.db does not exist yet: nothing to fsync), then the ticker.
    expect(first.ops.map(fmtOp)).toEqual(['create msgs/index.db (flushStreamStateLoop)', expect.stringMatching(/^write msgs\/index\.db @0 index\.db \d+B \(flushStreamStateLoop\)$/)]);
    expect(first.ops.every((o) => o.atMs === 120_000)).toBe(true);
    // Not dirty at 240000: no write (syncBlocks still fsyncs index.db).
    expect(s.ops({ type: 'advance', ms: 120_000 })).toEqual(['fsync msgs/index.db (syncBlocks)']);
    // A store makes it dirty: rewritten in place (truncate, write) at 360000. From the second
    // cycle on the ticker comes first: syncBlocks re-arms itself only after its work (v2.10.22
    // L5378) while the ticker keeps its phase (L7851), so index.db is written, then fsynced.
    s.do(FOO10);
    const third = s.do({ type: 'advance', ms: 120_000 });
    expect(third.ops.map(fmtOp)).toEqual([
      'truncate msgs/index.db to 0 (flushStreamStateLoop)',
      expect.stringMatching(/^write msgs\/index\.db @0 index\.db \d+B \(flushStreamStateLoop\)$/),
      'fsync msgs/1.blk (syncBlocks)',
      'fsync msgs/index.db (syncBlocks)',
    ]);
    expect(third.ops.every((o) => o.atMs === 360_000)).toBe(true);
  });

  it('a clean restart from index.db is not dirty: the ticker writes nothing', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG, fileSystem: 'posix' });
    s.do({ type: 'start' });
    s.do(FOO10);
    s.do({ type: 'stop' });
    s.do({ type: 'start' });
    expect(s.ops({ type: 'advance', ms: 120_000 })).toEqual(['fsync msgs/index.db (syncBlocks)']);
  });
});

describe('SkipMsg', () => {
  it('on an empty lmb rewrites from offset 0', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG });
    s.do({ type: 'start' });
    s.do(FOO10);
    s.do({ type: 'remove', from: 1, to: 1 }); // 2.blk = [tomb#1]
    expect(s.content('msgs/2.blk')?.map(seg)).toEqual(['tomb#1']);
    const r = s.do({ type: 'skip' });
    expect(r.outcome.seqs).toEqual([2]);
    expect(r.ops.map(fmtOp)).toEqual(['write msgs/2.blk @0 skip#2 30B (skipMsg)']);
    expect(s.content('msgs/2.blk')?.map(seg)).toEqual(['skip#2']);
    expect(observe(s.state).stream).toMatchObject({ msgs: 0, firstSeq: 3, lastSeq: 2 });
  });

  it('on an empty lmb holding two tombstones: overwrites the first, the second stays (no truncate)', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG });
    s.do({ type: 'start' });
    s.do({ ...FOO10, count: 3 });
    s.do({ type: 'newBlock' }); // empty lmb 2.blk
    s.do({ type: 'remove', from: 1, to: 2 }); // tombstones 1, 2 into 2.blk
    expect(s.content('msgs/2.blk')?.map(seg)).toEqual(['tomb#1', 'tomb#2']);
    expect(s.ops({ type: 'skip' })).toEqual(['write msgs/2.blk @0 skip#4 30B (skipMsg)']);
    expect(s.content('msgs/2.blk')?.map(seg)).toEqual(['skip#4', 'tomb#2']);
    expect(s.files()).toContainEqual({ path: 'msgs/2.blk', bytes: 60 });
  });

  it('on a non-empty lmb appends the skip record', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG });
    s.do({ type: 'start' });
    s.do(FOO10);
    expect(s.ops({ type: 'skip' })).toEqual(['write msgs/1.blk @43 skip#2 30B (skipMsg)']);
    expect(observe(s.state).stream).toMatchObject({ msgs: 1, firstSeq: 1, lastSeq: 2, numDeleted: 1 });
  });
});
