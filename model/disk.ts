/**
 * The simulated disk: what the OS page cache shows, what is durable, and the file operations
 * issued in between, under a named file-system profile (filesystems.ts).
 *
 * Fault model (as TigerBeetle's simulated storage states its own): what survives what.
 * - Files are inodes holding segments (records, images, debris); directories map paths to
 *   inodes. Data operations (`write`, `truncate`) act on an inode; namespace operations
 *   (`create`, `unlink`, `rename`) act on the parent directory.
 * - Every operation reaches the page cache (`cache`) at once, as a write(2) call does, and is
 *   *in flight* until it is *forced* (fsync, a journal commit, writeback, an O_SYNC write).
 *   Forced operations fold into `durable` in issue order; one that is forced while an earlier
 *   one is still in flight waits in `inFlight` with `forced` set.
 * - **Kill** (any profile): the process dies; the page cache survives whole. A kill may fall
 *   between any two operations (see `Io`). Nothing in flight is lost by a kill alone.
 * - **Power loss**: the disk comes back as `durable`, plus the forced operations, plus a
 *   choice of the other in-flight operations that the profile allows (`PowerLossKeep`,
 *   checked by powerloss.ts), applied in issue order:
 *   - `ext4` (data=ordered, delalloc, auto_da_alloc, commit=5): create, unlink, rename and
 *     truncate survive as a prefix in issue order (the journal, by transaction), forced 5 s
 *     after issue, or at once by fsync of a file with uncommitted metadata or of a directory
 *     (which commits every earlier one, on any file). Written data survives per file as a
 *     prefix of its writes, and only with the journalled operations on that file before it;
 *     it is forced 40 s after issue (30 s expiry, 5 s flusher, 5 s commit) or by fsync. The
 *     first write of a file that does not survive may come back at its new size as zeros
 *     (a 0-byte or zero-filled .blk: nats-server #6881), or with a subset of its 4 KiB pages.
 *     A rewrite after a truncate to 0 (os.WriteFile) joins the journal order (auto_da_alloc):
 *     old content, empty, or new content; never the new write over the old content.
 *   - `xfs`: as ext4, with the log forced every 30 s, data forced 65 s after issue, no
 *     zero-filled appends (the size is logged at I/O completion), and a truncate-and-rewrite
 *     flushed only best-effort (plain data).
 *   - `lazyfs`: create, unlink and rename are durable at once; writes and truncates survive
 *     only if fsynced (clear-cache drops the rest). One outcome per power loss.
 *   - `posix`: only fsync (the file's data, not its entry) and directory fsync (its entries)
 *     force anything; any other operation may survive or not, in any combination, appends
 *     partly or as zeros. The search bounds this with a reorder window (powerloss.ts).
 * - Kill and power loss both end the process; the disk never loses what was forced.
 *
 * All functions here mutate an immer draft of `Disk`; the store reaches the disk only
 * through `Io` (io.ts), which records every operation it issues.
 */
import { current, isDraft, type Draft } from 'immer';
import { isBlockRecord, checksumOf, type Segment } from './records.js';
import { assert } from './assert.js';
import { PAGE_BYTES, type FileSystemProfile } from './filesystems.js';

/** One view of the file system: directory entries and inode contents. */
export interface FsView {
  /** path (relative to the stream directory) -> inode number */
  readonly entries: Readonly<Record<string, number>>;
  /** inode number -> content */
  readonly inodes: Readonly<Record<number, readonly Segment[]>>;
  /** inode number -> size in bytes, kept for the page cache only (so an append costs O(1)); derived from `inodes`. */
  readonly sizes?: Readonly<Record<number, number>>;
}

export type FileOp =
  | { readonly type: 'create'; readonly path: string; readonly inode: number }
  | { readonly type: 'write'; readonly path: string; readonly inode: number; readonly offsetBytes: number; readonly segment: Segment; readonly osync: boolean }
  | { readonly type: 'truncate'; readonly path: string; readonly inode: number; readonly sizeBytes: number }
  | { readonly type: 'unlink'; readonly path: string; readonly inode: number }
  | { readonly type: 'rename'; readonly from: string; readonly to: string; readonly inode: number }
  | { readonly type: 'fsync'; readonly path: string; readonly inode: number }
  | { readonly type: 'fsyncDir'; readonly dir: string };

