/**
 * Canonical fingerprints of search states: equal states have equal fingerprints whatever
 * order built them. Inode numbers are renumbered by first use in a fixed walk (cache paths
 * sorted, then durable paths sorted, then in-flight operations in issue order); operation ids
 * are dropped (a ghost claim keeps only how many in-flight operations it still waits on);
 * object keys are sorted.
 */
import { createHash } from 'node:crypto';
import type { Disk, FsView } from '../model/disk.js';
import type { ModelState } from '../model/state.js';
import { canonicalClaim, type Claim, type Ghost } from './ghost.js';

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

function canonicalDisk(disk: Disk): unknown {
  const renumber = new Map<number, number>();
  const id = (inode: number) => {
    if (!renumber.has(inode)) renumber.set(inode, renumber.size + 1);
    return renumber.get(inode)!;
  };
  const viewEntries = (v: FsView) => Object.keys(v.entries).sort().map((p) => [p, id(v.entries[p]!)]);
  const cacheEntries = viewEntries(disk.cache);
  const durableEntries = viewEntries(disk.durable);
  const inFlight = disk.inFlight.map((o) => {
    const op = o.op as Record<string, unknown>;
    return { atMs: o.atMs, journal: o.journal, extends: o.extends, forced: o.forced, op: { ...op, ...('inode' in op ? { inode: id(op.inode as number) } : {}) } };
  });
  const viewInodes = (v: FsView) =>
    Object.keys(v.inodes)
      .map(Number)
      .filter((i) => renumber.has(i))
      .map((i) => [renumber.get(i)!, v.inodes[i]] as const)
      .sort((a, b) => a[0] - b[0]);
  // Durable inodes reachable only from nothing above are garbage: collectGarbage drops them.
  return { cache: { entries: cacheEntries, inodes: viewInodes(disk.cache) }, durable: { entries: durableEntries, inodes: viewInodes(disk.durable) }, inFlight };
}

function canonicalClaims(claims: readonly Claim[], disk: Disk): unknown {
  return claims.map((c) => canonicalClaim(c, disk));
}

export function fingerprint(state: ModelState, ghost: Ghost, crashes: number): string {
  const text = canonicalJson({
    nowMs: state.nowMs,
    crashes,
    disk: canonicalDisk(state.disk),
    proc: state.proc,
    ghost: {
      starts: Math.min(ghost.starts, 2), // only "restarted or not" matters to the properties
      stores: ghost.stores,
      assigned: canonicalClaims(ghost.assigned, state.disk),
      unacked: canonicalClaims(ghost.unacked, state.disk),
      acked: canonicalClaims(ghost.acked, state.disk),
      current: ghost.current,
      restartAfterAck: ghost.restartAfterAck,
      beforeStop: ghost.beforeStop,
      delivered: ghost.delivered,
    },
  });
  return createHash('sha1').update(text).digest('base64');
}
