/**
 * The two hashes nats-server's files carry: SHA-256 (to derive keys) and HighwayHash-64
 * (minio/highwayhash, 32-byte key), whose 8 output bytes are what Go's `Sum(nil)` returns.
 * highwayhasher ships a native build and a wasm fallback; its module loads once, here.
 */
import { createHash } from 'node:crypto';
import { HighwayHash } from 'highwayhasher';

const hh = await HighwayHash.loadModule();

/** SHA-256 of a UTF-8 string: the key of every HighwayHash in a store directory. */
export function sha256(text: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
}

/** HighwayHash-64 of `data` under a 32-byte key, as the 8 bytes Go's `hh.Sum(nil)` appends. */
export function highway64(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  if (key.length !== 32) throw new Error(`HighwayHash key must be 32 bytes, got ${key.length}`);
  const h = hh.create(key);
  for (const p of parts) h.append(p);
  return new Uint8Array(h.finalize64());
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** `fs.hh` / `mb.hh` keys: SHA of the stream name, of "<stream>-<N>", of "<stream>/<consumer>". */
export const streamKey = (stream: string): Uint8Array => sha256(stream);
export const blockKey = (stream: string, blockIndex: number): Uint8Array => sha256(`${stream}-${blockIndex}`);
export const consumerKey = (stream: string, consumer: string): Uint8Array => sha256(`${stream}/${consumer}`);
