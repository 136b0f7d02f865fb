/** The search budget: a state bound that ends any search with "unknown", never silently. */
import { describe, expect, it } from 'vitest';
import { BudgetExhausted, SearchBudget } from './budget.js';
import { explore, DEFAULT_EXHAUSTIVE_BOUNDS } from './explore.js';

describe('SearchBudget', () => {
  it('counts states and throws once past the limit, then every time', () => {
    const b = new SearchBudget({ maxStates: 3, maxSeconds: null });
    b.spend();
    b.spend();
    b.spend();
    expect(b.states).toBe(3);
    const first = (() => { try { b.spend(); } catch (e) { return e; } })();
    expect(first).toBeInstanceOf(BudgetExhausted);
    expect((first as BudgetExhausted).message).toBe('budget exhausted after 3 states (--max-states 3)');
    expect(() => b.spend()).toThrow(first as Error);
  });

  it('stops on time only when asked, reading the clock it was given', () => {
    let now = 0;
    const b = new SearchBudget({ maxStates: 1_000_000, maxSeconds: 1 }, () => now);
    for (let i = 0; i < 255; i++) b.spend();
    now = 2000;
    expect(() => b.spend()).toThrow('budget exhausted after 256 states (--max-seconds 1)');
  });
});

describe('a budget in a search', () => {
  const request = { profile: 'v2.10.22', properties: ['no-stored-loss'] as const, crash: 'kill' as const, bounds: { ...DEFAULT_EXHAUSTIVE_BOUNDS, depth: 64 }, seed: 1, runs: 10_000_000, stopEarly: true };

  it('ends an exhaustive search that would run for hours after exactly the states allowed', () => {
    const budget = new SearchBudget({ maxStates: 500, maxSeconds: null });
    expect(() => explore({ ...request, mode: 'exhaustive', budget })).toThrow('budget exhausted after 500 states (--max-states 500)');
    expect(budget.states).toBe(500);
  });

  it('ends a random search of ten million runs, the same way for the same seed', () => {
    const run = () => {
      const budget = new SearchBudget({ maxStates: 300, maxSeconds: null });
      try {
        explore({ ...request, mode: 'random', budget });
      } catch (e) {
        return (e as Error).message;
      }
      return 'finished';
    };
    expect(run()).toBe('budget exhausted after 300 states (--max-states 300)');
    expect(run()).toBe(run());
  });
});
