/**
 * The model's one entry point: `step(state, event)` returns the next state and everything
 * the step did: the file operations in the real server's order, the warnings logged, the
 * timers that fired, and whether the process died. Pure: no I/O, no clock, no randomness.
 * Scenarios, search, properties and diagrams all read this one result.
 */
import { current, isDraft, type Draft } from 'immer';
import { assert } from './assert.js';
import { newMsgBlockForWrite, skipMsg, storeMsg } from './blocks.js';
import type { StoreConfig } from './config.js';
import { checkForOrphanMsgs, deliverNext, processAck, reconcileAtStart, restoreConsumer, stopConsumer, writeStartingState, type Delivery } from './consumer.js';
import { assertDiskInvariants, collectGarbage, emptyDisk, powerLoss, syncAll, tick, type OpFate, type PowerLossKeep } from './disk.js';
import { getFileSystem } from './filesystems.js';
import { checkKeep } from './powerloss.js';
import { indexDbWriteDuringRemoval, writeFullState } from './indexdb.js';
import { Io, KillSignal, type PerformedOp } from './io.js';
import { getProfile } from './profile.js';
import { advanceStreamToConsumers } from './streamadvance.js';
import { newStoreProc, openFileStore } from './recovery.js';
import type { Segment } from './records.js';
import { assertStoreInvariants, removeMsg } from './removal.js';
import { syncBlocks } from './sync.js';
import { consumerStatePath, type Ctx, type ModelState, type Proc } from './state.js';
import { advanceClock, jitterProblem, type TimerFiring, type TimerJitter } from './timers.js';

/** May be carried by any event the running process performs: issue N file operations, then die. */
export interface KillPoint {
  readonly killAfterFileOps?: number;
}

export type ModelEvent =
  | ({ readonly type: 'start' } & TimerJitter & KillPoint)
  | ({ readonly type: 'store'; readonly subject: string; readonly payloadBytes: number; readonly headersBytes?: number; readonly count?: number } & KillPoint)
  | ({ readonly type: 'skip'; readonly count?: number } & KillPoint)
  | ({ readonly type: 'remove'; readonly from: number; readonly to: number } & KillPoint)
  | ({ readonly type: 'newBlock' } & KillPoint)
  | ({ readonly type: 'deliver'; readonly consumer: string; readonly count?: number } & KillPoint)
  | ({ readonly type: 'ack'; readonly consumer: string; readonly streamSeq: number } & AckInterleaving & KillPoint)
  | ({ readonly type: 'advance'; readonly ms: number } & KillPoint)
  | ({ readonly type: 'stop' } & KillPoint)
  | { readonly type: 'kill' }
  | { readonly type: 'powerLoss'; readonly keep: PowerLossKeep }
  | { readonly type: 'deleteFile'; readonly path: string }
  | { readonly type: 'copyFile'; readonly from: string; readonly to: string }
  | { readonly type: 'renameFile'; readonly from: string; readonly to: string }
  | { readonly type: 'truncateFile'; readonly path: string; readonly bytes: number };

export type ModelEventType = ModelEvent['type'];

/**
 * Background writers that land inside an ack's removal (reference section 8), as explored
 * interleavings: the consumer's o.dat flush (when its flush loop may write now), and the
 * index.db ticker (when it is the next timer: the ack then runs at its tick; the state is
 * captured before the removal and written after that many of its file operations).
 */
export interface AckInterleaving {
  readonly odatFlushAfterFileOps?: number;
  readonly indexDbWriteAfterFileOps?: number;
}

/** Events that need the server running, and those that need it down. */
const NEEDS_RUNNING: ReadonlySet<ModelEventType> = new Set(['store', 'skip', 'remove', 'newBlock', 'deliver', 'ack', 'stop']);
const NEEDS_DOWN: ReadonlySet<ModelEventType> = new Set(['start', 'deleteFile', 'copyFile', 'renameFile', 'truncateFile']);

export interface StepOutcome {
  /** store: the sequences given; skip: the sequences skipped. */
  readonly seqs?: readonly number[];
  /** remove: how many messages were removed. */
  readonly removed?: number;
  /** deliver: what was delivered (empty when nothing was available). */
  readonly deliveries?: readonly Delivery[];
}

