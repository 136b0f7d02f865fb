/**
 * Start-up recovery of the stream store. Models filestore.go (v2.10.22):
 * `newFileStoreWithCreated` (L355, recovery at L436-L500), `recoverFullState` (L1537),
 * `mb.lastChecksum` (L1785), `recoverMsgs` (L1850), `recoverMsgBlock` (L982),
 * `mb.rebuildStateLocked` (L1262), `expireMsgsOnRecover` (L1968) and the lost-data helpers
 * `addLostData` (L1065) / `removeFromLostData`.
 *
 * The paths (reference section 4):
 * - index.db missing: no warning, rebuild from the blocks.
 * - index.db short or failing its hash: deleted, "corrupt state file", rebuild.
 * - 1a lmb index mismatch; 1b lmb file missing ("could not locate msg block N"); 1c the
 *   lmb's last checksum differs ("last block has additional entries"); 1d blocks past the
 *   lmb ("found extra blocks"): "prior state file", rebuild, keep `prior`.
 * - otherwise index.db is accepted whole; no block is scanned, no tombstone replayed.
 * After a rebuild, index.db's LastSeq is carried forward per `priorLastSeqReuse`.
 */
import type { Draft } from 'immer';
import { newMsgBlockForWrite, writeRecordToBlock, writeTombstone } from './blocks.js';
import { makeLastSeqDurable } from './durablelastseq.js';
import { lastChecksumOfFile } from './indexdb.js';
import { checksumOf, tombstoneRecord, type TimeMs } from './records.js';
import { removeMsgBlock, removeMsgBlockFromList, removeMsgViaLimits, resetAgeCheck, selectNextFirst, selectNextFirstInBlock } from './removal.js';
import {
  blockPath,
  INDEX_DB_PATH,
  insertSorted,
  liveMessages,
  lmbOf,
  lookupMsg,
  MSGS_DIR,
  removeSorted,
  scanBlockIndex,
  type Ctx,
  type MsgBlock,
  type StoreProc,
  type StreamSummary,
} from './state.js';
import { subjectSeqs } from './blocks.js';
import { startStoreTimers, type TimerJitter } from './timers.js';

type Fs = Draft<StoreProc>;

/** The error texts newFileStoreWithCreated logs ("Recovering stream state from index errored: %v"). */
const ERR_CORRUPT_STATE = 'corrupt state file';
const ERR_PRIOR_STATE = 'prior state file';
/** `recoverFullState` reads at least this much (`minLen`). */
const INDEX_DB_MIN_BYTES = 32;

type FullStateResult = 'ok' | 'notExist' | typeof ERR_CORRUPT_STATE | typeof ERR_PRIOR_STATE;

interface LostData {
  msgs: number[];
  bytes: number;
}

function zeroSummary(): StreamSummary {
  return { msgs: 0, bytes: 0, firstSeq: 0, firstTsMs: null, lastSeq: 0, lastTsMs: null };
}

function warn(ctx: Ctx, text: string): void {
  ctx.io.warn(`Filestore [${ctx.cfg.streamName}] ${text}`);
}

function initMsgBlock(index: number): MsgBlock {
  return { index, firstSeq: 0, firstTsMs: null, lastSeq: 0, lastTsMs: null, msgs: 0, bytes: 0, rbytes: 0, dmap: [], lchk: '', needSync: false, noCompact: false };
}

/** `addMsgBlock`: append and make it the lmb. */
function addMsgBlock(fs: Fs, mb: MsgBlock): Draft<MsgBlock> {
  fs.blks.push(mb);
  fs.lmbIndex = mb.index;
  return fs.blks[fs.blks.length - 1]!;
}

/** `addLostData`: merge, sorted; an empty record still counts as lost data having been seen. */
function addLostData(fs: Fs, ld: LostData | null): void {
  if (!ld) return;
  if (!fs.lost) {
    fs.lost = { msgs: [...ld.msgs].sort((a, b) => a - b), bytes: ld.bytes };
    return;
  }
  let added = false;
  for (const seq of ld.msgs) {
    if (!fs.lost.msgs.includes(seq)) {
      insertSorted(fs.lost.msgs, seq);
      added = true;
    }
  }
  if (added) fs.lost.bytes += ld.bytes;
}

