/**
 * The disk's crash rules per file system, on fixed traces: the sets of disks a power loss may
 * leave. Expected sets come from the file-system crash-semantics page (its table for
 * v2.10.22's last-block removal: unlink N.blk, create N+1.blk, write the tombstone; and its
 * paragraph on o.dat's truncate-and-rewrite), not from the model's output. And posix, the
 * weakest, must contain every disk the others allow.
 */
import { describe, expect, it } from 'vitest';
import { fatesOf, survivingView, type Disk } from './disk.js';
import { FILE_SYSTEM_NAMES, type FileSystemName } from './filesystems.js';
import { checkKeep, powerLossChoices } from './powerloss.js';
import { Sim } from './testing.js';
import type { ModelEvent } from './step.js';

const S: ModelEvent = { type: 'store', subject: 'foo', payloadBytes: 10 };
const D: ModelEvent = { type: 'deliver', consumer: 'C' };

/** A disk's files under `prefix`, as "path:bytes:kinds", sorted. */
function describeView(disk: Disk, fates: ReturnType<typeof fatesOf>, prefix: string): string {
  if (typeof fates === 'string') throw new Error(fates);
  const v = survivingView(disk, fates);
  return Object.keys(v.entries)
    .filter((p) => p.startsWith(prefix))
    .sort()
    .map((p) => {
      const content = v.inodes[v.entries[p]!] ?? [];
      return `${p}:${content.reduce((n, s) => n + s.bytes, 0)}:${content.map((s) => s.kind).join('+')}`;
    })
    .join(' ');
}

/** Every disk (files under `prefix`) a power loss may leave after `events` on `fs`. */
function survivors(fs: FileSystemName, events: readonly ModelEvent[], prefix: string, opts: { syncAlways?: boolean; window?: number } = {}): Set<string> {
  const s = new Sim({ retention: 'workqueue', blockSizeBytes: 1024, consumers: ['C'], fileSystem: fs, syncAlways: opts.syncAlways ?? false });
  for (const e of events) s.do(e);
  const disk = s.state.disk;
  const out = new Set<string>();
  for (const keep of powerLossChoices(fs, disk, opts.window ?? 10)) {
    expect(checkKeep(fs, disk, keep).error, `${fs}: an enumerated choice must pass the check`).toBeNull();
    out.add(describeView(disk, fatesOf(disk, keep), prefix));
  }
  return out;
}

/**
 * The removal of the last block with everything before it durable on ext4 and xfs (65 s: past
 * xfs's 30 s log force and 65 s data deadline, before the 120 s timers): only its three
 * operations are in flight.
 */
const REMOVAL: ModelEvent[] = [{ type: 'start' }, S, D, { type: 'advance', ms: 200 }, { type: 'advance', ms: 65_000 }, { type: 'ack', consumer: 'C', streamSeq: 1 }];

const NEITHER = 'msgs/1.blk:43:msg';
const UNLINK_ONLY = '';
const EMPTY = 'msgs/2.blk:0:';
const ZEROS = 'msgs/2.blk:30:zeros';
const TOMB = 'msgs/2.blk:30:tombstone';

describe('last-block removal (unlink N.blk, create N+1.blk, write the tombstone) under power loss', () => {
  it('ext4: neither, unlink only, both with N+1 empty or reading as zeros, both with the tombstone', () => {
    expect([...survivors('ext4', REMOVAL, 'msgs/')].sort()).toEqual([UNLINK_ONLY, NEITHER, EMPTY, ZEROS, TOMB].sort());
  });
  it('xfs: as ext4 but never zeros (the size is logged at I/O completion)', () => {
    expect([...survivors('xfs', REMOVAL, 'msgs/')].sort()).toEqual([UNLINK_ONLY, NEITHER, EMPTY, TOMB].sort());
  });
  it('lazyfs: create and unlink are durable at once, the tombstone is lost unless fsynced: N+1 empty only', () => {
    expect([...survivors('lazyfs', REMOVAL, 'msgs/')]).toEqual([EMPTY]);
  });
  it('posix: also the create without the unlink (both blocks), which no journal allows', () => {
    const posix = survivors('posix', REMOVAL, 'msgs/');
    expect(posix).toContain(`${NEITHER} ${TOMB}`);
    expect(survivors('ext4', REMOVAL, 'msgs/')).not.toContain(`${NEITHER} ${TOMB}`);
  });
  it('sync always on ext4: the fsync of N+1 commits the journal: only the tombstone survives', () => {
    expect([...survivors('ext4', REMOVAL, 'msgs/', { syncAlways: true })]).toEqual([TOMB]);
  });
  it('sync always on posix: the tombstone data is fsynced but no directory entry is', () => {
    expect([...survivors('posix', REMOVAL, 'msgs/', { syncAlways: true })].sort()).toEqual([NEITHER, UNLINK_ONLY, TOMB, `${NEITHER} ${TOMB}`].sort());
  });
});

