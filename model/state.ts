/**
 * The model's state: the disk (which outlives the process) and, while the server runs, the
 * process: the stream's `fileStore` and each consumer. Names follow the Go fields.
 */
import type { StoreConfig } from './config.js';
import type { Disk } from './disk.js';
import type { Io } from './io.js';
import type { Profile } from './profile.js';
import type { MsgRecord, PendingEntry, RedeliveredEntry, Segment, SeqPair, StoredConsumerState, TimeMs } from './records.js';

/** `msgBlock`: one `msgs/N.blk` as the process tracks it. */
export interface MsgBlock {
  readonly index: number;
  firstSeq: number;
  firstTsMs: TimeMs | null;
  lastSeq: number;
  lastTsMs: TimeMs | null;
  /** Live messages. */
  msgs: number;
  /** Bytes of live message records. */
  bytes: number;
  /** Bytes of every record written to the file (`rbytes`): the roll decision uses it. */
  rbytes: number;
  /** Interior deletes, ascending (`mb.dmap`, in memory only). */
  dmap: number[];
  /** Checksum of the last record written (`mb.lchk`); '' is all zeros (not loaded, or empty). */
  lchk: string;
  /** Written since the last fsync (`mb.needSync`). */
  needSync: boolean;
  /** `mb.noCompact`: the last sync-time compaction changed nothing (cleared when FirstSeq moves). */
  noCompact: boolean;
}

/** `fs.state`: what `FastState` reports. */
export interface StreamSummary {
  msgs: number;
  bytes: number;
  firstSeq: number;
  firstTsMs: TimeMs | null;
  lastSeq: number;
  lastTsMs: TimeMs | null;
}

/** `fileStore` of one stream while the process runs. */
export interface StoreProc {
  state: StreamSummary;
  /** `fs.blks`, ascending by index. */
  blks: MsgBlock[];
  /**
   * `fs.lmb`: the index of the last (write) block. Between steps it is always the last of
   * `blks`; inside a step it can name a block already removed (as `fs.lmb` can).
   */
  lmbIndex: number | null;
  /** `fs.dirty > 0`: index.db is behind. */
  dirty: boolean;
  /** `fs.ld`: sequences recovery declared lost; null when none was recorded. */
  lost: { msgs: number[]; bytes: number } | null;
  /** `fs.firstMoved`: FirstSeq moved since the last `syncBlocks` (lets it retry compaction). */
  firstMoved: boolean;
  /** Deadlines of the store's timers. */
  timers: {
    /** `syncBlocks` (`setSyncTimer`). */
    syncAtMs: number;
    /** `flushStreamStateLoop` ticker: `writeFullState`. */
    indexFlushAtMs: number;
    /** The ticker's period: 2 min plus the jitter chosen at start (#6220). */
    indexFlushPeriodMs: number;
    /**
     * `syncBlocks` has run once: it re-arms itself only after its work (L5378), so from then on
     * it fires just after the index.db ticker (which keeps its phase, L7851) when both are due.
     */
    syncRearmed: boolean;
    /** `ageChk`: `expireMsgs`, or null when not running. */
    ageCheckAtMs: number | null;
  };
}

/** `consumer` (consumer.go) and its `consumerFileStore`, for one durable explicit-ack consumer. */
export interface ConsumerProc {
  readonly name: string;
  // consumer.go, in memory
  /** `o.sseq`: next stream sequence to deliver. */
  sseq: number;
  /** `o.dseq`: next delivery (consumer) sequence. */
  dseq: number;
  /** `o.adflr`, `o.asflr`: ack floors. */
  adflr: number;
  asflr: number;
  /** `o.pending`, ascending by stream sequence. */
  pending: PendingEntry[];
  /** `o.rdc`: redelivery counts. */
  rdc: RedeliveredEntry[];
  // consumerFileStore
  /** `o.state` of the store: what o.dat gets. */
  stored: {
    delivered: SeqPair;
    ackFloor: SeqPair;
    pending: PendingEntry[];
    redelivered: RedeliveredEntry[];
  };
  /** `o.dirty`: changed since the last o.dat write. */
  dirty: boolean;
  /** `flushLoop`'s `lastWrite`; null before the first write. */
  lastWriteMs: TimeMs | null;
  /** When `flushLoop` will write o.dat next; null when not kicked. */
  flushAtMs: TimeMs | null;
  /** `o.ptmr`: when `checkPending` runs next; null when not armed. */
  checkPendingAtMs: TimeMs | null;
}

export interface Proc {
  store: StoreProc;
  /** In `config.consumers` order. */
  consumers: ConsumerProc[];
}

export interface ModelState {
  readonly config: StoreConfig;
  readonly profileName: string;
  /** The model clock, ms since the model's epoch. */
  readonly nowMs: TimeMs;
  readonly disk: Disk;
  /** Null while the server is down (before the first start, after stop, kill or power loss). */
  readonly proc: Proc | null;
}

