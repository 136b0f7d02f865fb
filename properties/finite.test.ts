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
import { initialState, step, type ModelEvent, type StepResult } from '../model/step.js';
import type { Draft } from 'immer';
import { CanonicalEncoder, CanonicalError, timeHorizonMs, timeHorizons, uniformHorizons } from './canonical.js';
import { exploreExhaustive, type ExhaustiveResult } from './exhaustive.js';
import { DEPTH9_BOUNDS, explore, type ExploreRequest } from './explore.js';
import { canonicalNode, fingerprint } from './fingerprint.js';
import { EMPTY_GHOST, nextGhost, type Ghost } from './ghost.js';
import { PROPERTIES, PROPERTY_IDS, type PropertyId } from './invariants.js';
import type { SearchContext } from './runner.js';
import { enabledActions, exploredConfig, type CrashModel, type ExploreBounds } from './alphabet.js';
import { observe } from '../model/observe.js';
import { PROFILE_NAMES } from '../model/profile.js';
import { INDEX_DB_PATH, readOnlyAtStart, type ModelState } from '../model/state.js';
import { checkBounds } from '../cli/check.js';

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

  it('each class of times has its own horizon: AckWait (JsAckWaitDefault, 30 s) for message times, the o.dat flusher\'s minTime (100 ms) for lastWriteMs, each plus a second', () => {
    expect(timeHorizons(cfg)).toEqual({ clockMs: 121_000, messageMs: 31_000, flushMs: 1_100 });
    // MaxAge compares message times with now too (expireMsgs): it lengthens their horizon.
    const aged = makeConfig({ retention: 'limits', blockSizeBytes: 128, consumers: ['C'], maxAgeMs: 300_000 });
    expect(timeHorizons(aged).messageMs).toBe(301_000);
  });

  it('a message stored 50 s or 60 s ago (past AckWait either way) is one state; 10 s or 20 s ago are two', () => {
    const start: ModelEvent = { type: 'start' };
    const store: ModelEvent = { type: 'store', subject: 'foo', payloadBytes: 10 };
    const aged = (beforeMs: number, afterMs: number) => run([start, { type: 'advance', ms: beforeMs }, store, { type: 'advance', ms: afterMs }]);
    const a = aged(20_000, 50_000);
    const b = aged(10_000, 60_000);
    expect(a.nowMs).toBe(b.nowMs); // the same deadlines: only the message's age differs
    expect(fingerprint(a, EMPTY_GHOST, 0)).toBe(fingerprint(b, EMPTY_GHOST, 0));
    // With one horizon for every time (121 s), the two ages were told apart.
    const one = new CanonicalEncoder(uniformHorizons(timeHorizonMs(cfg)));
    expect(canonicalNode(a, EMPTY_GHOST, 0, one)).not.toBe(canonicalNode(b, EMPTY_GHOST, 0, one));
    // Inside AckWait the age is kept: a delivery of it from o.dat after a restart could still be pending.
    expect(fingerprint(aged(60_000, 10_000), EMPTY_GHOST, 0)).not.toBe(fingerprint(aged(50_000, 20_000), EMPTY_GHOST, 0));
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

  it('the file system\'s state is relative too: in-flight operations issued at other absolute times, the same ages, have one fingerprint', () => {
    const from = (nowMs: number) => [{ type: 'start' }, { type: 'store', subject: 'foo', payloadBytes: 10 }, { type: 'deliver', consumer: 'C' }, { type: 'advance', ms: 0 }].reduce((s, e) => step(s, e as ModelEvent).state, { ...initialState(cfg, 'v2.10.22'), nowMs });
    const a = from(0);
    const b = from(7_000_000);
    expect(cfg.fileSystem).toBe('ext4');
    // The store's block create and record write are still in flight (ext4 forces data 40 s after issue).
    expect(a.disk.inFlight.length).toBeGreaterThan(0);
    expect(b.disk.inFlight.map((o) => o.atMs - b.nowMs)).toEqual(a.disk.inFlight.map((o) => o.atMs - a.nowMs));
    expect(fingerprint(b, EMPTY_GHOST, 0)).toBe(fingerprint(a, EMPTY_GHOST, 0));
    // Half a second later is another phase of the clock: o.dat keeps times at one-second resolution.
    expect(fingerprint(from(7_000_500), EMPTY_GHOST, 0)).not.toBe(fingerprint(a, EMPTY_GHOST, 0));
    // Forced or not is part of the state: 40 s later the same operations are forced and folded.
    const later = step(a, { type: 'advance', ms: 40_000 }).state;
    expect(later.disk.inFlight.length).toBeLessThan(a.disk.inFlight.length);
  });

  it('an unclassified clock field is an error, never a silent merge', () => {
    const enc = new CanonicalEncoder(1000);
    expect(() => enc.encode({ nowMs: 0, retryDelayMs: 5 }, 0)).toThrow(CanonicalError);
    expect(enc.encode({ nowMs: 5000, fooAtMs: 5100 }, 5000)).toBe(enc.encode({ nowMs: 9000, fooAtMs: 9100 }, 9000));
  });
});

