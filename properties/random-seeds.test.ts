/**
 * Random search with its default budget finds the seed bug (stream-not-behind-consumer at
 * v2.10.22 under kill) for every one of 20 seeds, and each shrunk trace is 1-minimal.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RANDOM_BOUNDS, DEFAULT_RANDOM_RUNS, explore } from './explore.js';
import { playEvents } from './random.js';

/** Let the worker's event loop run between seeds: vitest awaits only microtasks between sync tests. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('random search finds the seed bug', () => {
  for (let seed = 1; seed <= 20; seed++) {
    it(`seed ${seed}`, async () => {
      await yieldToEventLoop();
      const r = explore({ profile: 'v2.10.22', properties: ['stream-not-behind-consumer'], crash: 'kill', mode: 'random', bounds: DEFAULT_RANDOM_BOUNDS, seed, runs: DEFAULT_RANDOM_RUNS, stopEarly: true }).results[0]!;
      expect(r.verdict).toBe('violated');
      const ce = r.counterexample!;
      expect(ce.seed).toBe(seed);
      expect(ce.path).toMatch(/^\d+(:\d+)*$/);
      const ctx = { profile: 'v2.10.22', crash: 'kill' as const, bounds: DEFAULT_RANDOM_BOUNDS, properties: ['stream-not-behind-consumer' as const], coverage: {}, reached: {} };
      for (let i = 0; i < ce.events.length; i++) {
        expect(playEvents(ctx, [...ce.events.slice(0, i), ...ce.events.slice(i + 1)]), `seed ${seed} without event ${i}`).toBeNull();
      }
    });
  }
});
