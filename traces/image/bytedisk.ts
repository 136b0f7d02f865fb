/**
 * The model's disk in bytes. `model/disk.ts` keeps files as segments (records, images,
 * debris); a crash image needs the bytes. This replays the file operations a run performed,
 * in issue order, with exactly the disk's rules (disk.ts: page cache at once; durable by
 * whatever the model's file-system profile forced and folded, an operator's edit made durable;
 * a power loss keeps the forced operations and those its choice keeps, per `fatesOf`), encoding each written segment as the
 * server would. After every step it checks its views against the model's file lists, so a
 * divergence between the two is a loud error, never a wrong image.
 */
import { isDataOp, isNamespaceOp, opDir, fatesOf, dirname, type Disk, type FileOp, type IssuedOp } from '../../model/disk.js';
import type { PerformedOp } from '../../model/io.js';
import { checksumOf, isBlockRecord, type Segment } from '../../model/records.js';
import type { ModelEvent, StepResult } from '../../model/step.js';
import type { StoreConfig } from '../../model/config.js';
import { blockPath } from '../../model/state.js';
import { ModelInvariantError } from '../../model/assert.js';
import { PAGE_BYTES } from '../../model/filesystems.js';
import { encodeBlockRecord } from './blockfile.js';
import { toHex } from './hash.js';
import { encodeIndexDb, type IndexDbVersion } from './indexdb.js';
import { encodeConsumerState } from './odat.js';

export interface ByteView {
  readonly entries: Map<string, number>;
  readonly inodes: Map<number, Uint8Array>;
}

/** Bad input for an image (a step out of range, a non-empty output directory). */
export class ImageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageError';
  }
}

/** The byte-level replay disagrees with the model's disk: a bug here or in the model. */
function broken(message: string): never {
  throw new ModelInvariantError(`crash image: ${message}`);
}

function cloneView(v: ByteView): ByteView {
  return { entries: new Map(v.entries), inodes: new Map([...v.inodes].map(([k, b]) => [k, b.slice()])) };
}

function writeAt(old: Uint8Array, offset: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(old.length, offset + data.length));
  out.set(old.subarray(0, Math.min(old.length, out.length)));
  out.set(data, offset);
  return out;
}

/**
 * A write of which only `pages` (4 KiB file pages) reached the disk (model/disk.ts
 * partialWriteContent): the file takes the write's size; inside the write's range a kept page
 * holds the new bytes and any other page what the file held before (zeros past its old end).
 * With no page kept this is ext4's zero-filled append (#6881).
 */
function partialWriteAt(old: Uint8Array, offset: number, data: Uint8Array, pages: readonly number[]): Uint8Array {
  const end = offset + data.length;
  const out = new Uint8Array(Math.max(old.length, end));
  out.set(old);
  for (const page of pages) {
    const a = Math.max(offset, page * PAGE_BYTES);
    const b = Math.min(end, (page + 1) * PAGE_BYTES);
    if (a < b) out.set(data.subarray(a - offset, b - offset), a);
  }
  return out;
}

function truncate(old: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(old.subarray(0, Math.min(size, old.length)));
  return out;
}

interface ByteOp {
  readonly issued: IssuedOp;
  /** For a write: the bytes written. */
  readonly data: Uint8Array | null;
}

function applyToView(view: ByteView, { issued: { op }, data }: ByteOp): void {
  switch (op.type) {
    case 'create':
      view.entries.set(op.path, op.inode);
      if (!view.inodes.has(op.inode)) view.inodes.set(op.inode, new Uint8Array());
      return;
    case 'write':
      if (data === null) return; // a later piece of a file copy, already copied whole
      view.inodes.set(op.inode, writeAt(view.inodes.get(op.inode) ?? new Uint8Array(), op.offsetBytes, data));
      return;
    case 'truncate':
      view.inodes.set(op.inode, truncate(view.inodes.get(op.inode) ?? new Uint8Array(), op.sizeBytes));
      return;
    case 'unlink':
      if (view.entries.get(op.path) === op.inode) view.entries.delete(op.path);
      return;
    case 'rename':
      if (view.entries.get(op.from) === op.inode) {
        view.entries.delete(op.from);
        view.entries.set(op.to, op.inode);
        if (!view.inodes.has(op.inode)) view.inodes.set(op.inode, new Uint8Array());
      }
      return;
    case 'fsync':
    case 'fsyncDir':
      return;
  }
}