export type FileOpType = FileOp['type'];

/** An operation as issued: its sequence number on this disk and its time. */
export interface IssuedOp {
  readonly id: number;
  readonly atMs: number;
  readonly op: FileOp;
}

/** An issued operation not yet folded into the durable view. */
export interface InFlightOp extends IssuedOp {
  /** In the journal order: it survives a power loss only with every earlier journalled operation. */
  readonly journal: boolean;
  /** A write that made its file longer (it changes the size: metadata on a journalled file system). */
  readonly extends: boolean;
  /** Survives any power loss (fsynced, committed, written back); waits only for an earlier operation to fold. */
  readonly forced: boolean;
}

export interface Disk {
  readonly cache: FsView;
  readonly durable: FsView;
  /** Issued but not yet folded into `durable`, in issue order. */
  readonly inFlight: readonly InFlightOp[];
  readonly nextInode: number;
  readonly nextOpId: number;
}

/** Part of a write a power loss keeps: the file keeps the write's size, and of its data only these 4 KiB pages (file page numbers); the rest reads as before, or zeros. */
export interface PartialWrite {
  readonly opId: number;
  readonly pages: readonly number[];
}

/**
 * Which of the in-flight operations that are not forced a power loss keeps (forced ones always
 * survive). Whether the profile allows a choice is powerloss.ts's `checkKeep`.
 */
export type PowerLossKeep =
  | { readonly kind: 'synced' } // none: only what was forced
  | { readonly kind: 'all' } // every one: the page cache as it was
  | { readonly kind: 'prefix'; readonly count: number } // the first `count` unforced, in issue order
  | { readonly kind: 'subset'; readonly opIds: readonly number[]; readonly partial?: readonly PartialWrite[] }; // exactly these, and parts of these writes

export function emptyDisk(): Disk {
  return { cache: { entries: {}, inodes: {}, sizes: {} }, durable: { entries: {}, inodes: {} }, inFlight: [], nextInode: 1, nextOpId: 1 };
}

export function dirname(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function contentBytes(content: readonly Segment[]): number {
  let n = 0;
  for (const s of content) n += s.bytes;
  return n;
}

export function isDataOp(op: FileOp): op is Extract<FileOp, { type: 'write' | 'truncate' }> {
  return op.type === 'write' || op.type === 'truncate';
}

export function isNamespaceOp(op: FileOp): op is Extract<FileOp, { type: 'create' | 'unlink' | 'rename' }> {
  return op.type === 'create' || op.type === 'unlink' || op.type === 'rename';
}

/** The directory a namespace operation changes. */
export function opDir(op: Extract<FileOp, { type: 'create' | 'unlink' | 'rename' }>): string {
  return op.type === 'rename' ? dirname(op.to) : dirname(op.path);
}

/** The inode an operation acts on, if any. */
export function opInode(op: FileOp): number | null {
  return 'inode' in op ? op.inode : null;
}

// ---- Content arithmetic -----------------------------------------------------------------

/** The first `fromBytes` bytes of a segment (a head cut), as debris. */
function headOf(s: Segment, keepBytes: number): Segment {
  return { kind: 'fragment', bytes: keepBytes, of: s.kind === 'fragment' ? s.of : s.kind, tailChecksum: null };
}

/** The last `keepBytes` bytes of a segment, as debris; it still ends in a record's checksum. */
function tailOf(s: Segment, keepBytes: number): Segment {
  let tailChecksum: string | null = null;
  if (keepBytes >= 8) {
    if (isBlockRecord(s)) tailChecksum = checksumOf(s);
    else if (s.kind === 'fragment') tailChecksum = s.tailChecksum;
  }
  return { kind: 'fragment', bytes: keepBytes, of: s.kind === 'fragment' ? s.of : s.kind, tailChecksum };
}

/** `ftruncate(size)`: cut, or extend with zeros. */
export function truncateContent(content: readonly Segment[], sizeBytes: number): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const s of content) {
    if (at >= sizeBytes) break;
    if (at + s.bytes <= sizeBytes) out.push(s);
    else out.push(headOf(s, sizeBytes - at));
    at += Math.min(s.bytes, sizeBytes - at);
  }
  if (at < sizeBytes) out.push({ kind: 'zeros', bytes: sizeBytes - at });
  return out;
}

