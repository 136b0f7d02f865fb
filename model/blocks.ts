/**
 * The write path: creating blocks, appending records, tombstones and skips.
 * Models filestore.go (v2.10.22): `newMsgBlockForWrite` (L3116), `fs.writeMsgRecord` (L5051),
 * `mb.writeMsgRecord` (L4829) with `flushPendingMsgsLocked` (L5644), `updateAccounting`
 * (L5029), `fs.writeTombstone` (L5084), `storeRawMsg` (L3209), `SkipMsg` (L3420) and
 * `mb.skipMsg` (L3380).
 *
 * In 2.10.x streams flush in place (`fs.fip`, AsyncFlush is always false): every record is
 * written to the OS inside the call; it is fsynced at once only under sync always.
 */
import type { Draft } from 'immer';
import { assert } from './assert.js';
import { checksumOf, EMPTY_RECORD_BYTES, msgRecord, skipRecord, tombstoneRecord, type BlockRecord, type TimeMs } from './records.js';
import { blockPath, insertSorted, liveMessages, lmbOf, type Ctx, type MsgBlock, type StoreProc } from './state.js';
import { removeMsg } from './removal.js';

type Fs = Draft<StoreProc>;

/** `newMsgBlockForWrite`: a new lmb, index lmb+1 (1 if there is none), first = LastSeq+1. */
export function newMsgBlockForWrite(ctx: Ctx, fs: Fs): Draft<MsgBlock> {
  const index = fs.lmbIndex === null ? 1 : fs.lmbIndex + 1;
  assert(!fs.blks.some((b) => b.index === index), `new block ${index} already in the block list`);
  const mb: MsgBlock = {
    index,
    firstSeq: fs.state.lastSeq + 1,
    firstTsMs: null,
    lastSeq: fs.state.lastSeq,
    lastTsMs: null,
    msgs: 0,
    bytes: 0,
    rbytes: 0,
    dmap: [],
    lchk: '',
    needSync: false,
    noCompact: false,
  };
  // os.OpenFile(mb.mfn, O_CREATE|O_RDWR): a create, or nothing if a stray file is there.
  ctx.io.create(blockPath(index), 'newMsgBlockForWrite');
  fs.blks.push(mb);
  fs.lmbIndex = index;
  return fs.blks[fs.blks.length - 1]!;
}

/**
 * `mb.writeMsgRecord` with flush: update the block's accounting, then write the record to the
 * file at the block's write offset (`rbytes`), then fsync under sync always.
 */
export function writeRecordToBlock(ctx: Ctx, mb: Draft<MsgBlock>, record: BlockRecord, fn: string): void {
  const offsetBytes = mb.rbytes;
  if (record.kind === 'tombstone') {
    mb.rbytes += record.bytes; // tombstones count in rbytes only
  } else {
    // updateAccounting
    const isDeleted = record.kind === 'skip';
    if ((mb.firstSeq === 0 || mb.firstTsMs === null) && record.seq >= mb.firstSeq) {
      mb.firstSeq = record.seq;
      mb.firstTsMs = record.tsMs;
    }
    mb.lastSeq = record.seq;
    mb.lastTsMs = record.tsMs;
    mb.rbytes += record.bytes;
    if (!isDeleted) {
      mb.bytes += record.bytes;
      mb.msgs += 1;
    }
  }
  mb.lchk = checksumOf(record);
  // flushPendingMsgsLocked: WriteAt, then Sync if syncAlways, else needSync.
  ctx.io.writeAt(blockPath(mb.index), offsetBytes, record, false, fn);
  if (ctx.cfg.syncAlways) ctx.io.fsync(blockPath(mb.index), fn);
  else mb.needSync = true;
}

/** `fs.writeTombstone`: append to the lmb, rolling to a new block if it would not fit (#5973). */
export function writeTombstone(ctx: Ctx, fs: Fs, seq: number, tsMs: TimeMs | null): void {
  let lmb = lmbOf(fs) as Draft<MsgBlock> | undefined;
  if (!lmb || lmb.rbytes + EMPTY_RECORD_BYTES > ctx.cfg.blockSizeBytes) lmb = newMsgBlockForWrite(ctx, fs);
  writeRecordToBlock(ctx, lmb, tombstoneRecord(lmb.index, seq, tsMs), 'writeTombstone');
}

