/**
 * What the search explores: the stream, the operation alphabet, the crash models and the
 * bounds. Every bound is explicit and named with its unit.
 *
 * Crash models (each choice is recorded in the trace as events, so a trace replays):
 * - `kill`: a process crash. It may fall between any two file operations of any operation
 *   (an event with `killAfterFileOps = k`, k from 0 to the operation's count); the page cache
 *   survives whole.
 * - `power-loss:<fs>` (`ext4`, `xfs`, `lazyfs`, `posix`): the process stops at such a point,
 *   then the machine loses power, on that file system (model/filesystems.ts). What survives
 *   is what the profile forced, plus each choice of the in-flight operations the profile
 *   allows (model/powerloss.ts), one search branch per choice that leaves a different disk.
 *   `posix` is bounded by `reorderWindow`.
 * The old names `power-loss:synced`, `ordered` and `reordered` are gone: `synced` and
 * `ordered` were not file systems (a total-order prefix is ext3 data=journal), and
 * `reordered` allowed states no file system produces while missing some that ext4 does.
 */
import { makeConfig, type Retention, type StoreConfig } from '../model/config.js';
import { nextForcedMs, type Disk, type PowerLossKeep } from '../model/disk.js';
import { DEFAULT_FILE_SYSTEM, FILE_SYSTEM_NAMES, getFileSystem, type FileSystemName } from '../model/filesystems.js';
import { powerLossChoices as fileSystemChoices } from '../model/powerloss.js';
import { getProfile } from '../model/profile.js';
import type { ModelState } from '../model/state.js';
import { indexDbTickIsNext, type ModelEvent } from '../model/step.js';
import type { Ghost } from './ghost.js';

export const CRASH_MODELS = ['kill', ...FILE_SYSTEM_NAMES.map((fs) => `power-loss:${fs}` as const)] as const;
export type CrashModel = 'kill' | `power-loss:${FileSystemName}`;

/** The file system a crash model runs on (`kill` keeps the page cache whatever it is: the default). */
export function crashFileSystem(model: CrashModel): FileSystemName {
  return model === 'kill' ? DEFAULT_FILE_SYSTEM : (model.slice('power-loss:'.length) as FileSystemName);
}

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
  /** `power-loss:posix`: how many of the newest in-flight operations a power loss may keep in any combination. */
  readonly reorderWindow: number;
  /** The explored stream's retention (workqueue by default). */
  readonly retention?: Retention;
  /** `jetstream { sync: always }` for the explored stream. */
  readonly syncAlways?: boolean;
  /**
   * Most completed starts in one run (each crash needs one to matter; a clean stop and start
   * is another). Absent: no bound (only a depth bound then ends the search).
   */
  readonly maxStarts?: number;
  /** Most redeliveries (AckWait expiries) in one run. Absent: no bound. */
  readonly maxRedeliveries?: number;
}

/** Limits of the command-line flags. */
export type NumericBound = Exclude<keyof ExploreBounds, 'retention' | 'syncAlways'>;
export const BOUND_LIMITS: Readonly<Record<NumericBound, { min: number; max: number }>> = {
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

/** The explored stream: a WorkQueue stream (or `retention`), explicit-ack durable consumers, small blocks, on the crash model's file system. */
export function exploredConfig(bounds: ExploreBounds, crash: CrashModel = 'kill'): StoreConfig {
  return makeConfig({
    retention: bounds.retention ?? 'workqueue',
    syncAlways: bounds.syncAlways ?? false,
    blockSizeBytes: bounds.blockSizeBytes,
    consumers: consumerNames(bounds.consumers),
    fileSystem: crashFileSystem(crash),
  });
}

/**
 * Why the explored stream cannot exist, in the server's words, or null. A WorkQueue stream
 * refuses a second unfiltered consumer (consumer.go, `NewJSConsumerWQMultipleUnfilteredError`,
 * error 10099); the explored consumers are unfiltered.
 */
export function exploredStreamError(bounds: ExploreBounds): string | null {
  if ((bounds.retention ?? 'workqueue') === 'workqueue' && bounds.consumers > 1) {
    return `${bounds.consumers} consumers on a workqueue stream: the server refuses the second with "multiple non-filtered consumers not allowed on workqueue stream" (error 10099); use --retention interest or limits, or --consumers 1`;
  }
  return null;
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
 * The time windows of the file system: the next instant at which a journal commit or a data
 * writeback forces an in-flight operation, when it comes before the next server timer.
 * Without these, the search would only ever see the disk at timer deadlines.
 */
export function fileSystemDeadlines(state: ModelState): number[] {
  const next = nextForcedMs(state.disk, getFileSystem(state.config.fileSystem));
  const timer = nextTimerMs(state);
  const out: number[] = [];
  for (const t of [next.commitMs, next.writebackMs]) {
    if (t === null || t <= state.nowMs || (timer !== null && t >= timer) || out.includes(t)) continue;
    out.push(t);
  }
  return out.sort((a, b) => a - b);
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

/** The operations enabled in a state, in a fixed order, without crashes. Under power loss the clock may also stop at the file system's deadlines. */
export function enabledActions(state: ModelState, ghost: Ghost, bounds: ExploreBounds, crash: CrashModel = 'kill'): ModelEvent[] {
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
  if (crash !== 'kill') for (const t of fileSystemDeadlines(state)) out.push({ type: 'advance', ms: t - state.nowMs });
  const next = nextTimerMs(state);
  if (next !== null) out.push({ type: 'advance', ms: next - state.nowMs });
  out.push({ type: 'stop' });
  return out;
}

/** The power-loss choices a crash model explores on this disk (none under `kill`). */
export function powerLossChoices(model: CrashModel, disk: Disk, reorderWindow: number): PowerLossKeep[] {
  if (model === 'kill') return [];
  return fileSystemChoices(crashFileSystem(model), disk, reorderWindow);
}

export function isCrashModel(s: string): s is CrashModel {
  return (CRASH_MODELS as readonly string[]).includes(s);
}
