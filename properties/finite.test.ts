/**
 * The finite search: canonical states relative to the clock, a fixpoint with `complete:
 * true`, the previous engine's verdicts and shortest lengths at its default bounds (depth 9,
 * 2 messages, 1 crash) unchanged, fingerprints checked against full states, the kill
 * reduction checked against no reduction, and results independent of the worker count.
 *
 * The expected verdicts and lengths at depth 9 are those the previous engine (canonical JSON
 * of absolute states, SHA-1) reported for `npm start` on this model (main at 38392ed); the
 * seed bug's shortest trace is derived by hand in search.test.ts from the Go source.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../model/config.js';
import { initialState, step, type ModelEvent } from '../model/step.js';
import { CanonicalEncoder, CanonicalError, timeHorizonMs } from './canonical.js';
import { exploreExhaustive, type ExhaustiveResult } from './exhaustive.js';
import { DEPTH9_BOUNDS, explore, type ExploreRequest } from './explore.js';
import { fingerprint } from './fingerprint.js';
import { EMPTY_GHOST } from './ghost.js';
import { PROPERTY_IDS, type PropertyId } from './invariants.js';
import type { SearchContext } from './runner.js';
import type { CrashModel, ExploreBounds } from './alphabet.js';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const cfg = makeConfig({ retention: 'workqueue', blockSizeBytes: 128, consumers: ['C'] });
const run = (events: ModelEvent[]) => events.reduce((s, e) => step(s, e).state, initialState(cfg, 'v2.10.22'));
const SYNC: ModelEvent = { type: 'advance', ms: 120_000 };
const delivered: ModelEvent[] = [{ type: 'start' }, { type: 'store', subject: 'foo', payloadBytes: 10 }, { type: 'deliver', consumer: 'C' }, { type: 'advance', ms: 0 }];

describe('canonical states are relative to the clock', () => {
  it('the horizon is every configured duration plus a second', () => {
    expect(timeHorizonMs(cfg)).toBe(121_000); // the 120 s sync and index.db intervals
  });

  it('two states that differ only by how long ago old times were have one fingerprint', () => {
    const a = run([...delivered, SYNC, SYNC]);
    const b = run([...delivered, SYNC, SYNC, SYNC]);
    expect(b.nowMs - a.nowMs).toBe(120_000);
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
    expect(fingerprint(a, EMPTY_GHOST, 0)).toBe(fingerprint(b, EMPTY_GHOST, 0));
  });

  it('a recent time is kept exactly: a delivery 120 s ago (before AckWait ran out twice) is not one 240 s ago', () => {
    const a = run([...delivered, SYNC]);
    const b = run([...delivered, SYNC, SYNC]);
    expect(fingerprint(a, EMPTY_GHOST, 0)).not.toBe(fingerprint(b, EMPTY_GHOST, 0));
  });

  it('an unclassified clock field is an error, never a silent merge', () => {
    const enc = new CanonicalEncoder(1000);
    expect(() => enc.encode({ nowMs: 0, retryDelayMs: 5 }, 0)).toThrow(CanonicalError);
    expect(enc.encode({ nowMs: 5000, fooAtMs: 5100 }, 5000)).toBe(enc.encode({ nowMs: 9000, fooAtMs: 9100 }, 9000));
  });
});

function search(crash: CrashModel, bounds: ExploreBounds, extra: { noReduction?: boolean; verify?: boolean } = {}): ExhaustiveResult {
  const ctx: SearchContext = { profile: 'v2.10.22', crash, bounds, properties: PROPERTY_IDS, coverage: {}, reached: {} };
  return exploreExhaustive(ctx, { stopWhenAllViolated: false, ...(extra.noReduction ? { noReduction: true } : {}), ...(extra.verify ? { verifyFingerprints: true } : {}) });
}

function lengths(r: ExhaustiveResult): Partial<Record<PropertyId, number>> {
  const out: Partial<Record<PropertyId, number>> = {};
  for (const p of PROPERTY_IDS) if (r.counterexamples[p]) out[p] = r.counterexamples[p]!.events.length;
  return out;
}

describe("the previous engine's default check (depth 9, 2 messages, 1 crash): verdicts and shortest lengths unchanged", () => {
  // The previous engine's `npm start` on this model (main at 38392ed, its README): violated properties and their shortest lengths in events.
  const PREVIOUS: Record<'kill' | 'power-loss:ordered', Partial<Record<PropertyId, number>>> = {
    kill: { 'stream-not-behind-consumer': 5, 'no-sequence-reuse': 6, 'consumer-keeps-delivering': 5 },
    'power-loss:ordered': { 'stream-not-behind-consumer': 6, 'no-sequence-reuse': 7, 'consumer-keeps-delivering': 6 },
  };

  // A search of a minute or more runs in a child process, so this test worker keeps answering vitest.
  for (const crash of ['kill', 'power-loss:ordered'] as const) {
    it(`${crash}`, async () => {
      const code = [
        "import { exploreExhaustive } from './properties/exhaustive.ts';",
        "import { DEPTH9_BOUNDS } from './properties/explore.ts';",
        "import { PROPERTY_IDS } from './properties/invariants.ts';",
        `const r = exploreExhaustive({ profile: 'v2.10.22', crash: '${crash}', bounds: DEPTH9_BOUNDS, properties: PROPERTY_IDS, coverage: {}, reached: {} }, { stopWhenAllViolated: false });`,
        'const lengths = {}; for (const p of PROPERTY_IDS) if (r.counterexamples[p]) lengths[p] = r.counterexamples[p].events.length;',
        'console.log(JSON.stringify({ lengths, complete: r.complete }));',
      ].join('\n');
      const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, maxBuffer: 1 << 24 });
      const r = JSON.parse(stdout) as { lengths: Partial<Record<PropertyId, number>>; complete: boolean };
      expect(r.lengths).toEqual(PREVIOUS[crash]);
      expect(r.complete).toBe(false); // depth-capped: not the whole space
    }, 600_000);
  }
});

describe('a fixpoint: the whole bounded space, with no depth bound', () => {
  const small: ExploreBounds = { depth: null, maxMsgs: 1, maxCrashes: 1, consumers: 1, blockSizeBytes: 128, reorderWindow: 4, maxStarts: 2, maxRedeliveries: 1 };

  it('kill: complete, the seed bug found at its shortest (5 events), and fingerprints stand for one full state each', () => {
    const r = search('kill', small, { verify: true });
    expect(r.complete).toBe(true);
    expect(r.counterexamples['stream-not-behind-consumer']!.events.length).toBe(5);
    expect(r.verifiedStates).toBe(r.distinctStates);
  });

  it('the kill reduction (the page cache alone) changes no verdict and no shortest length', () => {
    const reduced = search('kill', small);
    const full = search('kill', small, { noReduction: true });
    expect(full.complete).toBe(true);
    expect(lengths(reduced)).toEqual(lengths(full));
    expect(Object.keys(reduced.counterexamples).sort()).toEqual(Object.keys(full.counterexamples).sort());
    expect(reduced.distinctStates).toBeLessThan(full.distinctStates);
  });
});

describe('workers', () => {
  it('1 or 2 workers: byte-identical verdicts, lengths, counterexamples and state-space figures', () => {
    const req: ExploreRequest = { profile: 'v2.10.22', properties: PROPERTY_IDS, crash: 'kill', mode: 'exhaustive', bounds: { ...DEPTH9_BOUNDS, depth: 7 }, seed: 0, runs: 0, stopEarly: false };
    const one = explore({ ...req, workers: 1 });
    const two = explore({ ...req, workers: 2 });
    const strip = (r: typeof one) => JSON.stringify({ ...r, request: null, stats: { ...r.stats, workers: null } });
    expect(strip(two)).toBe(strip(one));
  });
});
