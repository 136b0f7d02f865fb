/**
 * The removal path: acks on WorkQueue/Interest streams, user removes, and limits.
 * Models filestore.go (v2.10.22): `removeMsg` (L3804), `removeMsgBlock` (L7446),
 * `removeMsgBlockFromList` (L7429), `mb.selectNextFirst` (L4485), `fs.selectNextFirst`
 * (L4524), `expireMsgs` (L4726) and `resetAgeChk` (L4697).
 *
 * Not modelled: secure erase (EraseMsg).
 */
import type { Draft } from 'immer';
import { assert } from './assert.js';
import { newMsgBlockForWrite, writeTombstone } from './blocks.js';
import { writeRemovalRecord } from './removalrecord.js';
import { compactWithFloor } from './sync.js';
import { blockPath, insertSorted, lmbOf, lookupMsg, MSGS_DIR, removeSorted, selectMsgBlock, type Ctx, type MsgBlock, type StoreProc } from './state.js';

/** `compactMinimum` (L340): inline compaction only for blocks over 2 MB. */
export const COMPACT_MINIMUM_BYTES = 2 * 1024 * 1024;

type Fs = Draft<StoreProc>;

/**
 * `fs.removeMsg(seq, secure=false, viaLimits)`. Returns whether a message was removed.
 * A removal not via limits that leaves its block non-empty appends a tombstone to the lmb; a
 * removal that empties its block removes the block (see `removeMsgBlock`).
 */
export function removeMsg(ctx: Ctx, fs: Fs, seq: number, viaLimits: boolean): boolean {
  if (seq === 0) return false;
  const mb = selectMsgBlock(fs, seq) as Draft<MsgBlock> | undefined;
  if (!mb) return false;
  if (seq < mb.firstSeq || mb.dmap.includes(seq)) return false;
  const sm = lookupMsg(ctx, mb, seq);
  if (!sm) return false; // cacheLookup error (deleted, or the block file lost it)
  const msz = sm.bytes;

  fs.state.msgs = Math.max(0, fs.state.msgs - 1);
  fs.state.bytes = msz < fs.state.bytes ? fs.state.bytes - msz : 0;
  mb.msgs = Math.max(0, mb.msgs - 1);
  mb.bytes = msz < mb.bytes ? mb.bytes - msz : 0;
  fs.dirty = true;

  const fifo = seq === mb.firstSeq;
  const isEmpty = mb.msgs === 0;
  if (fifo) {
    selectNextFirstInBlock(ctx, mb);
    if (!isEmpty && seq === fs.state.firstSeq) {
      fs.state.firstSeq = mb.firstSeq;
      fs.state.firstTsMs = mb.firstTsMs;
    }
  } else if (!isEmpty) {
    insertSorted(mb.dmap, seq);
    // Inline compaction (L3946, `shouldCompactInline` L4009): a non-last block over 2 MB that is
    // at least half reclaimable is rewritten at once (`mb.compact()` = compactWithFloor(0)).
    if (mb.index !== fs.lmbIndex && mb.rbytes > COMPACT_MINIMUM_BYTES && mb.bytes * 2 < mb.rbytes) compactWithFloor(ctx, mb, 0, null);
  }

  if (isEmpty) {
    // This writes the LastSeq tombstone iff mb is the lmb.
    removeMsgBlock(ctx, fs, mb);
    if (seq === fs.state.firstSeq) selectNextFirst(ctx, fs);
  }
  if (!viaLimits && !isEmpty) writeTombstone(ctx, fs, sm.seq, sm.tsMs);
  return true;
}

/** `removeMsgViaLimits`: no tombstone (MaxAge, MaxMsgsPer, recovery's tombstone replay). */
export function removeMsgViaLimits(ctx: Ctx, fs: Fs, seq: number): boolean {
  return removeMsg(ctx, fs, seq, true);
}

/**
 * `fs.removeMsgBlock`. For the lmb a replacement block holding a tombstone for the removed
 * block's LastSeq is created; the order of the unlink and the create is the version flag
 * `lmbRemovalOrder` (v2.10.22 L7446: unlink first, then create, then write the tombstone;
 * #6778, v2.10.28 L8324: create and write first). From #7384 (v2.11.11 L8981) a non-last block
 * holding LastSeq also gets a LastSeq tombstone first; from #7387 (v2.14.0 L10961) a block that
 * still holds tombstones for earlier blocks is not deleted.
 */
