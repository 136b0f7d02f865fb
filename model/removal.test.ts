/**
 * The removal path through `step`, with expected values derived from nats-server v2.10.22:
 * - consumer.processAckMsg (consumer.go L2782) → stream.ackMsg (stream.go L5646): on
 *   WorkQueue, remove when seq is within [FirstSeq, LastSeq].
 * - fs.removeMsg (filestore.go L3804): a removal not via limits that leaves its block
 *   non-empty writes a tombstone (L3975: `!viaLimits && !isEmpty`), FIFO removals included;
 *   an emptied block goes through removeMsgBlock (L3957).
 * - fs.removeMsgBlock (L7446): dirtyCloseWithRemove(true) (os.Remove of N.blk) first, then
 *   removeMsgBlockFromList, then, only for the lmb, newMsgBlockForWrite (N+1.blk, L3116) and
 *   fs.writeTombstone(lseq) (L5084, 30 bytes, flushed in place).
 * - fs.selectNextFirst (L4524): FirstSeq = LastSeq+1 when no block holds a message.
 * - expireMsgs (L4726) removes via limits (removeMsgViaLimits): no per-message tombstones.
 */
import { describe, expect, it } from 'vitest';
import { Sim, seg, fmtOp, FOO10 } from './testing.js';
import { type StoreConfig } from './config.js';
import { fileContent } from './disk.js';
import { observe } from './observe.js';
import { step } from './step.js';

const BIG = 1 << 20;

function wq(blockSizeBytes = BIG, extra: Partial<StoreConfig> = {}): Sim {
  const s = new Sim({ retention: 'workqueue', blockSizeBytes, consumers: ['C'], ...extra });
  s.do({ type: 'start' });
  return s;
}

function blockFiles(s: Sim) {
  return s.files().filter((f) => f.path.startsWith('msgs/') && f.path.endsWith('.blk'));
}