/** `pwrite(segment, offset)`: what was before stays, what the write covers is replaced. */
export function writeContent(content: readonly Segment[], offsetBytes: number, segment: Segment): Segment[] {
  const out = truncateContent(content, offsetBytes);
  out.push(segment);
  const end = offsetBytes + segment.bytes;
  let at = 0;
  for (const s of content) {
    const sEnd = at + s.bytes;
    if (sEnd > end) out.push(at >= end ? s : tailOf(s, sEnd - end));
    at = sEnd;
  }
  return out;
}

/** The bytes [fromBytes, toBytes) of a content, as segments (cut segments become debris). */
export function sliceContent(content: readonly Segment[], fromBytes: number, toBytes: number): Segment[] {
  const out: Segment[] = [];
  let at = 0;
  for (const s of content) {
    const sEnd = at + s.bytes;
    const a = Math.max(at, fromBytes);
    const b = Math.min(sEnd, toBytes);
    if (a < b) {
      if (a === at && b === sEnd) out.push(s);
      else if (b === sEnd) out.push(tailOf(s, b - a));
      else out.push(headOf(s, b - a));
    }
    at = sEnd;
  }
  const size = at;
  if (toBytes > Math.max(size, fromBytes)) out.push({ kind: 'zeros', bytes: toBytes - Math.max(size, fromBytes) });
  return out;
}

/**
 * A write of which only some 4 KiB pages reached the disk, with its size: inside the write's
 * range, a kept page holds the new bytes, any other page what the file held before (zeros
 * past its old end); outside the range, the file as it was.
 */
export function partialWriteContent(content: readonly Segment[], offsetBytes: number, segment: Segment, keptPages: readonly number[]): Segment[] {
  const end = offsetBytes + segment.bytes;
  const oldSize = contentBytes(content);
  const out: Segment[] = sliceContent(content, 0, offsetBytes);
  const writeAsContent: Segment[] = [segment];
  for (let page = Math.floor(offsetBytes / PAGE_BYTES); page * PAGE_BYTES < end; page++) {
    const a = Math.max(offsetBytes, page * PAGE_BYTES);
    const b = Math.min(end, (page + 1) * PAGE_BYTES);
    if (keptPages.includes(page)) out.push(...sliceContent(writeAsContent, a - offsetBytes, b - offsetBytes));
    else out.push(...sliceContent(content, a, b));
  }
  if (oldSize > end) out.push(...sliceContent(content, end, oldSize));
  return mergeZeros(out);
}

function mergeZeros(content: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of content) {
    const last = out[out.length - 1];
    if (s.kind === 'zeros' && last?.kind === 'zeros') out[out.length - 1] = { kind: 'zeros', bytes: last.bytes + s.bytes };
    else if (s.bytes > 0) out.push(s);
  }
  return out;
}

/** The file pages (4 KiB) a write covers. */
export function pagesOf(op: Extract<FileOp, { type: 'write' }>): number[] {
  const out: number[] = [];
  for (let p = Math.floor(op.offsetBytes / PAGE_BYTES); p * PAGE_BYTES < op.offsetBytes + op.segment.bytes; p++) out.push(p);
  return out;
}

// ---- Applying operations to a view ------------------------------------------------------

export function applyToView(view: Draft<FsView> | { entries: Record<string, number>; inodes: Record<number, readonly Segment[]> }, op: FileOp): void {
  applyOp(view as Draft<FsView>, op);
}

