/**
 * What the search explores: the stream, the operation alphabet, the crash models and the
 * bounds. Every bound is explicit and named with its unit.
 *
 * Crash models (each choice is recorded in the trace as events, so a trace replays):
 * - `kill`: a process crash. It may fall between any two file operations of any operation
 *   (an event with `killAfterFileOps = k`, k from 0 to the operation's count); what the OS
 *   holds survives.
 * - `power-loss:synced|ordered|reordered`: the process stops at such a point, then the
 *   machine loses power. What survives is what was durable (fsync, or issued at least
 *   `writebackMs` before), plus, of the operations still in flight:
 *   - `synced`: none;
 *   - `ordered`: any prefix in issue order;
 *   - `reordered`: any subset of the newest `reorderWindow` in-flight operations (older ones
 *     are taken as written back), as in ALICE's abstract persistence model; fsync barriers
 *     hold because whatever an fsync covered is already durable, not in flight.
 */
import { makeConfig, type StoreConfig } from '../model/config.js';
import type { PowerLossKeep } from '../model/disk.js';
import { getProfile } from '../model/profile.js';
import type { ModelState } from '../model/state.js';
import { indexDbTickIsNext, type ModelEvent } from '../model/step.js';
import type { Ghost } from './ghost.js';

export const CRASH_MODELS = ['kill', 'power-loss:synced', 'power-loss:ordered', 'power-loss:reordered'] as const;
export type CrashModel = (typeof CRASH_MODELS)[number];

export interface ExploreBounds {
  /**
   * Most actions in one run (a crash under power loss is one action of two events); null:
   * none (exhaustive search runs to its fixpoint).
   */
  readonly depth: number | null;
  /** Most messages stored in one run. */
  readonly maxMsgs: number;
  /** Most crashes in one run. */
  readonly maxCrashes: number;
  readonly consumers: number;
  readonly blockSizeBytes: number;
  /** `reordered`: how many of the newest in-flight operations a power loss may permute. */
  readonly reorderWindow: number;
  /**
   * Most completed starts in one run (each crash needs one to matter; a clean stop and start
   * is another). Absent: no bound (only a depth bound then ends the search).
   */
  readonly maxStarts?: number;
  /** Most redeliveries (AckWait expiries) in one run. Absent: no bound. */
  readonly maxRedeliveries?: number;
}

/** Limits of the command-line flags. */
export const BOUND_LIMITS: Readonly<Record<keyof ExploreBounds, { min: number; max: number }>> = {
  depth: { min: 1, max: 64 },
  maxMsgs: { min: 0, max: 64 },
  maxCrashes: { min: 0, max: 8 },
  consumers: { min: 1, max: 4 },
  blockSizeBytes: { min: 64, max: 67_108_864 },
  reorderWindow: { min: 1, max: 10 },
  maxStarts: { min: 1, max: 16 },
  maxRedeliveries: { min: 0, max: 16 },
};

export const EXPLORED_SUBJECT = 'foo';
export const EXPLORED_PAYLOAD_BYTES = 10; // a 43-byte record

export function consumerNames(n: number): string[] {
  return n === 1 ? ['C'] : Array.from({ length: n }, (_, i) => `C${i + 1}`);
}

/** The explored stream: a WorkQueue stream, explicit-ack durable consumers, small blocks. */
export function exploredConfig(bounds: ExploreBounds): StoreConfig {
  return makeConfig({ retention: 'workqueue', blockSizeBytes: bounds.blockSizeBytes, consumers: consumerNames(bounds.consumers) });
}

/** The next timer deadline of a running process, or null. */
export function nextTimerMs(state: ModelState): number | null {
  const p = state.proc;
  if (!p) return null;
  let next = Math.min(p.store.timers.syncAtMs, p.store.timers.indexFlushAtMs);
  for (const o of p.consumers) if (o.flushAtMs !== null) next = Math.min(next, o.flushAtMs);
  if (p.store.timers.ageCheckAtMs !== null) next = Math.min(next, p.store.timers.ageCheckAtMs);
  for (const o of p.consumers) if (o.checkPendingAtMs !== null) next = Math.min(next, o.checkPendingAtMs);
  return next;
}

/**
 * The timer-jitter choices of a start (#6041, #6128, #6220): the extremes of each range the
 * server draws from, so the search covers both orders of the first sync and the index.db tick.
 * One choice (no jitter) for profiles without it.
 */
