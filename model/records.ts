/**
 * What files hold. A file's content is a list of segments: block records (message,
 * tombstone, skip), the index.db image, the o.dat image, and the debris a torn write or a
 * truncation leaves (fragments, zeros). Sizes are the real server's byte sizes.
 */

/** Time in the model: ms since the model's epoch. `null` is Go's zero time (ts == 0). */
export type TimeMs = number;

/** The model's epoch on the wall clock, used only to size timestamps as the server encodes them. */
export const EPOCH_UNIX_MS = 1_700_000_000_000;

/** `msgHdrSize` 22 + 8-byte checksum: a record with no subject, headers or payload. */
export const EMPTY_RECORD_BYTES = 30;
/** `checksumSize`: the trailing record hash; `lastChecksum` reads a file's last 8 bytes. */
export const CHECKSUM_BYTES = 8;

/**
 * The identity standing in for a record's 8-byte HighwayHash: the hash is keyed by the block
 * index and covers seq (with its flag bits), ts, subject, headers and payload, so a record
 * moved into another block's file fails its check.
 */
export function recordChecksum(blockIndex: number, kind: 'msg' | 'tombstone' | 'skip', seq: number, tsMs: TimeMs | null): string {
  return `${blockIndex}/${kind}/${seq}@${tsMs}`;
}

export interface MsgRecord {
  readonly kind: 'msg';
  /** The block index the record was written for (its hash key). */
  readonly blockIndex: number;
  readonly seq: number;
  readonly tsMs: TimeMs;
  readonly subject: string;
  readonly headersBytes: number;
  readonly payloadBytes: number;
  readonly bytes: number;
}

/** A delete tombstone (`seq|tbit`), 30 bytes: written by `writeTombstone`. */
export interface TombstoneRecord {
  readonly kind: 'tombstone';
  readonly blockIndex: number;
  readonly seq: number;
  /** The removed message's time; null when the server wrote a zero time. */
  readonly tsMs: TimeMs | null;
  readonly bytes: number;
}

/** A SkipMsg placeholder (`seq|ebit`), 30 bytes: written by `msgBlock.skipMsg`. */
export interface SkipRecord {
  readonly kind: 'skip';
  readonly blockIndex: number;
  readonly seq: number;
  readonly tsMs: TimeMs;
  readonly bytes: number;
}

export type BlockRecord = MsgRecord | TombstoneRecord | SkipRecord;

/** Per-block entry of index.db, as `_writeFullState` writes it. */
export interface IndexDbBlock {
  readonly index: number;
  readonly bytes: number;
  readonly firstSeq: number;
  readonly firstTsMs: TimeMs | null;
  readonly lastSeq: number;
  readonly lastTsMs: TimeMs | null;
  /** The block's dmap (interior deletes), ascending. */
  readonly dmap: readonly number[];
}

/** Per-subject index entry (PSIM), written into index.db. */
export interface IndexDbSubject {
  readonly subject: string;
  readonly total: number;
  readonly fblk: number;
  readonly lblk: number;
}

/** The full-state snapshot in index.db (magic 11, version 1). */
export interface IndexDbSummary {
  readonly msgs: number;
  readonly bytes: number;
  readonly firstSeq: number;
  readonly firstTsMs: TimeMs | null;
  readonly lastSeq: number;
  readonly lastTsMs: TimeMs | null;
  readonly subjects: readonly IndexDbSubject[];
  readonly blocks: readonly IndexDbBlock[];
  /** Index of the lmb at write time. */
  readonly lmbIndex: number;
  /** Checksum of the lmb's last record (`mb.lchk`); '' is the all-zero checksum. */
  readonly lmbLastChecksum: string;
}

export interface IndexDbImage {
  readonly kind: 'indexdb';
  readonly summary: IndexDbSummary;
  readonly bytes: number;
}

export interface SeqPair {
  readonly consumerSeq: number;
  readonly streamSeq: number;
}

export interface PendingEntry {
  readonly streamSeq: number;
  readonly consumerSeq: number;
  readonly tsMs: TimeMs;
}

export interface RedeliveredEntry {
  readonly streamSeq: number;
  readonly count: number;
}

/** `ConsumerState` as `encodeConsumerState` writes it into o.dat (magic 22, version 2). */
export interface StoredConsumerState {
  readonly delivered: SeqPair;
  readonly ackFloor: SeqPair;
  /** Ascending by stream sequence. Timestamps are stored with one-second resolution. */
  readonly pending: readonly PendingEntry[];
  readonly redelivered: readonly RedeliveredEntry[];
}

export interface ConsumerStateImage {
  readonly kind: 'odat';
  readonly state: StoredConsumerState;
  readonly bytes: number;
}

/** Part of a segment that a truncation or a partial overwrite cut. It never parses. */
export interface Fragment {
  readonly kind: 'fragment';
  readonly bytes: number;
  /** What it was cut from, for diagrams. */
  readonly of: Segment['kind'];
  /** The last 8 bytes are the original record's checksum (a tail of at least 8 bytes). */
  readonly tailChecksum: string | null;
}

/** A hole: bytes a write past the end of a file left as zeros. */
export interface Zeros {
  readonly kind: 'zeros';
  readonly bytes: number;
}

export type Segment = BlockRecord | IndexDbImage | ConsumerStateImage | Fragment | Zeros;

export function isBlockRecord(s: Segment): s is BlockRecord {
  return s.kind === 'msg' || s.kind === 'tombstone' || s.kind === 'skip';
}

