/**
 * Start-up recovery through `step`, each path of reference section 4, with log lines worded
 * as nats-server v2.10.22 logs them (fs.warn, filestore.go L1493: "Filestore [%s] " + text):
 * - newFileStoreWithCreated L436-L468: "Recovering stream state from index errored: %v"
 *   unless os.IsNotExist; `prior := fs.state`; reset (fs.ld and fs.lmb are not reset);
 *   recoverMsgs; prior.LastSeq reused only `if fs.ld != nil && prior.LastSeq > LastSeq`
 *   (L457), with a new block and a tombstone at prior.LastSeq; FirstSeq untouched.
 * - recoverFullState L1537: "Stream state too short (%d bytes)" (L1566), "Stream state
 *   checksum did not match" (L1576), both after os.Remove(index.db) → errCorruptState
 *   ("corrupt state file", L6001); missing lmb file → mb.rebuildState, "Stream state detected
 *   prior state, could not locate msg block %d" (L1750) → errPriorState ("prior state file",
 *   L6002); lchk mismatch → "Stream state outdated, last block has additional entries, will
 *   rebuild"; K.blk with K > lmb → "Stream state outdated, found extra blocks, will rebuild".
 * - recoverMsgs L1850: blocks with first.seq == 0 deleted (L1888); no blocks → a new block at
 *   fs.lmb.index+1 (L1917); with fs.ld, empty blocks (msgs == 0 && rbytes == 0) go through
 *   removeMsgBlock (L1921-L1933).
 * - rebuildStateLocked L1262: a short or bad record truncates the file there and fsyncs it
 *   (L1316-L1333); gatherLost lists last.seq+1..startLastSeq, which is empty for a block just
 *   made by initMsgBlock (startLastSeq 0), but the LostStreamData is non-nil (Bytes = cut);
 *   a message-less block takes first = min tombstone + 1, last = min tombstone (L1470-L1481).
 */
import { describe, expect, it } from 'vitest';
import { Sim, fmtOp, FOO10 } from './testing.js';
import { type StoreConfig } from './config.js';
import { observe } from './observe.js';
import { step } from './step.js';

const BIG = 1 << 20;
const P = 'Filestore [TEST] ';
const PRIOR = `${P}Recovering stream state from index errored: prior state file`;
const CORRUPT = `${P}Recovering stream state from index errored: corrupt state file`;

function limits(blockSizeBytes = BIG, extra: Partial<StoreConfig> = {}): Sim {
  const s = new Sim({ retention: 'limits', blockSizeBytes, ...extra });
  s.do({ type: 'start' });
  return s;
}

function stream(s: Sim) {
  return observe(s.state).stream;
}

describe('index.db missing', () => {
  it('after a kill before any index.db write: no warning, rebuilt from the blocks', () => {
    const s = limits();
    s.do({ ...FOO10, count: 2 });
    s.do({ type: 'kill' });
    expect(s.files().map((f) => f.path)).not.toContain('msgs/index.db');
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([]);
    expect(r.ops).toEqual([]);
    expect(stream(s)).toEqual({ msgs: 2, bytes: 86, firstSeq: 1, lastSeq: 2, numDeleted: 0, lostMsgs: [] });
  });

  it('deleted while down: no warning; tombstones are replayed without writing new ones', () => {
    const s = limits();
    s.do({ ...FOO10, count: 3 });
    s.do({ type: 'remove', from: 2, to: 2 }); // tomb#2 appended to 1.blk
    s.do({ type: 'stop' });
    s.do({ type: 'deleteFile', path: 'msgs/index.db' });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([]);
    expect(r.ops).toEqual([]);
    expect(stream(s)).toEqual({ msgs: 2, bytes: 86, firstSeq: 1, lastSeq: 3, numDeleted: 1, lostMsgs: [] });
  });
});