export interface StepResult {
  readonly state: ModelState;
  readonly ops: readonly PerformedOp[];
  readonly log: readonly string[];
  /** For each log line, how many of `ops` had been performed when it was logged. */
  readonly logAfterOps: readonly number[];
  readonly timers: readonly TimerFiring[];
  /** The process died in or at the end of this step (kill point, kill or power loss). */
  readonly killed: boolean;
  /** The event ran to its end (its kill point, if any, was not reached mid-way). */
  readonly completed: boolean;
  readonly outcome: StepOutcome;
}

/** An event that is not valid in this state (a caller's mistake, not a model invariant). */
export class EventError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventError';
  }
}

export function initialState(config: StoreConfig, profileName: string): ModelState {
  getProfile(profileName); // validate
  return { config, profileName, nowMs: 0, disk: emptyDisk(), proc: null };
}

export function step(state: ModelState, event: ModelEvent): StepResult {
  const profile = getProfile(state.profileName);
  const running = state.proc !== null;
  if (NEEDS_RUNNING.has(event.type) && !running) throw new EventError(`"${event.type}" needs the server running`);
  if (NEEDS_DOWN.has(event.type) && running) throw new EventError(`"${event.type}" needs the server down`);
  const killAfter = 'killAfterFileOps' in event ? event.killAfterFileOps : undefined;
  if (killAfter !== undefined && !(event.type === 'start' || running)) throw new EventError('a kill point needs the server running');
  if (killAfter !== undefined && (!Number.isInteger(killAfter) || killAfter < 0)) throw new EventError(`killAfterFileOps must be a whole number, got ${killAfter}`);
  const fileSystem = getFileSystem(state.config.fileSystem);
  const fates = event.type === 'powerLoss' ? validateKeep(state, event.keep) : null;
  if (event.type === 'start') {
    const problem = jitterProblem(profile, state.config, event);
    if (problem) throw new EventError(problem);
  }
  if (event.type === 'ack') validateInterleaving(state, event);

  let io!: Io;
  let killed = false;
  let completed = false;
  let outcome: StepOutcome = {};
  const timers: TimerFiring[] = [];

  // Clone, then let the model's functions mutate the clone (they take `Draft<...>` types):
  // a plain deep copy of a few hundred small objects costs far less than immer's proxies
  // on every property read, and the search runs millions of steps. `state` is never touched.
  const draft = cloneState(state) as Draft<ModelState>;
  io = new Io(draft.disk, state.nowMs, killAfter, fileSystem);
  // Proposed fix sync-always (profile flag forceSyncAlways): the server runs with sync always whatever the stream says.
  const ctx: Ctx = { io, cfg: profile.forceSyncAlways && !state.config.syncAlways ? { ...state.config, syncAlways: true } : state.config, profile };
  try {
    outcome = apply(ctx, draft, event, timers, fates);
    io.runDueBackground(true);
    completed = true;
    if (killAfter !== undefined) killed = true; // fewer operations than the kill point: killed at the end
  } catch (e) {
    if (!(e instanceof KillSignal)) throw e;
    killed = true;
  }
  if (killed || event.type === 'kill' || event.type === 'powerLoss') {
    killed = true;
    draft.proc = null;
  }
  draft.nowMs = io.nowMs;
  tick(draft.disk, fileSystem, draft.nowMs);
  collectGarbage(draft.disk);
  const next = draft as ModelState;

  assertDiskInvariants(next.disk);
  if (next.proc) assertStoreInvariants(next.proc.store);
  assert(next.nowMs >= state.nowMs, 'the clock went backwards');
  return { state: next, ops: io.ops, log: io.log, logAfterOps: io.logAfterOps, timers, killed, completed, outcome };
}

/**
 * A deep copy of plain data (objects, arrays, primitives). Frozen objects (the configuration,
 * the profile, issued file operations and the segments they write) are shared: nothing can
 * change them.
 */