/** `StoreMsg` → `storeRawMsg`: the next sequence, rolling the lmb when the record would not fit. */
export function storeMsg(ctx: Ctx, fs: Fs, subject: string, headersBytes: number, payloadBytes: number): number {
  const nowMs = ctx.io.nowMs;
  const seq = fs.state.lastSeq + 1;
  let mb = lmbOf(fs) as Draft<MsgBlock> | undefined;
  const probe = msgRecord(0, seq, nowMs, subject, headersBytes, payloadBytes);
  fs.dirty = true;
  if (!mb || (mb.msgs > 0 && mb.rbytes + probe.bytes > ctx.cfg.blockSizeBytes)) mb = newMsgBlockForWrite(ctx, fs);
  const record = msgRecord(mb.index, seq, nowMs, subject, headersBytes, payloadBytes);
  writeRecordToBlock(ctx, mb, record, 'storeRawMsg');

  if (fs.state.msgs === 0) {
    fs.state.firstSeq = seq;
    fs.state.firstTsMs = nowMs;
  }
  fs.state.msgs += 1;
  fs.state.bytes += record.bytes;
  fs.state.lastSeq = seq;
  fs.state.lastTsMs = nowMs;

  if (ctx.cfg.maxMsgsPerSubject > 0) enforcePerSubjectOnStore(ctx, fs, subject);
  if (ctx.cfg.maxAgeMs > 0 && fs.timers.ageCheckAtMs === null) fs.timers.ageCheckAtMs = nowMs + ctx.cfg.maxAgeMs; // startAgeChk
  return seq;
}

/** MaxMsgsPer on store (DiscardOld): remove the subject's oldest via limits (no tombstone). */
function enforcePerSubjectOnStore(ctx: Ctx, fs: Fs, subject: string): void {
  const seqs = subjectSeqs(ctx, fs, subject);
  for (let i = 0; i < seqs.length - ctx.cfg.maxMsgsPerSubject; i++) removeMsg(ctx, fs, seqs[i]!, true);
}

/** Live sequences of a subject, ascending (what `psim` and `firstSeqForSubj` track). */
export function subjectSeqs(ctx: Ctx, fs: Fs, subject: string): number[] {
  return fs.blks.flatMap((mb) => liveMessages(ctx, mb).filter((m) => m.subject === subject).map((m) => m.seq));
}

/** `SkipMsg`: take the next sequence without a message. */
export function skipMsg(ctx: Ctx, fs: Fs): number {
  const nowMs = ctx.io.nowMs;
  let mb = lmbOf(fs) as Draft<MsgBlock> | undefined;
  if (!mb || (mb.msgs > 0 && mb.rbytes + EMPTY_RECORD_BYTES > ctx.cfg.blockSizeBytes)) mb = newMsgBlockForWrite(ctx, fs);
  const seq = fs.state.lastSeq + 1;

  // mb.skipMsg
  let needsRecord: boolean;
  if (mb.msgs === 0) {
    mb.lastSeq = seq;
    mb.lastTsMs = nowMs;
    mb.firstSeq = seq + 1;
    mb.firstTsMs = nowMs;
    needsRecord = mb.index === fs.lmbIndex;
    // An empty lmb is rewritten from the start, keeping only the last skip record (#5497).
    if (needsRecord && mb.rbytes > 0) mb.rbytes = 0;
  } else {
    needsRecord = true;
    insertSorted(mb.dmap, seq);
  }
  if (needsRecord) writeRecordToBlock(ctx, mb, skipRecord(mb.index, seq, nowMs), 'skipMsg');

  fs.state.lastSeq = seq;
  fs.state.lastTsMs = nowMs;
  if (fs.state.msgs === 0) {
    fs.state.firstSeq = seq;
    fs.state.firstTsMs = nowMs;
  }
  if (seq === fs.state.firstSeq) {
    fs.state.firstSeq = seq + 1;
    fs.state.firstTsMs = nowMs;
  }
  fs.dirty = true;
  return seq;
}