/**
 * A file's content as a frozen array: never changed in place (a write builds a new one), so
 * successive states share what a step did not write. Inside an immer draft (tests), plain.
 */
function frozenContent(content: Segment[]): Draft<Segment>[] {
  return Object.freeze(content) as unknown as Draft<Segment>[];
}
const EMPTY_CONTENT = frozenContent([]);

function applyOp(view: Draft<FsView>, op: FileOp): void {
  const sizes = view.sizes;
  switch (op.type) {
    case 'create':
      view.entries[op.path] = op.inode;
      if (!(op.inode in view.inodes)) view.inodes[op.inode] = EMPTY_CONTENT;
      if (sizes && sizes[op.inode] === undefined) sizes[op.inode] = 0;
      return;
    case 'write': {
      const content = view.inodes[op.inode];
      const size = content ? (sizes?.[op.inode] ?? contentBytes(content as readonly Segment[])) : 0;
      // An append at the end: push (rewriting the whole list would make long files quadratic).
      if (content && op.offsetBytes === size && isDraft(content)) content.push(op.segment as Draft<Segment>);
      else if (content && op.offsetBytes === size) view.inodes[op.inode] = frozenContent([...(content as readonly Segment[]), op.segment]);
      else view.inodes[op.inode] = frozenContent(writeContent(content ?? [], op.offsetBytes, op.segment));
      if (sizes) sizes[op.inode] = Math.max(size, op.offsetBytes + op.segment.bytes);
      return;
    }
    case 'truncate':
      view.inodes[op.inode] = frozenContent(truncateContent(view.inodes[op.inode] ?? [], op.sizeBytes));
      if (sizes) sizes[op.inode] = op.sizeBytes;
      return;
    case 'unlink':
      if (view.entries[op.path] === op.inode) delete view.entries[op.path];
      return;
    case 'rename':
      if (view.entries[op.from] === op.inode) {
        delete view.entries[op.from];
        view.entries[op.to] = op.inode;
        if (!(op.inode in view.inodes)) view.inodes[op.inode] = EMPTY_CONTENT;
      }
      return;
    case 'fsync':
    case 'fsyncDir':
      return;
  }
}

function applyPartial(view: Draft<FsView>, op: Extract<FileOp, { type: 'write' }>, pages: readonly number[]): void {
  view.inodes[op.inode] = frozenContent(partialWriteContent(view.inodes[op.inode] ?? [], op.offsetBytes, op.segment, pages));
}

/** A draft's current value (or the value itself): plain data, safe to clone and keep. */
function plain<T>(x: T): T {
  return isDraft(x) ? (current(x as unknown as Draft<object>) as unknown as T) : x;
}

// ---- Forcing and folding ----------------------------------------------------------------

/** The paths a namespace operation touches. */
function opPaths(op: FileOp): readonly string[] {
  if (op.type === 'rename') return [op.from, op.to];
  if (op.type === 'create' || op.type === 'unlink') return [op.path];
  return [];
}

/**
 * Fold forced operations into `durable`: in issue order, each forced operation that touches
 * no inode or path an earlier unfolded operation touches (so it commutes with all of them:
 * the views `survivingView` computes are unchanged). What is left in flight stays small.
 */
function fold(disk: Draft<Disk>): void {
  const blockedInodes = new Set<number>();
  const blockedPaths = new Set<string>();
  const keep: InFlightOp[] = [];
  for (const o of plain(disk.inFlight as readonly InFlightOp[])) {
    const op = o.op as FileOp;
    const inode = opInode(op);
    const paths = opPaths(op);
    const free = (inode === null || !blockedInodes.has(inode)) && paths.every((p) => !blockedPaths.has(p));
    if (o.forced && free) {
      applyToView(disk.durable, op);
      continue;
    }
    keep.push(o);
    if (inode !== null) blockedInodes.add(inode);
    for (const p of paths) blockedPaths.add(p);
  }
  if (keep.length !== disk.inFlight.length) setInFlight(disk, keep);
}