describe('index.db corrupt', () => {
  function stopped(): Sim {
    const s = limits();
    s.do({ ...FOO10, count: 2 });
    s.do({ type: 'stop' });
    expect(s.files()).toContainEqual({ path: 'msgs/index.db', bytes: 57 });
    return s;
  }

  it('too short (< 32 bytes): "Stream state too short (N bytes)", index.db deleted, rebuilt', () => {
    const s = stopped();
    s.do({ type: 'truncateFile', path: 'msgs/index.db', bytes: 20 });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([`${P}Stream state too short (20 bytes)`, CORRUPT]);
    expect(r.ops.map(fmtOp)).toEqual(['unlink msgs/index.db (recoverFullState)']);
    expect(s.files()).toEqual([{ path: 'msgs/1.blk', bytes: 86 }]);
    expect(stream(s)).toEqual({ msgs: 2, bytes: 86, firstSeq: 1, lastSeq: 2, numDeleted: 0, lostMsgs: [] });
  });

  it('empty (a rewrite cut after its truncate): "Stream state too short (0 bytes)"', () => {
    const s = stopped();
    s.do({ type: 'truncateFile', path: 'msgs/index.db', bytes: 0 });
    expect(s.do({ type: 'start' }).log).toEqual([`${P}Stream state too short (0 bytes)`, CORRUPT]);
  });

  it('31 bytes is still too short; 32 bytes is read and fails its hash', () => {
    const a = stopped();
    a.do({ type: 'truncateFile', path: 'msgs/index.db', bytes: 31 });
    expect(a.do({ type: 'start' }).log).toEqual([`${P}Stream state too short (31 bytes)`, CORRUPT]);
    const b = stopped();
    b.do({ type: 'truncateFile', path: 'msgs/index.db', bytes: 32 });
    expect(b.do({ type: 'start' }).log).toEqual([`${P}Stream state checksum did not match`, CORRUPT]);
  });

  it('torn (cut to 40 bytes): "Stream state checksum did not match", index.db deleted', () => {
    const s = stopped();
    s.do({ type: 'truncateFile', path: 'msgs/index.db', bytes: 40 });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([`${P}Stream state checksum did not match`, CORRUPT]);
    expect(r.ops.map(fmtOp)).toEqual(['unlink msgs/index.db (recoverFullState)']);
    expect(s.files().map((f) => f.path)).toEqual(['msgs/1.blk']);
    expect(stream(s)).toMatchObject({ msgs: 2, firstSeq: 1, lastSeq: 2 });
  });

  it('garbled (other bytes in it): "Stream state checksum did not match"', () => {
    const s = stopped();
    s.do({ type: 'copyFile', from: 'msgs/1.blk', to: 'msgs/index.db' });
    expect(s.do({ type: 'start' }).log).toEqual([`${P}Stream state checksum did not match`, CORRUPT]);
  });

  it('torn by power loss keeping the write of a shorter image but not its truncate: new image + old tail', () => {
    // Strict POSIX: ext4 and xfs never keep a rewrite without its truncate (auto_da_alloc, J2).
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG, fileSystem: 'posix' });
    s.do({ type: 'start' });
    s.do({ type: 'store', subject: 'foo', payloadBytes: 10 });
    s.do({ type: 'store', subject: 'bar', payloadBytes: 10 });
    s.do({ type: 'stop' }); // index.db with two subjects: 62 bytes
    expect(s.files()).toContainEqual({ path: 'msgs/index.db', bytes: 62 });
    s.do({ type: 'powerLoss', keep: { kind: 'all' } }); // everything kept: all durable
    expect(s.durableFiles()).toEqual(s.files());
    s.do({ type: 'start' });
    s.do({ type: 'remove', from: 1, to: 1 }); // FIFO: no dmap; one subject left
    const stop = s.do({ type: 'stop' });
    expect(stop.ops.map(fmtOp)).toEqual(['truncate msgs/index.db to 0 (fileStore.stop)', 'write msgs/index.db @0 index.db 56B (fileStore.stop)']);
    s.do({ type: 'powerLoss', keep: { kind: 'subset', opIds: [stop.ops[1]!.id] } });
    expect(s.content('msgs/index.db')?.map((x) => `${x.kind}:${x.bytes}`)).toEqual(['indexdb:56', 'fragment:6']);
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([`${P}Stream state checksum did not match`, CORRUPT]);
    // The tombstone for 1 was not durable: both messages come back.
    expect(stream(s)).toMatchObject({ msgs: 2, firstSeq: 1, lastSeq: 2 });
  });
});

