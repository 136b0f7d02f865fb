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

/** `writeState` → `writeFileWithOptionalSync`: o.dat rewritten in place (O_SYNC under sync always). */
function writeConsumerState(ctx: Ctx, o: Con, fn: string): void {
  const state = storedImage(o);
  o.dirty = false;
  ctx.io.rewriteInPlace(consumerStatePath(o.name), { kind: 'odat', state, bytes: consumerStateBytes(state, ctx.io.nowMs) }, ctx.cfg.syncAlways, fn);
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
export function processAck(ctx: Ctx, fs: Fs, consumers: readonly ConsumerProc[], o: Con, sseq: number): void {
  if (ctx.profile.ackAtOrPastPointer === 'movePointer' && sseq >= o.sseq) o.sseq = sseq + 1;
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
  streamAckMsg(ctx, fs, consumers, o, sseq);
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
  };
  if (ctx.io.exists(consumerStatePath(name))) {
    // HasState → readStoredState(0) → applyState. A corrupt o.dat leaves everything at zero.
    const read = readStoredState(ctx, name);
    if ('corrupt' in read) return base;
    const s = read.state;
    return {
      ...base,
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
