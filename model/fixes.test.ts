/**
 * The proposed fixes (model/profile.ts FIXES), each tested against its own definition: the
 * order of the file operations a removal or a recovery issues, and what recovery makes of the
 * state the fix is meant to close. Expected values come from the definitions in issue 10 and
 * the v2.10.22 paths they change (filestore.go `removeMsgBlock` L7446, `newFileStoreWithCreated`
 * L436-L500, `rebuildStateLocked` L1413; consumer.go `applyState` L2525), not from the model.
 */
import { describe, expect, it } from 'vitest';
import { observe } from './observe.js';
import { ALL_PROFILE_NAMES, FIX_BASES, FIX_NAMES, FIX_PROFILE_NAMES, fixOf, getProfile, PROFILE_NAMES } from './profile.js';
import { FOO10, Sim, fmtOp } from './testing.js';
import type { ModelEvent } from './step.js';

const BIG = 1 << 20;

function wq(profile: string, blockSizeBytes = BIG, syncAlways = false): Sim {
  const s = new Sim({ retention: 'workqueue', blockSizeBytes, consumers: ['C'], syncAlways }, profile);
  s.do({ type: 'start' });
  return s;
}

/** Store one message, deliver it, let the o.dat flusher write it (100 ms). */
function storeDeliverFlush(s: Sim): void {
  s.do(FOO10);
  s.do({ type: 'deliver', consumer: 'C' });
  s.do({ type: 'advance', ms: 100 });
}

const ACK1 = { type: 'ack', consumer: 'C', streamSeq: 1 } as const satisfies ModelEvent;

describe('fix profiles', () => {
  it('every fix is built on v2.10.22 and v2.14.5, named <release>+<fix>, and accepted everywhere a profile is', () => {
    expect(FIX_PROFILE_NAMES).toEqual(FIX_NAMES.flatMap((f) => FIX_BASES.map((b) => `${b}+${f}`)));
    for (const name of FIX_PROFILE_NAMES) {
      expect(getProfile(name).name).toBe(name);
      expect(fixOf(name)).not.toBeNull();
      expect(ALL_PROFILE_NAMES).toContain(name);
    }
    expect(PROFILE_NAMES).not.toContain('v2.10.22+sync-always');
    expect(fixOf('v2.10.22')).toBeNull();
    expect(() => getProfile('v2.10.22+no-such-fix')).toThrow(/unknown profile/);
  });

  it('a fix changes only its own flags (plus, for index-before-unlink on v2.10.22, the rule that reads its record)', () => {
    const changed = (name: string) => {
      const p = getProfile(name) as unknown as Record<string, unknown>;
      const b = getProfile(fixOf(name)!.base) as unknown as Record<string, unknown>;
      return Object.keys(p).filter((k) => !['name', 'description', 'outOfScope'].includes(k) && p[k] !== b[k]).sort();
    };
    expect(changed('v2.10.22+atomic-lmb-rotation')).toEqual(['fsyncNewLmbBeforeUnlink', 'lmbRemovalOrder']);
    expect(changed('v2.14.5+atomic-lmb-rotation')).toEqual(['fsyncNewLmbBeforeUnlink']); // #6778's order is already there
    expect(changed('v2.10.22+atomic-lmb-rotation-dirsync')).toEqual(['fsyncMsgsDirBeforeUnlink', 'fsyncNewLmbBeforeUnlink', 'lmbRemovalOrder']);
    expect(changed('v2.10.22+index-before-unlink')).toEqual(['durableIndexBeforeUnlink', 'priorLastSeqReuse']);
    expect(changed('v2.14.5+index-before-unlink')).toEqual(['durableIndexBeforeUnlink']);
    expect(changed('v2.10.22+durable-last-seq')).toEqual(['durableLastSeqAtRecovery']);
    expect(changed('v2.10.22+consumer-reconcile')).toEqual(['advanceStreamToConsumerAtStart']);
    expect(changed('v2.14.5+consumer-reconcile')).toEqual(['advanceStreamToConsumerAtStart', 'reconcileConsumerAtStart']); // replaces #7692
    expect(changed('v2.10.22+sync-always')).toEqual(['forceSyncAlways']);
  });
});

