/**
 * The work budget of a scenario or trace file: an upper estimate of what replaying it costs the
 * model, checked before it runs so no accepted file can run for long or exhaust memory. Each
 * limit is in limits.ts; a file over one is refused with the step and field that crossed it.
 */
import { MAX_TIMER_WORK, MAX_TOTAL_DELIVERIES, MAX_TOTAL_MSGS, MAX_TOTAL_TIMER_FIRINGS } from './limits.js';

/** What one step asks of the model, as far as cost goes. */
export type WorkItem =
  | { readonly kind: 'store' | 'skip' | 'deliver'; readonly count: number }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'other' };

export interface WorkConfig {
  readonly syncIntervalMs: number;
  readonly indexFlushIntervalMs: number;
  readonly consumers: number;
  readonly maxAgeMs: number;
}

export interface WorkProblem {
  /** Index of the step (0-based) in the list given. */
  readonly index: number;
  readonly field: string;
  readonly message: string;
}

/**
 * An upper estimate of the timer firings of one advance: the sync timer (`syncBlocks`) and the
 * index.db ticker (`flushStreamStateLoop`) once per period, each consumer's flush once, and the
 * max-age check (`expireMsgs`) at most once per message held plus once.
 */
export function timerFiringsEstimate(ms: number, cfg: WorkConfig, msgsHeld: number): number {
  const periodic = Math.floor(ms / cfg.syncIntervalMs) + 1 + Math.floor(ms / cfg.indexFlushIntervalMs) + 1;
  const age = cfg.maxAgeMs > 0 ? msgsHeld + 1 : 0;
  return periodic + cfg.consumers + age;
}

/** The first step that takes the file over its work budget, or null. */
export function checkWork(items: readonly WorkItem[], cfg: WorkConfig): WorkProblem | null {
  let msgs = 0;
  let deliveries = 0;
  let firings = 0;
  let timerWork = 0;
  for (const [index, item] of items.entries()) {
    switch (item.kind) {
      case 'store':
      case 'skip':
        msgs += item.count;
        if (msgs > MAX_TOTAL_MSGS) return { index, field: 'count', message: `takes the messages stored or skipped to ${msgs}; a file may store or skip at most ${MAX_TOTAL_MSGS}` };
        break;
      case 'deliver':
        deliveries += item.count;
        if (deliveries > MAX_TOTAL_DELIVERIES) return { index, field: 'count', message: `takes the deliveries to ${deliveries}; a file may ask for at most ${MAX_TOTAL_DELIVERIES}` };
        break;
      case 'advance': {
        const n = timerFiringsEstimate(item.ms, cfg, msgs);
        firings += n;
        timerWork += n * (msgs + 1);
        const why = `(sync every ${cfg.syncIntervalMs} ms, index.db every ${cfg.indexFlushIntervalMs} ms)`;
        if (firings > MAX_TOTAL_TIMER_FIRINGS) return { index, field: 'ms', message: `fires up to ${n} timers ${why}, ${firings} in all; a file may fire at most ${MAX_TOTAL_TIMER_FIRINGS} (advance less, or raise syncIntervalMs)` };
        if (timerWork > MAX_TIMER_WORK) return { index, field: 'ms', message: `fires up to ${n} timers ${why} over up to ${msgs} messages; a file may spend at most ${MAX_TIMER_WORK} timer firings × messages (advance less or store fewer messages)` };
        break;
      }
      case 'other':
        break;
    }
  }
  return null;
}
