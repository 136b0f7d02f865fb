/**
 * The work budget's timer estimate is an upper bound: for random runs of the model (starts,
 * stores, deliveries, acks, advances of any length, kills, stops) under random timer settings,
 * the timers the model actually fired (model/timers.ts) never exceed what the budget counts.
 * Were it not a bound, an accepted file could reach the model's own limit (exit 3) or run long.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../model/config.js';
import { EventError, initialState, step, type ModelEvent } from '../model/step.js';
import { checkWork, timerFiringsEstimate, workItemOf, type WorkItem } from './work.js';


const event: fc.Arbitrary<ModelEvent> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<ModelEvent>({ type: 'start' }) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }).map((count): ModelEvent => ({ type: 'store', subject: 'foo', payloadBytes: 10, count })) },
  { weight: 2, arbitrary: fc.constant<ModelEvent>({ type: 'deliver', consumer: 'C' }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 6 }).map((streamSeq): ModelEvent => ({ type: 'ack', consumer: 'C', streamSeq })) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 20_000 }).map((ms): ModelEvent => ({ type: 'advance', ms })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 40_000 }).map((ms): ModelEvent => ({ type: 'advance', ms, killAfterFileOps: ms % 7 })) },
  { weight: 1, arbitrary: fc.constantFrom<ModelEvent>({ type: 'kill' }, { type: 'stop' }) },
);

describe('work budget: the timer estimate bounds what the model fires', () => {
  it('for random runs and timer settings, the firings so far never exceed the estimate', () => {
    fc.assert(
      fc.property(
        fc.record({
          syncIntervalMs: fc.integer({ min: 1, max: 5_000 }),
          indexFlushIntervalMs: fc.integer({ min: 1, max: 5_000 }),
          ackWaitMs: fc.integer({ min: 1, max: 5_000 }),
          maxAgeMs: fc.constantFrom(0, 1, 700, 3_000),
          maxMsgsPerSubject: fc.constantFrom(0, 2),
          retention: fc.constantFrom('limits' as const, 'interest' as const),
        }),
        fc.array(event, { minLength: 1, maxLength: 25 }),
        (c, events) => {
          const config = makeConfig({ ...c, blockSizeBytes: 256, consumers: ['C'] });
          const cfg = { syncIntervalMs: c.syncIntervalMs, indexFlushIntervalMs: c.indexFlushIntervalMs, consumers: 1, maxAgeMs: c.maxAgeMs, maxMsgsPerSubject: c.maxMsgsPerSubject, ackWaitMs: c.ackWaitMs };
          let state = initialState(config, 'v2.10.22');
          const ran: ModelEvent[] = [];
          let fired = 0;
          for (const e of events) {
            try {
              const r = step(state, e);
              state = r.state;
              fired += r.timers.length;
              ran.push(e);
            } catch (err) {
              if (err instanceof EventError) continue; // not valid at this point (a store while down): leave it out
              throw err;
            }
            expect(fired).toBeLessThanOrEqual(timerFiringsEstimate(ran.map((e) => workItemOf(e.type, e)), cfg));
          }
        },
      ),
      { seed: 12, numRuns: 300 },
    );
  });

  it('counts periodic timers per run of the process: 2000 one-second advances cost what one long advance does', () => {
    const cfg = { syncIntervalMs: 120_000, indexFlushIntervalMs: 120_000, consumers: 1, maxAgeMs: 0, maxMsgsPerSubject: 0, ackWaitMs: 30_000 };
    const items: WorkItem[] = [{ kind: 'start' }, { kind: 'store', count: 1_000 }, ...Array.from({ length: 2_000 }, (): WorkItem => ({ kind: 'advance', ms: 1_000 }))];
    expect(checkWork(items, cfg)).toBeNull();
    // 2000 s: sync and index.db at most 16 + 1 times each; one consumer flush and one checkPending per advance.
    expect(timerFiringsEstimate(items, cfg)).toBe(2 * (Math.floor(2_000_000 / 120_000) + 1) + 2 * 2_000);
    // While the process is down no timer runs.
    expect(timerFiringsEstimate([{ kind: 'start' }, { kind: 'down' }, { kind: 'advance', ms: 365 * 86_400_000 }], cfg)).toBe(0);
  });
});