describe('index.db stale', () => {
  it('lmb missing, recorded empty in index.db: no lost data, LastSeq 0, fresh block K+1', () => {
    const s = limits();
    s.do(FOO10);
    s.do({ type: 'remove', from: 1, to: 1 }); // 2.blk = [tomb#1]
    s.do({ type: 'stop' }); // index.db: lmb 2 (empty), LastSeq 1
    s.do({ type: 'deleteFile', path: 'msgs/2.blk' });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([`${P}Stream state detected prior state, could not locate msg block 2`, PRIOR]);
    expect(r.ops.map(fmtOp)).toEqual(['create msgs/3.blk (newMsgBlockForWrite)']);
    // State(): (LastSeq - FirstSeq + 1) - Msgs = 1 > 0, and block 3 starts at 1 > cur 0, so
    // sequence 0 is listed as deleted (filestore.go L6494-L6506).
    expect(stream(s)).toEqual({ msgs: 0, bytes: 0, firstSeq: 0, lastSeq: 0, numDeleted: 1, lostMsgs: [] });
    expect(s.state.proc!.store.lost).toBeNull();
    expect(observe(s.state).blocks).toEqual([{ index: 3, firstSeq: 1, lastSeq: 0, msgs: 0, bytes: 0 }]);
    // The next publish restarts the sequence at 1.
    expect(s.do(FOO10).outcome.seqs).toEqual([1]);
  });

  it('lmb missing, recorded empty, earlier blocks present: LastSeq from the blocks (rolled back)', () => {
    const s = limits(100); // 1.blk [1,2], 2.blk [3]
    s.do({ ...FOO10, count: 3 });
    s.do({ type: 'remove', from: 3, to: 3 }); // 2.blk unlinked, 3.blk = [tomb#3]
    s.do({ type: 'stop' }); // index.db: blocks 1 and 3, lmb 3, LastSeq 3
    s.do({ type: 'deleteFile', path: 'msgs/3.blk' });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([`${P}Stream state detected prior state, could not locate msg block 3`, PRIOR]);
    expect(r.ops).toEqual([]);
    expect(stream(s)).toEqual({ msgs: 2, bytes: 86, firstSeq: 1, lastSeq: 2, numDeleted: 0, lostMsgs: [] });
    expect(s.do(FOO10).outcome.seqs).toEqual([3]);
  });

  it('lmb missing but it had messages: lost data, LastSeq kept from index.db, FirstSeq 0 (no #6647)', () => {
    const s = limits();
    s.do({ ...FOO10, count: 2 });
    s.do({ type: 'stop' });
    s.do({ type: 'deleteFile', path: 'msgs/1.blk' });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([`${P}Stream state detected prior state, could not locate msg block 1`, PRIOR]);
    // recoverMsgs: no block → 2.blk; with fs.ld the empty 2.blk goes through removeMsgBlock
    // (it is the lmb: 3.blk + a tombstone for its last.seq 0); then prior.LastSeq 2 is
    // reused: 4.blk + a tombstone for 2.
    expect(r.ops.map(fmtOp)).toEqual([
      'create msgs/2.blk (newMsgBlockForWrite)',
      'unlink msgs/2.blk (removeMsgBlock)',
      'create msgs/3.blk (newMsgBlockForWrite)',
      'write msgs/3.blk @0 tomb#0 30B (writeTombstone)',
      'create msgs/4.blk (newMsgBlockForWrite)',
      'write msgs/4.blk @0 tomb#2 30B (writeTombstone)',
    ]);
    // State(): 3 - 0 = 3 deleted: 0 (before block 3's first 1) and 1, 2 (before block 4's first 3).
    expect(stream(s)).toEqual({ msgs: 0, bytes: 0, firstSeq: 0, lastSeq: 2, numDeleted: 3, lostMsgs: [1, 2] });
    expect(observe(s.state).blocks).toEqual([
      { index: 3, firstSeq: 1, lastSeq: 0, msgs: 0, bytes: 0 },
      { index: 4, firstSeq: 3, lastSeq: 2, msgs: 0, bytes: 0 },
    ]);
    expect(s.files()).toEqual([
      { path: 'msgs/3.blk', bytes: 30 },
      { path: 'msgs/4.blk', bytes: 30 },
      { path: 'msgs/index.db', bytes: 57 },
    ]);
  });

  it('lmb checksum mismatch: "Stream state outdated, last block has additional entries, will rebuild"', () => {
    const s = limits();
    s.do(FOO10);
    s.do({ type: 'stop' });
    s.do({ type: 'start' });
    s.do(FOO10); // appended to 1.blk after index.db was written
    s.do({ type: 'kill' });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([`${P}Stream state outdated, last block has additional entries, will rebuild`, PRIOR]);
    expect(r.ops).toEqual([]);
    expect(stream(s)).toEqual({ msgs: 2, bytes: 86, firstSeq: 1, lastSeq: 2, numDeleted: 0, lostMsgs: [] });
  });

  it('extra blocks: "Stream state outdated, found extra blocks, will rebuild"', () => {
    const s = limits(100);
    s.do({ ...FOO10, count: 2 });
    s.do({ type: 'stop' }); // index.db: lmb 1, whose last record is unchanged below
    s.do({ type: 'start' });
    s.do(FOO10); // rolls to 2.blk
    s.do({ type: 'kill' });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([`${P}Stream state outdated, found extra blocks, will rebuild`, PRIOR]);
    expect(stream(s)).toEqual({ msgs: 3, bytes: 129, firstSeq: 1, lastSeq: 3, numDeleted: 0, lostMsgs: [] });
  });

  it('after errPriorState with no usable block, the fresh block is K+1 for the lmb K index.db named', () => {
    const s = limits();
    for (let i = 0; i < 4; i++) {
      s.do(FOO10);
      s.do({ type: 'remove', from: i + 1, to: i + 1 });
    }
    expect(s.files().map((f) => f.path)).toEqual(['msgs/5.blk']);
    s.do({ type: 'stop' });
    s.do({ type: 'deleteFile', path: 'msgs/5.blk' });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([`${P}Stream state detected prior state, could not locate msg block 5`, PRIOR]);
    expect(r.ops.map(fmtOp)).toEqual(['create msgs/6.blk (newMsgBlockForWrite)']);
    expect(stream(s)).toMatchObject({ msgs: 0, firstSeq: 0, lastSeq: 0 });
  });
});