describe('atomic-lmb-rotation', () => {
  it('removing the lmb: create the new block, write its LastSeq tombstone, fsync it, then unlink the old one', () => {
    const s = wq('v2.10.22+atomic-lmb-rotation');
    storeDeliverFlush(s);
    expect(s.ops(ACK1)).toEqual([
      'create msgs/2.blk (newMsgBlockForWrite)',
      'write msgs/2.blk @0 tomb#1 30B (writeTombstone)',
      'fsync msgs/2.blk (removeMsgBlock)',
      'unlink msgs/1.blk (removeMsgBlock)',
    ]);
    expect(observe(s.state).stream).toMatchObject({ msgs: 0, firstSeq: 2, lastSeq: 1 });
  });

  it('dirsync: and fsync msgs/ between the block fsync and the unlink', () => {
    const s = wq('v2.10.22+atomic-lmb-rotation-dirsync');
    storeDeliverFlush(s);
    expect(s.ops(ACK1)).toEqual([
      'create msgs/2.blk (newMsgBlockForWrite)',
      'write msgs/2.blk @0 tomb#1 30B (writeTombstone)',
      'fsync msgs/2.blk (removeMsgBlock)',
      'fsyncDir msgs (removeMsgBlock)',
      'unlink msgs/1.blk (removeMsgBlock)',
    ]);
  });

  it('under sync always the tombstone write already fsynced the block: no second fsync', () => {
    const s = wq('v2.10.22+atomic-lmb-rotation', BIG, true);
    storeDeliverFlush(s);
    expect(s.ops(ACK1)).toEqual([
      'create msgs/2.blk (newMsgBlockForWrite)',
      'write msgs/2.blk @0 tomb#1 30B (writeTombstone)',
      'fsync msgs/2.blk (writeTombstone)',
      'unlink msgs/1.blk (removeMsgBlock)',
    ]);
  });

  it('a kill at any point of the removal leaves a block recording LastSeq 1 (v2.10.22 resets to 0 after the unlink)', () => {
    for (const profile of ['v2.10.22', 'v2.10.22+atomic-lmb-rotation']) {
      const lastSeqs: number[] = [];
      for (let k = 0; k <= 4; k++) {
        const s = wq(profile);
        storeDeliverFlush(s);
        s.do({ ...ACK1, killAfterFileOps: k });
        s.do({ type: 'start' });
        lastSeqs.push(observe(s.state).stream!.lastSeq);
      }
      // v2.10.22: k=0 nothing done; k=1 unlink only (no block holds 1); k=2 the new block is
      // empty; k>=3 the tombstone is there. The fix: the old block goes last, after the fsync.
      expect(lastSeqs).toEqual(profile === 'v2.10.22' ? [1, 0, 0, 1, 1] : [1, 1, 1, 1, 1]);
    }
  });
});

