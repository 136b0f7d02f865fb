/**
 * The process's timers on the logical clock. Each fires at its deadline, in deadline order;
 * timers due at the same instant fire in a fixed order: sync, index.db flush, consumer
 * flushes (declaration order), max age. Models `setSyncTimer`/`syncBlocks`, the
 * `flushStreamStateLoop` ticker, `consumerFileStore.flushLoop`'s delay and `ageChk`.
 */
import type { Draft } from 'immer';
import { assert } from './assert.js';
import { flushConsumer } from './consumer.js';
import { writeFullState } from './indexdb.js';
import { expireMsgs } from './removal.js';
import type { Ctx, Proc } from './state.js';
import { syncBlocks } from './sync.js';

/** An upper bound on timer firings in one `advance`, so a modelling mistake cannot spin. */
export const MAX_TIMER_FIRINGS_PER_ADVANCE = 1_000_000;

export type TimerName = 'sync' | 'indexFlush' | `consumerFlush:${string}` | 'maxAge';

export interface TimerFiring {
  readonly timer: TimerName;
  readonly atMs: number;
  /** How many file operations the step had performed when this timer fired. */
  readonly opsBefore: number;
}

function dueTimers(proc: Proc): { timer: TimerName; atMs: number }[] {
  const out: { timer: TimerName; atMs: number }[] = [
    { timer: 'sync', atMs: proc.store.timers.syncAtMs },
    { timer: 'indexFlush', atMs: proc.store.timers.indexFlushAtMs },
  ];
  for (const o of proc.consumers) if (o.flushAtMs !== null) out.push({ timer: `consumerFlush:${o.name}`, atMs: o.flushAtMs });
  if (proc.store.timers.ageCheckAtMs !== null) out.push({ timer: 'maxAge', atMs: proc.store.timers.ageCheckAtMs });
  return out;
}

/** Move the clock to `targetMs`, firing every timer due on the way; `onFire` hears each firing. */
export function advanceClock(ctx: Ctx, proc: Draft<Proc>, targetMs: number, onFire: (f: TimerFiring) => void): void {
  for (let firings = 0; ; firings++) {
    assert(firings < MAX_TIMER_FIRINGS_PER_ADVANCE, 'too many timer firings in one advance');
    let next: { timer: TimerName; atMs: number } | undefined;
    for (const t of dueTimers(proc)) if (t.atMs <= targetMs && (!next || t.atMs < next.atMs)) next = t;
    if (!next) break;
    assert(next.atMs >= ctx.io.nowMs, `timer ${next.timer} due in the past`);
    ctx.io.nowMs = next.atMs;
    onFire({ timer: next.timer, atMs: next.atMs, opsBefore: ctx.io.ops.length });
    fireTimer(ctx, proc, next.timer);
  }
  ctx.io.nowMs = targetMs;
}

function fireTimer(ctx: Ctx, proc: Draft<Proc>, timer: TimerName): void {
  const fs = proc.store;
  if (timer === 'sync') return syncBlocks(ctx, fs);
  if (timer === 'indexFlush') {
    fs.timers.indexFlushAtMs += ctx.cfg.indexFlushIntervalMs; // a ticker keeps its period
    return writeFullState(ctx, fs, 'flushStreamStateLoop');
  }
  if (timer === 'maxAge') return expireMsgs(ctx, fs);
  const name = timer.slice('consumerFlush:'.length);
  const o = proc.consumers.find((c) => c.name === name);
  assert(o, `timer for unknown consumer ${name}`);
  flushConsumer(ctx, o);
}
