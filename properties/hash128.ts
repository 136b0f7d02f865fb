/**
 * A 128-bit non-cryptographic hash of a string: MurmurHash3 x86_128 (Austin Appleby, public
 * domain) over the string's UTF-16 code units, two to a 32-bit word. The search stores only
 * this fingerprint of each state's canonical encoding; at 128 bits the chance that two of a
 * billion distinct states collide is about 1.5e-21, and `--verify-fingerprints` compares
 * full encodings to show none did.
 */

/** MurmurHash3's 32-bit finalizer (also used by digest.ts). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/**
 * MurmurHash3 x86_128's final mix of four lanes (already xored with the length), written into
 * `out[offset..offset+3]` as 32-bit words (also used by digest.ts's incremental hasher).
 */
export function finalizeLanes(h1: number, h2: number, h3: number, h4: number, out: Uint32Array | Int32Array, offset: number): void {
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0;
  h3 = (h3 + h1) | 0;
  h4 = (h4 + h1) | 0;
  h1 = fmix32(h1);
  h2 = fmix32(h2);
  h3 = fmix32(h3);
  h4 = fmix32(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  out[offset] = h1;
  out[offset + 1] = (h2 + h1) | 0;
  out[offset + 2] = (h3 + h1) | 0;
  out[offset + 3] = (h4 + h1) | 0;
}

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

/** The four 32-bit words of the hash, written into `out` (unsigned). */
export function hash128Into(s: string, out: Uint32Array, seed = 0): void {
  let h1 = seed;
  let h2 = seed;
  let h3 = seed;
  let h4 = seed;
  const n = s.length;
  const words = n >> 1;
  const blocks = words >> 2; // 4 words (8 code units) per block
  let i = 0;
  for (let b = 0; b < blocks; b++, i += 8) {
    let k1 = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16);
    let k2 = s.charCodeAt(i + 2) | (s.charCodeAt(i + 3) << 16);
    let k3 = s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 16);
    let k4 = s.charCodeAt(i + 6) | (s.charCodeAt(i + 7) << 16);
    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, C2);
    h1 ^= k1;
    h1 = (h1 << 19) | (h1 >>> 13);
    h1 = (h1 + h2) | 0;
    h1 = (Math.imul(h1, 5) + 0x561ccd1b) | 0;
    k2 = Math.imul(k2, C2);
    k2 = (k2 << 16) | (k2 >>> 16);
    k2 = Math.imul(k2, C3);
    h2 ^= k2;
    h2 = (h2 << 17) | (h2 >>> 15);
    h2 = (h2 + h3) | 0;
    h2 = (Math.imul(h2, 5) + 0x0bcaa747) | 0;
    k3 = Math.imul(k3, C3);
    k3 = (k3 << 17) | (k3 >>> 15);
    k3 = Math.imul(k3, C4);
    h3 ^= k3;
    h3 = (h3 << 15) | (h3 >>> 17);
    h3 = (h3 + h4) | 0;
    h3 = (Math.imul(h3, 5) + 0x96cd1c35) | 0;
    k4 = Math.imul(k4, C4);
    k4 = (k4 << 18) | (k4 >>> 14);
    k4 = Math.imul(k4, C1);
    h4 ^= k4;
    h4 = (h4 << 13) | (h4 >>> 19);
    h4 = (h4 + h1) | 0;
    h4 = (Math.imul(h4, 5) + 0x32ac3b17) | 0;
  }
  // Tail: up to 7 code units, as in the reference's byte tail (each unit fills 2 bytes).
  let k1 = 0;
  let k2 = 0;
  let k3 = 0;
  let k4 = 0;
  const rest = n - i;
  const unit = (j: number) => s.charCodeAt(i + j) << ((j & 1) * 16);
  if (rest > 6) k4 ^= unit(6);
  if (rest > 4) {
    k3 ^= unit(4);
    if (rest > 5) k3 ^= unit(5);
  }
  if (rest > 2) {
    k2 ^= unit(2);
    if (rest > 3) k2 ^= unit(3);
  }
  if (rest > 0) {
    k1 ^= unit(0);
    if (rest > 1) k1 ^= unit(1);
  }
  if (rest > 6) {
    k4 = Math.imul(k4, C4);
    k4 = (k4 << 18) | (k4 >>> 14);
    h4 ^= Math.imul(k4, C1);
  }
  if (rest > 4) {
    k3 = Math.imul(k3, C3);
    k3 = (k3 << 17) | (k3 >>> 15);
    h3 ^= Math.imul(k3, C4);
  }
  if (rest > 2) {
    k2 = Math.imul(k2, C2);
    k2 = (k2 << 16) | (k2 >>> 16);
    h2 ^= Math.imul(k2, C3);
  }
  if (rest > 0) {
    k1 = Math.imul(k1, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    h1 ^= Math.imul(k1, C2);
  }
  const len = n * 2;
  h1 ^= len;
  h2 ^= len;
  h3 ^= len;
  h4 ^= len;
  finalizeLanes(h1, h2, h3, h4, out, 0);
}

/** The hash as 32 hex digits. */
export function hash128Hex(s: string): string {
  const w = new Uint32Array(4);
  hash128Into(s, w);
  let hex = '';
  for (let i = 0; i < 4; i++) hex += w[i]!.toString(16).padStart(8, '0');
  return hex;
}
