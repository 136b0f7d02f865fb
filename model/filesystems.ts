/**
 * File-system profiles: what each file system keeps after a power loss, as named flags.
 * The disk (disk.ts) and the power-loss choices (powerloss.ts) read only these flags; no
 * other code asks which file system it is. Each flag cites its source; the specification is
 * the project's file-system crash-semantics page (ext4 and jbd2, xfs, LazyFS 0.2.0, ALICE).
 *
 * Vocabulary:
 * - the *journal order*: operations whose survival is a prefix in issue order (a journal
 *   replays up to its last valid commit, by transaction, in order);
 * - *forced*: an operation that survives any power loss (fsync, a commit, writeback);
 * - *in flight*: issued, in the page cache, not forced: a power loss may keep or drop it,
 *   within the profile's rules.
 */

export const FILE_SYSTEM_NAMES = ['ext4', 'xfs', 'lazyfs', 'posix'] as const;
export type FileSystemName = (typeof FILE_SYSTEM_NAMES)[number];
export const DEFAULT_FILE_SYSTEM: FileSystemName = 'ext4';

/** 4 KiB: the page cache writes back per page; a torn write keeps a subset of its pages. */
export const PAGE_BYTES = 4096;

export interface FileSystemProfile {
  readonly name: FileSystemName;
  /** One line for tables and help. */
  readonly summary: string;
  /**
   * How create, unlink and rename reach the disk:
   * - `journal`: in the journal order; forced by a commit;
   * - `immediate`: durable at once (LazyFS passes them through to the real file system);
   * - `unordered`: any subset survives; only fsync of the directory forces them.
   */
  readonly namespaceOps: 'journal' | 'immediate' | 'unordered';
  /**
   * How truncate reaches the disk: `journal` (a metadata change, as ext4 and xfs log it),
   * `cached` (held like data until fsync: LazyFS), `unordered` (POSIX).
   */
  readonly truncates: 'journal' | 'cached' | 'unordered';
  /** Journalled operations are forced this long after issue (a transaction commits at most this long after it starts); null: no periodic commit. */
  readonly journalCommitMs: number | null;
  /** Written data is forced this long after issue (expiry + flusher period + the commit that records the size); null: only fsync forces it. */
  readonly dataWritebackMs: number | null;
  /**
   * fsync (or an O_SYNC write) of a file with uncommitted metadata (its create, a truncate, an
   * appending write) commits the journal: every journalled operation issued before it is forced.
   */
  readonly fsyncCommitsJournal: boolean;
  /** fsync of a directory forces: `journal` every journalled operation before it; `entries` that directory's create/unlink/rename only. */
  readonly fsyncDir: 'journal' | 'entries' | 'nothing';
  /**
   * auto_da_alloc for truncate-and-rewrite: a write that follows an in-flight truncate of its
   * file (os.WriteFile over an existing file) is flushed at close and joins the journal
   * order (`next-commit`); `best-effort` (xfs) or `none`: it stays ordinary data.
   */
  readonly truncateRewriteFlush: 'next-commit' | 'best-effort' | 'none';
  /** auto_da_alloc for rename over an existing file: the renamed file's earlier writes join the journal order before the rename. */
  readonly renameReplaceFlush: boolean;
  /** An appending write may survive at its new size reading as zeros (the size journalled, the data not written back). */
  readonly zeroFilledAppends: boolean;
  /** A write over several 4 KiB pages may keep any subset of its pages. */
  readonly tornPages: boolean;
  /**
   * Writes to one file survive as a prefix in issue order (page snapshots of an append-only
   * file; see powerloss.ts for why this loses no state recovery tells apart), and a write
   * survives only with the journalled operations on its file issued before it.
   */
  readonly perFileWriteOrder: boolean;
  /** Sources, for the docs and this table's readers. */
  readonly sources: readonly string[];
}

