/**
 * The simulated disk: what the OS page cache shows, what is durable, and the file operations
 * issued in between.
 *
 * Fault model: what survives what.
 * - Files are inodes holding segments (records, images, debris); directories map paths to
 *   inodes. Data operations (`write`, `truncate`) act on an inode; namespace operations
 *   (`create`, `unlink`, `rename`) act on the parent directory.
 * - Every operation reaches the page cache (`cache`) at once, as a write(2) call does.
 * - An operation becomes durable (`durable`) by one of:
 *   - `fsync` of the file: its inode's data operations (not its directory entry);
 *   - a write under O_SYNC: likewise, for that inode, when it returns;
 *   - `fsyncDir`: the namespace operations of that directory;
 *   - background writeback: every operation issued at least `writebackMs` before now. One knob
 *     for data and metadata, so what writeback keeps is always a prefix in issue order.
 * - Process kill: the page cache survives whole; operations stay in flight (a later power
 *   loss can still lose them). See `Io` for the kill between two operations.
 * - Power loss: the disk comes back as `durable` plus a choice of in-flight operations that
 *   the persistence model allows (`PowerLossKeep`), applied in issue order; nothing else.
 * - One write call persists whole or not at all: every write here is one record or one small
 *   image, within a page. A truncate followed by a write (os.WriteFile's rewrite in place) is
 *   two operations and can be cut between them.
 *
 * All functions here mutate an immer draft of `Disk`; the store reaches the disk only
 * through `Io` (io.ts), which records every operation it issues.
 */
import { current, isDraft, type Draft } from 'immer';
import { isBlockRecord, checksumOf, type Segment } from './records.js';
import { assert } from './assert.js';

