/**
 * The sync timer. Models `syncBlocks` (filestore.go L5274-L5390, v2.10.22): for each block,
 * compact it if it is not the lmb and `shouldCompactSync` says so (`compactWithFloor`, L4031),
 * remove it if that left no bytes (`removeMsgBlock`, L5337), fsync it if it needed a sync; then
 * re-arm the timer and (only without sync always) fsync index.db.
 * The `msgs/` directory is never fsynced in 2.10.22, so block creates, renames and unlinks
 * become durable only through writeback.
 *
 * Not modelled: closing idle file descriptors (no effect on the disk).
 */
import { current, isDraft, type Draft } from 'immer';
import type { Segment } from './records.js';
import { removeMsgBlock } from './removal.js';
import { blockPath, INDEX_DB_PATH, removeSorted, type Ctx, type MsgBlock, type StoreProc } from './state.js';

type Fs = Draft<StoreProc>;

/**
 * `mb.shouldCompactSync` (L4017): at least half the file is reclaimable. Unlike inline
 * compaction (`shouldCompactInline`, L4010) there is no 2 MB minimum.
 */
export function shouldCompactSync(mb: MsgBlock): boolean {
  return mb.bytes * 2 < mb.rbytes && !mb.noCompact;
}

/** `msgs/N.new`: where `compactWithFloor` writes the new block before the rename (`newScan`). */
export function compactTempPath(index: number): string {
  return `msgs/${index}.new`;
}

/**
 * `mb.compactWithFloor(floor)` (L4031-L4153): rewrite the block keeping its live messages and
 * only the tombstones below its first sequence and at or above `floor` (the stream's FirstSeq
 * when syncBlocks started, L4076). A tombstone below FirstSeq is dropped even when the message
 * it deletes still sits in an earlier, uncompacted block. With `fsDmap` (#7387, v2.14.0) a
 * tombstone is kept only if the stream's delete map still holds its sequence.
 * The new content goes to `N.new` (os.WriteFile), which is renamed over `N.blk`; nothing is
 * fsynced here (`needSync` is set).
 */
export function compactWithFloor(ctx: Ctx, mb: Draft<MsgBlock>, floor: number, fsDmap: ReadonlySet<number> | null): void {
  const content = ctx.io.read(blockPath(mb.index));
  if (!content) return;
  const fseq = mb.firstSeq;
  const kept: Segment[] = [];
  let newFirst: number | null = null;
  for (const seg of content) {
    // A record that does not parse: bail silently (L4055-L4058).
    if (seg.kind !== 'msg' && seg.kind !== 'tombstone' && seg.kind !== 'skip') return;
    if (seg.kind === 'skip') continue; // ebit: deleted
    if (seg.kind === 'tombstone') {
      // isDeleted() sees the tbit-marked sequence, so tombstones reach this test (L4071-L4079).
      if (seg.seq < fseq && seg.seq >= floor && (fsDmap === null || fsDmap.has(seg.seq))) kept.push(plain(seg));
      continue;
    }
    if (seg.seq < fseq || mb.dmap.includes(seg.seq)) continue;
    kept.push(plain(seg));
    if (newFirst === null) newFirst = seg.seq;
  }
  if (newFirst !== null) mb.firstSeq = newFirst;

  // os.WriteFile(N.new) then os.Rename(N.new, N.blk) (L4121-L4133).
  const tmp = compactTempPath(mb.index);
  if (ctx.io.exists(tmp)) ctx.io.truncate(tmp, 0, 'compactWithFloor');
  else ctx.io.create(tmp, 'compactWithFloor');
  let offset = 0;
  for (const seg of kept) {
    ctx.io.writeAt(tmp, offset, seg, false, 'compactWithFloor');
    offset += seg.bytes;
  }
  ctx.io.rename(tmp, blockPath(mb.index), 'compactWithFloor');
  mb.needSync = true;
  if (offset === mb.rbytes) mb.noCompact = true;
  else mb.rbytes = offset;
  for (let seq = fseq; seq < mb.firstSeq; seq++) removeSorted(mb.dmap, seq);
}

/** A record read from the page cache, detached from the step's draft before it is written again. */
function plain(seg: Segment): Segment {
  return isDraft(seg) ? (current(seg as Draft<Segment>) as Segment) : seg;
}

export function syncBlocks(ctx: Ctx, fs: Fs): void {
  const lmbIndex = fs.lmbIndex;
  const firstMoved = fs.firstMoved;
  const floor = fs.state.firstSeq;
  fs.firstMoved = false;
  let markDirty = false;
  let fsDmap: Set<number> | null = null;
  for (const index of fs.blks.map((b) => b.index)) {
    const mb = fs.blks.find((b) => b.index === index);
    if (!mb) continue; // removed meanwhile (mb.closed)
    if (firstMoved && mb.noCompact) mb.noCompact = false;
    const needsCompact = mb.index !== lmbIndex && shouldCompactSync(mb);
    if (needsCompact) markDirty = true;
    let needSync = mb.needSync;
    if (needsCompact) {
      if (ctx.profile.keepBlocksWithPriorTombstones && fsDmap === null) fsDmap = new Set(fs.blks.flatMap((b) => b.dmap));
      compactWithFloor(ctx, mb, floor, fsDmap);
      if (mb.rbytes === 0) {
        // Compacted to nothing (tombstones only): removed, no index.db write (L5331-L5340).
        removeMsgBlock(ctx, fs, mb);
        needSync = false;
      }
    }
    if (needSync && fs.blks.some((b) => b.index === index)) {
      ctx.io.fsync(blockPath(mb.index), 'syncBlocks');
      mb.needSync = false;
    }
  }
  fs.timers.syncAtMs = ctx.io.nowMs + ctx.cfg.syncIntervalMs; // setSyncTimer, after the work (L5378)
  fs.timers.syncRearmed = true;
  if (markDirty) fs.dirty = true;
  if (!ctx.cfg.syncAlways) ctx.io.fsync(INDEX_DB_PATH, 'syncBlocks');
}