describe('block scan (recoverMsgs / rebuildStateLocked)', () => {
  it('a 0-byte .blk is deleted by recoverMsgs; with no block left the new one is lmb+1', () => {
    const s = limits(); // 1.blk, 0 bytes
    s.do({ type: 'kill' });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([]);
    expect(r.ops.map(fmtOp)).toEqual(['unlink msgs/1.blk (recoverMsgs)', 'create msgs/2.blk (newMsgBlockForWrite)']);
    expect(s.files()).toEqual([{ path: 'msgs/2.blk', bytes: 0 }]);
    expect(stream(s)).toMatchObject({ msgs: 0, firstSeq: 0, lastSeq: 0 });
  });

  it('a 0-byte .blk after a good block is deleted; the good block becomes the lmb', () => {
    const s = limits(100);
    s.do({ ...FOO10, count: 2 });
    s.do({ type: 'newBlock' }); // 2.blk, 0 bytes
    s.do({ type: 'kill' });
    const r = s.do({ type: 'start' });
    expect(r.ops.map(fmtOp)).toEqual(['unlink msgs/2.blk (recoverMsgs)']);
    expect(stream(s)).toMatchObject({ msgs: 2, firstSeq: 1, lastSeq: 2 });
    expect(s.ops(FOO10)).toEqual(['create msgs/2.blk (newMsgBlockForWrite)', 'write msgs/2.blk @0 msg#3 43B (storeRawMsg)']);
  });

  it('a corrupt record tail is truncated (with fsync); LastSeq kept from index.db through the non-nil lost data', () => {
    const s = limits();
    s.do({ ...FOO10, count: 3 });
    s.do({ type: 'stop' });
    s.do({ type: 'truncateFile', path: 'msgs/1.blk', bytes: 96 }); // 2 records + 10 bytes of the third
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([`${P}Stream state outdated, last block has additional entries, will rebuild`, PRIOR]);
    expect(r.ops.map(fmtOp)).toEqual([
      'truncate msgs/1.blk to 86 (rebuildStateLocked)',
      'fsync msgs/1.blk (rebuildStateLocked)',
      'create msgs/2.blk (newMsgBlockForWrite)',
      'write msgs/2.blk @0 tomb#3 30B (writeTombstone)',
    ]);
    // gatherLost walks last.seq+1..startLastSeq; startLastSeq is 0 for a block made by
    // initMsgBlock, so no sequence is listed, but fs.ld != nil (Bytes 10).
    expect(s.state.proc!.store.lost).toEqual({ msgs: [], bytes: 10 });
    // State(): 3 is deleted (the gap before 2.blk's first 4).
    expect(stream(s)).toEqual({ msgs: 2, bytes: 86, firstSeq: 1, lastSeq: 3, numDeleted: 1, lostMsgs: [] });
    expect(s.files()).toEqual([
      { path: 'msgs/1.blk', bytes: 86 },
      { path: 'msgs/2.blk', bytes: 30 },
      { path: 'msgs/index.db', bytes: expect.any(Number) },
    ]);
    // The truncate was fsynced: durable even without writeback.
    expect(r.ops[1]!.op.type).toBe('fsync');
  });

  it('a corrupt record tail with index.db missing: truncated, no prior LastSeq to keep', () => {
    const s = limits();
    s.do({ ...FOO10, count: 3 });
    s.do({ type: 'kill' });
    s.do({ type: 'truncateFile', path: 'msgs/1.blk', bytes: 100 });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([]);
    expect(r.ops.map(fmtOp)).toEqual(['truncate msgs/1.blk to 86 (rebuildStateLocked)', 'fsync msgs/1.blk (rebuildStateLocked)']);
    expect(stream(s)).toMatchObject({ msgs: 2, firstSeq: 1, lastSeq: 2 });
  });

  it('a tombstone-only block recovers first = min tombstone + 1, last = min tombstone (2.10.x)', () => {
    const s = limits();
    s.do({ ...FOO10, count: 3 });
    s.do({ type: 'newBlock' }); // empty lmb 2.blk
    s.do({ type: 'remove', from: 1, to: 3 }); // tomb#1, tomb#2 into 2.blk; 1.blk unlinked (not the lmb: no tombstone)
    expect(s.files()).toEqual([{ path: 'msgs/2.blk', bytes: 60 }]);
    expect(stream(s)).toMatchObject({ msgs: 0, firstSeq: 4, lastSeq: 3 });
    s.do({ type: 'kill' });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([]);
    expect(r.ops).toEqual([]);
    expect(observe(s.state).blocks).toEqual([{ index: 2, firstSeq: 2, lastSeq: 1, msgs: 0, bytes: 0 }]);
    expect(stream(s)).toEqual({ msgs: 0, bytes: 0, firstSeq: 2, lastSeq: 1, numDeleted: 0, lostMsgs: [] });
  });
});

