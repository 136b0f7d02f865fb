/**
 * Consumer `o.dat`: `encodeConsumerState` (store.go L371-431, v2.10.22) and
 * `decodeConsumerState` (filestore.go L9330-9430). Magic 22, version 2; ack floor and
 * delivered pairs; pending entries relative to the ack floor with times as
 * `mints - ts/1e9`, where mints is the write time rounded to whole seconds; redelivery
 * counts. No checksum. Go writes pending and redelivered in map order; the model writes them
 * ascending, which the decoder does not care about.
 */
import type { StoredConsumerState, TimeMs } from '../../model/records.js';
import { ByteReader, ByteWriter, DecodeError } from './varint.js';

export const ODAT_MAGIC = 22;
export const ODAT_VERSION = 2;

/** `nowMs`: model time of the write (mints comes from it). */
export function encodeConsumerState(s: StoredConsumerState, nowMs: TimeMs, epochMs: number): Uint8Array {
  const w = new ByteWriter().u8(ODAT_MAGIC).u8(ODAT_VERSION);
  w.uvarint(s.ackFloor.consumerSeq).uvarint(s.ackFloor.streamSeq).uvarint(s.delivered.consumerSeq).uvarint(s.delivered.streamSeq);
  w.uvarint(s.pending.length);
  if (s.pending.length > 0) {
    const mints = Math.round((epochMs + nowMs) / 1000); // time.Now().Round(time.Second).Unix()
    w.varint(mints);
    for (const p of s.pending) {
      const tsSec = Math.floor((epochMs + p.tsMs) / 1000); // ts / int64(time.Second)
      w.uvarint(BigInt(p.streamSeq - s.ackFloor.streamSeq)).uvarint(BigInt(p.consumerSeq - s.ackFloor.consumerSeq)).varint(mints - tsSec);
    }
  }
  w.uvarint(s.redelivered.length);
  for (const r of s.redelivered) w.uvarint(BigInt(r.streamSeq - s.ackFloor.streamSeq)).uvarint(r.count);
  return w.finish();
}

export interface DecodedConsumerState {
  readonly version: number;
  /** Pending and redelivered ascending by stream sequence; pending times at whole seconds. */
  readonly state: StoredConsumerState;
  /** Bytes after the encoded state (the decoder ignores them, as the server's does). */
  readonly trailingBytes: number;
}

const U64 = 1n << 64n;

/** `decodeConsumerState`, v2 (and v1's relative delivered sequences). */
export function decodeConsumerState(buf: Uint8Array, epochMs: number): DecodedConsumerState {
  const r = new ByteReader(buf, 'o.dat');
  const magic = r.u8();
  const version = r.u8();
  if (magic !== ODAT_MAGIC) throw new DecodeError(`o.dat: bad magic ${magic}`);
  if (version !== 1 && version !== 2) throw new DecodeError(`o.dat: unknown version ${version}`);
  const ackFloor = { consumerSeq: r.num(), streamSeq: r.num() };
  let delivered = { consumerSeq: r.num(), streamSeq: r.num() };
  if (version === 1) delivered = { consumerSeq: delivered.consumerSeq + ackFloor.consumerSeq, streamSeq: delivered.streamSeq + ackFloor.streamSeq };
  const wrapAdd = (v: bigint, floor: number) => Number((v + BigInt(floor)) % U64);
  const pending = [];
  const numPending = r.num();
  if (numPending > 0) {
    const mints = r.varint();
    for (let i = 0; i < numPending; i++) {
      const streamSeq = wrapAdd(r.uvarint(), ackFloor.streamSeq);
      const consumerSeq = wrapAdd(r.uvarint(), ackFloor.consumerSeq);
      const v = r.varint();
      const tsSec = version === 1 ? v + mints : mints - v;
      if (streamSeq === 0) throw new DecodeError('o.dat: pending stream sequence 0');
      pending.push({ streamSeq, consumerSeq, tsMs: Number(tsSec) * 1000 - epochMs });
    }
  }
  const redelivered = [];
  for (let i = r.num(); i > 0; i--) redelivered.push({ streamSeq: wrapAdd(r.uvarint(), ackFloor.streamSeq), count: r.num() });
  pending.sort((a, b) => a.streamSeq - b.streamSeq);
  redelivered.sort((a, b) => a.streamSeq - b.streamSeq);
  return { version, state: { delivered, ackFloor, pending, redelivered }, trailingBytes: r.remaining };
}
