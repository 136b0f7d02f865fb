/** The check command's options: bad input is one line and exit 2 (UsageError), before any search. */
import { describe, expect, it } from 'vitest';
import { UsageError } from './args.js';
import { matrixOptions } from './matrix.js';
import { MATRIX_BOUNDS, MATRIX_CRASH_MODELS, MATRIX_PROFILES, QUICK_BOUNDS, QUICK_CRASH_MODELS, QUICK_PROFILES } from '../properties/matrix.js';

describe('check options', () => {
  it('defaults: every release and fix, kill and power-loss:ext4, the matrix bounds, closure on', () => {
    const o = matrixOptions([]);
    expect(o.profiles).toEqual([...MATRIX_PROFILES]);
    expect(MATRIX_PROFILES).toContain('v2.10.22+atomic-lmb-rotation');
    expect(o.crashes).toEqual([...MATRIX_CRASH_MODELS]);
    expect(MATRIX_CRASH_MODELS).toEqual(['kill', 'power-loss:ext4']);
    expect(o.bounds).toEqual(MATRIX_BOUNDS);
    expect(o.closure).toBe(true);
  });

  it('--quick: the quick profiles and crash models at the quick bounds, unless named', () => {
    expect(matrixOptions(['--quick'])).toMatchObject({ profiles: [...QUICK_PROFILES], crashes: [...QUICK_CRASH_MODELS], bounds: QUICK_BOUNDS });
    expect(matrixOptions(['--quick', '--profiles', 'v2.11.4'])).toMatchObject({ profiles: ['v2.11.4'], bounds: QUICK_BOUNDS });
  });

  it('--profiles and --crashes take comma-separated names', () => {
    const o = matrixOptions(['--profiles', 'v2.10.22,v2.14.5+sync-always', '--crashes', 'power-loss:xfs,kill', '--sync-always']);
    expect(o.profiles).toEqual(['v2.10.22', 'v2.14.5+sync-always']);
    expect(o.crashes).toEqual(['power-loss:xfs', 'kill']);
    expect(o.bounds.syncAlways).toBe(true);
  });

  it.each([
    [['--profiles', 'v9.9.9'], /unknown profile "v9.9.9"/],
    [['--profiles', 'v2.10.22,,v2.14.5'], /empty name/],
    [['--profiles', 'v2.10.22,v2.10.22'], /repeated/],
    [['--crashes', 'power-loss:ordered'], /unknown crash model "power-loss:ordered"/],
    [['--profile', 'v2.10.22', '--profiles', 'v2.14.5'], /not both/],
    [['extra'], /no positional argument/],
    [['--quick=1'], /takes no value/],
  ])('%j is refused with one line', (argv, message) => {
    expect(() => matrixOptions(argv)).toThrow(UsageError);
    expect(() => matrixOptions(argv)).toThrow(message);
  });
});