describe('o.dat truncate-and-rewrite (os.WriteFile) under power loss', () => {
  // After the first flush everything is durable; the ack changes o.dat and the next flush rewrites it in place.
  const REWRITE: ModelEvent[] = [{ type: 'start' }, S, S, D, { type: 'advance', ms: 200 }, { type: 'advance', ms: 60_000 }, { type: 'ack', consumer: 'C', streamSeq: 1 }, { type: 'advance', ms: 200 }];
  it('ext4 (auto_da_alloc): the old o.dat, an empty one (a commit between truncate and close), or the new one; never the new write over the old', () => {
    const got = [...survivors('ext4', REWRITE, 'obs/')];
    expect(got.length).toBe(3);
    expect(got.filter((d) => d === 'obs/C/o.dat:0:')).toHaveLength(1);
    expect(got.every((d) => !d.includes('fragment'))).toBe(true);
  });
  it('lazyfs: every unfsynced truncate and write is undone: one outcome, and since o.dat was never fsynced, it is empty (as in #7564)', () => {
    expect([...survivors('lazyfs', REWRITE, 'obs/')]).toEqual(['obs/C/o.dat:0:']);
  });
});

describe('posix contains every disk ext4, xfs and lazyfs allow (fixed traces)', () => {
  const traces: Record<string, { events: ModelEvent[]; syncAlways?: boolean }> = {
    'a store and its delivery, nothing durable': { events: [{ type: 'start' }, S, D, { type: 'advance', ms: 200 }] },
    'two stores, 5 s later (journal committed, data not)': { events: [{ type: 'start' }, S, S, D, { type: 'advance', ms: 5_000 }] },
    'last-block removal': { events: REMOVAL },
    'last-block removal under sync always': { events: REMOVAL, syncAlways: true },
    'removal, then an index.db write at 120 s': { events: [{ type: 'start' }, S, D, { type: 'advance', ms: 200 }, { type: 'ack', consumer: 'C', streamSeq: 1 }, { type: 'advance', ms: 119_800 }] },
  };
  for (const [name, t] of Object.entries(traces)) {
    it(name, () => {
      const posix = survivors('posix', t.events, '', { syncAlways: t.syncAlways ?? false, window: 4 });
      for (const fs of FILE_SYSTEM_NAMES.filter((f) => f !== 'posix')) {
        for (const d of survivors(fs, t.events, '', { syncAlways: t.syncAlways ?? false })) expect(posix, `${fs} leaves a disk posix does not: ${d}`).toContain(d);
      }
    });
  }
});

describe('checkKeep refuses states the file system cannot leave', () => {
  it('ext4: the tombstone without the create of its block', () => {
    const s = new Sim({ retention: 'workqueue', blockSizeBytes: 1024, consumers: ['C'] });
    for (const e of REMOVAL) s.do(e);
    const [unlink, create, tomb] = s.state.disk.inFlight.filter((o) => !o.forced);
    expect([unlink!.op.type, create!.op.type, tomb!.op.type]).toEqual(['unlink', 'create', 'write']);
    expect(checkKeep('ext4', s.state.disk, { kind: 'subset', opIds: [unlink!.id, tomb!.id] }).error).toMatch(/without #\d+, the journalled change/);
    expect(checkKeep('ext4', s.state.disk, { kind: 'subset', opIds: [create!.id] }).error).toMatch(/journal keeps a prefix/);
    expect(checkKeep('posix', s.state.disk, { kind: 'subset', opIds: [create!.id] }).error).toBeNull();
    expect(checkKeep('lazyfs', s.state.disk, { kind: 'all' }).error).toMatch(/clear-cache/);
    expect(checkKeep('xfs', s.state.disk, { kind: 'subset', opIds: [unlink!.id, create!.id], partial: [{ opId: tomb!.id, pages: [] }] }).error).toMatch(/never leaves an append reading as zeros/);
  });
});
