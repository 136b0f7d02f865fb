/**
 * index.db, the full-state snapshot. Models `_writeFullState` (filestore.go L7890, v2.10.22):
 * the stream summary, the per-subject index, every block's range and dmap, the lmb index and
 * the checksum of the lmb's last record, rewritten in place with `os.WriteFile` (truncate,
 * then write; never fsynced here; not atomic).
 */
import type { Draft } from 'immer';
import { checksumOf, indexDbBytes, type IndexDbImage, type IndexDbSubject, type IndexDbSummary, type Segment } from './records.js';
import { rebuildStateFromBlocks, trackingState, trackingStatesEqual } from './recovery.js';
import { blockPath, INDEX_DB_PATH, liveMessages, lmbOf, type Ctx, type StoreProc } from './state.js';

/** `mb.lastChecksum`: the last 8 bytes of a block file ('' when all zeros or shorter than 8). */
export function lastChecksumOfFile(content: readonly Segment[] | undefined): string {
  if (!content || content.length === 0) return '';
  const last = content[content.length - 1]!;
  switch (last.kind) {
    case 'msg':
    case 'tombstone':
    case 'skip':
      return checksumOf(last);
    case 'fragment':
      return last.bytes >= 8 && last.tailChecksum !== null ? last.tailChecksum : `garbage(${last.bytes})`;
    case 'zeros':
      return last.bytes >= 8 ? '' : 'garbage';
    default:
      return `not-a-record(${last.kind})`;
  }
}

/** What `_writeFullState` would write now. */
export function buildSummary(ctx: Ctx, fs: StoreProc): IndexDbSummary {
  const subjects = new Map<string, IndexDbSubject>();
  for (const mb of fs.blks) {
    for (const m of liveMessages(ctx, mb)) {
      const prev = subjects.get(m.subject);
      subjects.set(m.subject, prev ? { ...prev, total: prev.total + 1, lblk: mb.index } : { subject: m.subject, total: 1, fblk: mb.index, lblk: mb.index });
    }
  }
  const lmb = lmbOf(fs);
  // ensureLastChecksumLoaded: a zero lchk is read from the file.
  const lchk = lmb ? lmb.lchk || lastChecksumOfFile(ctx.io.read(blockPath(lmb.index))) : '';
  return {
    msgs: fs.state.msgs,
    bytes: fs.state.bytes,
    firstSeq: fs.state.firstSeq,
    firstTsMs: fs.state.firstTsMs,
    lastSeq: fs.state.lastSeq,
    lastTsMs: fs.state.lastTsMs,
    subjects: [...subjects.values()].sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : 0)),
    blocks: fs.blks.map((mb) => ({
      index: mb.index,
      bytes: mb.bytes,
      firstSeq: mb.firstSeq,
      firstTsMs: mb.firstTsMs,
      lastSeq: mb.lastSeq,
      lastTsMs: mb.lastTsMs,
      dmap: [...mb.dmap],
    })),
    lmbIndex: lmb ? lmb.index : 0,
    lmbLastChecksum: lchk,
  };
}

/**
 * `_writeFullState(force)`: nothing when not dirty. The timer-driven write and the forced
 * one (Stop) differ only in the errStateTooBig limits (1M subjects or deletes), which the
 * model's bounds never reach.
 */
export function writeFullState(ctx: Ctx, fs: Draft<StoreProc>, fn: string): void {
  if (!fs.dirty) return;
  if (ctx.profile.trackingStateCheck && !trackingStatesEqual(fs.state, trackingState(fs.blks))) {
    // #6034 (v2.10.23 L8358-L8366): refuse to write, rebuild the summary from the blocks.
    // In 2.10.22 the check was OR-ed with len(fs.blks) > 0 (L8040), so it never refused.
    ctx.io.warn(`Filestore [${ctx.cfg.streamName}] Stream state encountered internal inconsistency on write`);
    rebuildStateFromBlocks(fs);
    return;
  }
  writeCapturedState(ctx, captureFullState(ctx, fs), fn);
}

/**
 * The part of `_writeFullState` done under the store lock (v2.10.22 L7890-L8042): encode the
 * state and take the dirty count (`fs.dirty -= priorDirty` after the write: changes made while
 * the file is written keep the store dirty).
 */
export function captureFullState(ctx: Ctx, fs: Draft<StoreProc>): IndexDbImage {
  const summary = buildSummary(ctx, fs);
  fs.dirty = false;
  return { kind: 'indexdb', summary, bytes: indexDbBytes(summary) };
}

/** The part done outside the lock (L8064): `os.WriteFile`, truncate then write, no fsync. */
export function writeCapturedState(ctx: Ctx, image: IndexDbImage, fn: string): void {
  ctx.io.rewriteInPlace(INDEX_DB_PATH, image, false, fn);
}

/**
 * The index.db ticker fires while an ack's removal runs: the writer captures the state before
 * the removal takes the lock, and its write lands after `afterFileOps` of the removal's file
 * operations (`flushStreamStateLoop` L7851 → `_writeFullState`, written outside the lock until
 * and after #7759, which only serialises index.db writers among themselves).
 */
export function indexDbWriteDuringRemoval(ctx: Ctx, fs: Draft<StoreProc>, afterFileOps: number): void {
  fs.timers.indexFlushAtMs += fs.timers.indexFlushPeriodMs;
  if (!fs.dirty) return;
  if (ctx.profile.trackingStateCheck && !trackingStatesEqual(fs.state, trackingState(fs.blks))) {
    writeFullState(ctx, fs, 'flushStreamStateLoop');
    return;
  }
  const image = captureFullState(ctx, fs);
  ctx.io.runInBackground(afterFileOps, () => writeCapturedState(ctx, image, 'flushStreamStateLoop'));
}
