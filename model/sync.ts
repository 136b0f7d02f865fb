/**
 * The sync timer. Models `syncBlocks` (filestore.go L5274, v2.10.22): fsync every block
 * with `needSync`, re-arm the timer, then (only without sync always) fsync index.db.
 * The `msgs/` directory is never fsynced in 2.10.22, so block creates and unlinks become
 * durable only through writeback.
 *
 * Not modelled: closing idle file descriptors (no effect on the disk) and compaction of
 * blocks other than the lmb (`shouldCompactSync`).
 */
import type { Draft } from 'immer';
import { blockPath, INDEX_DB_PATH, type Ctx, type StoreProc } from './state.js';

export function syncBlocks(ctx: Ctx, fs: Draft<StoreProc>): void {
  for (const mb of fs.blks) {
    if (!mb.needSync) continue;
    ctx.io.fsync(blockPath(mb.index), 'syncBlocks');
    mb.needSync = false;
  }
  fs.timers.syncAtMs = ctx.io.nowMs + ctx.cfg.syncIntervalMs; // setSyncTimer
  if (!ctx.cfg.syncAlways) ctx.io.fsync(INDEX_DB_PATH, 'syncBlocks');
}
