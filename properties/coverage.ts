/**
 * Coverage counters: how often a run reached what matters (each recovery path, each crash
 * point, the lmb removal, index.db missing/stale/corrupt at start, a consumer ahead at start).
 * They guard against vacuity and show what a search actually explored.
 */
import { observe } from '../model/observe.js';
import type { StepResult } from '../model/step.js';
import type { ModelEvent } from '../model/step.js';
import type { ModelState } from '../model/state.js';

export type Coverage = Record<string, number>;

export function bump(c: Coverage, key: string, by = 1): void {
  c[key] = (c[key] ?? 0) + by;
}

/** Counters in a stable order (sorted by name), for reports. */
export function sortedCoverage(c: Coverage): Coverage {
  const out: Coverage = {};
  for (const k of Object.keys(c).sort()) out[k] = c[k]!;
  return out;
}

/** Which recovery path (reference section 4) a start took, from what it logged. */
export function recoveryPath(before: ModelState, r: StepResult): string {
  const log = r.log.join('\n');
  if (!before.disk.cache.entries['msgs/index.db']) return 'index.db-missing';
  if (log.includes('Stream state too short')) return 'index.db-too-short';
  if (log.includes('Stream state checksum did not match')) return 'index.db-checksum-mismatch';
  if (log.includes('block does not exist or index mismatch')) return 'lmb-index-mismatch';
  if (log.includes('could not locate msg block')) return 'lmb-missing';
  if (log.includes('last block has additional entries')) return 'lmb-checksum-mismatch';
  if (log.includes('found extra blocks')) return 'extra-blocks';
  return 'index.db-accepted';
}

/** Count what one transition covered. `full` is the same event run without its kill point. */
export function coverTransition(c: Coverage, before: ModelState, event: ModelEvent, r: StepResult, full: StepResult | null): void {
  if (event.type === 'start' && r.completed) {
    bump(c, `recovery:${recoveryPath(before, r)}`);
    if (before.disk.cache.entries['msgs/index.db'] !== undefined) bump(c, 'start:index.db-present');
    const o = observe(r.state);
    if (o.stream && o.stream.lostMsgs.length > 0) bump(c, 'recovery:lost-data');
    for (const cons of Object.values(o.consumers)) {
      if (o.stream && cons.delivered.streamSeq > o.stream.lastSeq) bump(c, 'start:consumer-ahead');
    }
  }
  const ops = (full ?? r).ops;
  for (let i = 0; i + 1 < ops.length; i++) {
    if (ops[i]!.fn === 'removeMsgBlock' && ops[i]!.op.type === 'unlink' && ops[i + 1]!.fn === 'newMsgBlockForWrite') bump(c, 'lmb-removal');
  }
  if ('killAfterFileOps' in event && event.killAfterFileOps !== undefined) {
    const k = event.killAfterFileOps;
    if (full && k < full.ops.length) {
      const prev = k === 0 ? 'start of step' : `${full.ops[k - 1]!.op.type} (${full.ops[k - 1]!.fn})`;
      const next = full.ops[k]!;
      bump(c, `crash-point:${event.type}: after ${prev}, before ${next.op.type} (${next.fn})`);
    } else bump(c, 'crash:kill-after-step');
  }
  if (event.type === 'powerLoss') bump(c, 'crash:power-loss');
}
