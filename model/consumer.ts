/**
 * Durable explicit-ack consumers: delivery, acks, the o.dat flusher, and restore at start.
 * Models consumer.go (v2.10.22): `getNextMsg`/`trackPending`/`updateDelivered` (L2196),
 * `processAckMsg` (L2782), `readStoredState` (L2509), `applyState` (L2525),
 * `selectStartingSeqNo` (L4814), `checkStateForInterestStream` (L5529), `needAck` (~L2950);
 * stream.go `ackMsg` (L5646) and `checkForOrphanMsgs` (L5896); and filestore.go's
 * `consumerFileStore`: `UpdateDelivered` (L8831), `UpdateAcks` (L8900), `kickFlusher`
 * (L8723), `flushLoop` (L8755), `writeState` (L9090), `SetStarting` (L8811), `Stop` (L9442),
 * `stateWithCopyLocked` (L9239) and `decodeConsumerState` (L9330).
 *
 * Pre-acks (an ack for a sequence past LastSeq) are not modelled: on a single server they only
 * stay in memory and never change what is stored (the skip-on-pre-ack path is clustered only).
 */
import type { Draft } from 'immer';
import { removeMsg } from './removal.js';
import { consumerStateBytes, toStoredSecondsMs, type PendingEntry, type StoredConsumerState } from './records.js';
import { consumerStatePath, emptyStoredConsumerState, loadNextMsg, type ConsumerProc, type Ctx, type StoreProc } from './state.js';

type Fs = Draft<StoreProc>;
type Con = Draft<ConsumerProc>;

function sortBySeq<T extends { streamSeq: number }>(list: T[]): void {
  list.sort((a, b) => a.streamSeq - b.streamSeq);
}

/** `kickFlusher`: mark dirty; the flush loop writes at most once per minimum interval. */
function kickFlusher(ctx: Ctx, o: Con): void {
  o.dirty = true;
  if (o.flushAtMs !== null) return;
  const earliest = o.lastWriteMs === null ? ctx.io.nowMs : o.lastWriteMs + ctx.cfg.consumerFlushMinIntervalMs;
  o.flushAtMs = Math.max(ctx.io.nowMs, earliest);
}

/** What `encodeConsumerState` writes: pending times keep one-second resolution. */
function storedImage(o: ConsumerProc): StoredConsumerState {
  return {
    delivered: { ...o.stored.delivered },
    ackFloor: { ...o.stored.ackFloor },
    pending: o.stored.pending.map((p) => ({ ...p, tsMs: toStoredSecondsMs(p.tsMs) })),
    redelivered: o.stored.redelivered.map((r) => ({ ...r })),
  };
}

/**
 * `writeState` → `writeFileWithOptionalSync`: o.dat rewritten in place (O_TRUNC; O_SYNC under
 * sync always). From #7388 (v2.11.11 `writeAtomically` L11469): written to `o.dat.tmp`, renamed
 * over o.dat, and under sync always the directory is fsynced.
 */
function writeConsumerState(ctx: Ctx, o: Con, fn: string): void {
  const state = storedImage(o);
  o.dirty = false;
  const segment = { kind: 'odat', state, bytes: consumerStateBytes(state, ctx.io.nowMs) } as const;
  const path = consumerStatePath(o.name);
  if (!ctx.profile.atomicConsumerStateWrite) {
    ctx.io.rewriteInPlace(path, segment, ctx.cfg.syncAlways, fn);
    return;
  }
  const tmp = `${path}.tmp`;
  ctx.io.rewriteInPlace(tmp, segment, ctx.cfg.syncAlways, fn);
  ctx.io.rename(tmp, path, fn);
  if (ctx.cfg.syncAlways) ctx.io.fsyncDir(path.slice(0, path.lastIndexOf('/')), fn);
}

/** The flusher's timer fired. Only the flush loop's own writes set its `lastWrite`. */
export function flushConsumer(ctx: Ctx, o: Con): void {
  o.flushAtMs = null;
  if (!o.dirty) return;
  writeConsumerState(ctx, o, `flushLoop(${o.name})`);
  o.lastWriteMs = ctx.io.nowMs;
}