describe('index-before-unlink', () => {
  it('before the unlink: index.db via a temporary file, fsync, rename and directory fsync; then the release\'s own order', () => {
    const s = wq('v2.10.22+index-before-unlink');
    storeDeliverFlush(s);
    const ops = s.ops(ACK1).map((o) => o.replace(/index\.db \d+B/, 'index.db NB'));
    expect(ops).toEqual([
      'create msgs/index.db.tmp (writeRemovalRecord)',
      'write msgs/index.db.tmp @0 index.db NB (writeRemovalRecord)',
      'fsync msgs/index.db.tmp (writeRemovalRecord)',
      'rename msgs/index.db.tmp msgs/index.db (writeRemovalRecord)',
      'fsyncDir msgs (writeRemovalRecord)',
      'unlink msgs/1.blk (removeMsgBlock)',
      'create msgs/2.blk (newMsgBlockForWrite)',
      'write msgs/2.blk @0 tomb#1 30B (writeTombstone)',
    ]);
  });

  it('the record holds LastSeq and no longer lists the removed block', () => {
    const s = wq('v2.10.22+index-before-unlink');
    storeDeliverFlush(s);
    s.do({ ...ACK1, killAfterFileOps: 5 });
    const img = s.content('msgs/index.db')?.[0];
    expect(img?.kind).toBe('indexdb');
    if (img?.kind !== 'indexdb') return;
    expect(img.summary).toMatchObject({ msgs: 0, lastSeq: 1 });
    expect(img.summary.blocks.map((b) => b.index)).not.toContain(1);
  });

  it('a kill anywhere in the removal recovers LastSeq 1, on v2.10.22 and on v2.14.5', () => {
    for (const profile of ['v2.10.22+index-before-unlink', 'v2.14.5+index-before-unlink']) {
      for (let k = 0; k <= 8; k++) {
        const s = wq(profile);
        storeDeliverFlush(s);
        s.do({ ...ACK1, killAfterFileOps: k });
        s.do({ type: 'start' });
        expect(observe(s.state).stream!.lastSeq, `${profile}, kill after ${k} operations`).toBe(1);
      }
    }
  });
});