/**
 * An in-flight entry with some flags changed: a new frozen entry. Entries are never changed
 * in place, so successive states share them (the search copies a state per step, and a long
 * run holds thousands of entries).
 */
/**
 * Replace the in-flight list: a frozen array, never changed in place (an operation issued
 * builds a new one), so successive states share it; the copy is a native array copy.
 */
function setInFlight(disk: Draft<Disk>, list: InFlightOp[]): void {
  disk.inFlight = Object.freeze(list) as unknown as Draft<InFlightOp>[];
}

function withFlags(o: InFlightOp | Draft<InFlightOp>, flags: Partial<Pick<InFlightOp, 'forced' | 'journal'>>): Draft<InFlightOp> {
  return Object.freeze({ ...plain(o as InFlightOp), ...flags }) as Draft<InFlightOp>;
}

/** Force the in-flight operations `pick` selects (they will survive any power loss). */
function forceWhere(disk: Draft<Disk>, pick: (o: InFlightOp) => boolean): boolean {
  let changed: InFlightOp[] | null = null;
  const list = plain(disk.inFlight as readonly InFlightOp[]);
  for (let i = 0; i < list.length; i++) {
    const o = list[i]!;
    if (!o.forced && pick(o)) {
      changed ??= [...list];
      changed[i] = withFlags(o, { forced: true }) as InFlightOp;
    }
  }
  if (changed) setInFlight(disk, changed);
  return changed !== null;
}

/** Whether the in-flight operations on an inode hold metadata not yet committed. */
function hasUncommittedMetadata(disk: Draft<Disk>, inode: number): boolean {
  return disk.inFlight.some((o) => !o.forced && opInode(o.op as FileOp) === inode && (o.journal || o.extends));
}

/**
 * fsync(2) of a file, or the end of an O_SYNC write: the file's writes and truncates are
 * forced; on a journalling file system, if the file had uncommitted metadata, the commit
 * forces every journalled operation issued before, on any file (ext4_sync_file, xfs_file_fsync).
 */
function fsyncInode(disk: Draft<Disk>, fs: FileSystemProfile, inode: number): boolean {
  const commit = fs.fsyncCommitsJournal && hasUncommittedMetadata(disk, inode);
  // POSIX (no journal): the file's directory entry still needs fsync of its directory.
  return forceWhere(disk, (o) => (isDataOp(o.op) && o.op.inode === inode) || (commit && o.journal));
}

/** How an operation joins the disk under a profile: journalled, forced at once, or plain. */
function classify(disk: Draft<Disk>, fs: FileSystemProfile, op: FileOp): { journal: boolean; forced: boolean } {
  if (isNamespaceOp(op)) {
    if (fs.namespaceOps === 'immediate') return { journal: false, forced: true };
    return { journal: fs.namespaceOps === 'journal', forced: false };
  }
  if (op.type === 'truncate') return { journal: fs.truncates === 'journal', forced: false };
  if (op.type === 'write' && fs.truncateRewriteFlush === 'next-commit') {
    // auto_da_alloc: a rewrite after a truncate to 0 of the same file is flushed at close and
    // committed with the next transaction: it joins the journal order.
    // Walk back over this file's in-flight operations: journalled rewrite writes, then a truncate to 0?
    for (let i = disk.inFlight.length - 1; i >= 0; i--) {
      const o = disk.inFlight[i]!;
      if (opInode(o.op as FileOp) !== op.inode) continue;
      if (o.op.type === 'write' && o.journal) continue;
      if (o.op.type === 'truncate' && o.op.sizeBytes === 0) return { journal: true, forced: false };
      break;
    }
  }
  return { journal: false, forced: false };
}

/**
 * Issue one operation: it reaches the page cache now and is in flight until forced and
 * folded. Called only by `Io`, which resolves paths to inodes and records the operation.
 */