/** `consumerFileStore.Stop`: write what is still dirty. */
export function stopConsumer(ctx: Ctx, o: Con): void {
  o.flushAtMs = null;
  if (o.dirty) writeConsumerState(ctx, o, `consumerFileStore.Stop(${o.name})`);
}

/** `consumerFileStore.UpdateDelivered(dseq, sseq, dc, ts)`. */
function storeUpdateDelivered(ctx: Ctx, o: Con, dseq: number, sseq: number, dc: number, tsMs: number): void {
  const s = o.stored;
  if (dseq <= s.ackFloor.consumerSeq) return;
  if (sseq <= s.delivered.streamSeq) {
    const p = s.pending.find((e) => e.streamSeq === sseq);
    if (p) p.tsMs = tsMs; // keep the original delivery sequence
  } else {
    s.pending.push({ streamSeq: sseq, consumerSeq: dseq, tsMs });
    sortBySeq(s.pending);
  }
  if (dseq > s.delivered.consumerSeq) s.delivered.consumerSeq = dseq;
  if (sseq > s.delivered.streamSeq) s.delivered.streamSeq = sseq;
  if (dc > 1) {
    const r = s.redelivered.find((e) => e.streamSeq === sseq);
    if (!r) {
      s.redelivered.push({ streamSeq: sseq, count: dc - 1 });
      sortBySeq(s.redelivered);
    } else if (r.count < dc - 1) r.count = dc - 1;
  }
  kickFlusher(ctx, o);
}

/** `consumerFileStore.UpdateAcks(dseq, sseq)` (AckExplicit). */
function storeUpdateAcks(ctx: Ctx, o: Con, dseqIn: number, sseq: number): void {
  const s = o.stored;
  let dseq = dseqIn;
  if (dseq <= s.ackFloor.consumerSeq) return;
  // #5528: match the leader's pointer bump (sets sseq+1, as the Go code does).
  if (ctx.profile.updateAcksBumpsDelivered && sseq > s.delivered.streamSeq) s.delivered.streamSeq = sseq + 1;
  const pi = s.pending.findIndex((e) => e.streamSeq === sseq);
  if (pi < 0) {
    s.redelivered = s.redelivered.filter((r) => r.streamSeq !== sseq);
    return; // ErrStoreMsgNotFound: nothing kicked
  }
  const p = s.pending[pi]!;
  s.pending.splice(pi, 1);
  if (dseq > p.consumerSeq && p.consumerSeq > 0) dseq = p.consumerSeq;
  if (s.pending.length === 0) {
    s.ackFloor = { consumerSeq: s.delivered.consumerSeq, streamSeq: s.delivered.streamSeq };
  } else if (dseq === s.ackFloor.consumerSeq + 1) {
    s.ackFloor = { consumerSeq: dseq, streamSeq: sseq };
    if (s.delivered.consumerSeq > dseq) {
      const next = s.pending.find((e) => e.streamSeq > sseq && e.streamSeq <= s.delivered.streamSeq);
      if (next && next.consumerSeq > 0) s.ackFloor = { consumerSeq: next.consumerSeq - 1, streamSeq: next.streamSeq - 1 };
    }
  }
  s.redelivered = s.redelivered.filter((r) => r.streamSeq !== sseq);
  kickFlusher(ctx, o);
}

/** What a delivery did, for traces and properties. */
export interface Delivery {
  readonly streamSeq: number;
  readonly consumerSeq: number;
  readonly redelivery: boolean;
}

/**
 * The consumer delivers its next message: first a pending message whose AckWait ran out
 * (the redelivery queue `checkPending` fills), else the next stored message at or after
 * `o.sseq` (`LoadNextMsg`). Nothing when there is neither.
 */
