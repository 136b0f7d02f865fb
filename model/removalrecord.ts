/**
 * Proposed fix `index-before-unlink` (profile flag `durableIndexBeforeUnlink`; in no release).
 *
 * Before any block file is unlinked, the store makes index.db a durable record of the state
 * with that block already gone: it writes `index.db.tmp`, fsyncs it, renames it over index.db
 * and fsyncs `msgs/`. Whatever part of the removal a crash keeps, recovery then finds an
 * index.db whose LastSeq is the stream's LastSeq at the removal, instead of one up to 2.5 min
 * stale that names the deleted block (the stale snapshot behind "could not locate msg block N",
 * reference section 4, 5).
 *
 * Why index.db and not a smaller intent record: index.db already holds LastSeq, is already
 * read first at recovery, and needs no new file format or cleanup rule; an intent record would
 * need its own recovery path and its own removal once the tombstone is durable. What changes
 * is only how it is written (atomically and durably, like #7388 writes meta files) and when.
 * The price is a full index.db write, two fsyncs and a rename per removed block (cost table).
 */
import type { Draft } from 'immer';
import { captureFullState } from './indexdb.js';
import { INDEX_DB_PATH, INDEX_DB_TMP_PATH, MSGS_DIR, type Ctx, type StoreProc } from './state.js';

/**
 * Write the durable removal record: the state now (the caller has already taken the block out
 * of `fs.blks`), through a temporary file, fsync, rename and directory fsync. The summary is
 * written as is, without `_writeFullState`'s tracking check: with the lmb out of the list the
 * blocks no longer hold LastSeq, and the check would roll LastSeq back (v2.10.23 L8358).
 */
export function writeRemovalRecord(ctx: Ctx, fs: Draft<StoreProc>): void {
  const fn = 'writeRemovalRecord';
  const image = captureFullState(ctx, fs);
  ctx.io.rewriteInPlace(INDEX_DB_TMP_PATH, image, false, fn);
  ctx.io.fsync(INDEX_DB_TMP_PATH, fn);
  ctx.io.rename(INDEX_DB_TMP_PATH, INDEX_DB_PATH, fn);
  ctx.io.fsyncDir(MSGS_DIR, fn);
}
