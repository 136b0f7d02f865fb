/**
 * `msgs/index.db`, the full-state snapshot: `_writeFullState` (filestore.go L7890-8060 at
 * v2.10.22; L11822 at v2.14.5) and `recoverFullState` (L1537-1782). Magic 11, then the
 * version the profile's server writes:
 * - v1 (2.10.x); v2 (2.11) adds `uvarint ttls` per block after numDeleted; v3 (2.12) adds
 *   `uvarint schedules` after it; v4 (2.14) writes the subject's `lblk` even when total is 1.
 * The trailer is the lmb index, the lmb's last record checksum (8 bytes, zeros when none),
 * and HighwayHash-64 keyed by SHA(stream) over everything before it.
 */
import type { IndexDbSummary } from '../../model/records.js';
import { highway64, streamKey, toHex } from './hash.js';
import { modelMs, unixNanos } from './content.js';
import { decodeSeqSet, encodeSeqSet } from './seqset.js';
import { ByteReader, ByteWriter, DecodeError } from './varint.js';

export const FULL_STATE_MAGIC = 11;
export type IndexDbVersion = 1 | 2 | 3 | 4;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** `lchk`: 8 checksum bytes given as hex ('' is all zeros). */
export function encodeIndexDb(stream: string, s: IndexDbSummary, lchkHex: string, version: IndexDbVersion, epochMs: number): Uint8Array {
  if (!/^([0-9a-f]{16})?$/.test(lchkHex)) throw new Error(`index.db: last checksum must be 8 bytes of hex, got "${lchkHex}"`);
  const base = unixNanos(s.firstTsMs, epochMs);
  const w = new ByteWriter().u8(FULL_STATE_MAGIC).u8(version);
  w.uvarint(s.msgs).uvarint(s.bytes).uvarint(s.firstSeq).varint(base).uvarint(s.lastSeq).varint(unixNanos(s.lastTsMs, epochMs));
  w.uvarint(s.subjects.length);
  for (const subj of s.subjects) {
    const b = enc.encode(subj.subject);
    w.uvarint(b.length).bytes(b).uvarint(subj.total).uvarint(subj.fblk);
    if (subj.total > 1 || version >= 4) w.uvarint(subj.lblk);
  }
  w.uvarint(s.blocks.length);
  for (const b of s.blocks) {
    w.uvarint(b.index).uvarint(b.bytes).uvarint(b.firstSeq).varint(unixNanos(b.firstTsMs, epochMs) - base);
    w.uvarint(b.lastSeq).varint(unixNanos(b.lastTsMs, epochMs) - base).uvarint(b.dmap.length);
    if (version >= 2) w.uvarint(0); // ttls: the model has no per-message TTLs
    if (version >= 3) w.uvarint(0); // schedules
    if (b.dmap.length > 0) w.bytes(encodeSeqSet(b.dmap));
  }
  w.uvarint(s.lmbIndex).bytes(lchkHex === '' ? new Uint8Array(8) : Uint8Array.from(Buffer.from(lchkHex, 'hex')));
  const body = w.finish();
  return new ByteWriter().bytes(body).bytes(highway64(streamKey(stream), body)).finish();
}

export interface DecodedIndexDb {
  readonly version: number;
  /** As the model's summary, with `lmbLastChecksum` as hex ('' for all zeros). */
  readonly summary: IndexDbSummary;
  readonly checksumOk: boolean;
  /** Per block: ttls and schedules counts (v2+, v3+). */
  readonly extra: readonly { readonly ttls: number; readonly schedules: number }[];
}

export function decodeIndexDb(stream: string, buf: Uint8Array, epochMs: number): DecodedIndexDb {
  if (buf.length < 32) throw new DecodeError(`index.db: ${buf.length} bytes, shorter than the minimum 32`);
  const r = new ByteReader(buf.subarray(0, buf.length - 8), 'index.db');
  const magic = r.u8();
  const version = r.u8();
  if (magic !== FULL_STATE_MAGIC) throw new DecodeError(`index.db: bad magic ${magic}`);
  if (version < 1 || version > 4) throw new DecodeError(`index.db: unknown version ${version}`);
  const msgs = r.num();
  const bytes = r.num();
  const firstSeq = r.num();
  const base = r.varint();
  const lastSeq = r.num();
  const lastTs = r.varint();
  const subjects = [];
  for (let i = r.num(); i > 0; i--) {
    const subject = dec.decode(r.take(r.num()));
    const total = r.num();
    const fblk = r.num();
    const lblk = total > 1 || version >= 4 ? r.num() : fblk;
    subjects.push({ subject, total, fblk, lblk });
  }
  const blocks = [];
  const extra = [];
  for (let i = r.num(); i > 0; i--) {
    const index = r.num();
    const bbytes = r.num();
    const bFirst = r.num();
    const bFirstTs = r.varint() + base;
    const bLast = r.num();
    const bLastTs = r.varint() + base;
    const numDeleted = r.num();
    const ttls = version >= 2 ? r.num() : 0;
    const schedules = version >= 3 ? r.num() : 0;
    const dmap = numDeleted > 0 ? decodeSeqSet(r) : [];
    if (dmap.length !== numDeleted) throw new DecodeError(`index.db: block ${index} says ${numDeleted} deletes, its delete map holds ${dmap.length}`);
    blocks.push({ index, bytes: bbytes, firstSeq: bFirst, firstTsMs: modelMs(bFirstTs, epochMs), lastSeq: bLast, lastTsMs: modelMs(bLastTs, epochMs), dmap });
    extra.push({ ttls, schedules });
  }
  const lmbIndex = r.num();
  const lchk = r.take(8);
  if (r.remaining !== 0) throw new DecodeError(`index.db: ${r.remaining} unexpected bytes before the checksum`);
  const body = buf.subarray(0, buf.length - 8);
  const checksumOk = toHex(highway64(streamKey(stream), body)) === toHex(buf.subarray(buf.length - 8));
  const lchkHex = lchk.every((b) => b === 0) ? '' : toHex(lchk);
  return {
    version,
    checksumOk,
    extra,
    summary: { msgs, bytes, firstSeq, firstTsMs: modelMs(base, epochMs), lastSeq, lastTsMs: modelMs(lastTs, epochMs), subjects, blocks, lmbIndex, lmbLastChecksum: lchkHex },
  };
}