export const FILE_SYSTEMS: Readonly<Record<FileSystemName, FileSystemProfile>> = {
  ext4: {
    name: 'ext4',
    summary: 'ext4, default mount: data=ordered, delalloc, auto_da_alloc, commit=5, dioread_nolock',
    namespaceOps: 'journal',
    truncates: 'journal',
    journalCommitMs: 5_000,
    dataWritebackMs: 40_000,
    fsyncCommitsJournal: true,
    fsyncDir: 'journal',
    truncateRewriteFlush: 'next-commit',
    renameReplaceFlush: true,
    zeroFilledAppends: true,
    tornPages: true,
    perFileWriteOrder: true,
    sources: [
      'Documentation/admin-guide/ext4.rst: commit=5 default, data=ordered, auto_da_alloc, delalloc, dioread_nolock (default since 5.6)',
      'fs/jbd2/commit.c, fs/jbd2/recovery.c: a transaction commits whole and in order; recovery replays to the last valid commit',
      'fs/ext4/fsync.c ext4_sync_file: writes the file\'s data, then jbd2_complete_transaction for the inode\'s last metadata tid',
      'mm/page-writeback.c: dirty_expire_centisecs=3000, dirty_writeback_centisecs=500 (30 s + 5 s, then a 5 s commit for the size: 40 s)',
      'fs/ext4/inode.c ext4_alloc_da_blocks on close after truncate to 0 and on rename over a file (auto_da_alloc)',
      'nats-server #6881 (a 0-byte .blk after power loss)',
    ],
  },
  xfs: {
    name: 'xfs',
    summary: 'xfs, default mount: delayed logging, delalloc, log forced every 30 s',
    namespaceOps: 'journal',
    truncates: 'journal',
    journalCommitMs: 30_000,
    dataWritebackMs: 65_000,
    fsyncCommitsJournal: true,
    fsyncDir: 'journal',
    truncateRewriteFlush: 'best-effort',
    renameReplaceFlush: false,
    zeroFilledAppends: false,
    tornPages: true,
    perFileWriteOrder: true,
    sources: [
      'fs/xfs/xfs_log_cil.c: the log is written and replayed in order; fs.xfs.xfssyncd_centisecs=3000 forces it every 30 s',
      'fs/xfs/xfs_file.c xfs_file_fsync: forces the log up to the inode\'s last logged change when it has unforced changes',
      'fs/xfs/xfs_aops.c: the size is logged at I/O completion (no zero-filled tail); 30 s expiry + 5 s flusher + 30 s log force: 65 s',
      'fs/xfs/xfs_file.c xfs_release: the "truncated" flag flushes on close, best effort and asynchronously; no rename rule',
    ],
  },
  lazyfs: {
    name: 'lazyfs',
    summary: 'LazyFS 0.2.0 (Jepsen): create/unlink/rename durable at once; data and truncates only by fsync',
    namespaceOps: 'immediate',
    truncates: 'cached',
    journalCommitMs: null,
    dataWritebackMs: null,
    fsyncCommitsJournal: false,
    fsyncDir: 'nothing',
    truncateRewriteFlush: 'none',
    renameReplaceFlush: false,
    zeroFilledAppends: false,
    tornPages: false,
    perFileWriteOrder: true,
    sources: [
      'LazyFS 0.2.0 lazyfs.cpp: create, unlink, rename and link pass through to the underlying file system',
      'LazyFS 0.2.0 cache: writes and truncates of cached files stay in its cache until fsync; clear-cache drops them',
      'Jepsen, NATS 2.12.1 (2025): lose-unfsynced-writes uses clear-cache only; torn-op/torn-seq exist only on LazyFS main',
    ],
  },
  posix: {
    name: 'posix',
    summary: 'strict POSIX (ALICE\'s abstract model): only fsync and directory fsync promise anything',
    namespaceOps: 'unordered',
    truncates: 'unordered',
    journalCommitMs: null,
    dataWritebackMs: null,
    fsyncCommitsJournal: false,
    fsyncDir: 'entries',
    truncateRewriteFlush: 'none',
    renameReplaceFlush: false,
    zeroFilledAppends: true,
    tornPages: true,
    perFileWriteOrder: false,
    sources: [
      'POSIX.1-2017 fsync(): only the file\'s data and the metadata needed to read it',
      'Pillai et al., All File Systems Are Not Created Equal (ALICE), OSDI 2014: the abstract persistence model',
    ],
  },
};

export function isFileSystemName(s: string): s is FileSystemName {
  return (FILE_SYSTEM_NAMES as readonly string[]).includes(s);
}

export function getFileSystem(name: FileSystemName): FileSystemProfile {
  const fs = FILE_SYSTEMS[name];
  if (!fs) throw new Error(`unknown file system "${name}" (one of ${FILE_SYSTEM_NAMES.join(', ')})`);
  return fs;
}
