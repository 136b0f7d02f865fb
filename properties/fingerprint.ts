/**
 * Fingerprints of search states: the 128-bit hash of the canonical encoding (canonical.ts),
 * so equal states have equal fingerprints whatever order built them and whatever the clock
 * reads; and canonical JSON (object keys sorted), which trace replay compares.
 */
import type { ModelState } from '../model/state.js';
import { CanonicalEncoder, timeHorizons } from './canonical.js';
import type { Ghost } from './ghost.js';
import { hash128Hex } from './hash128.js';

/** JSON with object keys sorted, recursively. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The canonical encoding of a search node (see canonical.ts). */
export function canonicalNode(state: ModelState, ghost: Ghost, crashes: number, encoder = new CanonicalEncoder(timeHorizons(state.config))): string {
  return encoder.encode({ state, ghost, crashes, redeliveries: 0 }, state.nowMs);
}

/** A state's 128-bit fingerprint (32 hex digits): the hash of its canonical encoding. */
export function fingerprint(state: ModelState, ghost: Ghost, crashes: number): string {
  return hash128Hex(canonicalNode(state, ghost, crashes));
}