describe('clean stop/start', () => {
  it('reproduces msgs, bytes, firstSeq, lastSeq, numDeleted exactly, with an empty log', () => {
    const s = limits(128); // 1.blk [1,2], 2.blk [3,4], 3.blk [5]
    s.do({ ...FOO10, count: 5 });
    s.do({ type: 'remove', from: 3, to: 3 }); // head of 2.blk
    s.do({ type: 'remove', from: 2, to: 2 }); // tail of 1.blk: interior delete
    const before = observe(s.state);
    expect(before.stream).toEqual({ msgs: 3, bytes: 129, firstSeq: 1, lastSeq: 5, numDeleted: 2, lostMsgs: [] });
    expect(s.files().filter((f) => f.path.endsWith('.blk'))).toEqual([
      { path: 'msgs/1.blk', bytes: 86 },
      { path: 'msgs/2.blk', bytes: 86 },
      { path: 'msgs/3.blk', bytes: 103 },
    ]);
    s.do({ type: 'stop' });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([]);
    expect(r.ops).toEqual([]);
    expect(observe(s.state).stream).toEqual(before.stream);
    expect(observe(s.state).blocks).toEqual(before.blocks);
  });

  it('a drained WorkQueue-like stream restarts at FirstSeq = LastSeq + 1', () => {
    const s = limits();
    s.do({ ...FOO10, count: 2 });
    s.do({ type: 'remove', from: 1, to: 2 });
    const before = observe(s.state).stream;
    expect(before).toMatchObject({ msgs: 0, firstSeq: 3, lastSeq: 2 });
    s.do({ type: 'stop' });
    const r = s.do({ type: 'start' });
    expect(r.log).toEqual([]);
    expect(observe(s.state).stream).toEqual(before);
  });
});

