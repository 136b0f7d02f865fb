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
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROFILE_NAMES } from '../model/profile.js';
import type { TraceFile } from '../traces/trace.js';
import { REMOVAL_CAUSES } from './causes.js';
import { clientWorkload, rerunWorkload } from './closure.js';
import { MIN_TOMBSTONE_WORKLOAD, STALE_INDEX_EMPTY_BLOCK_WORKLOAD } from './fixworkloads.js';
import { MATRIX_BOUNDS, searchBounds } from './matrix.js';

const BOUNDS = MATRIX_BOUNDS;

interface JsonRow {
  profile: string;
  property: string;
  crash: string;
  verdict: string;
  causes: { cause: string; length: number; trace: string }[];
  statesExplored: number;
  complete: boolean;
  bounds: { depth: number | null } & Record<string, unknown>;
}
interface CheckJson {
  rows: JsonRow[];
  costs: Record<string, unknown>[];
  closure: { trace: string; profile: string; verdict: string }[];
}

/**
 * `check --json` in a child process: the searches take minutes on a busy machine, and a
 * synchronous test that long starves the vitest worker's RPC.
 */
function checkJson(args: readonly string[], out: string): Promise<CheckJson> {
  return new Promise((resolve, reject) => {
    execFile('node_modules/.bin/tsx', ['cli/main.ts', 'check', '--json', '--out', out, ...args], { env: { ...process.env, CI: 'true' }, maxBuffer: 1 << 28 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`check ${args.join(' ')} failed: ${stderr.split('\n')[0]}`));
      else resolve(JSON.parse(stdout) as CheckJson);
    });
  });
}

const dirs = { kill: mkdtempSync(join(tmpdir(), 'matrix-kill-')), ext4: mkdtempSync(join(tmpdir(), 'matrix-ext4-')) };
let kill: CheckJson;
let ext4: CheckJson;

beforeAll(async () => {
  [kill, ext4] = await Promise.all([
    checkJson(['--profiles', 'v2.10.22,v2.10.28,v2.14.5,v2.10.22+atomic-lmb-rotation', '--crashes', 'kill'], dirs.kill),
    checkJson(['--profiles', 'v2.10.28,v2.14.5,v2.10.22+atomic-lmb-rotation', '--crashes', 'power-loss:ext4', '--no-closure'], dirs.ext4),
  ]);
}, 3_600_000);

afterAll(() => {
  for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true });
});

const rowsOf = (j: CheckJson, profile: string) => j.rows.filter((r) => r.profile === profile);
const causesOf = (rows: readonly JsonRow[], property: string) => rows.find((r) => r.property === property)!.causes.map((c) => c.cause);
const allCauses = (rows: readonly JsonRow[]) => rows.flatMap((r) => r.causes.map((c) => c.cause));

describe('pinned rows under kill', () => {
  it('v2.10.22 violates stream-not-behind-consumer with cause removal-window', () => {
    const row = rowsOf(kill, 'v2.10.22').find((r) => r.property === 'stream-not-behind-consumer')!;
    expect(row.verdict).toBe('violated');
    expect(row.causes.map((c) => c.cause)).toContain('removal-window');
    // v2.10.22's timers are deterministic: its kill search runs to the fixpoint and says so.
    expect(row.bounds).toMatchObject({ depth: null, maxMsgs: 1, maxStarts: 3, maxRedeliveries: 1 });
    expect(row.complete).toBe(true);
    // start, store, deliver, the ack (its UpdateAcks-kicked o.dat flush landing inside the
    // removal, reference section 8) cut after the unlink, start.
    expect(row.causes.find((c) => c.cause === 'removal-window')!.length).toBe(5);
  });

  it('the rotation fix is proved within its bounds (the search reached its fixpoint); a profile with timer jitter is depth-capped and says so', () => {
    const fix = rowsOf(kill, 'v2.10.22+atomic-lmb-rotation');
    for (const r of fix) expect({ property: r.property, complete: r.complete, depth: r.bounds.depth }).toEqual({ property: r.property, complete: true, depth: null });
    // #6041/#6220 (v2.10.23 on) jitter the timers: the index.db ticker keeps a drawn period beside the 2-minute sync.
    for (const r of rowsOf(kill, 'v2.10.28')) expect({ complete: r.complete, depth: r.bounds.depth }).toEqual({ complete: false, depth: BOUNDS.depth });
  });

  it('v2.10.28 and v2.10.22+atomic-lmb-rotation show no removal-window cause', () => {
    for (const p of ['v2.10.28', 'v2.10.22+atomic-lmb-rotation']) {
      expect(allCauses(rowsOf(kill, p)), p).not.toContain('removal-window');
      expect(rowsOf(kill, p).find((r) => r.property === 'stream-not-behind-consumer')!.verdict, p).toBe('holds');
    }
  });

  it('the closure: v2.10.22\'s removal-window counterexample is closed by the rotation fix and by v2.10.28', () => {
    const id = join(dirs.kill, 'v2.10.22_kill_stream-not-behind-consumer_removal-window.json');
    for (const p of ['v2.10.28', 'v2.10.22+atomic-lmb-rotation', 'v2.14.5']) expect(kill.closure, p).toContainEqual({ trace: id, profile: p, verdict: 'holds' });
  });
});

