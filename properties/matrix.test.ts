/**
 * Pinned rows of the verdict matrix (issue 10) and the closure of fixed workloads. Expected
 * values come from the reference's account of each release and from each fix's definition:
 * - v2.10.22 unlinks the old lmb before creating the new one (filestore.go L7446), so a kill
 *   between them leaves no block holding LastSeq: `removal-window`.
 * - #6778 (v2.10.28) creates the new lmb and writes its tombstone first: no kill leaves the
 *   window; under ext4 power loss the new block can survive empty (#6881): `empty-block`.
 * - atomic-lmb-rotation fsyncs the new block before the unlink; on ext4 that fsync commits the
 *   journal holding the create, so the unlink is never durable without the tombstone.
 * - the minimum-tombstone rule (2.10.x `rebuildStateLocked` L1413) holds until #7384 (v2.11.11).
 */
import { describe, expect, it } from 'vitest';
import { PROFILE_NAMES } from '../model/profile.js';
import { REMOVAL_CAUSES } from './causes.js';
import { clientWorkload, rerunWorkload } from './closure.js';
import { MIN_TOMBSTONE_WORKLOAD, STALE_INDEX_EMPTY_BLOCK_WORKLOAD } from './fixworkloads.js';
import { matrixJson } from '../cli/matrix.js';
import { MATRIX_BOUNDS, runMatrix, searchAllProperties, type MatrixRow } from './matrix.js';

const BOUNDS = { ...MATRIX_BOUNDS, depth: 6, maxMsgs: 1, maxCrashes: 1 };
const causesOf = (rows: readonly MatrixRow[], property: string) => rows.find((r) => r.property === property)!.causes.map((c) => c.cause);
const allCauses = (rows: readonly MatrixRow[]) => rows.flatMap((r) => r.causes.map((c) => c.cause));

const memo = new Map<string, MatrixRow[]>();
function search(profile: string, crash: 'kill' | 'power-loss:ext4'): MatrixRow[] {
  const k = `${profile} ${crash}`;
  if (!memo.has(k)) memo.set(k, searchAllProperties(profile, crash, BOUNDS).rows);
  return memo.get(k)!;
}

describe('pinned rows under kill', () => {
  it('v2.10.22 violates stream-not-behind-consumer with cause removal-window', () => {
    const rows = search('v2.10.22', 'kill');
    const row = rows.find((r) => r.property === 'stream-not-behind-consumer')!;
    expect(row.verdict).toBe('violated');
    expect(row.causes.map((c) => c.cause)).toContain('removal-window');
    expect(row.complete).toBe(true);
    // start, store, deliver, the ack (its UpdateAcks-kicked o.dat flush landing inside the
    // removal, reference section 8) cut after the unlink, start.
    expect(row.causes.find((c) => c.cause === 'removal-window')!.length).toBe(5);
  }, 600_000);

  it('v2.10.28 and v2.10.22+atomic-lmb-rotation show no removal-window cause', () => {
    for (const p of ['v2.10.28', 'v2.10.22+atomic-lmb-rotation']) {
      const rows = search(p, 'kill');
      expect(allCauses(rows), p).not.toContain('removal-window');
      expect(rows.find((r) => r.property === 'stream-not-behind-consumer')!.verdict, p).toBe('holds');
    }
  }, 600_000);
});

describe('pinned rows under power-loss:ext4', () => {
  it('v2.10.28 is violated through an empty new block (#6881)', () => {
    const rows = search('v2.10.28', 'power-loss:ext4');
    expect(causesOf(rows, 'stream-not-behind-consumer')).toContain('empty-block');
  }, 900_000);

  it('v2.10.22+atomic-lmb-rotation is not, by that route or any other cut of the removal', () => {
    const rows = search('v2.10.22+atomic-lmb-rotation', 'power-loss:ext4');
    for (const c of REMOVAL_CAUSES) expect(allCauses(rows)).not.toContain(c);
    // The v2.10.28 counterexample's workload, under every crash choice the fix's own operations allow.
    const ce = search('v2.10.28', 'power-loss:ext4').find((r) => r.property === 'stream-not-behind-consumer')!.causes.find((c) => c.cause === 'empty-block')!;
    const again = rerunWorkload(clientWorkload(ce.trace.steps.map((s) => s.event)), 'v2.10.22+atomic-lmb-rotation', 'power-loss:ext4', BOUNDS);
    if (again['stream-not-behind-consumer'].verdict === 'violated') expect(REMOVAL_CAUSES).not.toContain(again['stream-not-behind-consumer'].cause);
    const onBase = rerunWorkload(clientWorkload(ce.trace.steps.map((s) => s.event)), 'v2.10.28', 'power-loss:ext4', BOUNDS);
    expect(onBase['stream-not-behind-consumer']).toMatchObject({ verdict: 'violated', cause: 'empty-block' });
  }, 900_000);
});