export interface ByteDiskOptions {
  readonly config: StoreConfig;
  readonly indexDbVersion: IndexDbVersion;
  readonly epochMs: number;
}

export class ByteDisk {
  cache: ByteView = { entries: new Map(), inodes: new Map() };
  durable: ByteView = { entries: new Map(), inodes: new Map() };
  private inFlight: ByteOp[] = [];
  /** Model checksum identity -> the record's real 8 checksum bytes (hex), for index.db's lchk. */
  private readonly checksums = new Map<string, string>();
  /** The model's disk after the previous step (a power loss is judged against it). */
  private lastDisk: Disk | null = null;

  constructor(private readonly opts: ByteDiskOptions) {}

  /** Apply one step's result; `event` is the event that produced it. */
  applyStep(event: ModelEvent, r: StepResult, stepIndex: number): void {
    const operatorEdit = event.type === 'deleteFile' || event.type === 'copyFile' || event.type === 'renameFile' || event.type === 'truncateFile';
    if (operatorEdit) this.persistWhere(() => true); // syncAll before the edit
    for (const p of r.ops) this.issue(p, event);
    if (operatorEdit) this.persistWhere(() => true);
    if (event.type === 'powerLoss') {
      const before = this.lastDisk;
      const fates = before ? fatesOf(before, event.keep) : new Map();
      if (typeof fates === 'string') throw new ModelInvariantError(`crash image: ${fates}`);
      const forced = new Set((before?.inFlight ?? []).filter((o) => o.forced).map((o) => o.id));
      for (const b of this.inFlight) {
        const fate = forced.has(b.issued.id) ? 'keep' : (fates.get(b.issued.id) ?? { kind: 'drop' as const });
        if (fate === 'keep' || fate.kind === 'keep') applyToView(this.durable, b);
        else if (fate.kind === 'partial') this.applyPartial(b, fate.pages);
      }
      this.inFlight = [];
      this.cache = cloneView(this.durable);
    } else {
      // What the file system forced and the model folded into its durable view.
      const live = new Set(r.state.disk.inFlight.map((o) => o.id));
      this.persistWhere((b) => !live.has(b.issued.id));
    }
    this.lastDisk = r.state.disk;
    this.check(r, stepIndex);
  }

  /** A torn or zero-filled write made durable in part (power loss only). */
  private applyPartial({ issued: { op }, data }: ByteOp, pages: readonly number[]): void {
    if (op.type !== 'write') broken(`a power loss keeps part of #${op.type}, which is not a write`);
    if (data === null) broken(`a power loss keeps part of a later piece of a file copy (${op.path})`);
    this.durable.inodes.set(op.inode, partialWriteAt(this.durable.inodes.get(op.inode) ?? new Uint8Array(), op.offsetBytes, data, pages));
  }

  private persistWhere(pick: (b: ByteOp, index: number) => boolean): void {
    const keep: ByteOp[] = [];
    this.inFlight.forEach((b, i) => {
      if (pick(b, i)) applyToView(this.durable, b);
      else keep.push(b);
    });
    this.inFlight = keep;
  }

  private issue(p: PerformedOp, event: ModelEvent): void {
    const op = p.op;
    const data = op.type === 'write' ? this.encodeSegment(op, p.atMs, event) : null;
    const b: ByteOp = { issued: { id: p.id, atMs: p.atMs, op }, data };
    applyToView(this.cache, b);
    switch (op.type) {
      case 'fsync':
        this.persistWhere((x) => isDataOp(x.issued.op) && x.issued.op.inode === op.inode);
        return;
      case 'fsyncDir':
        this.persistWhere((x) => isNamespaceOp(x.issued.op) && opDir(x.issued.op) === op.dir);
        return;
      case 'write':
        this.inFlight.push(b);
        if (op.osync) this.persistWhere((x) => isDataOp(x.issued.op) && x.issued.op.inode === op.inode);
        return;
      default:
        this.inFlight.push(b);
    }
  }