function search(crash: CrashModel, bounds: ExploreBounds, extra: { noReduction?: boolean; oneHorizon?: boolean; noSubsumption?: boolean; noGhostView?: boolean; verify?: boolean } = {}): ExhaustiveResult {
  const ctx: SearchContext = { profile: 'v2.10.22', crash, bounds, properties: PROPERTY_IDS, coverage: {}, reached: {} };
  const { verify, ...reductions } = extra;
  return exploreExhaustive(ctx, { stopWhenAllViolated: false, ...reductions, ...(verify ? { verifyFingerprints: true } : {}) });
}

function verdicts(r: ExhaustiveResult): string[] {
  return Object.keys(r.counterexamples).sort();
}

function lengths(r: ExhaustiveResult): Partial<Record<PropertyId, number>> {
  const out: Partial<Record<PropertyId, number>> = {};
  for (const p of PROPERTY_IDS) if (r.counterexamples[p]) out[p] = r.counterexamples[p]!.events.length;
  return out;
}

/**
 * Runs a search in a child process (a search of a minute or more there keeps this test worker
 * answering vitest) and returns, per property, its verdict and per cause its shortest length.
 */
async function childSearch(crash: CrashModel, bounds: ExploreBounds, extra: { verify?: boolean } = {}): Promise<{ causes: Record<string, Record<string, number>>; verdicts: Record<string, string>; complete: boolean; distinct: number; verified: number | null }> {
  const code = [
    "import { explore } from './properties/explore.ts';",
    "import { PROPERTY_IDS } from './properties/invariants.ts';",
    `const r = explore({ profile: 'v2.10.22', properties: PROPERTY_IDS, crash: ${JSON.stringify(crash)}, mode: 'exhaustive', bounds: ${JSON.stringify(bounds)}, seed: 0, runs: 0, stopEarly: false, byCause: true, workers: 1${extra.verify ? ', verifyFingerprints: true' : ''} });`,
    'const causes = {}; const verdicts = {};',
    'for (const p of r.results) { verdicts[p.property] = p.verdict; if (p.causes.length) causes[p.property] = Object.fromEntries(p.causes.map((c) => [c.cause, c.events.length])); }',
    'console.log(JSON.stringify({ causes, verdicts, complete: r.stats.complete, distinct: r.stats.distinctStates, verified: r.stats.verifiedStates ?? null }));',
  ].join('\n');
  const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: ROOT, maxBuffer: 1 << 24 });
  return JSON.parse(stdout);
}

/**
 * The previous engine's default check (canonical JSON of absolute states and SHA-1; kill to
 * depth 9, power-loss:ext4 to depth 7, 2 messages, 1 crash) as `npm run corpus` recorded it
 * on land/fs at 0b3b16c: per property, per cause, the shortest counterexample's length in
 * events (traces/corpus/<crash>_<property>_<cause>.json). The seed bug's 5 events are also
 * derived by hand in search.test.ts from the Go source.
 */