export function removeMsgBlock(ctx: Ctx, fs: Fs, mb: Draft<MsgBlock>): void {
  const wasLmb = mb.index === fs.lmbIndex;
  const lseq = mb.lastSeq;
  const lts = mb.lastTsMs;
  const unlinkAndDrop = () => {
    if (ctx.profile.keepBlocksWithPriorTombstones && numPriorTombs(ctx, fs, mb) > 0) return;
    forceRemoveMsgBlock(ctx, fs, mb);
  };
  if (wasLmb && ctx.profile.lmbRemovalOrder === 'createThenUnlink') {
    newMsgBlockForWrite(ctx, fs);
    writeTombstone(ctx, fs, lseq, lts);
    if (ctx.profile.fsyncNewLmbBeforeUnlink) syncNewLmbBeforeUnlink(ctx, fs);
    unlinkAndDrop();
    return;
  }
  if (!wasLmb && ctx.profile.nonLmbRemovalWritesLastSeqTombstone && lseq === fs.state.lastSeq) {
    writeTombstone(ctx, fs, lseq, lts);
  }
  unlinkAndDrop();
  if (wasLmb && ctx.profile.lmbRemovalOrder === 'unlinkThenCreate') {
    newMsgBlockForWrite(ctx, fs);
    writeTombstone(ctx, fs, lseq, lts);
  }
}

/**
 * Proposed fix atomic-lmb-rotation (`fsyncNewLmbBeforeUnlink`, in no release): the new lmb,
 * holding the LastSeq tombstone, is fsynced before the old block is unlinked (on ext4 and xfs
 * that also commits its creation); with `fsyncMsgsDirBeforeUnlink` (atomic-lmb-rotation-dirsync)
 * `msgs/` is fsynced too, which strict POSIX needs for the new directory entry.
 */
function syncNewLmbBeforeUnlink(ctx: Ctx, fs: Fs): void {
  assert(ctx.profile.lmbRemovalOrder === 'createThenUnlink', 'fsyncNewLmbBeforeUnlink needs lmbRemovalOrder createThenUnlink');
  const lmb = lmbOf(fs) as Draft<MsgBlock> | undefined;
  assert(lmb !== undefined, 'no new lmb to fsync');
  if (lmb.needSync) {
    ctx.io.fsync(blockPath(lmb.index), 'removeMsgBlock');
    lmb.needSync = false;
  }
  if (ctx.profile.fsyncMsgsDirBeforeUnlink) ctx.io.fsyncDir(MSGS_DIR, 'removeMsgBlock');
}

/**
 * `forceRemoveMsgBlock` (`dirtyCloseWithRemove(true)` + `removeMsgBlockFromList`): no tombstone.
 * With the proposed fix index-before-unlink (`durableIndexBeforeUnlink`) the block leaves the
 * list first and index.db is written durably before the unlink (model/removalrecord.ts).
 */
export function forceRemoveMsgBlock(ctx: Ctx, fs: Fs, mb: MsgBlock): void {
  const index = mb.index;
  if (ctx.profile.durableIndexBeforeUnlink) {
    removeMsgBlockFromList(fs, index);
    writeRemovalRecord(ctx, fs);
    ctx.io.unlink(blockPath(index), 'removeMsgBlock');
    return;
  }
  ctx.io.unlink(blockPath(index), 'removeMsgBlock'); // mb.dirtyCloseWithRemove(true)
  removeMsgBlockFromList(fs, index);
}

/**
 * `mb.numPriorTombsLocked` (v2.14.0 L10616): tombstones in the block's file for sequences at or
 * above the stream's FirstSeq and below the block's first message record.
 */
export function numPriorTombs(ctx: Ctx, fs: StoreProc, mb: MsgBlock): number {
  let fseq = 0;
  let tombs = 0;
  for (const s of ctx.io.read(blockPath(mb.index)) ?? []) {
    if (s.kind === 'tombstone') {
      if (s.seq >= fs.state.firstSeq && (fseq === 0 || s.seq < fseq)) tombs++;
    } else if (s.kind === 'msg' && fseq === 0) fseq = s.seq;
  }
  return tombs;
}

/** `removeMsgBlockFromList`: `fs.lmb` is left alone (it may name the removed block). */
export function removeMsgBlockFromList(fs: Fs, index: number): void {
  const i = fs.blks.findIndex((b) => b.index === index);
  if (i >= 0) {
    fs.blks.splice(i, 1);
    fs.dirty = true;
  }
}