/** `fileStoreMsgSize`: 22 + subject + [4 + headers] + payload + 8. */
export function fileStoreMsgSize(subjectBytes: number, headersBytes: number, payloadBytes: number): number {
  return headersBytes === 0 ? 22 + subjectBytes + payloadBytes + 8 : 22 + subjectBytes + 4 + headersBytes + payloadBytes + 8;
}

export function msgRecord(blockIndex: number, seq: number, tsMs: TimeMs, subject: string, headersBytes: number, payloadBytes: number): MsgRecord {
  return { kind: 'msg', blockIndex, seq, tsMs, subject, headersBytes, payloadBytes, bytes: fileStoreMsgSize(utf8Length(subject), headersBytes, payloadBytes) };
}

export function tombstoneRecord(blockIndex: number, seq: number, tsMs: TimeMs | null): TombstoneRecord {
  return { kind: 'tombstone', blockIndex, seq, tsMs, bytes: EMPTY_RECORD_BYTES };
}

export function skipRecord(blockIndex: number, seq: number, tsMs: TimeMs): SkipRecord {
  return { kind: 'skip', blockIndex, seq, tsMs, bytes: EMPTY_RECORD_BYTES };
}

export function checksumOf(r: BlockRecord): string {
  return recordChecksum(r.blockIndex, r.kind, r.seq, r.tsMs);
}

export function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

// ---- Sizes of the binary encodings -------------------------------------------------------

/** Length of Go's `binary.AppendUvarint(v)`. */
export function uvarintBytes(v: bigint | number): number {
  let x = BigInt(v);
  if (x < 0n) x += 1n << 64n; // Go's uint64 arithmetic wraps (e.g. a pending seq below the ack floor)
  let n = 1;
  while (x >= 0x80n) {
    x >>= 7n;
    n++;
  }
  return n;
}

/** Length of Go's `binary.AppendVarint(v)` (zig-zag). */
export function varintBytes(v: bigint | number): number {
  const x = BigInt(v);
  const zz = x >= 0n ? x << 1n : ((-x) << 1n) - 1n;
  return uvarintBytes(zz);
}

/** Go's `timestampNormalized` in ns: 0 for the zero time. */
function unixNanos(tsMs: TimeMs | null): bigint {
  return tsMs === null ? 0n : BigInt(EPOCH_UNIX_MS + tsMs) * 1_000_000n;
}

/** `avl.SequenceSet.EncodeLen`: 10-byte header + 266 bytes per node of 2048 sequences. */
export function dmapEncodedBytes(dmap: readonly number[]): number {
  const nodes = new Set(dmap.map((seq) => Math.floor(seq / 2048))).size;
  return 10 + nodes * ((32 + 1) * 8 + 2);
}

/** Size of the index.db image `_writeFullState` writes (unencrypted). */
export function indexDbBytes(s: IndexDbSummary): number {
  const base = unixNanos(s.firstTsMs);
  let n = 2; // magic, version
  n += uvarintBytes(s.msgs) + uvarintBytes(s.bytes) + uvarintBytes(s.firstSeq) + varintBytes(base);
  n += uvarintBytes(s.lastSeq) + varintBytes(unixNanos(s.lastTsMs));
  n += uvarintBytes(s.subjects.length);
  for (const subj of s.subjects) {
    const len = utf8Length(subj.subject);
    n += uvarintBytes(len) + len + uvarintBytes(subj.total) + uvarintBytes(subj.fblk);
    if (subj.total > 1) n += uvarintBytes(subj.lblk);
  }
  n += uvarintBytes(s.blocks.length);
  for (const b of s.blocks) {
    n += uvarintBytes(b.index) + uvarintBytes(b.bytes) + uvarintBytes(b.firstSeq) + varintBytes(unixNanos(b.firstTsMs) - base);
    n += uvarintBytes(b.lastSeq) + varintBytes(unixNanos(b.lastTsMs) - base) + uvarintBytes(b.dmap.length);
    if (b.dmap.length > 0) n += dmapEncodedBytes(b.dmap);
  }
  n += uvarintBytes(s.lmbIndex) + CHECKSUM_BYTES;
  return n + CHECKSUM_BYTES; // trailing HighwayHash of everything before it
}

/** Size of `encodeConsumerState` (store.go) at `nowMs`. */
export function consumerStateBytes(s: StoredConsumerState, nowMs: TimeMs): number {
  let n = 2; // magic, version
  n += uvarintBytes(s.ackFloor.consumerSeq) + uvarintBytes(s.ackFloor.streamSeq);
  n += uvarintBytes(s.delivered.consumerSeq) + uvarintBytes(s.delivered.streamSeq);
  n += uvarintBytes(s.pending.length);
  if (s.pending.length > 0) {
    const mints = Math.round((EPOCH_UNIX_MS + nowMs) / 1000); // now rounded to seconds
    n += varintBytes(mints);
    for (const p of s.pending) {
      const tsSec = Math.floor((EPOCH_UNIX_MS + p.tsMs) / 1000);
      n += uvarintBytes(p.streamSeq - s.ackFloor.streamSeq) + uvarintBytes(p.consumerSeq - s.ackFloor.consumerSeq) + varintBytes(mints - tsSec);
    }
  }
  n += uvarintBytes(s.redelivered.length);
  for (const r of s.redelivered) n += uvarintBytes(r.streamSeq - s.ackFloor.streamSeq) + uvarintBytes(r.count);
  return n;
}

/** Pending timestamps survive o.dat with one-second resolution (`ts / time.Second`). */
export function toStoredSecondsMs(tsMs: TimeMs): TimeMs {
  return Math.floor((EPOCH_UNIX_MS + tsMs) / 1000) * 1000 - EPOCH_UNIX_MS;
}