export function issueOp(disk: Draft<Disk>, fs: FileSystemProfile, op: FileOp, atMs: number): IssuedOp {
  const issued: IssuedOp = { id: disk.nextOpId, atMs, op };
  disk.nextOpId += 1;
  const sizeBefore = op.type === 'write' ? (disk.cache.sizes?.[op.inode] ?? contentBytes(disk.cache.inodes[op.inode] ?? [])) : 0;
  if (op.type === 'rename' && fs.renameReplaceFlush && disk.cache.entries[op.to] !== undefined) {
    // auto_da_alloc: a rename over an existing file flushes the renamed file's data first.
    const list = plain(disk.inFlight as readonly InFlightOp[]);
    const flushed = list.map((o) => (!o.forced && o.op.type === 'write' && o.op.inode === op.inode ? (withFlags(o, { journal: true }) as InFlightOp) : o));
    if (flushed.some((o, i) => o !== list[i])) setInFlight(disk, flushed);
  }
  applyToView(disk.cache, op);
  let forcedAny = false;
  switch (op.type) {
    case 'fsync':
      forcedAny = fsyncInode(disk, fs, op.inode);
      break;
    case 'fsyncDir':
      if (fs.fsyncDir === 'journal') forcedAny = forceWhere(disk, (o) => o.journal);
      else if (fs.fsyncDir === 'entries') forcedAny = forceWhere(disk, (o) => isNamespaceOp(o.op) && opDir(o.op) === op.dir);
      break;
    default: {
      const { journal, forced } = classify(disk, fs, op);
      const extendsFile = op.type === 'write' && op.offsetBytes + op.segment.bytes > sizeBefore;
      setInFlight(disk, [...plain(disk.inFlight as readonly InFlightOp[]), Object.freeze({ ...issued, journal, extends: extendsFile, forced })]);
      forcedAny = forced;
      if (op.type === 'write' && op.osync) forcedAny = fsyncInode(disk, fs, op.inode) || forcedAny;
    }
  }
  if (forcedAny) fold(disk);
  return issued;
}

/**
 * The passage of time to `nowMs`: the journal commits what is `journalCommitMs` old, the
 * flusher (and the commit recording the size) what is `dataWritebackMs` old.
 */
export function tick(disk: Draft<Disk>, fs: FileSystemProfile, nowMs: number): void {
  const commitMs = fs.journalCommitMs;
  const dataMs = fs.dataWritebackMs;
  if (commitMs === null && dataMs === null) return;
  // In-flight operations are in issue order, so in time order: when even the oldest is too
  // young for the shorter deadline, nothing is due (and the list is not walked).
  const head = disk.inFlight[0];
  if (!head || head.atMs + Math.min(commitMs ?? Infinity, dataMs ?? Infinity) > nowMs) return;
  if (forceWhere(disk, (o) => (o.journal ? commitMs !== null && o.atMs + commitMs <= nowMs : dataMs !== null && o.atMs + dataMs <= nowMs))) fold(disk);
}

/** The next instants at which time alone forces something: a journal commit, a data writeback. */
export function nextForcedMs(disk: Disk, fs: FileSystemProfile): { commitMs: number | null; writebackMs: number | null } {
  let commitMs: number | null = null;
  let writebackMs: number | null = null;
  for (const o of disk.inFlight) {
    if (o.forced) continue;
    if (o.journal && fs.journalCommitMs !== null) commitMs = Math.min(commitMs ?? Infinity, o.atMs + fs.journalCommitMs);
    if (!o.journal && fs.dataWritebackMs !== null) writebackMs = Math.min(writebackMs ?? Infinity, o.atMs + fs.dataWritebackMs);
  }
  return { commitMs, writebackMs };
}

/** Everything in flight becomes durable (sync(1)). */
export function syncAll(disk: Draft<Disk>): void {
  if (forceWhere(disk, () => true)) fold(disk);
}

/** The in-flight operations that are not forced: what a power-loss choice chooses among. */
export function unforced(disk: Disk): readonly InFlightOp[] {
  return disk.inFlight.filter((o) => !o.forced);
}

