/** The budget options every searching command takes (properties/budget.ts), and how a spent budget is reported. */
import { BudgetExhausted, DEFAULT_MAX_STATES, MAX_MAX_SECONDS, MAX_MAX_STATES, SearchBudget } from '../properties/budget.js';

export const BUDGET_FLAGS = {
  'max-states': { kind: 'int', help: `stop after generating this many states, with the verdict "unknown" (default ${DEFAULT_MAX_STATES})`, min: 1, max: MAX_MAX_STATES },
  'max-seconds': { kind: 'int', help: 'also stop after this many seconds (default: no time bound; the verdict then depends on the machine)', min: 1, max: MAX_MAX_SECONDS },
} as const;

/** A fresh budget from the options (each search gets its own). */
export function budgetOf(flags: { readonly 'max-states'?: number | undefined; readonly 'max-seconds'?: number | undefined }): SearchBudget {
  return new SearchBudget({ maxStates: flags['max-states'] ?? DEFAULT_MAX_STATES, maxSeconds: flags['max-seconds'] ?? null }, () => performance.now());
}

/** "unknown: budget exhausted after N states (--max-states M)". */
export function unknownVerdict(e: BudgetExhausted): string {
  return `unknown: ${e.message}`;
}

export { BudgetExhausted };
