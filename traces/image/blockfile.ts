/**
 * Message block records (`msgs/N.blk`) byte by byte, as `msgBlock.writeMsgRecord`
 * (filestore.go L4860-4910, v2.10.22) writes them and `rebuildStateLocked` (L1262-1500) reads
 * them: rl (bit 31: has headers), seq (bit 63: erased/skip, bit 62: tombstone), ts ns,
 * subject length, subject, [header length, headers], payload, HighwayHash-64 keyed by
 * SHA("<stream>-<N>") over seq, ts, subject, headers and payload.
 */
import type { BlockRecord, MsgRecord, TimeMs } from '../../model/records.js';
import { blockKey, highway64, toHex } from './hash.js';
import { headerBytes, modelMs, payloadBytes, unixNanos } from './content.js';
import { ByteReader, ByteWriter } from './varint.js';

export const MSG_HDR_BYTES = 22; // msgHdrSize
export const RECORD_HASH_BYTES = 8; // recordHashSize
export const HBIT = 1n << 31n;
export const EBIT = 1n << 63n;
export const TBIT = 1n << 62n;
/** `rlBadThresh`: a record length at or above this is corrupt. */
export const RL_BAD_THRESH = 32 * 1024 * 1024;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: false });

export interface RecordParts {
  readonly seqWithFlags: bigint;
  readonly tsNs: bigint;
  readonly subject: Uint8Array;
  readonly headers: Uint8Array;
  readonly payload: Uint8Array;
}

/** Encode one record under block key `key` (the block it was written for). */
export function encodeRecordParts(key: Uint8Array, p: RecordParts): Uint8Array {
  const hasHdr = p.headers.length > 0;
  const rl = MSG_HDR_BYTES + p.subject.length + (hasHdr ? 4 + p.headers.length : 0) + p.payload.length + RECORD_HASH_BYTES;
  const head = new ByteWriter().le(BigInt(rl) | (hasHdr ? HBIT : 0n), 4).le(p.seqWithFlags, 8).le(p.tsNs, 8).le(p.subject.length, 2).finish();
  const sum = highway64(key, head.subarray(4, 20), p.subject, p.headers, p.payload);
  const w = new ByteWriter().bytes(head).bytes(p.subject);
  if (hasHdr) w.le(p.headers.length, 4).bytes(p.headers);
  return w.bytes(p.payload).bytes(sum).finish();
}

/** The bytes of a model block record, with its deterministic payload and headers. */
export function encodeBlockRecord(stream: string, r: BlockRecord, epochMs: number): Uint8Array {
  const key = blockKey(stream, r.blockIndex);
  const empty = new Uint8Array();
  switch (r.kind) {
    case 'msg':
      return encodeRecordParts(key, { seqWithFlags: BigInt(r.seq), tsNs: unixNanos(r.tsMs, epochMs), subject: enc.encode(r.subject), headers: headerBytes(r.seq, r.headersBytes), payload: payloadBytes(r.seq, r.payloadBytes) });
    case 'tombstone':
      return encodeRecordParts(key, { seqWithFlags: BigInt(r.seq) | TBIT, tsNs: unixNanos(r.tsMs, epochMs), subject: empty, headers: empty, payload: empty });
    case 'skip':
      return encodeRecordParts(key, { seqWithFlags: BigInt(r.seq) | EBIT, tsNs: unixNanos(r.tsMs, epochMs), subject: empty, headers: empty, payload: empty });
  }
}

/** A record as read back from a block file. */
export interface DecodedRecord {
  readonly kind: 'msg' | 'tombstone' | 'skip';
  /** The block whose key its checksum matches (normally the file's own index). */
  readonly blockIndex: number;
  readonly seq: number;
  readonly tsMs: TimeMs | null;
  readonly subject: string;
  readonly headersBytes: number;
  readonly payloadBytes: number;
  readonly bytes: number;
  /** The record's 8-byte checksum, hex. */
  readonly checksum: string;
  /**
   * Whether the checksum matches the key of the file it is in. The server stops reading the
   * file at the first record where it does not; the decoder reads on, to describe the bytes.
   */
  readonly checksumOk: boolean;
  readonly payload: Uint8Array;
}

export interface DecodedBlockFile {
  readonly records: readonly DecodedRecord[];
  /** Bytes from the first record that fails the server's checks to the end (the server truncates there). */
  readonly badTailBytes: number;
  /** Why the tail is bad; null when the file parsed to its end. */
  readonly badTailReason: string | null;
}

