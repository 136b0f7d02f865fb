/**
 * `Io`: the only way the store touches the disk. It resolves paths, issues each operation to
 * the simulated disk, records it (with the Go function that performed it) and the warnings
 * logged, and carries out a kill between two operations: with `killAfterFileOps = N`, the
 * (N+1)th operation is never issued; the process dies instead.
 */
import type { Draft } from 'immer';
import { dirname, fileContent, fileSize, issueOp, type Disk, type FileOp } from './disk.js';
import type { FileSystemProfile } from './filesystems.js';
import type { Segment } from './records.js';

/** One file operation as the store performed it. */
export interface PerformedOp {
  readonly id: number;
  readonly atMs: number;
  readonly op: FileOp;
  /** The nats-server function that performed it, e.g. "removeMsgBlock". */
  readonly fn: string;
}

/** Thrown through the store's code when the kill point is reached. */
export class KillSignal {
  readonly kind = 'kill';
}

export class Io {
  readonly ops: PerformedOp[] = [];
  readonly log: string[] = [];
  /** For each log line, how many file operations the step had performed when it was logged. */
  readonly logAfterOps: number[] = [];

  constructor(
    private readonly disk: Draft<Disk>,
    /** The model clock; `advance` moves it as timers fire. */
    public nowMs: number,
    private readonly killAfterFileOps: number | undefined,
    /** The file system under the store: how each operation reaches the disk. */
    private readonly fs: FileSystemProfile,
  ) {}

  /** Whether the kill point was reached (the step continues only if it was not). */
  get killBudgetLeft(): number {
    return this.killAfterFileOps === undefined ? Infinity : this.killAfterFileOps - this.ops.length;
  }

  /** A background writer waiting to run once the step has issued `atOps` operations. */
  private background: { atOps: number; run: () => void } | null = null;

  /**
   * Run `run` (a background goroutine's write) just before the step's `afterOps`-th next
   * operation, or at the end of the step if it issues fewer. Its own operations count toward
   * the kill point like any other. One background writer at a time.
   */
  runInBackground(afterOps: number, run: () => void): void {
    if (this.background) throw new Error('a background write is already scheduled');
    this.background = { atOps: this.ops.length + afterOps, run };
    this.runDueBackground();
  }

  /** Run the scheduled background write if it is due now (or `force`, at the end of a step). */
  runDueBackground(force = false): void {
    const b = this.background;
    if (!b || (!force && this.ops.length < b.atOps)) return;
    this.background = null;
    b.run();
  }

  private issue(op: FileOp, fn: string): void {
    this.runDueBackground();
    if (this.killAfterFileOps !== undefined && this.ops.length >= this.killAfterFileOps) throw new KillSignal();
    // An issued operation (and the segment it writes) never changes: frozen, states share it.
    const issued = deepFreeze(issueOp(this.disk, this.fs, deepFreeze(op), this.nowMs));
    this.ops.push({ id: issued.id, atMs: issued.atMs, op, fn });
  }

  private inodeOf(path: string): number | undefined {
    return this.disk.cache.entries[path];
  }

  // ---- Reads: what the process sees (the page cache). Not file operations. ----

  exists(path: string): boolean {
    return this.inodeOf(path) !== undefined;
  }

  read(path: string): readonly Segment[] | undefined {
    return fileContent(this.disk.cache as Disk['cache'], path);
  }

  size(path: string): number | undefined {
    return fileSize(this.disk.cache as Disk['cache'], path);
  }

  /** Names of the files directly in `dir`, sorted. */
  list(dir: string): string[] {
    return Object.keys(this.disk.cache.entries)
      .filter((p) => dirname(p) === dir)
      .map((p) => p.slice(dir.length + 1))
      .sort();
  }

  // ---- Operations ----

  /** open(O_CREATE) of a file that does not exist yet. Opening an existing file is no operation. */
  create(path: string, fn: string): void {
    if (this.exists(path)) return;
    const inode = this.disk.nextInode;
    this.disk.nextInode += 1;
    this.issue({ type: 'create', path, inode }, fn);
  }

  writeAt(path: string, offsetBytes: number, segment: Segment, osync: boolean, fn: string): void {
    const inode = this.mustExist(path, 'write');
    this.issue({ type: 'write', path, inode, offsetBytes, segment, osync }, fn);
  }

  append(path: string, segment: Segment, osync: boolean, fn: string): void {
    this.writeAt(path, this.size(path) ?? 0, segment, osync, fn);
  }

  truncate(path: string, sizeBytes: number, fn: string): void {
    const inode = this.mustExist(path, 'truncate');
    this.issue({ type: 'truncate', path, inode, sizeBytes }, fn);
  }

  /** os.Remove: nothing if the file is not there. */
  unlink(path: string, fn: string): void {
    const inode = this.inodeOf(path);
    if (inode === undefined) return;
    this.issue({ type: 'unlink', path, inode }, fn);
  }

  rename(from: string, to: string, fn: string): void {
    const inode = this.mustExist(from, 'rename');
    this.issue({ type: 'rename', from, to, inode }, fn);
  }

  /** fsync(2) of an open file; nothing if the file cannot be opened. */
  fsync(path: string, fn: string): void {
    const inode = this.inodeOf(path);
    if (inode === undefined) return;
    this.issue({ type: 'fsync', path, inode }, fn);
  }

  fsyncDir(dir: string, fn: string): void {
    this.issue({ type: 'fsyncDir', dir }, fn);
  }

  /**
   * `os.WriteFile` / `writeFileWithOptionalSync`: open with O_CREATE|O_TRUNC (a truncate when
   * the file exists, a create when not), then one write. Not atomic: a crash can fall between.
   */
  rewriteInPlace(path: string, segment: Segment, osync: boolean, fn: string): void {
    if (this.exists(path)) this.truncate(path, 0, fn);
    else this.create(path, fn);
    this.writeAt(path, 0, segment, osync, fn);
  }

  warn(line: string): void {
    this.log.push(line);
    this.logAfterOps.push(this.ops.length);
  }

  private mustExist(path: string, what: string): number {
    const inode = this.inodeOf(path);
    if (inode === undefined) throw new Error(`model bug: ${what} of missing file ${path}`);
    return inode;
  }
}

/** Freeze a value and everything it holds (what is frozen already is left as it is). */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}
