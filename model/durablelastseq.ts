/**
 * Proposed fix `durable-last-seq` (profile flag `durableLastSeqAtRecovery`; in no release).
 *
 * When recovery rebuilds from the blocks (`newFileStoreWithCreated` after `recoverFullState`
 * failed), every surviving source of LastSeq is consulted and the largest wins: index.db's
 * LastSeq (`prior`, even without lost data, unlike v2.10.22 L457), the largest tombstone in
 * any block (not the smallest, unlike 2.10.x's `rebuildStateLocked` L1413) and the blocks'
 * own last sequence. Before the store accepts a write, that LastSeq is made durable: when no
 * block file holds a record at or above it, a new block gets a tombstone at it; the block that
 * holds it is fsynced, then `msgs/`. A second crash right after the restart therefore cannot
 * lose it again (the releases write #7782's tombstone but never fsync it).
 */
import type { Draft } from 'immer';
import { newMsgBlockForWrite, writeRecordToBlock } from './blocks.js';
import { tombstoneRecord, type TimeMs } from './records.js';
import { blockPath, MSGS_DIR, scanBlockIndex, type Ctx, type StoreProc } from './state.js';

/** The block file holding a record (message, skip or tombstone) at or above `seq`, or null. */
function blockHolding(ctx: Ctx, seq: number): number | null {
  for (const name of ctx.io.list(MSGS_DIR)) {
    const index = scanBlockIndex(name, ctx.profile.strictBlkSuffix);
    if (index === null) continue;
    for (const s of ctx.io.read(blockPath(index)) ?? []) {
      if ((s.kind === 'msg' || s.kind === 'skip' || s.kind === 'tombstone') && s.blockIndex === index && s.seq >= seq) return index;
    }
  }
  return null;
}

/**
 * Make LastSeq the maximum of `priorLastSeq`, `tombs` and what the blocks gave, and durable.
 * Called on the rebuild path, after the release's own prior-LastSeq rule.
 */
export function makeLastSeqDurable(ctx: Ctx, fs: Draft<StoreProc>, prior: { lastSeq: number; lastTsMs: TimeMs | null }, tombs: readonly number[]): void {
  let lastSeq = fs.state.lastSeq;
  let lastTsMs = fs.state.lastTsMs;
  if (prior.lastSeq > lastSeq) {
    lastSeq = prior.lastSeq;
    lastTsMs = prior.lastTsMs;
  }
  for (const t of tombs) {
    if (t > lastSeq) {
      lastSeq = t;
      lastTsMs = null;
    }
  }
  if (lastSeq === 0) return;
  let holder = blockHolding(ctx, lastSeq);
  if (holder === null) {
    const nmb = newMsgBlockForWrite(ctx, fs);
    writeRecordToBlock(ctx, nmb, tombstoneRecord(nmb.index, lastSeq, lastTsMs), 'makeLastSeqDurable');
    holder = nmb.index;
  }
  if (lastSeq > fs.state.lastSeq) {
    fs.state.lastSeq = lastSeq;
    fs.state.lastTsMs = lastTsMs;
    if (fs.state.msgs === 0) {
      fs.state.firstSeq = lastSeq + 1;
      fs.state.firstTsMs = null;
    }
    fs.dirty = true;
  }
  ctx.io.fsync(blockPath(holder), 'makeLastSeqDurable');
  const mb = fs.blks.find((b) => b.index === holder);
  if (mb) mb.needSync = false;
  ctx.io.fsyncDir(MSGS_DIR, 'makeLastSeqDurable');
}
