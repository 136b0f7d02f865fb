/**
 * Pinned results per file system (issue 7): v2.10.22, exhaustive, default bounds at depth 7
 * (the check's power-loss depth), each violation classified by cause. Expectations follow from
 * the file-system crash-semantics page and the Go source, not from the model's output:
 * - with sync always every record and tombstone is fsynced inside the call, and on ext4 and
 *   xfs the fsync commits the journal, so a removal can lose LastSeq only when the crash cuts
 *   it (removal-window); on ext4 alone an append cut before its fsync may also come back as
 *   zeros (dioread_nolock), which no removal protocol governs;
 * - without sync always ext4 reaches #6881's empty block (empty-block), and loses never-fsynced
 *   records (unsynced-data) in runs that remove no block;
 * - LazyFS makes create and unlink durable at once and drops every unfsynced write.
 */
import { describe, expect, it } from 'vitest';
import { observe } from '../model/observe.js';
import { initialState, step, type ModelEvent } from '../model/step.js';
import { exploredConfig, type CrashModel } from './alphabet.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS, explore, type PropertyResult } from './explore.js';
import type { PropertyId } from './invariants.js';

const DEPTH = 7;
const PROPS: PropertyId[] = ['stream-not-behind-consumer', 'no-stored-loss', 'no-sequence-reuse'];

function run(crash: CrashModel, syncAlways: boolean, depth = DEPTH): Record<string, PropertyResult> {
  const r = explore({ profile: 'v2.10.22', properties: PROPS, crash, mode: 'exhaustive', bounds: { ...DEFAULT_EXHAUSTIVE_BOUNDS, depth, syncAlways }, seed: 0, runs: 0, stopEarly: false, byCause: true });
  // Depth-capped: every state within the depth was expanded (not the whole space: complete is the fixpoint's).
  expect(r.stats.depth).toBe(depth);
  return Object.fromEntries(r.results.map((x) => [x.property, x]));
}

const causesOf = (r: PropertyResult) => r.causes.map((c) => c.cause);
const zeroFilled = (events: readonly ModelEvent[]) => events.some((e) => e.type === 'powerLoss' && e.keep.kind === 'subset' && (e.keep.partial ?? []).some((p) => p.pages.length === 0));
const removesABlock = (trace: PropertyResult['causes'][number]['trace']) => trace.steps.some((s) => s.ops.some((o) => o.fn === 'removeMsgBlock'));

describe('pinned results per file system (v2.10.22, exhaustive, depth 7)', () => {
  it('sync always on xfs: the only stream-not-behind-consumer cause is removal-window; no-stored-loss holds', () => {
    const r = run('power-loss:xfs', true);
    expect(causesOf(r['stream-not-behind-consumer']!)).toEqual(['removal-window']);
    expect(r['no-stored-loss']!.verdict).toBe('holds');
  }, 900_000);

  it('sync always on ext4: removal-window, and besides it only losses through an append read back as zeros', () => {
    const r = run('power-loss:ext4', true);
    const snbc = r['stream-not-behind-consumer']!;
    expect(causesOf(snbc)).toContain('removal-window');
    expect(causesOf(snbc)).not.toContain('empty-block');
    expect(causesOf(snbc)).not.toContain('unsynced-data');
    expect(causesOf(snbc).every((c) => ['removal-window', 'stale-index', 'truncated-tail'].includes(c))).toBe(true);
    for (const c of snbc.causes.filter((x) => x.cause !== 'removal-window')) expect(zeroFilled(c.events), `${c.cause} without a zero-filled append`).toBe(true);
    for (const c of r['no-stored-loss']!.causes) expect(zeroFilled(c.events), `no-stored-loss ${c.cause} without a zero-filled append`).toBe(true);
  }, 900_000);

  it('without sync always on ext4 (depth 6, which holds both 6-action runs): the empty block of #6881, and unsynced-data in a run that removes no block', () => {
    const r = run('power-loss:ext4', false, 6);
    const snbc = r['stream-not-behind-consumer']!;
    const empty = snbc.causes.find((c) => c.cause === 'empty-block');
    expect(empty).toBeDefined();
    const loss = empty!.trace.steps.findIndex((s) => s.event.type === 'powerLoss');
    const blocks = empty!.trace.steps[loss]!.observation.files.filter((f) => f.path.endsWith('.blk'));
    expect(blocks).toHaveLength(1);
    // #6881's state: the only block holds no record, at 0 bytes or at its new size reading as zeros.
    expect(blocks[0]!.bytes === 0 || zeroFilled(empty!.events)).toBe(true);
    const unsynced = snbc.causes.find((c) => c.cause === 'unsynced-data');
    expect(unsynced).toBeDefined();
    expect(removesABlock(unsynced!.trace)).toBe(false);
  }, 900_000);

  it('lazyfs with sync always: the reset, cut inside the removal (removal-window)', () => {
    const r = run('power-loss:lazyfs', true);
    expect(causesOf(r['stream-not-behind-consumer']!)).toEqual(['removal-window']);
  }, 900_000);

  it('lazyfs without sync always: the stream resets (no-sequence-reuse) but o.dat, never fsynced, resets with it', () => {
    const r = run('power-loss:lazyfs', false);
    expect(r['no-sequence-reuse']!.verdict).toBe('violated');
    expect(r['stream-not-behind-consumer']!.verdict).toBe('holds');
  }, 900_000);

  it('lazyfs with sync always: a kill between the create and the tombstone, then a power loss, leaves the only block empty and restarts at 0', () => {
    const config = exploredConfig({ ...DEFAULT_EXHAUSTIVE_BOUNDS, syncAlways: true }, 'power-loss:lazyfs');
    const events: ModelEvent[] = [{ type: 'start' }, { type: 'store', subject: 'foo', payloadBytes: 10 }, { type: 'deliver', consumer: 'C' }, { type: 'advance', ms: 0 }, { type: 'ack', consumer: 'C', streamSeq: 1, killAfterFileOps: 2 }, { type: 'powerLoss', keep: { kind: 'synced' } }];
    let s = initialState(config, 'v2.10.22');
    for (const e of events) s = step(s, e).state;
    expect(observe(s).files.filter((f) => f.path.endsWith('.blk'))).toEqual([{ path: 'msgs/2.blk', bytes: 0 }]);
    s = step(s, { type: 'start' }).state;
    const o = observe(s);
    expect(o.stream?.lastSeq).toBe(0);
    expect(o.consumers.C!.delivered.streamSeq).toBe(1);
  });
});
