/**
 * The process's timers on the logical clock. Each fires at its deadline, in deadline order;
 * timers due at the same instant fire in a fixed order: sync and index.db flush (sync first
 * until it has run once, then index.db first), consumer flushes, checkPending (declaration
 * order), max age. Models `setSyncTimer`/`syncBlocks`, the
 * `flushStreamStateLoop` ticker, `consumerFileStore.flushLoop`'s delay and `ageChk`.
 */
import type { Draft } from 'immer';
import { assert } from './assert.js';
import { checkPending, flushConsumer } from './consumer.js';
import { writeFullState } from './indexdb.js';
import { expireMsgs } from './removal.js';
import type { StoreConfig } from './config.js';
import type { Profile } from './profile.js';
import type { Ctx, Proc, StoreProc } from './state.js';
import { syncBlocks } from './sync.js';

/**
 * The random delays of a store's timers, chosen by the caller (a scenario or the search), never
 * drawn: `firstSyncMs` in [SyncInterval/2, SyncInterval) with `firstSyncJitter` (#6041, #6128),
 * `indexFlushJitterMs` in [0, indexFlushJitterMaxMs) (#6220). Profiles without jitter take none.
 */
export interface TimerJitter {
  readonly firstSyncMs?: number;
  readonly indexFlushJitterMs?: number;
}

/** Why a jitter choice is not one the profile's server could draw, or null when it is. */
export function jitterProblem(profile: Profile, cfg: StoreConfig, j: TimerJitter): string | null {
  if (j.firstSyncMs !== undefined) {
    if (!profile.firstSyncJitter) return `firstSyncMs: ${profile.name} has no first-sync jitter (#6041 is from v2.10.23)`;
    const lo = Math.floor(cfg.syncIntervalMs / 2);
    if (!Number.isInteger(j.firstSyncMs) || j.firstSyncMs < lo || j.firstSyncMs >= cfg.syncIntervalMs) return `firstSyncMs must be a whole number in [${lo}, ${cfg.syncIntervalMs}), got ${j.firstSyncMs}`;
  }
  if (j.indexFlushJitterMs !== undefined) {
    if (profile.indexFlushJitterMaxMs === 0) return `indexFlushJitterMs: ${profile.name} has no index.db ticker jitter (#6220 is from v2.10.23)`;
    if (!Number.isInteger(j.indexFlushJitterMs) || j.indexFlushJitterMs < 0 || j.indexFlushJitterMs >= profile.indexFlushJitterMaxMs) return `indexFlushJitterMs must be a whole number in [0, ${profile.indexFlushJitterMaxMs}), got ${j.indexFlushJitterMs}`;
  }
  return null;
}

/**
 * `setSyncTimer` (first arming) and the `flushStreamStateLoop` ticker at the end of
 * `newFileStoreWithCreated` (L541, L544). Without a choice, a jittered first sync takes the
 * earliest point, SyncInterval/2, and the ticker no jitter: both are values the server can draw.
 */
export function startStoreTimers(ctx: Ctx, fs: Draft<StoreProc>, j: TimerJitter): void {
  const firstSyncMs = j.firstSyncMs ?? (ctx.profile.firstSyncJitter ? Math.floor(ctx.cfg.syncIntervalMs / 2) : ctx.cfg.syncIntervalMs);
  fs.timers.syncAtMs = ctx.io.nowMs + firstSyncMs;
  fs.timers.syncRearmed = false;
  fs.timers.indexFlushPeriodMs = ctx.cfg.indexFlushIntervalMs + (j.indexFlushJitterMs ?? 0);
  fs.timers.indexFlushAtMs = ctx.io.nowMs + fs.timers.indexFlushPeriodMs;
}

/** An upper bound on timer firings in one `advance`, so a modelling mistake cannot spin. */
export const MAX_TIMER_FIRINGS_PER_ADVANCE = 1_000_000;

export type TimerName = 'sync' | 'indexFlush' | `consumerFlush:${string}` | `checkPending:${string}` | 'maxAge';

export interface TimerFiring {
  readonly timer: TimerName;
  readonly atMs: number;
  /** How many file operations the step had performed when this timer fired. */
  readonly opsBefore: number;
}

function dueTimers(proc: Proc): { timer: TimerName; atMs: number }[] {
  const sync = { timer: 'sync' as const, atMs: proc.store.timers.syncAtMs };
  const index = { timer: 'indexFlush' as const, atMs: proc.store.timers.indexFlushAtMs };
  // The first cycle: the sync timer was armed before the ticker started, so it fires first.
  // From then on syncBlocks re-arms only after its work (L5378) while the ticker keeps its
  // phase (L7851): at a tie, index.db is written first and fsynced by the sync just after.
  const out: { timer: TimerName; atMs: number }[] = proc.store.timers.syncRearmed ? [index, sync] : [sync, index];
  for (const o of proc.consumers) if (o.flushAtMs !== null) out.push({ timer: `consumerFlush:${o.name}`, atMs: o.flushAtMs });
  for (const o of proc.consumers) if (o.checkPendingAtMs !== null) out.push({ timer: `checkPending:${o.name}`, atMs: o.checkPendingAtMs });
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
    fs.timers.indexFlushAtMs += fs.timers.indexFlushPeriodMs; // a ticker keeps its period
    return writeFullState(ctx, fs, 'flushStreamStateLoop');
  }
  if (timer === 'maxAge') return expireMsgs(ctx, fs);
  if (timer.startsWith('checkPending:')) {
    const name = timer.slice('checkPending:'.length);
    const o = proc.consumers.find((c) => c.name === name);
    assert(o, `timer for unknown consumer ${name}`);
    return checkPending(ctx, fs, o);
  }
  const name = timer.slice('consumerFlush:'.length);
  const o = proc.consumers.find((c) => c.name === name);
  assert(o, `timer for unknown consumer ${name}`);
  flushConsumer(ctx, o);
}