describe('pinned rows under power-loss:ext4', () => {
  it('v2.10.28 is violated through an empty new block (#6881)', () => {
    expect(causesOf(rowsOf(ext4, 'v2.10.28'), 'stream-not-behind-consumer')).toContain('empty-block');
  });

  it('v2.10.22+atomic-lmb-rotation is not, by that route or any other cut of the removal', () => {
    for (const c of REMOVAL_CAUSES) expect(allCauses(rowsOf(ext4, 'v2.10.22+atomic-lmb-rotation'))).not.toContain(c);
    // The v2.10.28 counterexample's workload, under every crash choice the fix's own operations allow.
    const file = rowsOf(ext4, 'v2.10.28').find((r) => r.property === 'stream-not-behind-consumer')!.causes.find((c) => c.cause === 'empty-block')!.trace;
    const trace = JSON.parse(readFileSync(file, 'utf8')) as TraceFile;
    const workload = clientWorkload(trace.steps.map((s) => s.event));
    const onFix = rerunWorkload(workload, 'v2.10.22+atomic-lmb-rotation', 'power-loss:ext4', BOUNDS)['stream-not-behind-consumer'];
    for (const c of REMOVAL_CAUSES) expect(onFix.causes).not.toContain(c);
    expect(rerunWorkload(workload, 'v2.10.28', 'power-loss:ext4', BOUNDS)['stream-not-behind-consumer'].causes).toContain('empty-block');
  });
});

describe('closure of the minimum-tombstone workload (reference section 8), beyond the matrix bounds of 1 message', () => {
  it('the minimum rule resets LastSeq below the consumer until #7384 (v2.11.11); durable-last-seq closes it on v2.10.22', () => {
    const bounds = { ...BOUNDS, maxMsgs: 3 };
    const verdicts = Object.fromEntries([...PROFILE_NAMES, 'v2.10.22+durable-last-seq', 'v2.10.22+atomic-lmb-rotation'].map((p) => [p, rerunWorkload(MIN_TOMBSTONE_WORKLOAD, p, 'kill', bounds)['stream-not-behind-consumer']]));
    // Every kill point of the second ack: the runs that break the property all have the tombstone-rule cause.
    const minRule = ['v2.10.22', 'v2.10.23', 'v2.10.26', 'v2.10.28', 'v2.11.4', 'v2.10.22+atomic-lmb-rotation'];
    for (const [p, v] of Object.entries(verdicts)) {
      if (minRule.includes(p)) expect({ verdict: v.verdict, causes: v.causes }, p).toEqual({ verdict: 'violated', causes: ['tombstone-rule'] });
      else expect(v.verdict, p).toBe('holds');
    }
  }, 300_000);
});

describe('v2.14.5', () => {
  it('holds every property under kill and power-loss:ext4 within the matrix bounds (1 message)', () => {
    for (const j of [kill, ext4]) {
      const rows = rowsOf(j, 'v2.14.5');
      expect(rows.filter((r) => r.verdict === 'violated').map((r) => r.property)).toEqual([]);
      expect(rows.find((r) => r.property === 'stream-not-behind-consumer')!.verdict).toBe('holds');
    }
  });

  it('with a stale index.db and an empty new block, #7692 trades stream-not-behind-consumer for no-sequence-reuse; moving the stream forward keeps both', () => {
    const bounds = { ...BOUNDS, maxMsgs: 3 };
    const run = (p: string) => rerunWorkload(STALE_INDEX_EMPTY_BLOCK_WORKLOAD, p, 'power-loss:ext4', bounds);
    const v2_10_28 = run('v2.10.28');
    expect(v2_10_28['stream-not-behind-consumer'].causes).toContain('empty-block');
    const v2_14_5 = run('v2.14.5');
    expect(v2_14_5['stream-not-behind-consumer'].verdict).toBe('holds');
    expect(v2_14_5['no-sequence-reuse'].causes).toContain('empty-block');
    for (const p of ['v2.14.5+consumer-reconcile', 'v2.14.5+atomic-lmb-rotation']) {
      const r = run(p);
      expect(r['stream-not-behind-consumer'].verdict, p).toBe('holds');
      expect(r['no-sequence-reuse'].verdict, p).toBe('holds');
    }
  }, 300_000);
});

describe('check --json contract', () => {
  it('rows, costs and closure carry exactly the fields of the issue', () => {
    expect(Object.keys(kill)).toEqual(['rows', 'costs', 'closure']);
    expect(kill.rows).toHaveLength(4 * 6);
    for (const r of [...kill.rows, ...ext4.rows]) {
      expect(Object.keys(r)).toEqual(['profile', 'property', 'crash', 'verdict', 'causes', 'statesExplored', 'complete', 'bounds']);
      expect(r.bounds).toEqual(searchBounds(BOUNDS, r.crash as 'kill', r.profile));
      for (const c of r.causes) expect(Object.keys(c)).toEqual(['cause', 'length', 'trace']);
    }
    expect(kill.costs.map((c) => Object.keys(c))).toEqual([0, 1, 2, 3].map(() => ['profile', 'fsyncsPer1000', 'fileOpsPer1000', 'dirFsyncsPer1000', 'bytesPer1000']));
    // The fix's cost: one fsync per lmb replacement (1000 cycles, each drains the stream), and
    // the 8 syncBlocks runs then find the lmb already synced (v2.10.22 fsyncs it there: 8 fewer).
    const fsyncs = (p: string) => kill.costs.find((c) => c.profile === p)!.fsyncsPer1000 as number;
    expect(fsyncs('v2.10.22+atomic-lmb-rotation') - fsyncs('v2.10.22')).toBe(1000 - 8);
    for (const c of kill.closure) expect(Object.keys(c)).toEqual(['trace', 'profile', 'verdict']);
    expect(ext4.closure).toEqual([]);
  });
});