describe('WorkQueue ack', () => {
  it('of a non-last message appends a 30-byte tombstone to the lmb (FIFO removal included)', () => {
    const s = wq();
    s.do({ ...FOO10, count: 2 });
    s.do({ type: 'deliver', consumer: 'C', count: 2 });
    expect(s.ops({ type: 'ack', consumer: 'C', streamSeq: 1 })).toEqual(['write msgs/1.blk @86 tomb#1 30B (writeTombstone)']);
    expect(blockFiles(s)).toEqual([{ path: 'msgs/1.blk', bytes: 116 }]);
    expect(observe(s.state).stream).toMatchObject({ msgs: 1, bytes: 43, firstSeq: 2, lastSeq: 2, numDeleted: 0 });
  });

  it('of an interior message: tombstone and one interior delete', () => {
    const s = wq();
    s.do({ ...FOO10, count: 3 });
    s.do({ type: 'deliver', consumer: 'C', count: 3 });
    expect(s.ops({ type: 'ack', consumer: 'C', streamSeq: 2 })).toEqual(['write msgs/1.blk @129 tomb#2 30B (writeTombstone)']);
    expect(observe(s.state).stream).toMatchObject({ msgs: 2, bytes: 86, firstSeq: 1, lastSeq: 3, numDeleted: 1 });
  });

  it('of the only message of the lmb: unlink N.blk, create N+1.blk, write the tombstone, in that order', () => {
    const s = wq();
    s.do(FOO10);
    s.do({ type: 'deliver', consumer: 'C' });
    const r = s.do({ type: 'ack', consumer: 'C', streamSeq: 1 });
    expect(r.ops.map(fmtOp)).toEqual([
      'unlink msgs/1.blk (removeMsgBlock)',
      'create msgs/2.blk (newMsgBlockForWrite)',
      'write msgs/2.blk @0 tomb#1 30B (writeTombstone)',
    ]);
    expect(r.killed).toBe(false);
    expect(blockFiles(s)).toEqual([{ path: 'msgs/2.blk', bytes: 30 }]);
    expect(observe(s.state).blocks).toEqual([{ index: 2, firstSeq: 2, lastSeq: 1, msgs: 0, bytes: 0 }]);
    expect(observe(s.state).stream).toMatchObject({ msgs: 0, bytes: 0, firstSeq: 2, lastSeq: 1, numDeleted: 0 });
  });

  it('the tombstone in the replacement block is the removed block LastSeq, after several drains', () => {
    const s = wq();
    for (let seq = 1; seq <= 3; seq++) {
      s.do(FOO10);
      s.do({ type: 'deliver', consumer: 'C' });
      const r = s.do({ type: 'ack', consumer: 'C', streamSeq: seq });
      expect(r.ops.map(fmtOp)).toEqual([
        `unlink msgs/${seq}.blk (removeMsgBlock)`,
        `create msgs/${seq + 1}.blk (newMsgBlockForWrite)`,
        `write msgs/${seq + 1}.blk @0 tomb#${seq} 30B (writeTombstone)`,
      ]);
      // The next message (stored at the top of the loop) goes after the tombstone into the
      // same, message-less block: no roll.
    }
  });

  it('an emptied non-last block is unlinked with no tombstone', () => {
    const s = wq(100); // 1.blk [1,2], 2.blk [3]
    s.do({ ...FOO10, count: 3 });
    s.do({ type: 'deliver', consumer: 'C', count: 3 });
    expect(s.ops({ type: 'ack', consumer: 'C', streamSeq: 1 })).toEqual(['write msgs/2.blk @43 tomb#1 30B (writeTombstone)']);
    expect(s.ops({ type: 'ack', consumer: 'C', streamSeq: 2 })).toEqual(['unlink msgs/1.blk (removeMsgBlock)']);
    expect(blockFiles(s)).toEqual([{ path: 'msgs/2.blk', bytes: 73 }]);
    expect(observe(s.state).stream).toMatchObject({ msgs: 1, firstSeq: 3, lastSeq: 3 });
  });

  it('after a drain FirstSeq = LastSeq + 1', () => {
    const s = wq(100);
    s.do({ ...FOO10, count: 3 });
    s.do({ type: 'deliver', consumer: 'C', count: 3 });
    s.do({ type: 'ack', consumer: 'C', streamSeq: 1 });
    s.do({ type: 'ack', consumer: 'C', streamSeq: 2 });
    expect(s.ops({ type: 'ack', consumer: 'C', streamSeq: 3 })).toEqual([
      'unlink msgs/2.blk (removeMsgBlock)',
      'create msgs/3.blk (newMsgBlockForWrite)',
      'write msgs/3.blk @0 tomb#3 30B (writeTombstone)',
    ]);
    expect(observe(s.state).stream).toMatchObject({ msgs: 0, bytes: 0, firstSeq: 4, lastSeq: 3, numDeleted: 0 });
    expect(blockFiles(s)).toEqual([{ path: 'msgs/3.blk', bytes: 30 }]);
    // The next publish continues the sequence.
    expect(s.do(FOO10).outcome.seqs).toEqual([4]);
  });

  it('an ack below FirstSeq removes nothing and touches no file', () => {
    const s = wq();
    s.do(FOO10);
    s.do({ type: 'deliver', consumer: 'C' });
    s.do({ type: 'ack', consumer: 'C', streamSeq: 1 });
    expect(s.ops({ type: 'ack', consumer: 'C', streamSeq: 1 })).toEqual([]);
    expect(observe(s.state).stream).toMatchObject({ msgs: 0, firstSeq: 2, lastSeq: 1 });
  });

  it('an ack past LastSeq removes nothing (a pre-ack, memory only)', () => {
    const s = wq();
    s.do(FOO10);
    expect(s.ops({ type: 'ack', consumer: 'C', streamSeq: 5 })).toEqual([]);
    expect(observe(s.state).stream).toMatchObject({ msgs: 1, firstSeq: 1, lastSeq: 1 });
  });
});