/**
 * Read a block file as `rebuildStateLocked` does: stop at the first record whose header is
 * insane or whose checksum matches no key. A record whose checksum matches another block's
 * key (`otherBlocks`: one copied from there) is reported with `checksumOk: false`.
 */
export function decodeBlockFile(stream: string, fileIndex: number, buf: Uint8Array, epochMs: number, otherBlocks: readonly number[] = []): DecodedBlockFile {
  const records: DecodedRecord[] = [];
  let at = 0;
  const bad = (reason: string): DecodedBlockFile => ({ records, badTailBytes: buf.length - at, badTailReason: reason });
  while (at < buf.length) {
    if (buf.length - at < MSG_HDR_BYTES + RECORD_HASH_BYTES) return bad(`${buf.length - at} bytes, shorter than a record`);
    const r = new ByteReader(buf.subarray(at), `${fileIndex}.blk`);
    const rlRaw = r.le(4);
    const hasHdr = (rlRaw & HBIT) !== 0n;
    const rl = Number(rlRaw & ~HBIT);
    const seqRaw = r.le(8);
    const tsRaw = BigInt.asIntN(64, r.le(8));
    const slen = Number(r.le(2));
    if (rl < MSG_HDR_BYTES + RECORD_HASH_BYTES || rl >= RL_BAD_THRESH || at + rl > buf.length) return bad(`record length ${rl} at byte ${at} is not sane`);
    if (MSG_HDR_BYTES + slen + (hasHdr ? 4 : 0) + RECORD_HASH_BYTES > rl) return bad(`subject length ${slen} at byte ${at} does not fit record length ${rl}`);
    const rec = buf.subarray(at, at + rl);
    const subject = rec.subarray(MSG_HDR_BYTES, MSG_HDR_BYTES + slen);
    let bodyAt = MSG_HDR_BYTES + slen;
    let headers: Uint8Array = new Uint8Array();
    if (hasHdr) {
      const hlen = Number(new ByteReader(rec.subarray(bodyAt), 'hdr').le(4));
      bodyAt += 4;
      if (bodyAt + hlen + RECORD_HASH_BYTES > rl) return bad(`header length ${hlen} at byte ${at} does not fit record length ${rl}`);
      headers = rec.subarray(bodyAt, bodyAt + hlen);
      bodyAt += hlen;
    }
    const payload = rec.subarray(bodyAt, rl - RECORD_HASH_BYTES);
    const sum = rec.subarray(rl - RECORD_HASH_BYTES, rl);
    const sumHex = toHex(sum);
    const matches = (index: number) => toHex(highway64(blockKey(stream, index), rec.subarray(4, 20), subject, headers, payload)) === sumHex;
    const ok = matches(fileIndex);
    const keyIndex = ok ? fileIndex : otherBlocks.find((i) => i !== fileIndex && matches(i));
    if (keyIndex === undefined) return bad(`checksum mismatch at byte ${at}`);
    const kind = (seqRaw & EBIT) !== 0n ? 'skip' : (seqRaw & TBIT) !== 0n ? 'tombstone' : 'msg';
    const seq = Number(seqRaw & ~(EBIT | TBIT));
    const tsMs = modelMs(tsRaw, epochMs);
    records.push({ kind, blockIndex: keyIndex, seq, tsMs, subject: dec.decode(subject), headersBytes: headers.length, payloadBytes: payload.length, bytes: rl, checksum: sumHex, checksumOk: ok, payload: new Uint8Array(payload) });
    at += rl;
  }
  return { records, badTailBytes: 0, badTailReason: null };
}

/** The model record a decoded one stands for (for comparisons with the model's view). */
export function asModelRecord(d: DecodedRecord): BlockRecord {
  if (d.kind === 'msg') {
    const m: MsgRecord = { kind: 'msg', blockIndex: d.blockIndex, seq: d.seq, tsMs: d.tsMs ?? 0, subject: d.subject, headersBytes: d.headersBytes, payloadBytes: d.payloadBytes, bytes: d.bytes };
    return m;
  }
  if (d.kind === 'tombstone') return { kind: 'tombstone', blockIndex: d.blockIndex, seq: d.seq, tsMs: d.tsMs, bytes: d.bytes };
  return { kind: 'skip', blockIndex: d.blockIndex, seq: d.seq, tsMs: d.tsMs ?? 0, bytes: d.bytes };
}