/** What the store's functions get: the I/O context, the configuration, the version flags. */
export interface Ctx {
  readonly io: Io;
  readonly cfg: StoreConfig;
  readonly profile: Profile;
}

export const MSGS_DIR = 'msgs';
export const INDEX_DB_PATH = 'msgs/index.db';

export function blockPath(index: number): string {
  return `msgs/${index}.blk`;
}

export function consumerStatePath(name: string): string {
  return `obs/${name}/o.dat`;
}

/** The temporary index.db of the proposed fix `index-before-unlink` (removalrecord.ts): written, fsynced, renamed. */
export const INDEX_DB_TMP_PATH = `${INDEX_DB_PATH}.tmp`;

/**
 * Whether only a start reads this file: index.db (`recoverFullState`), its temporary (written
 * then renamed over index.db, never read) and each consumer's o.dat (`readStoredState` and
 * `HasState` when a start creates the consumer). While the process runs, no operation reads
 * them or lists their directory's names beside the blocks (it writes, renames and unlinks them);
 * message blocks, in contrast, are read while running (`loadMsgs`, removal, `compact`).
 * properties/exhaustive.ts leaves their contents out of a state once no start can follow.
 */
export function readOnlyAtStart(path: string): boolean {
  return path === INDEX_DB_PATH || path === INDEX_DB_TMP_PATH || /^obs\/[^/]+\/o\.dat$/.test(path);
}

/**
 * `blkScan = "%d.blk"` with fmt.Sscanf, which also accepts "10.blk.tmp"; with `strict` (#6684,
 * v2.10.28) the name must also end in ".blk".
 */
export function scanBlockIndex(fileName: string, strict = false): number | null {
  const m = (strict ? /^(\d+)\.blk$/ : /^(\d+)\.blk/).exec(fileName);
  return m ? Number(m[1]) : null;
}

export function lmbOf(fs: StoreProc): MsgBlock | undefined {
  return fs.lmbIndex === null ? undefined : fs.blks.find((b) => b.index === fs.lmbIndex);
}

export function emptyStoredConsumerState(): StoredConsumerState {
  return { delivered: { consumerSeq: 0, streamSeq: 0 }, ackFloor: { consumerSeq: 0, streamSeq: 0 }, pending: [], redelivered: [] };
}

/** Insert into an ascending number list, keeping it a set. */
export function insertSorted(list: number[], value: number): void {
  let i = list.length;
  while (i > 0 && list[i - 1]! > value) i--;
  if (list[i - 1] !== value) list.splice(i, 0, value);
}

export function removeSorted(list: number[], value: number): boolean {
  const i = list.indexOf(value);
  if (i < 0) return false;
  list.splice(i, 1);
  return true;
}

/** The message record with this sequence in a block's file, if the file holds it. */
export function findMsgRecord(ctx: Ctx, mb: MsgBlock, seq: number): MsgRecord | undefined {
  const content = ctx.io.read(blockPath(mb.index));
  if (!content) return undefined;
  for (const s of content) if (s.kind === 'msg' && s.seq === seq) return s;
  return undefined;
}

/** `cacheLookup`: a live message of the block (in range, not deleted, and in the file). */
export function lookupMsg(ctx: Ctx, mb: MsgBlock, seq: number): MsgRecord | undefined {
  if (seq < mb.firstSeq || seq > mb.lastSeq || mb.dmap.includes(seq)) return undefined;
  return findMsgRecord(ctx, mb, seq);
}

/** The live messages of a block in its file's content: in range, not deleted, ascending. */
export function liveMessagesIn(content: readonly Segment[] | undefined, mb: MsgBlock): MsgRecord[] {
  if (!content || mb.msgs === 0) return [];
  const out: MsgRecord[] = [];
  for (const s of content) {
    if (s.kind === 'msg' && s.seq >= mb.firstSeq && s.seq <= mb.lastSeq && !mb.dmap.includes(s.seq)) out.push(s);
  }
  return out;
}

/** Every live message of a block, as the process sees its file. */
export function liveMessages(ctx: Ctx, mb: MsgBlock): MsgRecord[] {
  return liveMessagesIn(ctx.io.read(blockPath(mb.index)), mb);
}

/** `selectMsgBlock`: the block whose range holds `seq`. */
export function selectMsgBlock(fs: StoreProc, seq: number): MsgBlock | undefined {
  return fs.blks.find((b) => seq >= b.firstSeq && seq <= b.lastSeq);
}

/** `LoadNextMsg`: the first live message at or after `start`, across blocks. */
export function loadNextMsg(ctx: Ctx, fs: StoreProc, start: number): MsgRecord | undefined {
  for (const mb of fs.blks) {
    if (mb.lastSeq < start || mb.msgs === 0) continue;
    for (const m of liveMessages(ctx, mb)) if (m.seq >= start) return m;
  }
  return undefined;
}