const PREVIOUS_CHECK: Record<'kill' | 'power-loss:ext4', Record<string, Record<string, number>>> = {
  kill: {
    'stream-not-behind-consumer': { 'removal-window': 5 },
    'no-sequence-reuse': { 'removal-window': 6 },
    'consumer-keeps-delivering': { 'removal-window': 5 },
  },
  'power-loss:ext4': {
    'stream-not-behind-consumer': { 'empty-block': 6, 'removal-window': 6, 'stale-index': 7, 'truncated-tail': 8, 'unsynced-data': 6 },
    'no-sequence-reuse': { 'empty-block': 8, 'removal-window': 8 },
    'no-stored-loss': { 'stale-index': 6, 'unsynced-data': 8 },
    'consumer-keeps-delivering': { 'empty-block': 6, 'removal-window': 6, 'stale-index': 7, 'truncated-tail': 8, 'unsynced-data': 6 },
  },
};
const HOLDS_IN_PREVIOUS_CHECK = ['no-acked-redelivery', 'clean-restart-identity'];

/**
 * Causes are a property of a run, not of a state: where two runs reach one state, the search
 * goes on from the first only, and the violations after it are classified on that run. The
 * previous engine kept time absolute, so a run that waited (an advance of 120 s) and one that
 * did not never met; relative time merges them. One cause of the previous check shows only
 * on such a later run: no-stored-loss under power-loss:ext4 by unsynced-data (8 events:
 * start, advance 120 s, two stores, stop, a start cut before its first operation with a power
 * loss, start). A state on it is reached first, at the same depth or less, by a run on which
 * the same violation classifies as stale-index, so the search reports the property (the same
 * verdict, the same shortest length, 6) under
 * that cause. The verdict matrix reads causes: this is the one difference, and this test
 * fails if any other appears.
 */
const MERGED_BY_RELATIVE_TIME: Record<string, Record<string, string[]>> = { 'power-loss:ext4': { 'no-stored-loss': ['unsynced-data'] } };

function expectPreviousCheck(crash: 'kill' | 'power-loss:ext4', r: Awaited<ReturnType<typeof childSearch>>): void {
  const expected: Record<string, Record<string, number>> = {};
  for (const [p, byCause] of Object.entries(PREVIOUS_CHECK[crash])) {
    const merged = MERGED_BY_RELATIVE_TIME[crash]?.[p] ?? [];
    expected[p] = Object.fromEntries(Object.entries(byCause).filter(([c]) => !merged.includes(c)));
  }
  expect(r.causes).toEqual(expected);
  // Verdicts and each property's shortest length are exactly the previous engine's.
  for (const [p, byCause] of Object.entries(PREVIOUS_CHECK[crash])) {
    expect(r.verdicts[p], p).toBe('violated');
    expect(Math.min(...Object.values(r.causes[p]!)), p).toBe(Math.min(...Object.values(byCause)));
  }
  for (const p of HOLDS_IN_PREVIOUS_CHECK) expect(r.verdicts[p], p).toBe('holds');
}

describe("the default check's verdicts and shortest lengths per cause are the previous engine's", () => {
  it('kill at the check\'s bounds to the previous depth 9: the same causes and lengths', async () => {
    // The previous engine's depth: the check itself now runs to the fixpoint under kill.
    const r = await childSearch('kill', { ...checkBounds('kill'), depth: 9 });
    expectPreviousCheck('kill', r);
    expect(r.complete).toBe(false); // depth-capped
  }, 900_000);

  it('power-loss:ext4 at the check\'s bounds (depth 7): the same verdicts and shortest lengths; the same causes but the one relative time merges', async () => {
    const r = await childSearch('power-loss:ext4', checkBounds('power-loss:ext4'));
    expectPreviousCheck('power-loss:ext4', r);
  }, 1_800_000);
});

