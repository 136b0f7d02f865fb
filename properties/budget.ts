/**
 * The budget of a search: a bound on the states it may generate and, optionally, on its
 * running time. Every search the command line starts carries one, so no option list can make
 * a run go on without end; one that runs out ends with the verdict "unknown: budget exhausted
 * after N states" instead of a silent cut. The state bound is deterministic (same options,
 * same verdict); the time bound is not, and is off unless asked for.
 *
 * The search calls `spend()` once per transition (runner.ts `runAction`), the one place every
 * explorer goes through.
 */

/**
 * States a search may generate unless told otherwise: a few times what the default bounds'
 * fixpoint under `kill` needs (647,289 transitions, about 2 minutes on 2 cores), so the
 * default `explore` and the single-profile check complete; at most about half an hour.
 */
export const DEFAULT_MAX_STATES = 3_000_000;
/** The largest budgets the command line accepts. */
export const MAX_MAX_STATES = 100_000_000;
export const MAX_MAX_SECONDS = 7 * 86_400;

export interface BudgetLimits {
  readonly maxStates: number;
  /** Wall-clock seconds, or null for no time bound. */
  readonly maxSeconds: number | null;
}

/** Thrown through the search when its budget runs out. */
export class BudgetExhausted extends Error {
  constructor(
    readonly states: number,
    readonly limit: 'states' | 'seconds',
    readonly limits: BudgetLimits,
  ) {
    super(`budget exhausted after ${states} states (${limit === 'states' ? `--max-states ${limits.maxStates}` : `--max-seconds ${limits.maxSeconds}`})`);
    this.name = 'BudgetExhausted';
  }
}

export class SearchBudget {
  private spent = 0;
  private exhausted: BudgetExhausted | null = null;
  private readonly startMs: number;

  /** `nowMs` reads the clock; only a time bound uses it, and only the caller supplies it. */
  constructor(
    readonly limits: BudgetLimits,
    private readonly nowMs: () => number = () => 0,
  ) {
    this.startMs = nowMs();
  }

  get states(): number {
    return this.spent;
  }

  /** Count `n` generated states; throws BudgetExhausted past a limit. */
  spend(n = 1): void {
    // Once spent, always spent: a search that catches the first throw (fast-check does, to
    // shrink) meets the same one again at once.
    if (this.exhausted) throw this.exhausted;
    if (this.spent + n > this.limits.maxStates) throw (this.exhausted = new BudgetExhausted(this.spent, 'states', this.limits));
    this.spent += n;
    // Reading the clock is cheap but not free: look every 256 states.
    if (this.limits.maxSeconds !== null && (this.spent & 255) === 0 && this.nowMs() - this.startMs > this.limits.maxSeconds * 1000) {
      throw (this.exhausted = new BudgetExhausted(this.spent, 'seconds', this.limits));
    }
  }
}
