/**
 * The search pool runs the matrix's searches side by side; the matrix must not depend on it:
 * the same rows, runs and traces, in the same order, with one thread or two.
 */
import { describe, expect, it } from 'vitest';
import { MATRIX_BOUNDS, runMatrix } from './matrix.js';

describe('the search pool', () => {
  it('gives the matrix of one thread with two threads, whatever order the searches finish in', () => {
    const req = { profiles: ['v2.10.28', 'v2.10.22', 'v2.14.5'], crashes: ['kill', 'power-loss:ext4'] as const, bounds: { ...MATRIX_BOUNDS, depth: 3 }, closure: false };
    const done: string[] = [];
    const one = runMatrix({ ...req, crashes: [...req.crashes], threads: 1 });
    const two = runMatrix({ ...req, crashes: [...req.crashes], threads: 2, onProgress: (t) => done.push(t) });
    expect(JSON.stringify(two.rows)).toBe(JSON.stringify(one.rows));
    expect(two.runs).toEqual(one.runs);
    // Six searches, each reported once when it finished; v2.10.22 under kill ran to its fixpoint.
    expect(done.filter((t) => / distinct states, /.test(t))).toHaveLength(6);
    expect(one.runs.map((r) => `${r.profile} ${r.crash} ${r.complete}`)).toEqual([
      'v2.10.28 kill false',
      'v2.10.28 power-loss:ext4 false',
      'v2.10.22 kill true',
      'v2.10.22 power-loss:ext4 false',
      'v2.14.5 kill false',
      'v2.14.5 power-loss:ext4 false',
    ]);
  }, 300_000);
});