describe('fingerprints stand for one full state each (--verify-fingerprints)', () => {
  it('kill at the previous default bounds (depth 9, 2 messages, 1 crash): no two distinct states merged, none split', async () => {
    const r = await childSearch('kill', DEPTH9_BOUNDS, { verify: true });
    expect(r.verified).toBe(r.distinct);
    expect(r.distinct).toBeGreaterThan(5_000);
  }, 900_000);

  it('power-loss:ext4 at the default bounds to depth 5: in-flight operations, forced flags and the page cache encoded without a merge', async () => {
    const r = await childSearch('power-loss:ext4', { ...checkBounds('power-loss:ext4'), depth: 5 }, { verify: true });
    expect(r.verified).toBe(r.distinct);
    expect(r.distinct).toBeGreaterThan(1_000);
  }, 900_000);
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

  it('time classes (message times old after AckWait) change no verdict and no shortest length', () => {
    const classes = search('kill', small, { noSubsumption: true });
    const one = search('kill', small, { noSubsumption: true, oneHorizon: true });
    expect(one.complete && classes.complete).toBe(true);
    expect(lengths(classes)).toEqual(lengths(one));
    expect(verdicts(classes)).toEqual(verdicts(one));
    expect(classes.distinctStates).toBeLessThan(one.distinctStates);
  });

  it("the ghost's view (identities renamed to sequences, acks of replaced messages reduced to their deps, stores a budget) changes no verdict and no shortest length", () => {
    // 2 messages and 2 starts: a second message can reuse an acked sequence after a reset.
    const bounds: ExploreBounds = { ...DEPTH9_BOUNDS, depth: 8, maxStarts: 2 };
    const viewed = search('kill', bounds);
    const whole = search('kill', bounds, { noGhostView: true });
    expect(lengths(viewed)).toEqual(lengths(whole));
    expect(verdicts(viewed)).toEqual(verdicts(whole));
    expect(verdicts(whole)).toContain('no-sequence-reuse');
    expect(viewed.distinctStates).toBeLessThan(whole.distinctStates);
  });

  it('budget subsumption changes no verdict and no shortest length, under kill and power loss', () => {
    const bounds3: ExploreBounds = { ...small, maxStarts: 3 };
    const pruned = search('kill', bounds3);
    const full = search('kill', bounds3, { noSubsumption: true });
    expect(pruned.complete && full.complete).toBe(true);
    expect(lengths(pruned)).toEqual(lengths(full));
    expect(verdicts(pruned)).toEqual(verdicts(full));
    expect(pruned.subsumedStates).toBeGreaterThan(0);
    expect(pruned.distinctStates + pruned.subsumedStates).toBeLessThanOrEqual(full.distinctStates);
    // power-loss:ext4, depth-bounded: a subsuming state was reached at no greater depth, so it has as many actions left.
    const plBounds: ExploreBounds = { ...checkBounds('power-loss:ext4'), depth: 5 };
    const plPruned = search('power-loss:ext4', plBounds);
    const plFull = search('power-loss:ext4', plBounds, { noSubsumption: true });
    expect(lengths(plPruned)).toEqual(lengths(plFull));
    expect(verdicts(plPruned)).toEqual(verdicts(plFull));
    expect(verdicts(plFull).length).toBeGreaterThan(0);
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

  it('power-loss:ext4, every property with causes: the same with 1 or 2 workers', () => {
    const req: ExploreRequest = { profile: 'v2.10.22', properties: PROPERTY_IDS, crash: 'power-loss:ext4', mode: 'exhaustive', bounds: { ...DEPTH9_BOUNDS, depth: 5 }, seed: 0, runs: 0, stopEarly: false, byCause: true };
    const one = explore({ ...req, workers: 1 });
    const two = explore({ ...req, workers: 2 });
    expect(one.results.some((r) => r.verdict === 'violated')).toBe(true);
    const strip = (r: typeof one) => JSON.stringify({ ...r, request: null, stats: { ...r.stats, workers: null } });
    expect(strip(two)).toBe(strip(one));
  });
});

describe('the last run (no start left)', () => {
  /** A deterministic walk's choices (mulberry32: the test must not depend on Math.random). */
  function walkChoices(seed: number): (n: number) => number {
    let x = seed >>> 0;
    return (n) => {
      x = (x + 0x6d2b79f5) >>> 0;
      let t = Math.imul(x ^ (x >>> 15), 1 | x);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
  }

  /** One step, and the ghost after it (as runner.ts `runAction` keeps it). */
  function stepGhost(s: ModelState, g: Ghost, e: ModelEvent): { r: StepResult; g: Ghost } {
    const r = step(s, e);
    return { r, g: nextGhost(g, e, r, s.disk, e.type === 'stop' ? observe(s).stream : null) };
  }

  /** The state with every file only a start reads emptied, and index.db gone when `drop`. */
  function otherStartOnlyFiles(s: ModelState, drop: boolean): ModelState {
    const c = structuredClone(s) as Draft<ModelState>;
    for (const [path, inode] of Object.entries(c.disk.cache.entries)) {
      if (!readOnlyAtStart(path)) continue;
      if (drop && path === INDEX_DB_PATH) {
        delete c.disk.cache.entries[path];
        continue;
      }
      c.disk.cache.inodes[inode] = [];
      c.disk.cache.sizes![inode] = 0;
    }
    return c as ModelState;
  }

  /** What the last run can tell apart: everything but the files only a start reads, and the ghost without op ids. */
  function judged(s: ModelState, g: Ghost): string {
    const files = Object.keys(s.disk.cache.entries).filter((p) => !readOnlyAtStart(p)).sort().map((p) => [p, s.disk.cache.inodes[s.disk.cache.entries[p]!]]);
    const strip = (cs: readonly { seq: number; msgId: number }[]) => cs.map((c) => [c.seq, c.msgId]);
    return JSON.stringify({ now: s.nowMs, proc: s.proc, files, ghost: { ...g, assigned: strip(g.assigned), unacked: strip(g.unacked), acked: strip(g.acked), current: strip(g.current) } });
  }

  it('only a start reads index.db, its temporary and o.dat: with other contents there, a run without a start takes the same operations to the same states and judgements', () => {
    const bounds: ExploreBounds = { depth: null, maxMsgs: 3, maxCrashes: 2, consumers: 1, blockSizeBytes: 128, reorderWindow: 4 };
    const profiles = [...PROFILE_NAMES, 'v2.10.22+index-before-unlink', 'v2.10.22+durable-last-seq', 'v2.14.5+consumer-reconcile'];
    let compared = 0;
    let differed = 0;
    for (const [i, profile] of profiles.entries()) {
      const config = exploredConfig(bounds);
      for (let walk = 0; walk < 8; walk++) {
        const pick = walkChoices(1000 * i + walk);
        let s = initialState(config, profile);
        let g = EMPTY_GHOST;
        for (let n = 0; n < 40; n++) {
          const actions = enabledActions(s, g, bounds);
          let e = actions[pick(actions.length)]!;
          if (pick(12) === 0 && s.proc) e = { ...e, killAfterFileOps: pick(4) } as ModelEvent;
          const next = stepGhost(s, g, e);
          s = next.r.state;
          g = next.g;
          if (!s.proc || g.starts === 0 || pick(4) !== 0) continue;
          // A running state: the same operations (no start, stop or crash) from it and from it with other start-only files.
          let a = s;
          let ga = g;
          let b = otherStartOnlyFiles(s, pick(2) === 0);
          let gb = g;
          if (judged(a, ga) === judged(b, gb) && JSON.stringify(a.disk.cache) !== JSON.stringify(b.disk.cache)) differed++;
          for (let k = 0; k < 15; k++) {
            const ops = enabledActions(a, ga, bounds).filter((x) => x.type !== 'stop');
            expect(JSON.stringify(enabledActions(b, gb, bounds).filter((x) => x.type !== 'stop'))).toBe(JSON.stringify(ops));
            const op = ops[pick(ops.length)]!;
            const ra = stepGhost(a, ga, op);
            const rb = stepGhost(b, gb, op);
            expect(JSON.stringify(rb.r.outcome)).toBe(JSON.stringify(ra.r.outcome));
            expect(judged(rb.r.state, rb.g)).toBe(judged(ra.r.state, ra.g));
            for (const p of Object.values(PROPERTIES)) {
              const ta = { before: a, event: op, result: ra.r, ghostBefore: ga, ghostAfter: ra.g };
              const tb = { before: b, event: op, result: rb.r, ghostBefore: gb, ghostAfter: rb.g };
              expect(p.applies(tb) && p.check(tb)).toBe(p.applies(ta) && p.check(ta));
            }
            a = ra.r.state;
            ga = ra.g;
            b = rb.r.state;
            gb = rb.g;
            compared++;
          }
        }
      }
    }
    // The walks reached running states with those files, after restarts, many times over.
    expect(differed).toBeGreaterThan(50);
    expect(compared).toBeGreaterThan(5000);
  });

  it('a property judges no event outside its `on` list', () => {
    const bounds: ExploreBounds = { depth: null, maxMsgs: 8, maxCrashes: 2, consumers: 1, blockSizeBytes: 128, reorderWindow: 4 };
    const pick = walkChoices(7);
    const seen = new Set<string>();
    for (let walk = 0; walk < 60; walk++) {
      let s = initialState(exploredConfig(bounds), 'v2.10.22');
      let g = EMPTY_GHOST;
      for (let n = 0; n < 40; n++) {
        const actions = enabledActions(s, g, bounds);
        let e = actions[pick(actions.length)]!;
        if (pick(10) === 0 && s.proc) e = { ...e, killAfterFileOps: pick(4) } as ModelEvent;
        const { r, g: g2 } = stepGhost(s, g, e);
        for (const p of Object.values(PROPERTIES)) {
          const applies = p.applies({ before: s, event: e, result: r, ghostBefore: g, ghostAfter: g2 });
          if (applies) seen.add(`${p.id}:${e.type}`);
          expect(!applies || p.on.includes(e.type), `${p.id} applies to ${e.type}`).toBe(true);
        }
        s = r.state;
        g = g2;
      }
    }
    // Every property's precondition was reached at least once.
    expect(new Set([...seen].map((k) => k.split(':')[0]))).toEqual(new Set(PROPERTY_IDS));
  });

  it('the last-run reduction changes no verdict, no shortest length and no cause', () => {
    // 2 messages, 1 crash, 2 starts: the second start is the last, and sequence reuse happens there.
    const bounds: ExploreBounds = { ...DEPTH9_BOUNDS, depth: 8, maxStarts: 2 };
    const byCauseLengths = (r: ExhaustiveResult) => JSON.stringify(Object.fromEntries(Object.entries(r.byCause).map(([p, cs]) => [p, Object.fromEntries(Object.entries(cs!).map(([c, ce]) => [c, ce!.events.length]))])));
    const ctx = (): SearchContext => ({ profile: 'v2.10.22', crash: 'kill', bounds, properties: PROPERTY_IDS, coverage: {}, reached: {} });
    const reduced = exploreExhaustive(ctx(), { stopWhenAllViolated: false, byCause: true });
    const whole = exploreExhaustive(ctx(), { stopWhenAllViolated: false, byCause: true, noLastRun: true });
    expect(byCauseLengths(reduced)).toBe(byCauseLengths(whole));
    expect(verdicts(reduced)).toEqual(verdicts(whole));
    expect(verdicts(whole)).toContain('no-sequence-reuse');
    expect(reduced.distinctStates).toBeLessThan(whole.distinctStates);
    expect(reduced.transitions).toBeLessThan(whole.transitions);
  });
});