/** What a choice does to each unforced in-flight operation: keep it whole, keep part of a write, or drop it. */
export type OpFate = { readonly kind: 'keep' } | { readonly kind: 'drop' } | { readonly kind: 'partial'; readonly pages: readonly number[] };

/** The fate of every unforced in-flight operation under a choice; a string names a malformed choice. */
export function fatesOf(disk: Disk, keep: PowerLossKeep): Map<number, OpFate> | string {
  const ops = unforced(disk);
  const fates = new Map<number, OpFate>();
  const ids = new Set(ops.map((o) => o.id));
  switch (keep.kind) {
    case 'synced':
      for (const o of ops) fates.set(o.id, { kind: 'drop' });
      return fates;
    case 'all':
      for (const o of ops) fates.set(o.id, { kind: 'keep' });
      return fates;
    case 'prefix':
      if (!Number.isInteger(keep.count) || keep.count < 0 || keep.count > ops.length) return `power loss keeps a prefix of ${keep.count} but ${ops.length} operations are in flight and not forced`;
      ops.forEach((o, i) => fates.set(o.id, { kind: i < keep.count ? 'keep' : 'drop' }));
      return fates;
    case 'subset': {
      for (const o of ops) fates.set(o.id, { kind: 'drop' });
      for (const id of keep.opIds) {
        if (!ids.has(id)) return `power loss keeps operation #${id}, which is not in flight (or already forced)`;
        fates.set(id, { kind: 'keep' });
      }
      for (const p of keep.partial ?? []) {
        const o = ops.find((x) => x.id === p.opId);
        if (!o) return `power loss keeps part of operation #${p.opId}, which is not in flight (or already forced)`;
        if (o.op.type !== 'write') return `power loss keeps part of operation #${p.opId}, which is not a write`;
        if (keep.opIds.includes(p.opId)) return `power loss keeps operation #${p.opId} both whole and in part`;
        const pages = pagesOf(o.op);
        const bad = p.pages.find((x) => !pages.includes(x));
        if (bad !== undefined) return `power loss keeps page ${bad} of operation #${p.opId}, which covers pages ${pages.join(', ')}`;
        fates.set(p.opId, { kind: 'partial', pages: [...p.pages].sort((a, b) => a - b) });
      }
      return fates;
    }
  }
}

/** The durable view a power loss would leave: `durable`, then every in-flight operation in issue order as its fate says. */
export function survivingView(diskIn: Disk, fates: ReadonlyMap<number, OpFate>): FsView {
  const disk = plain(diskIn);
  const base: FsView = disk.durable;
  const view = { entries: { ...base.entries }, inodes: { ...base.inodes } } as unknown as Draft<FsView>;
  for (const o of disk.inFlight) {
    const fate: OpFate = o.forced ? { kind: 'keep' } : (fates.get(o.id) ?? { kind: 'drop' });
    if (fate.kind === 'keep') applyToView(view, o.op as FileOp);
    else if (fate.kind === 'partial') applyPartial(view, o.op as Extract<FileOp, { type: 'write' }>, fate.pages);
  }
  return pruneView(view as unknown as FsView);
}

/**
 * What survives any power loss: `durable` plus the forced in-flight operations, in issue
 * order. With `prune` false it keeps inodes no entry reaches (forced data of a file whose
 * directory entry is not).
 */
export function forcedView(diskIn: Disk, prune = true): FsView {
  const disk = plain(diskIn);
  const base: FsView = disk.durable;
  const view = { entries: { ...base.entries }, inodes: { ...base.inodes } } as unknown as Draft<FsView>;
  for (const o of disk.inFlight) if (o.forced) applyToView(view, o.op as FileOp);
  return prune ? pruneView(view as unknown as FsView) : (view as unknown as FsView);
}