function cloneDeep<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    const n = value.length;
    const out = new Array(n);
    for (let i = 0; i < n; i++) out[i] = cloneDeep(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = cloneDeep((value as Record<string, unknown>)[key]);
  return out as T;
}

function cloneState(state: ModelState): ModelState {
  return cloneDeep(state);
}

/** A power-loss choice must name operations in flight now, and leave a state the file system allows. */
function validateKeep(state: ModelState, keep: PowerLossKeep): ReadonlyMap<number, OpFate> {
  const c = checkKeep(state.config.fileSystem, state.disk, keep);
  if (c.error !== null || c.fates === null) throw new EventError(c.error ?? 'invalid power-loss choice');
  return c.fates;
}

/** A background write inside an ack must be one the server could perform at that moment. */
function validateInterleaving(state: ModelState, event: Extract<ModelEvent, { type: 'ack' }>): void {
  for (const k of [event.odatFlushAfterFileOps, event.indexDbWriteAfterFileOps]) {
    if (k !== undefined && (!Number.isInteger(k) || k < 0)) throw new EventError(`a background write point must be a whole number, got ${k}`);
  }
  if (event.indexDbWriteAfterFileOps !== undefined && !indexDbTickIsNext(state)) {
    throw new EventError('indexDbWriteAfterFileOps needs the index.db ticker to be the next timer');
  }
}

/**
 * The index.db ticker is the next timer to fire (syncBlocks may share its instant: it fires
 * first at a tie until it has run once), so an ack can run at its tick.
 */
export function indexDbTickIsNext(state: ModelState): boolean {
  if (!state.proc) return false;
  const t = state.proc.store.timers;
  const others = [t.syncAtMs < t.indexFlushAtMs ? t.syncAtMs : Infinity, ...(t.ageCheckAtMs === null ? [] : [t.ageCheckAtMs])];
  for (const o of state.proc.consumers) {
    if (o.flushAtMs !== null) others.push(o.flushAtMs);
    if (o.checkPendingAtMs !== null) others.push(o.checkPendingAtMs);
  }
  return !others.some((ms) => ms <= t.indexFlushAtMs);
}

function requireProc(draft: Draft<ModelState>): Draft<Proc> {
  assert(draft.proc, 'no process');
  return draft.proc;
}

function findConsumer(proc: Draft<Proc>, name: string) {
  const o = proc.consumers.find((c) => c.name === name);
  if (!o) throw new EventError(`unknown consumer "${name}"`);
  return o;
}