/** `removeFromLostData`: drop the sequence; no lost data left means none recorded. */
function removeFromLostData(fs: Fs, seq: number): void {
  if (!fs.lost) return;
  if (removeSorted(fs.lost.msgs, seq) && fs.lost.msgs.length === 0) fs.lost = null;
}

/**
 * `mb.rebuildStateLocked` for a block whose file is missing or empty: the messages index.db
 * recorded for it are lost (only if it recorded any), and the block is reset to empty.
 */
function rebuildMissingBlock(mb: Draft<MsgBlock>): LostData | null {
  if (mb.msgs === 0) return null;
  const msgs: number[] = [];
  for (let seq = mb.firstSeq; seq <= mb.lastSeq; seq++) if (!mb.dmap.includes(seq)) msgs.push(seq);
  const ld = { msgs, bytes: mb.bytes };
  mb.msgs = 0;
  mb.bytes = 0;
  mb.rbytes = 0;
  mb.dmap = [];
  mb.firstSeq = mb.lastSeq + 1;
  return ld;
}

/**
 * `mb.rebuildStateLocked`: scan the whole block file. A record that does not parse or fails
 * its checksum truncates the file there (then fsync) and what follows is reported lost.
 * Tombstones are collected; a block with no messages takes its range from the tombstone the
 * profile names (2.10.x: the minimum).
 */
function rebuildBlockFromFile(ctx: Ctx, mb: Draft<MsgBlock>): { ld: LostData | null; tombs: number[] } {
  const path = blockPath(mb.index);
  const content = ctx.io.read(path);
  const startLastSeq = mb.lastSeq;
  if (!content || content.length === 0) return { ld: rebuildMissingBlock(mb), tombs: [] };

  mb.msgs = 0;
  mb.bytes = 0;
  mb.rbytes = 0;
  mb.lastSeq = 0;
  mb.lastTsMs = null;
  let firstNeedsSet = true;
  const tombs: number[] = [];
  let chosenTomb: { seq: number; tsMs: TimeMs | null } | null = null;
  let lastMsgSeq = 0;
  let offset = 0;
  mb.rbytes = content.reduce((n, s) => n + s.bytes, 0);
  const lbuf = mb.rbytes;

  for (const seg of content) {
    const valid = (seg.kind === 'msg' || seg.kind === 'tombstone' || seg.kind === 'skip') && seg.blockIndex === mb.index;
    if (!valid) {
      // truncate(index): cut the file at the bad record and fsync it.
      ctx.io.truncate(path, offset, 'rebuildStateLocked');
      ctx.io.fsync(path, 'rebuildStateLocked');
      mb.rbytes = offset;
      const lost: number[] = [];
      for (let seq = mb.lastSeq + 1; seq <= startLastSeq; seq++) lost.push(seq);
      return { ld: { msgs: lost, bytes: lbuf - offset }, tombs };
    }
    mb.lchk = checksumOf(seg);
    offset += seg.bytes;
    if (seg.kind === 'tombstone') {
      tombs.push(seg.seq);
      const better = ctx.profile.emptyBlockTombstoneRule === 'min' ? seg.seq < (chosenTomb?.seq ?? Infinity) : seg.seq > (chosenTomb?.seq ?? 0);
      if (chosenTomb === null || better) chosenTomb = { seq: seg.seq, tsMs: seg.tsMs };
      continue;
    }
    const fseq = mb.firstSeq;
    if (seg.kind === 'skip' || seg.seq < fseq) {
      if (seg.seq >= fseq) {
        // #6521 (v2.10.26 L1437-L1443): only a block with messages puts a skip in its dmap.
        if (ctx.profile.skipInEmptyBlockToDmap || mb.msgs > 0) insertSorted(mb.dmap, seg.seq);
        mb.lastSeq = seg.seq;
        mb.lastTsMs = seg.tsMs;
        if (mb.msgs === 0) {
          mb.firstSeq = seg.seq + 1;
          mb.firstTsMs = null;
        }
      }
      continue;
    }
    if (firstNeedsSet && seg.seq >= fseq) {
      mb.firstSeq = seg.seq;
      mb.firstTsMs = seg.tsMs;
      firstNeedsSet = false;
    }
    if (!mb.dmap.includes(seg.seq)) {
      mb.msgs += 1;
      mb.bytes += seg.bytes;
    }
    if (lastMsgSeq > 0 && seg.seq !== lastMsgSeq + 1) {
      for (let d = lastMsgSeq + 1; d < seg.seq; d++) insertSorted(mb.dmap, d);
    }
    lastMsgSeq = seg.seq;
    mb.lastSeq = seg.seq;
    mb.lastTsMs = seg.tsMs;
  }

  if (mb.msgs === 0) {
    if (mb.firstSeq > 0) {
      mb.lastSeq = mb.firstSeq - 1;
    } else if (chosenTomb !== null) {
      mb.firstSeq = chosenTomb.seq + 1;
      mb.firstTsMs = null;
      if (mb.lastSeq === 0) {
        mb.lastSeq = chosenTomb.seq;
        mb.lastTsMs = chosenTomb.tsMs;
      }
    }
  }
  return { ld: null, tombs };
}

