/**
 * The search finds the seed bug: exhaustive search gives the shortest trace, and that trace
 * is minimal; verdicts are vacuous when a precondition is never reached; fingerprints do not
 * depend on construction order; the same request gives the same output.
 */
import { describe, expect, it } from 'vitest';
import { initialState, step, type ModelEvent } from '../model/step.js';
import { makeConfig } from '../model/config.js';
import { exploredConfig } from './alphabet.js';
import { DEPTH9_BOUNDS, DEFAULT_RANDOM_BOUNDS, explore, type ExploreRequest } from './explore.js';
import { fingerprint } from './fingerprint.js';
import { EMPTY_GHOST } from './ghost.js';
import { PROPERTY_IDS } from './invariants.js';
import { playEvents } from './random.js';
import type { SearchContext } from './runner.js';
import { serializeTrace } from '../traces/trace.js';

const base: ExploreRequest = {
  profile: 'v2.10.22',
  properties: ['stream-not-behind-consumer'],
  crash: 'kill',
  mode: 'exhaustive',
  bounds: DEPTH9_BOUNDS,
  seed: 1,
  runs: 300,
  stopEarly: true,
};

// The o.dat flusher, kicked by the delivery and again by UpdateAcks, writes o.dat while the
// ack's removal runs (consumer.go L2885 before RemoveMsg L2895: a background write the search
// interleaves); the kill then lands after removeMsgBlock's unlink, before its create.
const SEED_BUG: ModelEvent[] = [
  { type: 'start' },
  { type: 'store', subject: 'foo', payloadBytes: 10 },
  { type: 'deliver', consumer: 'C' },
  { type: 'ack', consumer: 'C', streamSeq: 1, odatFlushAfterFileOps: 0, killAfterFileOps: 3 },
  { type: 'start' },
];

function ctxFor(property: (typeof PROPERTY_IDS)[number]): SearchContext {
  return { profile: 'v2.10.22', crash: 'kill', bounds: DEPTH9_BOUNDS, properties: [property], coverage: {}, reached: {} };
}

describe('exhaustive search at v2.10.22 under kill', () => {
  const result = explore(base);
  const r = result.results[0]!;

  it('finds the seed bug as the 5-event trace: the ack that empties the lmb is killed between unlink and create', () => {
    expect(r.verdict).toBe('violated');
    expect(r.counterexample!.events).toEqual(SEED_BUG);
    expect(r.counterexample!.message).toBe("after restart the stream's LastSeq is 0 but consumer C has delivered stream sequence 1");
    const ack = r.counterexample!.trace.steps[3]!;
    expect(ack.ops.map((o) => `${o.op.type} ${'path' in o.op ? o.op.path : ''} ${o.fn}`)).toEqual(['truncate obs/C/o.dat flushLoop(C)', 'write obs/C/o.dat flushLoop(C)', 'unlink msgs/1.blk removeMsgBlock']);
  });

  it('the shortest trace is minimal: removing any single event makes the property pass', () => {
    const events = r.counterexample!.events;
    expect(playEvents(ctxFor('stream-not-behind-consumer'), events, false)).not.toBeNull();
    for (let i = 0; i < events.length; i++) {
      const without = [...events.slice(0, i), ...events.slice(i + 1)];
      expect(playEvents(ctxFor('stream-not-behind-consumer'), without, false), `without event ${i}`).toBeNull();
    }
  });

  it('no shorter trace exists: depth 4 holds', () => {
    const short = explore({ ...base, bounds: { ...DEPTH9_BOUNDS, depth: 4 } }).results[0]!;
    expect(short.verdict).toBe('holds');
  });

  it('reaches the lmb removal and the recovery paths it needs (coverage)', () => {
    expect(result.coverage['lmb-removal']).toBeGreaterThan(0);
    expect(result.coverage['recovery:index.db-missing']).toBeGreaterThan(0);
    expect(result.coverage['crash-point:ack: after unlink (removeMsgBlock), before create (newMsgBlockForWrite)']).toBeGreaterThan(0);
  });

  it('also breaks no-sequence-reuse in 6 events: the next store reuses sequence 1', () => {
    const reuse = explore({ ...base, properties: ['no-sequence-reuse'] }).results[0]!;
    expect(reuse.verdict).toBe('violated');
    expect(reuse.counterexample!.events.length).toBe(6);
    expect(reuse.counterexample!.events[5]).toEqual({ type: 'store', subject: 'foo', payloadBytes: 10 });
  });
});