export function startChoices(state: ModelState): ModelEvent[] {
  const profile = getProfile(state.profileName);
  const cfg = state.config;
  const syncs = profile.firstSyncJitter ? [Math.floor(cfg.syncIntervalMs / 2), cfg.syncIntervalMs - 1] : [undefined];
  const ticks = profile.indexFlushJitterMaxMs > 0 ? [0, profile.indexFlushJitterMaxMs - 1] : [undefined];
  const out: ModelEvent[] = [];
  for (const firstSyncMs of syncs) {
    for (const indexFlushJitterMs of ticks) {
      out.push({ type: 'start', ...(firstSyncMs === undefined ? {} : { firstSyncMs }), ...(indexFlushJitterMs === undefined ? {} : { indexFlushJitterMs }) });
    }
  }
  return out;
}

/**
 * The acks a consumer's client can send: every message it was handed (the ghost's delivered
 * list), pending or not. Besides the acks of pending messages this includes stale acks (a
 * message delivered before a restart whose pending entry o.dat never recorded, or already
 * acked) and so acks at or past the delivery pointer and past LastSeq after a rollback.
 */
function ackableSeqs(state: ModelState, ghost: Ghost, consumer: string): number[] {
  const o = state.proc!.consumers.find((c) => c.name === consumer)!;
  const seqs = new Set<number>(o.pending.map((p) => p.streamSeq));
  for (const [c, seq] of ghost.delivered) if (c === consumer) seqs.add(seq);
  return [...seqs].sort((a, b) => a - b);
}

/**
 * The background writes that can land inside an ack's removal (reference section 8): the
 * o.dat flusher when it may write at once (after k of the removal's file operations: k = 0, 1, 2
 * for an ack that empties the lmb, whose removal has three; k = 0 otherwise, before the
 * tombstone), and the index.db ticker when it is the next timer (the ack then runs at its tick).
 */
function interleavings(state: ModelState, consumer: string, seq: number): ModelEvent[] {
  const proc = state.proc!;
  const fs = proc.store;
  const o = proc.consumers.find((c) => c.name === consumer)!;
  const mb = fs.blks.find((b) => seq >= b.firstSeq && seq <= b.lastSeq && !b.dmap.includes(seq));
  if (!mb || state.config.retention === 'limits') return [];
  const points = mb.index === fs.lmbIndex && mb.msgs === 1 ? [0, 1, 2] : [0];
  const out: ModelEvent[] = [];
  const now = state.nowMs;
  const flushNow = (o.flushAtMs === null || o.flushAtMs <= now) && (o.lastWriteMs === null || o.lastWriteMs + state.config.consumerFlushMinIntervalMs <= now);
  if (flushNow) for (const k of points) out.push({ type: 'ack', consumer, streamSeq: seq, odatFlushAfterFileOps: k });
  if (indexDbTickIsNext(state) && fs.dirty) {
    for (const k of points) out.push({ type: 'ack', consumer, streamSeq: seq, indexDbWriteAfterFileOps: k });
  }
  return out;
}

/** The operations enabled in a state, in a fixed order, without crashes. */
export function enabledActions(state: ModelState, ghost: Ghost, bounds: ExploreBounds): ModelEvent[] {
  if (!state.proc) return startChoices(state);
  const out: ModelEvent[] = [];
  if (ghost.stores < bounds.maxMsgs) out.push({ type: 'store', subject: EXPLORED_SUBJECT, payloadBytes: EXPLORED_PAYLOAD_BYTES });
  for (const o of state.proc.consumers) out.push({ type: 'deliver', consumer: o.name });
  for (const o of state.proc.consumers) {
    for (const seq of ackableSeqs(state, ghost, o.name)) {
      out.push({ type: 'ack', consumer: o.name, streamSeq: seq });
      out.push(...interleavings(state, o.name, seq));
    }
  }
  const next = nextTimerMs(state);
  if (next !== null) out.push({ type: 'advance', ms: next - state.nowMs });
  out.push({ type: 'stop' });
  return out;
}

/** The power-loss choices a crash model allows for these in-flight operation ids (issue order). */
export function powerLossChoices(model: CrashModel, inFlightIds: readonly number[], reorderWindow: number): PowerLossKeep[] {
  switch (model) {
    case 'kill':
      return [];
    case 'power-loss:synced':
      return [{ kind: 'synced' }];
    case 'power-loss:ordered':
      return Array.from({ length: inFlightIds.length + 1 }, (_, count) => ({ kind: 'prefix', count }));
    case 'power-loss:reordered': {
      const w = Math.min(reorderWindow, inFlightIds.length);
      const older = inFlightIds.slice(0, inFlightIds.length - w);
      const window = inFlightIds.slice(inFlightIds.length - w);
      const out: PowerLossKeep[] = [];
      for (let mask = 0; mask < 1 << w; mask++) {
        out.push({ kind: 'subset', opIds: [...older, ...window.filter((_, i) => (mask >> i) & 1)] });
      }
      return out;
    }
  }
}

export function isCrashModel(s: string): s is CrashModel {
  return (CRASH_MODELS as readonly string[]).includes(s);
}