/** `recoverFullState`: trust index.db if it passes every check; otherwise say why not. */
function recoverFullState(ctx: Ctx, fs: Fs): FullStateResult {
  const content = ctx.io.read(INDEX_DB_PATH);
  if (content === undefined) return 'notExist';
  const size = content.reduce((n, s) => n + s.bytes, 0);
  if (size < INDEX_DB_MIN_BYTES) {
    ctx.io.unlink(INDEX_DB_PATH, 'recoverFullState');
    warn(ctx, `Stream state too short (${size} bytes)`);
    return ERR_CORRUPT_STATE;
  }
  const image = content.length === 1 && content[0]!.kind === 'indexdb' ? content[0] : undefined;
  if (!image) {
    ctx.io.unlink(INDEX_DB_PATH, 'recoverFullState');
    warn(ctx, 'Stream state checksum did not match');
    return ERR_CORRUPT_STATE;
  }
  const s = image.summary;
  s.blocks.forEach((b, i) => {
    const mb = initMsgBlock(b.index);
    mb.firstSeq = b.firstSeq;
    mb.firstTsMs = b.firstTsMs;
    mb.lastSeq = b.lastSeq;
    mb.lastTsMs = b.lastTsMs;
    mb.msgs = Math.max(0, b.lastSeq - b.firstSeq + 1 - b.dmap.length);
    mb.bytes = b.bytes;
    mb.dmap = [...b.dmap];
    mb.rbytes = ctx.io.size(blockPath(b.index)) ?? 0; // loaded lazily by the server
    if (mb.msgs > 0 || i === s.blocks.length - 1) addMsgBlock(fs, mb);
    else fs.dirty = true;
  });
  fs.state = { msgs: s.msgs, bytes: s.bytes, firstSeq: s.firstSeq, firstTsMs: s.firstTsMs, lastSeq: s.lastSeq, lastTsMs: s.lastTsMs };

  const mb = lmbOf(fs) as Draft<MsgBlock> | undefined;
  if (!mb || mb.index !== s.lmbIndex) {
    if (ctx.profile.trackingStateCheck) ctx.io.unlink(INDEX_DB_PATH, 'recoverFullState'); // #6034, v2.10.23 L1743
    warn(ctx, 'Stream state block does not exist or index mismatch');
    return ERR_CORRUPT_STATE;
  }
  if (!ctx.io.exists(blockPath(mb.index))) {
    addLostData(fs, rebuildMissingBlock(mb));
    warn(ctx, `Stream state detected prior state, could not locate msg block ${s.lmbIndex}`);
    return ERR_PRIOR_STATE;
  }
  if (lastChecksumOfFile(ctx.io.read(blockPath(mb.index))) !== s.lmbLastChecksum) {
    warn(ctx, 'Stream state outdated, last block has additional entries, will rebuild');
    return ERR_PRIOR_STATE;
  }
  const onDisk = new Set<number>();
  for (const name of ctx.io.list(MSGS_DIR)) {
    const index = scanBlockIndex(name, ctx.profile.strictBlkSuffix);
    if (index !== null && index > s.lmbIndex) {
      warn(ctx, 'Stream state outdated, found extra blocks, will rebuild');
      return ERR_PRIOR_STATE;
    }
    if (index !== null) onDisk.add(index);
  }
  if (ctx.profile.detectMissingBlocks) {
    // #7123 (v2.11.11 L1905-L1919): blocks pre-marked closed and not found on disk are lost.
    let rebuild = false;
    for (const b of fs.blks) {
      if (onDisk.has(b.index)) continue;
      rebuild = true;
      addLostData(fs, rebuildMissingBlock(b));
      warn(ctx, `Stream state detected prior state, could not locate msg block ${b.index}`);
    }
    if (rebuild) return ERR_PRIOR_STATE;
  }
  if (ctx.profile.trackingStateCheck && !trackingStatesEqual(fs.state, trackingState(fs.blks))) {
    // #6034 (v2.10.23 L1784): the summary disagrees with the sum of the blocks.
    ctx.io.unlink(INDEX_DB_PATH, 'recoverFullState');
    warn(ctx, 'Stream state encountered internal inconsistency on recover');
    return ERR_CORRUPT_STATE;
  }
  mb.lchk = s.lmbLastChecksum;
  return 'ok';
}