export function deliverNext(ctx: Ctx, fs: Fs, o: Con): Delivery | null {
  const nowMs = ctx.io.nowMs;
  const expired = o.pending.find((p) => p.tsMs + ctx.cfg.ackWaitMs <= nowMs && loadNextMsg(ctx, fs, p.streamSeq)?.seq === p.streamSeq);
  if (expired) {
    const msg = loadNextMsg(ctx, fs, expired.streamSeq)!;
    const sseq = expired.streamSeq;
    const r = o.rdc.find((e) => e.streamSeq === sseq);
    if (r) r.count += 1;
    else {
      o.rdc.push({ streamSeq: sseq, count: 1 });
      sortBySeq(o.rdc);
    }
    const dc = (o.rdc.find((e) => e.streamSeq === sseq)?.count ?? 0) + 1;
    const dseq = o.dseq;
    o.dseq += 1;
    expired.tsMs = nowMs; // trackPending: keep the original delivery sequence
    // deliverMsg passes the message's stored time (pmsg.ts, consumer.go L4354) to updateDelivered.
    storeUpdateDelivered(ctx, o, dseq, sseq, dc, msg.tsMs);
    return { streamSeq: sseq, consumerSeq: dseq, redelivery: true };
  }
  const next = loadNextMsg(ctx, fs, Math.max(o.sseq, 1));
  if (!next) return null;
  const dseq = o.dseq;
  o.dseq += 1;
  o.sseq = next.seq + 1;
  const entry: PendingEntry = { streamSeq: next.seq, consumerSeq: dseq, tsMs: nowMs };
  o.pending.push(entry);
  sortBySeq(o.pending);
  storeUpdateDelivered(ctx, o, dseq, next.seq, 1, next.tsMs); // pmsg.ts, not now
  return { streamSeq: next.seq, consumerSeq: dseq, redelivery: false };
}

/** `consumer.needAck(sseq)` from the consumer's own state (leader path), AckExplicit. */
function needAck(o: ConsumerProc, sseq: number): boolean {
  if (sseq <= o.asflr) return false;
  if (sseq >= o.sseq) return true;
  return o.pending.some((p) => p.streamSeq === sseq);
}

/** `stream.ackMsg(o, seq)`: on WorkQueue and Interest streams, remove what nobody needs. */
export function streamAckMsg(ctx: Ctx, fs: Fs, consumers: readonly ConsumerProc[], by: ConsumerProc, seq: number): void {
  if (seq === 0 || ctx.cfg.retention === 'limits') return;
  if (seq > fs.state.lastSeq) return; // registerPreAck: memory only on a single server
  if (seq < fs.state.firstSeq) return;
  const shouldRemove = ctx.cfg.retention === 'workqueue' || consumers.every((c) => c.name === by.name || !needAck(c, seq));
  if (shouldRemove) removeMsg(ctx, fs, seq, false);
}

/**
 * `processAckMsg(sseq, dseq)` for an explicit ack on a single server. The client's ack carries
 * the delivery sequence; for a pending message it is the pending entry's. For an ack of a
 * message the consumer does not hold as pending, the model uses the last delivery sequence
 * (o.dseq-1), the newest one a client could hold.
 */