/** A view without inodes no entry reaches. */
export function pruneView(view: FsView): FsView {
  const live = new Set(Object.values(view.entries));
  const inodes: Record<number, readonly Segment[]> = {};
  for (const key of Object.keys(view.inodes)) if (live.has(Number(key))) inodes[Number(key)] = view.inodes[Number(key)]!;
  return { entries: view.entries, inodes };
}

/**
 * Power loss: the machine comes back with the view `survivingView` computes (the caller has
 * checked that the profile allows the choice). The page cache is that view; nothing is in flight.
 */
export function powerLoss(disk: Draft<Disk>, fates: ReadonlyMap<number, OpFate>): void {
  const view = survivingView(plain(disk as Disk), fates);
  // Content arrays are frozen and shared (never changed in place); the tables are new.
  const inodes: Record<number, Draft<Segment>[]> = {};
  const sizes: Record<number, number> = {};
  for (const key of Object.keys(view.inodes)) {
    const content = view.inodes[Number(key)]!;
    inodes[Number(key)] = Object.isFrozen(content) ? (content as Draft<Segment>[]) : frozenContent([...content]);
    sizes[Number(key)] = contentBytes(content);
  }
  disk.durable = { entries: { ...view.entries }, inodes: { ...inodes } } as Draft<FsView>;
  disk.cache = { entries: { ...view.entries }, inodes, sizes } as Draft<FsView>;
  setInFlight(disk, []);
}

/** Drop inodes nothing can reach any more, so equal disks compare equal. */
export function collectGarbage(disk: Draft<Disk>): void {
  const unreachable = (view: Draft<FsView>) => {
    const live = new Set(Object.values(view.entries));
    return Object.keys(view.inodes).map(Number).filter((inode) => !live.has(inode));
  };
  for (const inode of unreachable(disk.cache)) {
    delete disk.cache.inodes[inode];
    if (disk.cache.sizes) delete disk.cache.sizes[inode];
  }
  const candidates = unreachable(disk.durable);
  if (candidates.length === 0) return; // the common case: the in-flight list is not walked
  const inFlightInodes = new Set<number>();
  for (const { op } of disk.inFlight) if ('inode' in op) inFlightInodes.add(op.inode);
  for (const inode of candidates) if (!inFlightInodes.has(inode)) delete disk.durable.inodes[inode];
}

// ---- Reading a view ---------------------------------------------------------------------

/** A file's size in a view (O(1) in the page cache). */
export function fileSize(view: FsView, path: string): number | undefined {
  const inode = view.entries[path];
  if (inode === undefined) return undefined;
  return view.sizes?.[inode] ?? contentBytes(view.inodes[inode] ?? []);
}

export function fileContent(view: FsView, path: string): readonly Segment[] | undefined {
  const inode = view.entries[path];
  return inode === undefined ? undefined : (view.inodes[inode] ?? []);
}

/** Every file in a view with its size, sorted by path. */
export function listFiles(view: FsView): { path: string; bytes: number }[] {
  return Object.keys(view.entries)
    .sort()
    .map((path) => ({ path, bytes: contentBytes(fileContent(view, path) ?? []) }));
}

/**
 * The model's own invariants: in-flight operations are in issue order, and the page cache is
 * consistent (every entry names an inode it holds).
 */
export function assertDiskInvariants(disk: Disk): void {
  const n = disk.inFlight.length;
  if (n > 0) {
    assert(disk.inFlight[n - 1]!.id < disk.nextOpId, 'in-flight operation from the future');
    assert(!disk.inFlight[0]!.forced, 'a forced operation at the head of in-flight was not folded');
    // Operations are only appended (with a fresh id) or dropped, so checking the newest pair
    // after every step checks the whole list's issue order (a walk would make long runs quadratic).
    if (n > 1) assert(disk.inFlight[n - 2]!.id < disk.inFlight[n - 1]!.id, 'in-flight operations out of issue order');
  }
  for (const path of Object.keys(disk.cache.entries)) {
    const inode = disk.cache.entries[path]!;
    assert(inode in disk.cache.inodes, `cache entry ${path} points at missing inode ${inode}`);
  }
}