function apply(ctx: Ctx, draft: Draft<ModelState>, event: ModelEvent, timers: TimerFiring[], fates: ReadonlyMap<number, OpFate> | null): StepOutcome {
  switch (event.type) {
    case 'start': {
      const store = newStoreProc();
      draft.proc = { store, consumers: [] };
      const proc = requireProc(draft);
      openFileStore(ctx, proc.store, { firstSyncMs: event.firstSyncMs, indexFlushJitterMs: event.indexFlushJitterMs });
      for (const name of ctx.cfg.consumers) {
        const isNew = !ctx.io.exists(consumerStatePath(name));
        proc.consumers.push(restoreConsumer(ctx, proc.store, name));
        const o = proc.consumers[proc.consumers.length - 1]!;
        if (isNew) writeStartingState(ctx, o);
        else reconcileAtStart(ctx, proc.store, o);
      }
      if (ctx.profile.advanceStreamToConsumerAtStart) advanceStreamToConsumers(ctx, proc.store, proc.consumers);
      checkForOrphanMsgs(ctx, proc.store, proc.consumers);
      return {};
    }
    case 'store': {
      const proc = requireProc(draft);
      const seqs: number[] = [];
      for (let i = 0; i < (event.count ?? 1); i++) seqs.push(storeMsg(ctx, proc.store, event.subject, event.headersBytes ?? 0, event.payloadBytes));
      return { seqs };
    }
    case 'skip': {
      const proc = requireProc(draft);
      const seqs: number[] = [];
      for (let i = 0; i < (event.count ?? 1); i++) seqs.push(skipMsg(ctx, proc.store));
      return { seqs };
    }
    case 'remove': {
      const proc = requireProc(draft);
      let removed = 0;
      for (let seq = event.from; seq <= event.to; seq++) if (removeMsg(ctx, proc.store, seq, false)) removed++;
      return { removed };
    }
    case 'newBlock':
      newMsgBlockForWrite(ctx, requireProc(draft).store);
      return {};
    case 'deliver': {
      const proc = requireProc(draft);
      const o = findConsumer(proc, event.consumer);
      const deliveries: Delivery[] = [];
      for (let i = 0; i < (event.count ?? 1); i++) {
        const d = deliverNext(ctx, proc.store, o);
        if (!d) break;
        deliveries.push(d);
      }
      return { deliveries };
    }
    case 'ack': {
      const proc = requireProc(draft);
      if (event.indexDbWriteAfterFileOps !== undefined) {
        const atMs = proc.store.timers.indexFlushAtMs;
        ctx.io.nowMs = atMs;
        if (proc.store.timers.syncAtMs === atMs && !proc.store.timers.syncRearmed) {
          timers.push({ timer: 'sync', atMs, opsBefore: ctx.io.ops.length });
          syncBlocks(ctx, proc.store);
        }
        timers.push({ timer: 'indexFlush', atMs, opsBefore: ctx.io.ops.length });
        indexDbWriteDuringRemoval(ctx, proc.store, event.indexDbWriteAfterFileOps);
      }
      processAck(ctx, proc.store, proc.consumers, findConsumer(proc, event.consumer), event.streamSeq, { odatFlushAfterFileOps: event.odatFlushAfterFileOps });
      return {};
    }
    case 'advance': {
      const target = ctx.io.nowMs + event.ms;
      if (draft.proc) advanceClock(ctx, draft.proc, target, (f) => timers.push(f));
      else ctx.io.nowMs = target;
      return {};
    }
    case 'stop': {
      // stream.stop: consumers first, then the store (fs.stop → forceWriteFullState).
      const proc = requireProc(draft);
      for (const o of proc.consumers) stopConsumer(ctx, o);
      writeFullState(ctx, proc.store, 'fileStore.stop');
      draft.proc = null;
      return {};
    }
    case 'kill':
      return {};
    case 'powerLoss':
      powerLoss(draft.disk, fates!);
      return {};
    case 'deleteFile':
    case 'copyFile':
    case 'renameFile':
    case 'truncateFile':
      // An operator's edit while the server is down: on the files the OS shows, made durable
      // (as if followed by sync), so a later power loss does not undo it.
      syncAll(draft.disk);
      applyFileEdit(ctx, event);
      syncAll(draft.disk);
      return {};
  }
}

const OPERATOR = 'operator';

function applyFileEdit(ctx: Ctx, event: Extract<ModelEvent, { type: 'deleteFile' | 'copyFile' | 'renameFile' | 'truncateFile' }>): void {
  const io = ctx.io;
  const mustExist = (path: string) => {
    if (!io.exists(path)) throw new EventError(`no file "${path}"`);
  };
  switch (event.type) {
    case 'deleteFile':
      mustExist(event.path);
      io.unlink(event.path, OPERATOR);
      return;
    case 'copyFile': {
      mustExist(event.from);
      // Plain copies, not the draft's proxies: the recorded operations outlive this step.
      const content = (io.read(event.from) ?? []).map((seg): Segment => (isDraft(seg) ? (current(seg as Draft<Segment>) as Segment) : seg));
      if (io.exists(event.to)) io.truncate(event.to, 0, OPERATOR);
      else io.create(event.to, OPERATOR);
      let offset = 0;
      for (const seg of content) {
        io.writeAt(event.to, offset, seg, false, OPERATOR);
        offset += seg.bytes;
      }
      return;
    }
    case 'renameFile':
      mustExist(event.from);
      io.rename(event.from, event.to, OPERATOR); // replaces `to` if it exists, as rename(2) does
      return;
    case 'truncateFile':
      mustExist(event.path);
      io.truncate(event.path, event.bytes, OPERATOR);
      return;
  }
}