export function processAck(ctx: Ctx, fs: Fs, consumers: readonly ConsumerProc[], o: Con, sseq: number, background?: BackgroundWrites): void {
  if (sseq >= o.sseq) {
    // consumer.go processAckMsg: v2.10.22 L2789-L2793; #6109 v2.10.23 L2797-L2811; #6469 v2.10.26.
    const rule = ctx.profile.ackAtOrPastPointer;
    const past = sseq > fs.state.lastSeq;
    if (past && rule !== 'movePointer') {
      ctx.io.warn(`JetStream consumer '${ctx.cfg.accountName} > ${ctx.cfg.streamName} > ${o.name}' ACK sequence ${sseq} past last stream sequence of ${fs.state.lastSeq}`);
    }
    if (rule === 'ignore' || (rule === 'dropPastLastSeq' && past)) return;
    o.sseq = sseq + 1;
  }
  let dseq = o.dseq - 1;
  const pi = o.pending.findIndex((p) => p.streamSeq === sseq);
  if (pi >= 0) {
    const p = o.pending[pi]!;
    o.pending.splice(pi, 1);
    dseq = p.consumerSeq;
    if (o.pending.length === 0) {
      o.adflr = o.dseq - 1;
      o.asflr = o.sseq - 1;
    } else if (dseq === o.adflr + 1) {
      o.adflr = dseq;
      o.asflr = sseq;
      const next = o.pending.find((e) => e.streamSeq > sseq && e.streamSeq < o.sseq);
      if (next && next.consumerSeq > 0) {
        o.adflr = next.consumerSeq - 1;
        o.asflr = next.streamSeq - 1;
      }
    }
  }
  o.rdc = o.rdc.filter((r) => r.streamSeq !== sseq);
  storeUpdateAcks(ctx, o, dseq, sseq);
  // UpdateAcks kicked the flusher (consumer.go L2885) before RemoveMsg runs (L2895): when the
  // flusher may write now, its o.dat write can land anywhere in the removal.
  if (background?.odatFlushAfterFileOps !== undefined && o.flushAtMs !== null && o.flushAtMs <= ctx.io.nowMs) {
    ctx.io.runInBackground(background.odatFlushAfterFileOps, () => flushConsumer(ctx, o));
  }
  streamAckMsg(ctx, fs, consumers, o, sseq);
}

/**
 * Background writers that can land inside an ack's removal (reference section 8): the
 * consumer's flush loop, writing o.dat after this many of the removal's file operations.
 */
export interface BackgroundWrites {
  readonly odatFlushAfterFileOps?: number;
}

/** o.dat as `decodeConsumerState` reads it: empty is no state; trailing bytes are ignored. */
function readStoredState(ctx: Ctx, name: string): { state: StoredConsumerState } | { corrupt: true } {
  const content = ctx.io.read(consumerStatePath(name)) ?? [];
  if (content.length === 0 || content.every((s) => s.bytes === 0)) return { state: emptyStoredConsumerState() };
  const head = content[0]!;
  if (head.kind !== 'odat') return { corrupt: true };
  return { state: head.state };
}

/**
 * A consumer comes up: with o.dat, its stored state is applied as is (no check against the
 * stream); without, it starts at the stream's first sequence and writes o.dat at once.
 */
export function restoreConsumer(ctx: Ctx, fs: StoreProc, name: string): ConsumerProc {
  const base: ConsumerProc = {
    name,
    sseq: 0,
    dseq: 1,
    adflr: 0,
    asflr: 0,
    pending: [],
    rdc: [],
    stored: { ...emptyStoredConsumerState(), pending: [], redelivered: [] },
    dirty: false,
    lastWriteMs: null,
    flushAtMs: null,
    checkPendingAtMs: null,
  };
  if (ctx.io.exists(consumerStatePath(name))) {
    // HasState → readStoredState(0) → applyState. A corrupt o.dat leaves everything at zero.
    const read = readStoredState(ctx, name);
    if ('corrupt' in read) return base;
    const s = read.state;
    // applyState (consumer.go L2539-L2554): with restored pending, checkPending runs 0.5-1.5 s
    // later (a random delay; the model takes its earliest point), or after AckWait if shorter.
    const checkPendingAtMs = s.pending.length > 0 ? ctx.io.nowMs + Math.min(CHECK_PENDING_RESTORE_DELAY_MS, ctx.cfg.ackWaitMs) : null;
    return {
      ...base,
      checkPendingAtMs,
      sseq: s.delivered.streamSeq + 1,
      dseq: s.delivered.consumerSeq + 1,
      adflr: s.ackFloor.consumerSeq,
      asflr: s.ackFloor.streamSeq,
      pending: s.pending.map((p) => ({ ...p })),
      rdc: s.redelivered.map((r) => ({ ...r })),
      stored: { delivered: { ...s.delivered }, ackFloor: { ...s.ackFloor }, pending: s.pending.map((p) => ({ ...p })), redelivered: s.redelivered.map((r) => ({ ...r })) },
    };
  }
  // selectStartingSeqNo (DeliverAll)
  let sseq = fs.state.firstSeq;
  if (fs.state.firstSeq === 0) sseq = 1;
  else if (sseq < fs.state.firstSeq) sseq = fs.state.firstSeq;
  else if (sseq > fs.state.lastSeq) sseq = fs.state.lastSeq + 1;
  return { ...base, sseq, dseq: 1, adflr: 0, asflr: sseq - 1, stored: { ...base.stored, delivered: { consumerSeq: 0, streamSeq: sseq - 1 } } };
}