describe('closure of the minimum-tombstone workload (reference section 8), beyond the matrix bounds of 1 message', () => {
  it('the minimum rule resets LastSeq below the consumer until #7384 (v2.11.11); durable-last-seq closes it on v2.10.22', () => {
    const bounds = { ...BOUNDS, maxMsgs: 3 };
    const verdicts = Object.fromEntries([...PROFILE_NAMES, 'v2.10.22+durable-last-seq', 'v2.10.22+atomic-lmb-rotation'].map((p) => [p, rerunWorkload(MIN_TOMBSTONE_WORKLOAD, p, 'kill', bounds)['stream-not-behind-consumer']]));
    const minRule = ['v2.10.22', 'v2.10.23', 'v2.10.26', 'v2.10.28', 'v2.11.4', 'v2.10.22+atomic-lmb-rotation'];
    for (const [p, v] of Object.entries(verdicts)) {
      if (minRule.includes(p)) expect({ verdict: v.verdict, cause: v.cause }, p).toEqual({ verdict: 'violated', cause: 'tombstone-rule' });
      else expect(v.verdict, p).toBe('holds');
    }
  }, 300_000);
});

describe('v2.14.5', () => {
  it('holds every property under kill and power-loss:ext4 within the matrix bounds (1 message)', () => {
    for (const crash of ['kill', 'power-loss:ext4'] as const) {
      const rows = search('v2.14.5', crash);
      expect(rows.filter((r) => r.verdict === 'violated').map((r) => r.property), crash).toEqual([]);
      expect(rows.find((r) => r.property === 'stream-not-behind-consumer')!.verdict, crash).toBe('holds');
    }
  }, 900_000);

  it('with a stale index.db and an empty new block, #7692 trades stream-not-behind-consumer for no-sequence-reuse; moving the stream forward keeps both', () => {
    const bounds = { ...BOUNDS, maxMsgs: 3 };
    const run = (p: string) => rerunWorkload(STALE_INDEX_EMPTY_BLOCK_WORKLOAD, p, 'power-loss:ext4', bounds);
    const v2_10_28 = run('v2.10.28');
    expect(v2_10_28['stream-not-behind-consumer']).toMatchObject({ verdict: 'violated', cause: 'empty-block' });
    const v2_14_5 = run('v2.14.5');
    expect(v2_14_5['stream-not-behind-consumer'].verdict).toBe('holds');
    expect(v2_14_5['no-sequence-reuse']).toMatchObject({ verdict: 'violated', cause: 'empty-block' });
    for (const p of ['v2.14.5+consumer-reconcile', 'v2.14.5+atomic-lmb-rotation']) {
      const r = run(p);
      expect(r['stream-not-behind-consumer'].verdict, p).toBe('holds');
      expect(r['no-sequence-reuse'].verdict, p).toBe('holds');
    }
  }, 300_000);
});

describe('check --json contract', () => {
  it('rows, costs and closure carry exactly the fields of the issue', () => {
    const m = runMatrix({ profiles: ['v2.10.22', 'v2.10.22+atomic-lmb-rotation'], crashes: ['kill'], bounds: BOUNDS, closure: true });
    const j = matrixJson(m, 'out/check');
    expect(Object.keys(j)).toEqual(['rows', 'costs', 'closure']);
    expect(j.rows).toHaveLength(2 * 6);
    for (const r of j.rows) {
      expect(Object.keys(r)).toEqual(['profile', 'property', 'crash', 'verdict', 'causes', 'statesExplored', 'complete', 'bounds']);
      for (const c of r.causes) expect(Object.keys(c)).toEqual(['cause', 'length', 'trace']);
    }
    expect(j.costs.map((c) => Object.keys(c))).toEqual([0, 1].map(() => ['profile', 'fsyncsPer1000', 'fileOpsPer1000', 'dirFsyncsPer1000', 'bytesPer1000']));
    // The fix's cost: one fsync per lmb replacement (1000 cycles, each drains the stream), and
    // the 8 syncBlocks runs then find the lmb already synced (v2.10.22 fsyncs it there: 8 fewer).
    expect(j.costs[1]!.fsyncsPer1000 - j.costs[0]!.fsyncsPer1000).toBe(1000 - 8);
    // v2.10.22's kill counterexample is closed by the fix.
    const id = 'out/check/v2.10.22_kill_stream-not-behind-consumer_removal-window.json';
    expect(j.rows.find((r) => r.profile === 'v2.10.22' && r.property === 'stream-not-behind-consumer')!.causes.map((c) => c.trace)).toContain(id);
    expect(j.closure).toContainEqual({ trace: id, profile: 'v2.10.22+atomic-lmb-rotation', verdict: 'holds', cause: null });
    for (const c of j.closure) expect(Object.keys(c)).toEqual(['trace', 'profile', 'verdict', 'cause']);
  }, 600_000);
});
