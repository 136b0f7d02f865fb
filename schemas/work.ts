/**
 * The work budget of a scenario or trace file: an upper estimate of what replaying it costs the
 * model, checked before it runs so no accepted file can run for long or exhaust memory. Each
 * limit is in limits.ts; a file over one is refused with the step and field that crossed it.
 *
 * Timer firings are counted per run of the process (from a start to the next crash or stop),
 * not per advance: the periodic timers keep their phase across advances (model/timers.ts), so
 * many short advances fire them no more often than one long one. The estimate is an upper bound
 * of what model/timers.ts fires, so an accepted file never meets MAX_TIMER_FIRINGS_PER_ADVANCE.
 */
import { MAX_TIMER_WORK, MAX_TOTAL_DELIVERIES, MAX_TOTAL_MSGS, MAX_TOTAL_TIMER_FIRINGS } from './limits.js';

/** What one step asks of the model, as far as cost goes. `endsDown`: a kill point ends the process. */
export type WorkItem =
  | { readonly kind: 'store' | 'skip' | 'deliver'; readonly count: number; readonly endsDown?: boolean }
  | { readonly kind: 'advance'; readonly ms: number; readonly endsDown?: boolean }
  | { readonly kind: 'start'; readonly endsDown?: boolean }
  /** stop, kill, powerLoss: the process is gone, and its timers with it. */
  | { readonly kind: 'down' }
  | { readonly kind: 'other'; readonly endsDown?: boolean };

/**
 * The work item of one scenario step or trace event, named by its `op` or `type` (the two
 * formats use the same names for these events).
 */
export function workItemOf(name: string, event: object): WorkItem {
  const f: { readonly count?: unknown; readonly ms?: unknown; readonly killAfterFileOps?: unknown } = event;
  const endsDown = f.killAfterFileOps !== undefined;
  if (name === 'store' || name === 'skip' || name === 'deliver') return { kind: name, count: typeof f.count === 'number' ? f.count : 1, endsDown };
  if (name === 'advance') return { kind: 'advance', ms: typeof f.ms === 'number' ? f.ms : 0, endsDown };
  if (name === 'start') return { kind: 'start', endsDown };
  if (name === 'stop' || name === 'kill' || name === 'powerLoss') return { kind: 'down' };
  return { kind: 'other', endsDown };
}

export interface WorkConfig {
  readonly syncIntervalMs: number;
  readonly indexFlushIntervalMs: number;
  readonly consumers: number;
  readonly maxAgeMs: number;
  readonly maxMsgsPerSubject: number;
  readonly ackWaitMs: number;
}

export interface WorkProblem {
  /** Index of the step (0-based) in the list given. */
  readonly index: number;
  readonly field: string;
  readonly message: string;
}

/** One run of the process: the time advanced since its start and the firings already counted. */
interface Run {
  ms: number;
  store: number;
  pending: number;
}

/**
 * Firings of the store's timers in a run `ms` long: the sync timer (`syncBlocks`, first at
 * SyncInterval/2 or later, then re-armed one period after each run) and the index.db ticker
 * (`flushStreamStateLoop`) at most once per period plus once. Each walks every block.
 */
function storeFirings(ms: number, cfg: WorkConfig): number {
  return Math.floor(ms / cfg.syncIntervalMs) + 1 + Math.floor(ms / cfg.indexFlushIntervalMs) + 1;
}

/**
 * Firings of `checkPending` in a run `ms` long, over all consumers: re-armed (only when a limit
 * can remove messages, `limitsCanRemove`) at most AckWait later, or at the expiry of a pending
 * message (one per delivery); once more at the start (o.dat restored with pending entries).
 */
function pendingFirings(ms: number, cfg: WorkConfig, deliveries: number): number {
  if (cfg.maxAgeMs === 0 && cfg.maxMsgsPerSubject === 0) return 0; // not re-armed: counted per advance
  return cfg.consumers * (Math.floor(ms / cfg.ackWaitMs) + 2) + deliveries;
}

/** The first step that takes the file over its work budget, or null. */
export function checkWork(items: readonly WorkItem[], cfg: WorkConfig): WorkProblem | null {
  return account(items, cfg, true).problem;
}

/** The timer firings the budget counts for these steps, all limits aside (tests compare it with the model's). */
export function timerFiringsEstimate(items: readonly WorkItem[], cfg: WorkConfig): number {
  return account(items, cfg, false).firings;
}

function account(items: readonly WorkItem[], cfg: WorkConfig, enforce: boolean): { problem: WorkProblem | null; firings: number } {
  const over = (problem: WorkProblem) => ({ problem, firings });
  let msgs = 0;
  let deliveries = 0;
  let firings = 0;
  let timerWork = 0;
  let advances = 0;
  let ageCounted = 0;
  let run: Run | null = null;
  const why = `(sync every ${cfg.syncIntervalMs} ms, index.db every ${cfg.indexFlushIntervalMs} ms)`;
  for (const [index, item] of items.entries()) {
    switch (item.kind) {
      case 'start':
        run = { ms: 0, store: 0, pending: 0 };
        break;
      case 'down':
        run = null;
        break;
      case 'store':
      case 'skip':
        msgs += item.count;
        if (enforce && msgs > MAX_TOTAL_MSGS) return over({ index, field: 'count', message: `takes the messages stored or skipped to ${msgs}; a file may store or skip at most ${MAX_TOTAL_MSGS}` });
        break;
      case 'deliver':
        deliveries += item.count;
        if (enforce && deliveries > MAX_TOTAL_DELIVERIES) return over({ index, field: 'count', message: `takes the deliveries to ${deliveries}; a file may ask for at most ${MAX_TOTAL_DELIVERIES}` });
        break;
      case 'advance': {
        if (run === null) break; // the process is down: no timer runs
        advances++;
        run.ms += item.ms;
        const store = storeFirings(run.ms, cfg) - run.store;
        const pendingTotal = pendingFirings(run.ms, cfg, deliveries);
        // A consumer's o.dat flush fires at most once per kick; checkPending, when not re-armed, once per arming.
        const consumer = cfg.consumers + (pendingTotal === 0 ? cfg.consumers : pendingTotal - run.pending);
        // expireMsgs expires at least the oldest message, or finds it gone and re-arms: once per message, and once per advance.
        const age = cfg.maxAgeMs > 0 ? msgs + advances - ageCounted : 0;
        run.store += store;
        run.pending = pendingTotal;
        ageCounted += age;
        const n = store + consumer + age;
        firings += n;
        // Store timers walk the blocks (cost grows with the messages); a consumer's timers walk its pending list.
        timerWork += (store + age) * (msgs + 1) + consumer * (deliveries + 1);
        if (enforce && firings > MAX_TOTAL_TIMER_FIRINGS) return over({ index, field: 'ms', message: `fires up to ${n} timers ${why}, ${firings} in all; a file may fire at most ${MAX_TOTAL_TIMER_FIRINGS} (advance less, or raise syncIntervalMs)` });
        if (enforce && timerWork > MAX_TIMER_WORK) return over({ index, field: 'ms', message: `fires up to ${n} timers ${why} over up to ${msgs} messages; a file may spend at most ${MAX_TIMER_WORK} timer firings × messages (advance less or store fewer messages)` });
        break;
      }
      case 'other':
        break;
    }
    if ('endsDown' in item && item.endsDown) run = null;
  }
  return { problem: null, firings };
}