  private encodeSegment(op: Extract<FileOp, { type: 'write' }>, atMs: number, event: ModelEvent): Uint8Array | null {
    const s: Segment = op.segment;
    const { config, epochMs, indexDbVersion } = this.opts;
    if (event.type === 'copyFile') {
      // An operator's copy: the source file's bytes, whole, with the copy's first write (the
      // model writes it segment by segment, at offsets in its own sizes, which for an index.db
      // of format 2+ are not the real ones).
      if (op.offsetBytes !== 0) return null;
      const src = this.cache.inodes.get(this.cache.entries.get(event.from) ?? -1);
      if (!src) broken(`copy of ${event.from}: no such file in the image`);
      return src.slice();
    }
    if (isBlockRecord(s)) {
      const bytes = encodeBlockRecord(config.streamName, s, epochMs);
      this.checksums.set(checksumOf(s), toHex(bytes.subarray(bytes.length - 8)));
      return bytes;
    }
    switch (s.kind) {
      case 'indexdb':
        return encodeIndexDb(config.streamName, s.summary, this.lchkHex(s.summary.lmbIndex, s.summary.lmbLastChecksum), indexDbVersion, epochMs);
      case 'odat':
        return encodeConsumerState(s.state, atMs, epochMs);
      case 'zeros':
        return new Uint8Array(s.bytes);
      case 'fragment':
        // Only an operator's copy writes debris (handled above).
        broken(`a write of a ${s.kind} segment outside a file copy (${op.path})`);
    }
  }

  /** index.db's lchk: a record's checksum, or the last 8 bytes of the lmb's file (ensureLastChecksumLoaded). */
  private lchkHex(lmbIndex: number, identity: string): string {
    if (identity === '') return '';
    const known = this.checksums.get(identity);
    if (known) return known;
    const file = this.cache.inodes.get(this.cache.entries.get(blockPath(lmbIndex)) ?? -1);
    const tail = file && file.length >= 8 ? file.subarray(file.length - 8) : new Uint8Array(8);
    const hex = tail.every((b) => b === 0) ? '' : toHex(tail);
    this.checksums.set(identity, hex);
    return hex;
  }

  /** The real checksum bytes (hex) of a model checksum identity seen so far; '' for none. */
  checksumHex(identity: string): string {
    return identity === '' ? '' : (this.checksums.get(identity) ?? `unknown(${identity})`);
  }

  /** The model's invariant for images: the same files with the same sizes in both views. */
  private check(r: StepResult, stepIndex: number): void {
    const compare = (mine: ByteView, model: Readonly<Record<string, number>>, inodes: Readonly<Record<number, readonly Segment[]>>, name: string) => {
      const paths = [...mine.entries.keys()].sort();
      const theirs = Object.keys(model).sort();
      if (paths.join('\n') !== theirs.join('\n')) broken(`step ${stepIndex + 1}: the image's ${name} files [${paths.join(', ')}] differ from the model's [${theirs.join(', ')}]`);
      for (const path of paths) {
        const size = mine.inodes.get(mine.entries.get(path)!)?.length ?? 0;
        const modelSize = (inodes[model[path]!] ?? []).reduce((n, s) => n + s.bytes, 0);
        // index.db sizes in the model are those of format v1; later formats add bytes (also to
        // a file an operator copied it into).
        const holdsIndexDb = (inodes[model[path]!] ?? []).some((seg) => seg.kind === 'indexdb' || (seg.kind === 'fragment' && seg.of === 'indexdb'));
        if (size !== modelSize && !(holdsIndexDb && this.opts.indexDbVersion !== 1)) {
          broken(`step ${stepIndex + 1}: ${name} ${path} is ${size} bytes in the image and ${modelSize} in the model`);
        }
      }
    };
    compare(this.cache, r.state.disk.cache.entries, r.state.disk.cache.inodes, 'page-cache');
    compare(this.durable, r.state.disk.durable.entries, r.state.disk.durable.inodes, 'durable');
  }

  /** A view's files as path -> bytes, sorted by path. */
  files(view: 'cache' | 'durable'): Map<string, Uint8Array> {
    const v = view === 'cache' ? this.cache : this.durable;
    const out = new Map<string, Uint8Array>();
    for (const path of [...v.entries.keys()].sort()) out.set(path, (v.inodes.get(v.entries.get(path)!) ?? new Uint8Array()).slice());
    return out;
  }
}

export { dirname };