describe('durable-last-seq', () => {
  /**
   * Reference section 8, "minimum tombstone with three messages": 1 and 2 in 1.blk, 3 in 2.blk
   * (128-byte blocks hold two 43-byte records); ack 3 replaces the lmb with [t3], ack 1 appends
   * t1; a kill with no index.db. 2.10.x takes the minimum tombstone: LastSeq 2.
   */
  function minimumTombstoneState(profile: string): Sim {
    const s = wq(profile, 128);
    s.do({ ...FOO10, count: 3 });
    s.do({ type: 'deliver', consumer: 'C', count: 3 });
    s.do({ type: 'ack', consumer: 'C', streamSeq: 3 });
    s.do({ type: 'ack', consumer: 'C', streamSeq: 1 });
    expect(s.content('msgs/3.blk')?.map((x) => (x.kind === 'tombstone' ? `t${x.seq}` : x.kind))).toEqual(['t3', 't1']);
    s.do({ type: 'kill' });
    return s;
  }

  it('recovery takes the largest tombstone (3), not the smallest, and fsyncs the block holding it and msgs/', () => {
    const base = minimumTombstoneState('v2.10.22');
    base.do({ type: 'start' });
    expect(observe(base.state).stream!.lastSeq).toBe(2);

    const s = minimumTombstoneState('v2.10.22+durable-last-seq');
    const ops = s.ops({ type: 'start' });
    expect(observe(s.state).stream).toMatchObject({ lastSeq: 3, msgs: 1, firstSeq: 2 });
    expect(ops).toContain('fsync msgs/3.blk (makeLastSeqDurable)');
    expect(ops).toContain('fsyncDir msgs (makeLastSeqDurable)');
    expect(ops.indexOf('fsync msgs/3.blk (makeLastSeqDurable)')).toBeLessThan(ops.indexOf('fsyncDir msgs (makeLastSeqDurable)'));
    // The next publish gets 4.
    expect(s.do(FOO10).outcome.seqs).toEqual([4]);
  });

  it('index.db\'s LastSeq wins without lost data when no block holds it: a new block with a tombstone, fsynced', () => {
    // index.db written at 120 s names lmb 2.blk, empty, LastSeq 1; then message 2 is stored,
    // delivered and acked, and the kill cuts its removal after the unlink of 2.blk. v2.10.22
    // finds no lost data (index.db had 2.blk empty) and ignores index.db's LastSeq: 0.
    const run = (profile: string) => {
      const s = wq(profile);
      storeDeliverFlush(s);
      s.do(ACK1);
      s.do({ type: 'advance', ms: 120_000 });
      storeDeliverFlush(s);
      s.do({ type: 'ack', consumer: 'C', streamSeq: 2, killAfterFileOps: 1 });
      expect(s.files().map((f) => f.path).filter((p) => p.endsWith('.blk'))).toEqual([]);
      return s;
    };
    const base = run('v2.10.22');
    base.do({ type: 'start' });
    expect(observe(base.state).stream!.lastSeq).toBe(0);

    const s = run('v2.10.22+durable-last-seq');
    const ops = s.ops({ type: 'start' });
    expect(observe(s.state).stream).toMatchObject({ lastSeq: 1, firstSeq: 2, msgs: 0 });
    const i = ops.findIndex((o) => /write msgs\/\d+\.blk @0 tomb#1 30B \(makeLastSeqDurable\)/.test(o));
    expect(i).toBeGreaterThanOrEqual(0);
    const blk = ops[i]!.split(' ')[1];
    expect(ops.slice(i + 1, i + 3)).toEqual([`fsync ${blk} (makeLastSeqDurable)`, 'fsyncDir msgs (makeLastSeqDurable)']);
  });
});

describe('consumer-reconcile', () => {
  /** v2.10.22's removal window under kill: the unlink only. The consumer's o.dat says delivered 1. */
  function resetState(profile: string): Sim {
    const s = wq(profile);
    storeDeliverFlush(s);
    s.do({ ...ACK1, killAfterFileOps: 1 });
    return s;
  }

  it('the stream moves forward to the consumer: a skip record at 1, fsynced; the next publish gets 2', () => {
    const base = resetState('v2.10.22');
    base.do({ type: 'start' });
    expect(observe(base.state).stream!.lastSeq).toBe(0);
    expect(base.do(FOO10).outcome.seqs).toEqual([1]); // sequence 1 handed out again

    const s = resetState('v2.10.22+consumer-reconcile');
    const r = s.do({ type: 'start' });
    expect(observe(s.state).stream).toMatchObject({ lastSeq: 1, firstSeq: 2, msgs: 0 });
    expect(observe(s.state).consumers.C!.delivered.streamSeq).toBe(1);
    const ops = r.ops.map(fmtOp);
    const i = ops.findIndex((o) => o.includes('skip#1'));
    expect(i).toBeGreaterThanOrEqual(0);
    expect(ops.slice(i + 1)).toEqual(['fsync msgs/1.blk (advanceStreamToConsumers)', 'fsyncDir msgs (advanceStreamToConsumers)']);
    expect(r.log.some((l) => l.includes('behind its consumers (1): skipping to 1'))).toBe(true);
    expect(s.do(FOO10).outcome.seqs).toEqual([2]);
  });

  it('a consumer that is not ahead changes nothing at start', () => {
    const a = wq('v2.10.22');
    const b = wq('v2.10.22+consumer-reconcile');
    for (const s of [a, b]) {
      storeDeliverFlush(s);
      s.do({ type: 'kill' });
    }
    expect(b.ops({ type: 'start' })).toEqual(a.ops({ type: 'start' }));
    expect(observe(b.state).stream).toEqual(observe(a.state).stream);
  });
});

describe('sync-always', () => {
  it('issues exactly the file operations of the release run with jetstream { sync: always }', () => {
    const run = (s: Sim) => {
      const out: string[] = [];
      const events: ModelEvent[] = [FOO10, { type: 'deliver', consumer: 'C' }, { type: 'advance', ms: 100 }, ACK1, { type: 'advance', ms: 120_000 }, { type: 'stop' }, { type: 'start' }];
      for (const e of events) out.push(...s.ops(e));
      return out;
    };
    const fix = run(wq('v2.10.22+sync-always'));
    expect(fix).toEqual(run(wq('v2.10.22', BIG, true)));
    expect(fix).not.toEqual(run(wq('v2.10.22')));
    expect(fix).toContain('fsync msgs/2.blk (writeTombstone)');
  });
});