/** applyState's delay before the first checkPending after a restore: 500 ms + rand(1000) ms. */
export const CHECK_PENDING_RESTORE_DELAY_MS = 500;

/**
 * `checkPending` (consumer.go L4592-L4720): drop pending entries below the stream's FirstSeq or
 * at or below the ack floor, raising the floors to them; with nothing pending, set the floors
 * to the delivered sequences (as processAckMsg does); if anything was dropped, write the state
 * through `consumerFileStore.Update` (L2580). Redelivery itself is decided at delivery.
 *
 * The timer is armed at restore. In normal operation it only re-times redeliveries, which the
 * model decides at delivery, unless limits can remove pending messages: then it keeps running
 * every AckWait (or sooner, when a pending message expires) while anything is pending.
 */
export function checkPending(ctx: Ctx, fs: Fs, o: Con): void {
  o.checkPendingAtMs = null;
  const nowMs = ctx.io.nowMs;
  const fseq = fs.state.firstSeq;
  let shouldUpdateState = false;
  let nextMs = ctx.cfg.ackWaitMs;
  for (const p of [...o.pending]) {
    if (p.streamSeq < fseq || p.streamSeq <= o.asflr) {
      o.pending = o.pending.filter((e) => e.streamSeq !== p.streamSeq);
      o.rdc = o.rdc.filter((r) => r.streamSeq !== p.streamSeq);
      shouldUpdateState = true;
      if (p.streamSeq > o.asflr) o.asflr = p.streamSeq;
      if (p.consumerSeq > o.adflr) o.adflr = p.consumerSeq;
      continue;
    }
    const elapsedMs = nowMs - p.tsMs;
    if (elapsedMs < ctx.cfg.ackWaitMs && ctx.cfg.ackWaitMs - elapsedMs < nextMs) nextMs = ctx.cfg.ackWaitMs - elapsedMs;
  }
  if (o.pending.length > 0) {
    if (limitsCanRemove(ctx)) o.checkPendingAtMs = nowMs + nextMs;
  } else {
    o.rdc = [];
    o.adflr = o.dseq - 1;
    o.asflr = o.sseq - 1;
  }
  if (shouldUpdateState) storeUpdate(ctx, o, currentState(o));
}

function limitsCanRemove(ctx: Ctx): boolean {
  return ctx.cfg.maxAgeMs > 0 || ctx.cfg.maxMsgsPerSubject > 0;
}

/** `writeStoreStateUnlocked` (L2580): the consumer's state as the store gets it. */
function currentState(o: ConsumerProc): ConsumerProc['stored'] {
  return {
    delivered: { consumerSeq: o.dseq - 1, streamSeq: o.sseq - 1 },
    ackFloor: { consumerSeq: o.adflr, streamSeq: o.asflr },
    pending: o.pending.map((p) => ({ ...p })),
    redelivered: o.rdc.map((r) => ({ ...r })),
  };
}

/**
 * `consumerFileStore.Update` (filestore.go L9012): an outdated update (lower delivered consumer
 * sequence or ack floor) is ignored, a bad one rejected; otherwise the state is copied and the
 * flusher kicked.
 */