/** `updateTrackingState` over blocks (v2.10.23 L1513): their summed state, timestamps ignored. */
export function trackingState(blks: readonly MsgBlock[]): StreamSummary {
  const m = zeroSummary();
  for (const mb of blks) {
    if (m.firstSeq === 0 || mb.firstSeq < m.firstSeq) m.firstSeq = mb.firstSeq;
    if (mb.lastSeq > m.lastSeq) m.lastSeq = mb.lastSeq;
    m.msgs += mb.msgs;
    m.bytes += mb.bytes;
  }
  return m;
}

/** `trackingStatesEqual` (v2.10.23 L1527): FirstSeq is compared only when past 1. */
export function trackingStatesEqual(fs: StreamSummary, mb: StreamSummary): boolean {
  if ((fs.firstSeq > 1 && mb.firstSeq > 1) || mb.firstSeq > 1) {
    return fs.msgs === mb.msgs && fs.firstSeq === mb.firstSeq && fs.lastSeq === mb.lastSeq && fs.bytes === mb.bytes;
  }
  return fs.msgs === mb.msgs && fs.lastSeq === mb.lastSeq && fs.bytes === mb.bytes;
}

/**
 * `fs.rebuildStateLocked(nil)` (v2.10.23 L8398): the stream summary recomputed from the
 * blocks; LastSeq is the last block's.
 */
export function rebuildStateFromBlocks(fs: Fs): void {
  fs.state.msgs = 0;
  fs.state.bytes = 0;
  fs.state.firstSeq = 0;
  fs.state.lastSeq = 0;
  for (const mb of fs.blks) {
    fs.state.msgs += mb.msgs;
    fs.state.bytes += mb.bytes;
    if (fs.state.firstSeq === 0 || mb.firstSeq < fs.state.firstSeq) {
      fs.state.firstSeq = mb.firstSeq;
      fs.state.firstTsMs = mb.firstTsMs;
    }
    fs.state.lastSeq = mb.lastSeq;
    fs.state.lastTsMs = mb.lastTsMs;
  }
}

/** `recoverMsgBlock`: no legacy .idx in 2.10, so every block is rebuilt from its file. */
function recoverMsgBlock(ctx: Ctx, fs: Fs, index: number, tombs: number[]): Draft<MsgBlock> {
  const mb = addMsgBlock(fs, initMsgBlock(index));
  const { ld, tombs: found } = rebuildBlockFromFile(ctx, mb);
  addLostData(fs, ld);
  tombs.push(...found);
  return mb;
}

