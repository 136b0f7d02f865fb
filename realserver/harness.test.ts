/**
 * The real-server harness's own logic, without a server: the model's side of `confirm` on the
 * seed counterexample (expected values are what a real nats-server v2.10.22 reported for the
 * same image, docs/real-server.md), the field-by-field comparison, the refusals of
 * `confirm --live`, and the known-disagreement matching.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTraceFile } from '../traces/validate.js';
import { defaultImageStep, runEvents } from '../traces/image/image.js';
import { compareRestart } from './confirm.js';
import { knownFor } from './known-disagreements.js';
import { LiveRefusal, liveRun, realBlockSizeBytes } from './live.js';
import { predictRestart, type RestartFields } from './prediction.js';

const example = (f: string) => {
  const t = loadTraceFile(join(import.meta.dirname, '..', 'traces', 'examples', f));
  return runEvents(t.config, t.profile, t.steps.map((s) => s.event));
};
const corpus = (f: string) => {
  const t = loadTraceFile(join(import.meta.dirname, '..', 'traces', 'corpus', f));
  return runEvents(t.config, t.profile, t.steps.map((s) => s.event));
};

describe('the model\'s prediction for a crash image', () => {
  it('of the seed bug: LastSeq 0, C delivered 1, the probe only after AckWait (as v2.10.22 did)', () => {
    const run = example('seed-kill-6-events.json');
    const p = predictRestart(run, defaultImageStep(run), 'cache');
    expect(p.stream).toEqual({ firstSeq: 0, lastSeq: 0, msgs: 0, numDeleted: 1 });
    expect(p.consumers.C).toEqual({ delivered: { consumerSeq: 1, streamSeq: 1 }, ackFloor: { consumerSeq: 0, streamSeq: 0 } });
    expect(p.probe).toEqual({ seq: 1, delivered: { C: 'after AckWait' } });
    expect(p.warnings).toEqual([]);
  });

  it('of consumer-keeps-delivering: C at delivered 2, the probe never (as v2.10.22 did)', () => {
    const run = example('consumer-stuck-kill-9-events.json');
    const p = predictRestart(run, defaultImageStep(run), 'cache');
    expect(p.stream?.lastSeq).toBe(0);
    expect(p.consumers.C?.delivered.streamSeq).toBe(2);
    expect(p.probe.delivered.C).toBe('never');
  });
});

describe('compareRestart', () => {
  const base: RestartFields = {
    stream: { firstSeq: 0, lastSeq: 0, msgs: 0, numDeleted: 1 },
    consumers: { C: { delivered: { consumerSeq: 1, streamSeq: 1 }, ackFloor: { consumerSeq: 0, streamSeq: 0 } } },
    probe: { seq: 1, delivered: { C: 'never' } },
    warnings: ['Filestore [TEST] Stream state detected prior state, could not locate msg block 2'],
  };
  const differing = (real: RestartFields) => compareRestart(base, real, ['C']).filter((f) => !f.agree).map((f) => f.field);

  it('agrees with itself, the server\'s level prefix allowed on warnings', () => {
    expect(differing({ ...base, warnings: ['[WRN] Filestore [TEST] Stream state detected prior state, could not locate msg block 2'] })).toEqual([]);
  });

  it('names each differing field, a missing consumer, a missing or an unexpected warning', () => {
    expect(differing({ ...base, stream: { ...base.stream!, lastSeq: 1 }, probe: { seq: 2, delivered: { C: 'at once' } } })).toEqual(['stream.lastSeq', 'probe.seq', 'probe delivered to C']);
    expect(differing({ ...base, consumers: {} })).toEqual(['consumer C.delivered.consumerSeq', 'consumer C.delivered.streamSeq', 'consumer C.ackFloor.consumerSeq', 'consumer C.ackFloor.streamSeq']);
    expect(differing({ ...base, warnings: [] })).toEqual(['warnings']);
    expect(differing({ ...base, warnings: [...base.warnings, "[WRN] JetStream consumer '$G > TEST > C' delivered sequence 2 past last stream sequence of 0"] })).toEqual(['warnings']);
    expect(differing({ ...base, stream: null })).toEqual(['stream', 'stream.firstSeq', 'stream.lastSeq', 'stream.msgs', 'stream.numDeleted']);
  });
});

describe('confirm --live', () => {
  it('refuses a kill between two file operations, and re-runs the model at the real block size', () => {
    expect(() => liveRun(example('seed-kill-6-events.json'))).toThrow(LiveRefusal);
    expect(() => liveRun(corpus('power-loss-ext4_stream-not-behind-consumer_removal-window.json'))).toThrow(/killed between two file operations|no client action/);
    const t = loadTraceFile(join(import.meta.dirname, '..', 'traces', 'examples', 'live-wq-deliver-ack-kill.json'));
    const run = liveRun(runEvents(t.config, t.profile, t.steps.map((s) => s.event)));
    expect(run.config.blockSizeBytes).toBe(4 * 1024 * 1024);
    expect(realBlockSizeBytes('limits')).toBe(8 * 1024 * 1024);
  });

  it('refuses traces that need the 2-minute timers', () => {
    const t = loadTraceFile(join(import.meta.dirname, '..', 'traces', 'examples', 'live-wq-deliver-ack-kill.json'));
    const events = [...t.steps.map((s) => s.event).slice(0, -1), { type: 'advance' as const, ms: 120_000 }, { type: 'kill' as const }];
    expect(() => liveRun(runEvents(t.config, t.profile, events))).toThrow(/needs the 120000 ms timers/);
  });
});

describe('known disagreements', () => {
  it('explain a case only when every differing field is covered', () => {
    const name = 'scenario:obs-5-wq-consumer-odat-lag@10';
    expect(knownFor('v2.10.22', name, ['consumer C.ackFloor.streamSeq'])?.id).toBe('v2.10.22-ack-floor-after-restore');
    expect(knownFor('v2.10.22', name, ['consumer C.ackFloor.streamSeq', 'stream.lastSeq'])).toBeNull();
    expect(knownFor('v2.99.0', name, ['consumer C.ackFloor.streamSeq'])).toBeNull();
  });
});