describe('fs.writeTombstone rolls the lmb when the tombstone would not fit (#5973, in 2.10.22)', () => {
  it('a fourth tombstone into a message-less lmb of 90 bytes (blockSize 100) goes to a new block', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: 100 });
    s.do({ type: 'start' });
    s.do({ ...FOO10, count: 8 }); // [1,2] [3,4] [5,6] [7,8]
    s.do({ type: 'newBlock' }); // 5.blk, the empty lmb
    expect(s.ops({ type: 'remove', from: 1, to: 1 })).toEqual(['write msgs/5.blk @0 tomb#1 30B (writeTombstone)']);
    expect(s.ops({ type: 'remove', from: 3, to: 3 })).toEqual(['write msgs/5.blk @30 tomb#3 30B (writeTombstone)']);
    expect(s.ops({ type: 'remove', from: 5, to: 5 })).toEqual(['write msgs/5.blk @60 tomb#5 30B (writeTombstone)']);
    // 90 + 30 > 100: unlike a message write, no `msgs > 0` condition (filestore.go L5089).
    expect(s.ops({ type: 'remove', from: 7, to: 7 })).toEqual(['create msgs/6.blk (newMsgBlockForWrite)', 'write msgs/6.blk @0 tomb#7 30B (writeTombstone)']);
    expect(blockFiles(s)).toEqual([
      { path: 'msgs/1.blk', bytes: 86 },
      { path: 'msgs/2.blk', bytes: 86 },
      { path: 'msgs/3.blk', bytes: 86 },
      { path: 'msgs/4.blk', bytes: 86 },
      { path: 'msgs/5.blk', bytes: 90 },
      { path: 'msgs/6.blk', bytes: 30 },
    ]);
  });
});

describe('a kill inside removeMsgBlock (v2.10.22 order)', () => {
  it('killAfterFileOps 1: only the unlink happened, no block file at all in the page cache', () => {
    const s = wq();
    s.do(FOO10);
    s.do({ type: 'deliver', consumer: 'C' });
    const r = s.do({ type: 'ack', consumer: 'C', streamSeq: 1, killAfterFileOps: 1 });
    expect(r.killed).toBe(true);
    expect(r.ops.map(fmtOp)).toEqual(['unlink msgs/1.blk (removeMsgBlock)']);
    expect(s.state.proc).toBeNull();
    expect(blockFiles(s)).toEqual([]);
    expect(s.files()).toEqual([{ path: 'obs/C/o.dat', bytes: 8 }]);
  });

  it('killAfterFileOps 2: the replacement block exists with 0 bytes', () => {
    const s = wq();
    s.do(FOO10);
    s.do({ type: 'deliver', consumer: 'C' });
    const r = s.do({ type: 'ack', consumer: 'C', streamSeq: 1, killAfterFileOps: 2 });
    expect(r.killed).toBe(true);
    expect(r.ops.map(fmtOp)).toEqual(['unlink msgs/1.blk (removeMsgBlock)', 'create msgs/2.blk (newMsgBlockForWrite)']);
    expect(blockFiles(s)).toEqual([{ path: 'msgs/2.blk', bytes: 0 }]);
  });
});

describe('MaxAge expiry', () => {
  it('writes no per-message tombstones; the lmb replacement still gets the LastSeq tombstone', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG, maxAgeMs: 1000 });
    s.do({ type: 'start' });
    s.do({ ...FOO10, count: 3 });
    const r = s.do({ type: 'advance', ms: 2500 });
    expect(r.ops.map(fmtOp)).toEqual([
      'unlink msgs/1.blk (removeMsgBlock)',
      'create msgs/2.blk (newMsgBlockForWrite)',
      'write msgs/2.blk @0 tomb#3 30B (writeTombstone)',
    ]);
    expect(blockFiles(s)).toEqual([{ path: 'msgs/2.blk', bytes: 30 }]);
    expect(observe(s.state).stream).toMatchObject({ msgs: 0, bytes: 0, firstSeq: 4, lastSeq: 3 });
  });

  it('expiring part of a block writes nothing at all', () => {
    const s = new Sim({ retention: 'limits', blockSizeBytes: BIG, maxAgeMs: 1000 });
    s.do({ type: 'start' }); // age check armed for t=1000 (startAgeChk)
    s.do({ type: 'advance', ms: 100 });
    s.do({ ...FOO10, count: 2 }); // t=100
    // t=1000: nothing is older than MaxAge yet; re-armed in 1 s (delta 100 ms < 250 ms).
    expect(s.ops({ type: 'advance', ms: 1400 })).toEqual([]);
    s.do(FOO10); // t=1500, seq 3
    // t=2000: 1 and 2 expire (via limits: no tombstones), 3 stays; the block keeps a message.
    expect(s.ops({ type: 'advance', ms: 500 })).toEqual([]);
    expect(observe(s.state).stream).toMatchObject({ msgs: 1, bytes: 43, firstSeq: 3, lastSeq: 3 });
    expect(fileContent(s.state.disk.cache, 'msgs/1.blk')?.map(seg)).toEqual(['msg#1', 'msg#2', 'msg#3']);
  });
});