function storeUpdate(ctx: Ctx, o: Con, state: ConsumerProc['stored']): void {
  const s = o.stored;
  if (state.delivered.consumerSeq < s.delivered.consumerSeq || state.ackFloor.streamSeq < s.ackFloor.streamSeq) return;
  if (state.ackFloor.consumerSeq > state.delivered.consumerSeq || state.ackFloor.streamSeq > state.delivered.streamSeq) return;
  if (state.pending.some((p) => p.streamSeq <= state.ackFloor.streamSeq || p.streamSeq > state.delivered.streamSeq)) return;
  o.stored = state;
  kickFlusher(ctx, o);
}

/**
 * #7692 (v2.14.0 consumer.go L1289-L1330, `reconcileStateWithStream` L6089): at recovery, a
 * single-replica consumer whose delivered stream sequence is past the stream's LastSeq is
 * reconciled to it and persisted at once with `ForceUpdate` (a synchronous o.dat write).
 */
export function reconcileAtStart(ctx: Ctx, fs: StoreProc, o: Con): void {
  if (!ctx.profile.reconcileConsumerAtStart) return;
  const sseq = o.sseq > 0 ? o.sseq - 1 : 0;
  const lseq = fs.state.lastSeq;
  if (!(lseq < sseq)) return;
  ctx.io.warn(`JetStream consumer '${ctx.cfg.accountName} > ${ctx.cfg.streamName} > ${o.name}' delivered sequence ${sseq} past last stream sequence of ${lseq}`);
  if (o.asflr > lseq) {
    o.asflr = lseq;
    o.adflr = o.dseq > 0 ? o.dseq - 1 : 0;
    o.pending = [];
    o.rdc = [];
  }
  o.pending = o.pending.filter((p) => p.streamSeq <= lseq);
  o.rdc = o.rdc.filter((r) => r.streamSeq <= lseq);
  if (o.pending.length === 0) {
    o.sseq = o.asflr + 1;
    o.dseq = o.adflr + 1;
  } else {
    o.sseq = Math.max(...o.pending.map((p) => p.streamSeq)) + 1;
    o.dseq = Math.max(...o.pending.map((p) => p.consumerSeq)) + 1;
  }
  // ForceUpdate (filestore.go L12982): sanity checks, replace the state, write it now.
  const state = currentState(o);
  if (state.ackFloor.consumerSeq > state.delivered.consumerSeq || state.ackFloor.streamSeq > state.delivered.streamSeq) return;
  o.stored = state;
  writeConsumerState(ctx, o, `ForceUpdate(${o.name})`);
}

/** `SetStarting`: a new consumer's o.dat is written synchronously. */
export function writeStartingState(ctx: Ctx, o: Con): void {
  writeConsumerState(ctx, o, `SetStarting(${o.name})`);
}

/**
 * `checkForOrphanMsgs` after the stream's consumers are restored: an ack floor past LastSeq
 * is only logged; otherwise stored messages at or below the ack floor are acked (removed).
 * At v2.10.22 jetstream.go (L1352, L1429) runs it for Interest streams only, not WorkQueue.
 */
export function checkForOrphanMsgs(ctx: Ctx, fs: Fs, consumers: Con[]): void {
  if (ctx.cfg.retention !== 'interest') return;
  const lastSeq = fs.state.lastSeq;
  const firstSeq = fs.state.firstSeq;
  for (const o of consumers) {
    const asflr = o.stored.ackFloor.streamSeq;
    if (asflr > lastSeq) {
      ctx.io.warn(`Detected consumer '${ctx.cfg.accountName} > ${ctx.cfg.streamName} > ${o.name}' ack floor ${asflr} is ahead of stream's last sequence ${lastSeq}`);
      continue;
    }
    for (let seq = firstSeq; asflr > 0 && seq <= asflr; ) {
      const next = loadNextMsg(ctx, fs, seq);
      if (!next || next.seq > asflr) break;
      streamAckMsg(ctx, fs, consumers, o, next.seq);
      seq = next.seq + 1;
    }
  }
}