/** One view of the file system: directory entries and inode contents. */
export interface FsView {
  /** path (relative to the stream directory) -> inode number */
  readonly entries: Readonly<Record<string, number>>;
  /** inode number -> content */
  readonly inodes: Readonly<Record<number, readonly Segment[]>>;
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

export interface Disk {
  readonly cache: FsView;
  readonly durable: FsView;
  /** Issued but not yet durable, in issue order. */
  readonly inFlight: readonly IssuedOp[];
  readonly nextInode: number;
  readonly nextOpId: number;
}

/** Which in-flight operations a power loss keeps. */
export type PowerLossKeep =
  | { readonly kind: 'synced' } // none: only what was durable
  | { readonly kind: 'all' } // every one: the page cache as it was
  | { readonly kind: 'prefix'; readonly count: number } // the first `count`, in issue order
  | { readonly kind: 'subset'; readonly opIds: readonly number[] }; // exactly these

export function emptyDisk(): Disk {
  return { cache: { entries: {}, inodes: {} }, durable: { entries: {}, inodes: {} }, inFlight: [], nextInode: 1, nextOpId: 1 };
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

// ---- Applying operations to a view ------------------------------------------------------

function applyToView(view: Draft<FsView>, op: FileOp): void {
  switch (op.type) {
    case 'create':
      view.entries[op.path] = op.inode;
      if (!(op.inode in view.inodes)) view.inodes[op.inode] = [];
      return;
    case 'write':
      view.inodes[op.inode] = writeContent(view.inodes[op.inode] ?? [], op.offsetBytes, op.segment) as Draft<Segment>[];
      return;
    case 'truncate':
      view.inodes[op.inode] = truncateContent(view.inodes[op.inode] ?? [], op.sizeBytes) as Draft<Segment>[];
      return;
    case 'unlink':
      if (view.entries[op.path] === op.inode) delete view.entries[op.path];
      return;
    case 'rename':
      if (view.entries[op.from] === op.inode) {
        delete view.entries[op.from];
        view.entries[op.to] = op.inode;
        if (!(op.inode in view.inodes)) view.inodes[op.inode] = [];
      }
      return;
    case 'fsync':
    case 'fsyncDir':
      return;
  }
}

/** Make durable, in issue order, the in-flight operations `pick` selects. */
function persistWhere(disk: Draft<Disk>, pick: (issued: IssuedOp, index: number) => boolean): void {
  const keep: IssuedOp[] = [];
  disk.inFlight.forEach((issued, index) => {
    if (pick(issued, index)) applyToView(disk.durable, issued.op);
    else keep.push(issued);
  });
  disk.inFlight = keep as Draft<IssuedOp>[];
}

/** fsync(2) of a file, or the end of an O_SYNC write: its inode's data operations. */
function persistInodeData(disk: Draft<Disk>, inode: number): void {
  persistWhere(disk, ({ op }) => isDataOp(op) && op.inode === inode);
}

/**
 * Issue one operation: it reaches the page cache now and is in flight until made durable.
 * Called only by `Io`, which resolves paths to inodes and records the operation.
 */
export function issueOp(disk: Draft<Disk>, op: FileOp, atMs: number): IssuedOp {
  const issued: IssuedOp = { id: disk.nextOpId, atMs, op };
  disk.nextOpId += 1;
  applyToView(disk.cache, op);
  switch (op.type) {
    case 'fsync':
      persistInodeData(disk, op.inode);
      break;
    case 'fsyncDir':
      persistWhere(disk, ({ op: o }) => isNamespaceOp(o) && opDir(o) === op.dir);
      break;
    case 'write':
      disk.inFlight.push(issued as Draft<IssuedOp>);
      if (op.osync) persistInodeData(disk, op.inode);
      break;
    default:
      disk.inFlight.push(issued as Draft<IssuedOp>);
  }
  return issued;
}

/** Background writeback at `nowMs`: everything issued at least `writebackMs` ago. */
export function writeback(disk: Draft<Disk>, nowMs: number, writebackMs: number): void {
  const cutoffMs = nowMs - writebackMs;
  // In-flight operations are in issue order and issue times never decrease: a prefix.
  let n = 0;
  while (n < disk.inFlight.length && disk.inFlight[n]!.atMs <= cutoffMs) n++;
  if (n > 0) persistWhere(disk, (_, index) => index < n);
}

/** Everything in flight becomes durable (sync(1)). */
export function syncAll(disk: Draft<Disk>): void {
  persistWhere(disk, () => true);
}

/** The in-flight operations a `PowerLossKeep` keeps, validated against this disk. */
export function selectKept(inFlight: readonly IssuedOp[], keep: PowerLossKeep): Set<number> {
  switch (keep.kind) {
    case 'synced':
      return new Set();
    case 'all':
      return new Set(inFlight.map((o) => o.id));
    case 'prefix':
      assert(Number.isInteger(keep.count) && keep.count >= 0 && keep.count <= inFlight.length, `power loss keeps a prefix of ${keep.count} of ${inFlight.length} in-flight operations`);
      return new Set(inFlight.slice(0, keep.count).map((o) => o.id));
    case 'subset': {
      const ids = new Set(inFlight.map((o) => o.id));
      for (const id of keep.opIds) assert(ids.has(id), `power loss keeps operation #${id}, which is not in flight`);
      return new Set(keep.opIds);
    }
  }
}

/**
 * Power loss: the machine comes back with what was durable plus the kept in-flight
 * operations, applied in issue order. Everything else is gone.
 */
export function powerLoss(disk: Draft<Disk>, keep: PowerLossKeep): void {
  const kept = selectKept(disk.inFlight as readonly IssuedOp[], keep);
  persistWhere(disk, ({ id }) => kept.has(id));
  disk.inFlight = [];
  const durable = isDraft(disk.durable) ? current(disk.durable) : structuredClone(disk.durable);
  disk.cache = structuredClone(durable) as Draft<FsView>;
}

/** Drop inodes nothing can reach any more, so equal disks compare equal. */
export function collectGarbage(disk: Draft<Disk>): void {
  const inFlightInodes = new Set<number>();
  for (const { op } of disk.inFlight) if ('inode' in op) inFlightInodes.add(op.inode);
  const prune = (view: Draft<FsView>, alsoKeep: Set<number>) => {
    const live = new Set(Object.values(view.entries));
    for (const key of Object.keys(view.inodes)) {
      const inode = Number(key);
      if (!live.has(inode) && !alsoKeep.has(inode)) delete view.inodes[inode];
    }
  };
  prune(disk.cache, new Set());
  prune(disk.durable, inFlightInodes);
}

// ---- Reading a view ---------------------------------------------------------------------

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
 * The model's own invariant: the page cache is never behind the durable view. Every durable
 * entry either is in the cache or has an in-flight namespace operation that removed it.
 */
export function assertDiskInvariants(disk: Disk): void {
  for (const issued of disk.inFlight) assert(issued.id < disk.nextOpId, 'in-flight operation from the future');
  for (let i = 1; i < disk.inFlight.length; i++) {
    assert(disk.inFlight[i - 1]!.atMs <= disk.inFlight[i]!.atMs, 'in-flight operations out of time order');
  }
  for (const path of Object.keys(disk.cache.entries)) {
    const inode = disk.cache.entries[path]!;
    assert(inode in disk.cache.inodes, `cache entry ${path} points at missing inode ${inode}`);
  }
}