/** `recoverMsgs`: scan every `%d.blk` in index order and rebuild the stream state from them. */
function recoverMsgs(ctx: Ctx, fs: Fs, tombs: number[]): void {
  const indices = ctx.io
    .list(MSGS_DIR)
    .map((name) => scanBlockIndex(name, ctx.profile.strictBlkSuffix))
    .filter((i): i is number => i !== null)
    .sort((a, b) => a - b);
  for (const index of indices) {
    const mb = recoverMsgBlock(ctx, fs, index, tombs);
    if (mb.firstSeq === 0) {
      // A zero-length or fully truncated block: delete it. fs.lmb still names it.
      ctx.io.unlink(blockPath(index), 'recoverMsgs');
      removeMsgBlockFromList(fs, index);
      continue;
    }
    // #7384 (v2.11.11 L1935): while empty, reset so tombstones over several blocks move up.
    if (ctx.profile.recoverResetsWhileEmpty && fs.state.msgs === 0) fs.state = zeroSummary();
    // #6685 (v2.10.28 L1936): a tombstone-only block (first.ts 0) no longer lowers FirstSeq.
    const mayLower = ctx.profile.tombstoneOnlyBlockLowersFirstSeq || mb.firstTsMs !== null;
    if (fs.state.firstSeq === 0 || (mb.firstSeq < fs.state.firstSeq && mayLower)) {
      fs.state.firstSeq = mb.firstSeq;
      fs.state.firstTsMs = mb.firstTsMs;
    }
    if (mb.lastSeq > fs.state.lastSeq || (ctx.profile.recoverResetsWhileEmpty && mb.lastSeq === fs.state.lastSeq)) {
      fs.state.lastSeq = mb.lastSeq;
      fs.state.lastTsMs = mb.lastTsMs;
    }
    fs.state.msgs += mb.msgs;
    fs.state.bytes += mb.bytes;
  }
  if (fs.blks.length > 0) fs.lmbIndex = fs.blks[fs.blks.length - 1]!.index;
  else newMsgBlockForWrite(ctx, fs);

  if (fs.lost) {
    for (const mb of fs.blks.filter((b) => b.msgs === 0 && b.rbytes === 0)) {
      const live = fs.blks.find((b) => b.index === mb.index);
      if (live) removeMsgBlock(ctx, fs, live);
    }
  }
}

/** `expireMsgsOnRecover`: drop leading blocks (or messages) older than MaxAge, no tombstones. */
function expireMsgsOnRecover(ctx: Ctx, fs: Fs): void {
  if (fs.state.msgs === 0) return;
  const minAgeMs = ctx.io.nowMs - ctx.cfg.maxAgeMs;
  let purged = 0;
  let bytes = 0;
  let deleted = 0;
  let nextTsMs: TimeMs | null = null;
  let last: { seq: number; tsMs: TimeMs | null } = { seq: 0, tsMs: null };

  const deleteEmptyBlock = (mb: Draft<MsgBlock>) => {
    if (mb.index === fs.lmbIndex) last = { seq: mb.lastSeq, tsMs: mb.lastTsMs };
    ctx.io.unlink(blockPath(mb.index), 'expireMsgsOnRecover');
    deleted += 1;
  };

  for (const mb of fs.blks) {
    if (minAgeMs < (mb.firstTsMs ?? 0)) {
      nextTsMs = mb.firstTsMs;
      break;
    }
    if ((mb.lastTsMs ?? 0) <= minAgeMs) {
      purged += mb.msgs;
      bytes += mb.bytes;
      deleteEmptyBlock(mb);
      continue;
    }
    let needNextFirst = false;
    for (let seq = mb.firstSeq; seq <= mb.lastSeq; seq++) {
      const sm = lookupMsg(ctx, mb, seq);
      if (!sm) {
        removeSorted(mb.dmap, seq);
        mb.firstSeq = seq;
        needNextFirst = true;
        continue;
      }
      if (minAgeMs < sm.tsMs) {
        mb.firstSeq = sm.seq;
        mb.firstTsMs = sm.tsMs;
        needNextFirst = false;
        nextTsMs = sm.tsMs;
        break;
      }
      if (mb.msgs > 0) {
        mb.firstSeq = seq;
        needNextFirst = true;
        const sz = Math.min(sm.bytes, mb.bytes);
        mb.bytes -= sz;
        bytes += sz;
        mb.msgs -= 1;
        purged += 1;
      }
    }
    if (needNextFirst) selectNextFirstInBlock(ctx, mb);
    if (mb.msgs === 0) deleteEmptyBlock(mb);
    break;
  }

  if (nextTsMs !== null) resetAgeCheck(ctx, fs, nextTsMs - minAgeMs);
  if (deleted > 0) {
    fs.blks.splice(0, deleted);
    fs.lmbIndex = fs.blks.length === 0 ? null : fs.blks[fs.blks.length - 1]!.index;
  }
  fs.state.msgs = purged < fs.state.msgs ? fs.state.msgs - purged : 0;
  fs.state.bytes = bytes < fs.state.bytes ? fs.state.bytes - bytes : 0;
  selectNextFirst(ctx, fs);
  if (fs.lmbIndex === null && last.seq !== 0) {
    newMsgBlockForWrite(ctx, fs);
    writeTombstone(ctx, fs, last.seq, last.tsMs);
  }
  if (purged > 0) fs.dirty = true;
}

