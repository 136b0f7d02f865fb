/**
 * What the model leaves abstract and a real store directory needs in bytes: message payloads,
 * header blocks and wall-clock times. All are deterministic functions of the trace.
 * - A payload of n bytes for seq s is the text "s<s>." repeated and cut to n bytes.
 * - A header block of n bytes is a NATS header ("NATS/1.0\r\n...\r\n\r\n") padded to n bytes.
 * - Model time t ms is Unix time `epochMs + t` (default: the model's own epoch,
 *   `EPOCH_UNIX_MS`, which its encoded sizes assume); Go's zero time (null) is 0 ns.
 */
import { EPOCH_UNIX_MS, type TimeMs } from '../../model/records.js';

export { EPOCH_UNIX_MS };

const enc = new TextEncoder();

export function payloadBytes(seq: number, length: number): Uint8Array {
  const unit = enc.encode(`s${seq}.`);
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = unit[i % unit.length]!;
  return out;
}

/**
 * A header block of exactly `length` bytes. The filestore stores headers opaquely; the
 * smallest block the client library would send is "NATS/1.0\r\n\r\n" (12 bytes).
 * Longer ones carry one `Model-Pad` header; 13..24 bytes pad the status line instead.
 */
export function headerBytes(seq: number, length: number): Uint8Array {
  if (length === 0) return new Uint8Array();
  if (length < 12) throw new Error(`a NATS header block needs at least 12 bytes, got ${length}`);
  const line = 'Model-Pad: ';
  const fixed = 'NATS/1.0\r\n'.length + line.length + 2 + 2; // status, key, line end, block end
  if (length < fixed + 1) return enc.encode(`NATS/1.0${' '.repeat(length - 12)}\r\n\r\n`);
  const value = payloadText(seq, length - fixed);
  return enc.encode(`NATS/1.0\r\n${line}${value}\r\n\r\n`);
}

function payloadText(seq: number, length: number): string {
  return new TextDecoder().decode(payloadBytes(seq, length));
}

/** Unix nanoseconds of a model time (`timestampNormalized`: 0 for the zero time). */
export function unixNanos(tsMs: TimeMs | null, epochMs: number): bigint {
  return tsMs === null ? 0n : BigInt(epochMs + tsMs) * 1_000_000n;
}

/** Back from Unix nanoseconds to model time; 0 ns is the zero time (null). */
export function modelMs(ns: bigint, epochMs: number): TimeMs | null {
  if (ns === 0n) return null;
  return Number(ns / 1_000_000n) - epochMs;
}