/** `mb.selectNextFirst`: move first past deleted entries (dropping them from the dmap). */
export function selectNextFirstInBlock(ctx: Ctx, mb: Draft<MsgBlock>): void {
  let seq = mb.firstSeq + 1;
  for (; seq <= mb.lastSeq; seq++) {
    if (!removeSorted(mb.dmap, seq)) break;
  }
  mb.firstSeq = seq;
  if (seq > mb.lastSeq) {
    mb.firstTsMs = null;
    return;
  }
  const sm = lookupMsg(ctx, mb, seq);
  mb.firstTsMs = sm ? sm.tsMs : null;
}

/**
 * `fs.selectNextFirst`: FirstSeq from the first block, or LastSeq+1 when there is none. From
 * #7384 (v2.11.11) leading empty blocks are force-removed first (no tombstone).
 */
export function selectNextFirst(ctx: Ctx, fs: Fs): void {
  if (ctx.profile.selectNextFirstRemovesEmptyBlocks) {
    while (fs.blks.length > 1 && fs.blks[0]!.msgs === 0) forceRemoveMsgBlock(ctx, fs, fs.blks[0]!);
  }
  const first = fs.blks[0];
  if (first) {
    fs.state.firstSeq = first.firstSeq;
    fs.state.firstTsMs = first.firstTsMs;
  } else {
    fs.state.firstSeq = fs.state.lastSeq + 1;
    fs.state.firstTsMs = null;
  }
  fs.firstMoved = true;
}

/** `msgForSeq(0)`: the stream's first message, if it can be loaded. */
function firstMessage(ctx: Ctx, fs: Fs) {
  const mb = selectMsgBlock(fs, fs.state.firstSeq);
  return mb ? lookupMsg(ctx, mb, fs.state.firstSeq) : undefined;
}

/** `resetAgeChk(delta)`: fire in MaxAge, or in delta when sooner (at least 1 s under 250 ms). */
export function resetAgeCheck(ctx: Ctx, fs: Fs, deltaMs: number): void {
  let fireInMs = ctx.cfg.maxAgeMs;
  if (deltaMs > 0 && deltaMs < fireInMs) {
    fireInMs = deltaMs < 250 ? 1000 : deltaMs;
  }
  fs.timers.ageCheckAtMs = ctx.io.nowMs + fireInMs;
}

/** `expireMsgs` (the age-check timer): remove expired messages via limits, oldest first. */
export function expireMsgs(ctx: Ctx, fs: Fs): void {
  const minAgeMs = ctx.io.nowMs - ctx.cfg.maxAgeMs;
  let sm = firstMessage(ctx, fs);
  // Each iteration removes the first message, so the loop ends within msgs iterations.
  for (let guard = fs.state.msgs + 1; sm && sm.tsMs <= minAgeMs; sm = firstMessage(ctx, fs)) {
    assert(--guard >= 0, 'expireMsgs did not make progress');
    removeMsgViaLimits(ctx, fs, sm.seq);
  }
  if (fs.state.msgs === 0) fs.timers.ageCheckAtMs = null;
  else if (!sm) resetAgeCheck(ctx, fs, 0);
  else resetAgeCheck(ctx, fs, sm.tsMs - minAgeMs);
}

/** The lmb must exist and be the last block whenever a step ends with the server running. */
export function assertStoreInvariants(fs: StoreProc): void {
  assert(fs.blks.length > 0, 'a running store has no blocks');
  const last = fs.blks[fs.blks.length - 1]!;
  assert(fs.lmbIndex === last.index, `lmb ${fs.lmbIndex} is not the last block ${last.index}`);
  assert(lmbOf(fs) !== undefined, 'lmb not in the block list');
  for (let i = 1; i < fs.blks.length; i++) {
    const a = fs.blks[i - 1]!;
    const b = fs.blks[i]!;
    assert(a.index < b.index, `blocks out of order: ${a.index} before ${b.index}`);
    if (a.msgs > 0 && b.msgs > 0) assert(a.lastSeq < b.firstSeq, `blocks ${a.index} and ${b.index} overlap`);
  }
  for (const mb of fs.blks) {
    assert(mb.msgs >= 0 && mb.bytes >= 0 && mb.rbytes >= 0, `block ${mb.index} has negative counters`);
    if (mb.msgs > 0) assert(mb.firstSeq <= mb.lastSeq, `block ${mb.index} holds messages but first > last`);
  }
  const msgs = fs.blks.reduce((n, b) => n + b.msgs, 0);
  assert(msgs === fs.state.msgs, `stream says ${fs.state.msgs} messages, blocks hold ${msgs}`);
}