/** `enforceMsgPerSubjectLimit` at start: trim every subject to MaxMsgsPer, oldest first, via limits. */
function enforcePerSubjectLimit(ctx: Ctx, fs: Fs): void {
  const subjects = new Set<string>();
  for (const mb of fs.blks) for (const m of liveMessages(ctx, mb)) subjects.add(m.subject);
  for (const subject of [...subjects].sort()) {
    const seqs = subjectSeqs(ctx, fs, subject);
    for (let i = 0; i < seqs.length - ctx.cfg.maxMsgsPerSubject; i++) removeMsgViaLimits(ctx, fs, seqs[i]!);
  }
}

/** A store that has not recovered anything yet. */
export function newStoreProc(): StoreProc {
  return { state: zeroSummary(), blks: [], lmbIndex: null, dirty: false, lost: null, firstMoved: false, timers: { syncAtMs: 0, indexFlushAtMs: 0, indexFlushPeriodMs: 0, syncRearmed: false, ageCheckAtMs: null } };
}

/**
 * `newFileStoreWithCreated`: recover the stream's state from its files, then replay leftover
 * tombstones, enforce limits and start the timers.
 */
export function openFileStore(ctx: Ctx, fs: Fs, jitter: TimerJitter = {}): void {
  const result = recoverFullState(ctx, fs);
  const tombs: number[] = [];
  if (result !== 'ok') {
    if (result !== 'notExist') warn(ctx, `Recovering stream state from index errored: ${result}`);
    const prior = { ...fs.state };
    // Reset; fs.ld and fs.lmb are not reset.
    fs.state = zeroSummary();
    fs.blks = [];
    recoverMsgs(ctx, fs, tombs);
    // newFileStoreWithCreated: index.db remembers a LastSeq past what the blocks show.
    const rule = ctx.profile.priorLastSeqReuse;
    const reuse = rule !== 'onlyWithLostData' || fs.lost !== null;
    if (reuse && prior.lastSeq > fs.state.lastSeq) {
      if (rule === 'alwaysWithTombstone') {
        // #7782 (v2.12.5 L510-L528): the tombstone first (mb.writeTombstone), then the sequences.
        const nmb = newMsgBlockForWrite(ctx, fs);
        writeRecordToBlock(ctx, nmb, tombstoneRecord(nmb.index, prior.lastSeq, prior.lastTsMs), 'writeTombstone');
      }
      fs.state.lastSeq = prior.lastSeq;
      fs.state.lastTsMs = prior.lastTsMs;
      if (ctx.profile.priorReuseSetsFirstSeq && fs.state.msgs === 0) {
        fs.state.firstSeq = fs.state.lastSeq + 1;
        fs.state.firstTsMs = null;
      }
      if (rule !== 'alwaysWithTombstone' && fs.lost !== null) {
        newMsgBlockForWrite(ctx, fs);
        writeTombstone(ctx, fs, prior.lastSeq, prior.lastTsMs);
      }
    }
    // Proposed fix durable-last-seq (in no release): the largest LastSeq any source holds, made durable.
    if (ctx.profile.durableLastSeqAtRecovery) makeLastSeqDurable(ctx, fs, prior, tombs);
    fs.dirty = true;
  }

  // Leftover tombstones: remove what they name, via limits (no new tombstones).
  for (const seq of tombs) {
    removeMsgViaLimits(ctx, fs, seq);
    removeFromLostData(fs, seq);
  }
  if (ctx.cfg.maxMsgsPerSubject > 0) enforcePerSubjectLimit(ctx, fs);
  if (ctx.cfg.maxAgeMs > 0) {
    expireMsgsOnRecover(ctx, fs);
    if (fs.timers.ageCheckAtMs === null) fs.timers.ageCheckAtMs = ctx.io.nowMs + ctx.cfg.maxAgeMs; // startAgeChk
  }
  startStoreTimers(ctx, fs, jitter);
}