describe('verdicts', () => {
  it('a property whose precondition is never reached is vacuous, not holds', () => {
    const shallow = explore({ ...base, properties: ['no-acked-redelivery', 'clean-restart-identity'], stopEarly: false, bounds: { ...DEPTH9_BOUNDS, depth: 2 } });
    for (const r of shallow.results) {
      expect(r.reached, r.property).toBe(0);
      expect(r.verdict, r.property).toBe('vacuous');
    }
  });

  it('no-stored-loss holds under kill within the default bounds (a kill keeps what the OS has)', () => {
    const r = explore({ ...base, properties: ['no-stored-loss'], bounds: { ...DEPTH9_BOUNDS, depth: 7 } }).results[0]!;
    expect(r.verdict).toBe('holds');
    expect(r.reached).toBeGreaterThan(0);
  });

  it('stream-not-behind-consumer also breaks under power-loss:ext4, through a power loss', () => {
    const r = explore({ ...base, crash: 'power-loss:ext4', bounds: { ...DEPTH9_BOUNDS, depth: 7 } }).results[0]!;
    expect(r.verdict).toBe('violated');
    expect(r.counterexample!.events.some((e) => e.type === 'powerLoss')).toBe(true);
  });
});

describe('fingerprints', () => {
  const cfg = makeConfig({ retention: 'workqueue', blockSizeBytes: 128, consumers: ['C'] });
  const run = (events: ModelEvent[]) => events.reduce((s, e) => step(s, e).state, initialState(cfg, 'v2.10.22'));
  const prefix: ModelEvent[] = [{ type: 'start' }, { type: 'store', subject: 'foo', payloadBytes: 10 }, { type: 'stop' }];

  it('equal states built in a different order have equal fingerprints', () => {
    const a = run([...prefix, { type: 'copyFile', from: 'msgs/1.blk', to: 'msgs/7.blk' }, { type: 'copyFile', from: 'msgs/index.db', to: 'msgs/old.db' }]);
    const b = run([...prefix, { type: 'copyFile', from: 'msgs/index.db', to: 'msgs/old.db' }, { type: 'copyFile', from: 'msgs/1.blk', to: 'msgs/7.blk' }]);
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b)); // inode numbers and key order differ
    expect(fingerprint(a, EMPTY_GHOST, 0)).toBe(fingerprint(b, EMPTY_GHOST, 0));
  });

  it('different states have different fingerprints', () => {
    const a = run([...prefix, { type: 'copyFile', from: 'msgs/1.blk', to: 'msgs/7.blk' }]);
    const b = run([...prefix, { type: 'copyFile', from: 'msgs/1.blk', to: 'msgs/8.blk' }]);
    expect(fingerprint(a, EMPTY_GHOST, 0)).not.toBe(fingerprint(b, EMPTY_GHOST, 0));
    expect(fingerprint(a, EMPTY_GHOST, 0)).not.toBe(fingerprint(a, EMPTY_GHOST, 1));
  });

  it('the explored stream is a WorkQueue stream with small blocks', () => {
    expect(exploredConfig(DEPTH9_BOUNDS)).toMatchObject({ retention: 'workqueue', blockSizeBytes: 128, consumers: ['C'] });
  });
});

describe('determinism', () => {
  it('the same exhaustive request gives byte-identical traces and results', () => {
    const a = explore({ ...base, properties: [...PROPERTY_IDS], stopEarly: false, bounds: { ...DEPTH9_BOUNDS, depth: 7 } });
    const b = explore({ ...base, properties: [...PROPERTY_IDS], stopEarly: false, bounds: { ...DEPTH9_BOUNDS, depth: 7 } });
    expect(JSON.stringify(b.results.map((r) => r.counterexample && serializeTrace(r.counterexample.trace)))).toBe(JSON.stringify(a.results.map((r) => r.counterexample && serializeTrace(r.counterexample.trace))));
    expect(JSON.stringify({ ...b, request: null })).toBe(JSON.stringify({ ...a, request: null }));
  });

  it('the same random seed gives byte-identical output', () => {
    const req: ExploreRequest = { ...base, mode: 'random', bounds: DEFAULT_RANDOM_BOUNDS, seed: 11, runs: 300 };
    const a = explore(req);
    const b = explore(req);
    expect(JSON.stringify({ ...b, request: null })).toBe(JSON.stringify({ ...a, request: null }));
  });
});
