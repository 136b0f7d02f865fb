/**
 * Why a property broke: each violation gets one `cause`, the first of these predicates (in
 * this order) that holds on the run that broke it. Pure: it reads the events and what `step`
 * returned for them, so any search engine can call it on a counterexample (`classifyRun`
 * replays the events itself).
 *
 * The *crash* is the last kill point, kill or power loss at or before the failing event; the
 * *restart* is the first completed start after it (or the last before the failure).
 *
 * - `removal-window`: the crash cut a block removal (`removeMsgBlock`): the process died after
 *   the removed block's unlink and before the removal completed (its tombstone written and,
 *   under sync always, fsynced), or the power loss kept the unlink and lost the replacement
 *   block's create. Counted against the removal
 *   protocol (#6778 reorders it; an fsync of the new block before the unlink closes it).
 * - `empty-block`: the power loss kept the unlink and the replacement block's create, and lost
 *   (or zero-filled, or tore) its tombstone: the new block survives empty (nats-server #6881).
 *   Counted against the removal protocol too: #6778's order does not close it, an fsync does.
 * - `tombstone-rule`: at the restart a block held tombstones and no messages, and recovery took
 *   its range from a tombstone below the block's highest one (the minimum rule of 2.10.x,
 *   `rebuildStateLocked`), so LastSeq came back lower than a tombstone on disk says.
 * - `stale-index`: at the restart recovery trusted index.db (its happy path, or the prior
 *   LastSeq it carries over) and index.db's LastSeq was below the stream's LastSeq before the crash.
 * - `truncated-tail`: at the restart recovery truncated a block at a bad record (an append that
 *   came back as zeros or torn) and came back below a sequence a forced record held: v2.10.22's
 *   `rebuildStateLocked` returns at the bad record, before a tombstone-only block takes its range
 *   from its tombstone, so the block is deleted as empty.
 * - `unsynced-data`: the power loss lost a message record (or its block's create) above the
 *   recovered LastSeq that was never forced, and recovery kept every sequence a forced record
 *   held: loss the sync policy allows (every 2 min without `sync: always`). Still reported, as
 *   users hit it (#5412), but not counted against a deletion fix.
 * - `ack-past-pointer`: an ack at or past a consumer's delivery pointer (a stale ack: the client
 *   was handed the message before a restart) left that consumer's stored delivered sequence
 *   (what o.dat gets) above the stream's LastSeq: `consumerFileStore.UpdateAcks` sets
 *   `Delivered.Stream` to sseq+1 for an ack past it (#5528, undone by #6566), and
 *   `processAckMsg` moves the pointer past it (v2.10.22 L2789-L2793). Consumer bookkeeping,
 *   no file lost: not counted against a deletion fix.
 * - `other`: none of the above.
 */
import type { StoreConfig } from '../model/config.js';
import { fatesOf, forcedView, type Disk, type OpFate } from '../model/disk.js';
import { observe } from '../model/observe.js';
import type { Segment } from '../model/records.js';
import { INDEX_DB_PATH, scanBlockIndex, type ModelState } from '../model/state.js';
import { initialState, step, type ModelEvent, type StepResult } from '../model/step.js';

export const CAUSES = ['removal-window', 'empty-block', 'tombstone-rule', 'stale-index', 'truncated-tail', 'unsynced-data', 'ack-past-pointer', 'other'] as const;
export type Cause = (typeof CAUSES)[number];

/** One line per cause, for reports and docs. */
export const CAUSE_DEFINITIONS: Readonly<Record<Cause, string>> = {
  'removal-window': 'the crash cut a block removal: the process died after the unlink of the removed block and before the removal completed, or the power loss kept the unlink and lost the new block',
  'empty-block': 'the power loss kept the unlink and the new block but lost its tombstone: the new block survives empty (#6881)',
  'tombstone-rule': 'recovery took a tombstone-only block\'s range from a tombstone below its highest one (the 2.10.x minimum rule)',
  'stale-index': 'recovery trusted index.db whose LastSeq was below the stream\'s LastSeq before the crash',
  'truncated-tail': 'recovery truncated a block at a bad record (a zero-filled or torn append) and lost a sequence a forced record held: rebuildStateLocked returns before its tombstone rule',
  'unsynced-data': 'the power loss lost message records that were never fsynced, and recovery kept everything that was: loss the sync policy allows',
  'ack-past-pointer': 'an ack at or past the consumer\'s delivery pointer (a stale ack) left its stored delivered sequence above the stream\'s LastSeq (UpdateAcks sets it to sseq+1, #5528)',
  other: 'none of the above',
};

/** Causes a deletion fix is judged by (the others are the sync policy's or unexplained). */
export const REMOVAL_CAUSES: readonly Cause[] = ['removal-window', 'empty-block'];

export interface CauseInput {
  /** The state the run started from. */
  readonly initial: ModelState;
  readonly events: readonly ModelEvent[];
  /** `results[i]` is what `step` returned for `events[i]`. */
  readonly results: readonly StepResult[];
  /** Index of the event after which the property failed. */
  readonly failedAt: number;
}

const stateBefore = (x: CauseInput, i: number): ModelState => (i === 0 ? x.initial : x.results[i - 1]!.state);

/** The last crash at or before `failedAt`: the step that killed the process, and the power loss (if any). */
function lastCrash(x: CauseInput): { killStep: number | null; powerLoss: number | null } | null {
  for (let i = x.failedAt; i >= 0; i--) {
    const e = x.events[i]!;
    if (e.type === 'powerLoss') {
      const prev = i > 0 && x.results[i - 1]!.killed && x.events[i - 1]!.type !== 'powerLoss' ? i - 1 : null;
      return { killStep: prev, powerLoss: i };
    }
    if (x.results[i]!.killed) return { killStep: i, powerLoss: null };
  }
  return null;
}

/** The restart the violation is judged at: the first completed start after `from`, else the last completed start before the failure. */
function restartIndex(x: CauseInput, from: number): number | null {
  for (let i = from + 1; i <= x.failedAt; i++) if (x.events[i]!.type === 'start' && x.results[i]!.completed) return i;
  for (let i = x.failedAt; i >= 0; i--) if (x.events[i]!.type === 'start' && x.results[i]!.completed) return i;
  return null;
}

/** The killed step died inside a block removal: after the removed block's unlink, before the step (and with it the removal, its tombstone and, under sync always, its fsync) completed. */
function killCutRemoval(r: StepResult): boolean {
  return !r.completed && r.ops.some((p) => p.op.type === 'unlink' && p.fn === 'removeMsgBlock');
}

/** Fates of the power loss at `i`, judged on the disk before it. */
function fatesAt(x: CauseInput, i: number): { disk: Disk; fates: ReadonlyMap<number, OpFate> } {
  const disk = stateBefore(x, i).disk;
  const e = x.events[i]!;
  const fates = e.type === 'powerLoss' ? fatesOf(disk, e.keep) : new Map<number, OpFate>();
  return { disk, fates: typeof fates === 'string' ? new Map() : fates };
}

const lost = (fates: ReadonlyMap<number, OpFate>, id: number) => {
  const f = fates.get(id);
  return f !== undefined && f.kind !== 'keep';
};

/** removal-window or empty-block through the power loss at `pl`. */
function removalLossAt(x: CauseInput, pl: number): Cause | null {
  const { fates } = fatesAt(x, pl);
  let found: Cause | null = null;
  for (let s = 0; s < pl && found !== 'removal-window'; s++) {
    const ops = x.results[s]!.ops;
    const unlink = ops.find((p) => p.op.type === 'unlink' && p.fn === 'removeMsgBlock');
    if (!unlink || lost(fates, unlink.id)) continue;
    const create = ops.find((p) => p.op.type === 'create' && p.fn === 'newMsgBlockForWrite');
    const tomb = ops.find((p) => p.op.type === 'write' && p.fn === 'writeTombstone');
    if (create && lost(fates, create.id)) found = 'removal-window';
    else if (tomb && lost(fates, tomb.id)) found = 'empty-block';
  }
  return found;
}

function blockTombstoneOnly(content: readonly Segment[], index: number): number[] | null {
  const tombs: number[] = [];
  for (const s of content) {
    if ((s.kind === 'msg' || s.kind === 'tombstone' || s.kind === 'skip') && s.blockIndex === index) {
      if (s.kind === 'msg') return null;
      if (s.kind === 'tombstone') tombs.push(s.seq);
    } else break; // recovery truncates at the first bad record
  }
  return tombs;
}

function tombstoneRuleAt(x: CauseInput, r: number): boolean {
  const before = stateBefore(x, r).disk.cache;
  const back = observe(x.results[r]!.state).stream;
  if (!back) return false;
  for (const path of Object.keys(before.entries)) {
    const name = path.startsWith('msgs/') ? path.slice(5) : null;
    const index = name === null ? null : scanBlockIndex(name);
    if (index === null) continue;
    const tombs = blockTombstoneOnly(before.inodes[before.entries[path]!] ?? [], index);
    if (!tombs || tombs.length < 2) continue;
    if (Math.max(...tombs) > back.lastSeq && Math.min(...tombs) < Math.max(...tombs)) return true;
  }
  return false;
}

function staleIndexAt(x: CauseInput, r: number, lastSeqBefore: number | null): boolean {
  if (lastSeqBefore === null) return false;
  const before = stateBefore(x, r).disk.cache;
  const ino = before.entries[INDEX_DB_PATH];
  const img = ino === undefined ? undefined : (before.inodes[ino] ?? [])[0];
  if (!img || img.kind !== 'indexdb') return false;
  const back = observe(x.results[r]!.state).stream;
  if (!back) return false;
  const trusted = !x.results[r]!.log.some((l) => l.includes('Recovering stream state from index errored')) || back.lastSeq === img.summary.lastSeq;
  return trusted && img.summary.lastSeq < lastSeqBefore && back.lastSeq <= img.summary.lastSeq;
}

/** The highest sequence a record that survives any power loss holds (message or tombstone), just before the power loss at `pl`. */
function durableHighWater(x: CauseInput, pl: number): number {
  const v = forcedView(stateBefore(x, pl).disk);
  let high = 0;
  for (const path of Object.keys(v.entries)) {
    const name = path.startsWith('msgs/') ? path.slice(5) : null;
    const index = name === null ? null : scanBlockIndex(name);
    if (index === null) continue;
    for (const s of v.inodes[v.entries[path]!] ?? []) {
      if ((s.kind === 'msg' || s.kind === 'tombstone') && s.blockIndex === index) high = Math.max(high, s.seq);
      else break;
    }
  }
  return high;
}

function unsyncedDataAt(x: CauseInput, pl: number, r: number | null): boolean {
  const { fates } = fatesAt(x, pl);
  const back = r === null ? null : observe(x.results[r]!.state).stream;
  const recovered = back?.lastSeq ?? 0;
  // Recovery must have kept every sequence that was durable: else more than the sync policy lost it.
  if (recovered < durableHighWater(x, pl)) return false;
  const creates = new Map<number, number>(); // inode -> create op id
  for (let s = 0; s < pl; s++) for (const p of x.results[s]!.ops) if (p.op.type === 'create') creates.set(p.op.inode, p.id);
  for (let s = 0; s < pl; s++) {
    for (const p of x.results[s]!.ops) {
      if (p.op.type !== 'write' || p.op.segment.kind !== 'msg' || p.op.segment.seq <= recovered) continue;
      const c = creates.get(p.op.inode);
      if (lost(fates, p.id) || (c !== undefined && lost(fates, c))) return true;
    }
  }
  return false;
}

/** An ack before `upTo`, at or past its consumer's pointer, after which that consumer's stored delivered sequence exceeds the stream's LastSeq. */
function ackPastPointer(x: CauseInput, upTo: number): boolean {
  for (let i = 0; i <= upTo; i++) {
    const e = x.events[i]!;
    if (e.type !== 'ack') continue;
    const before = stateBefore(x, i).proc?.consumers.find((c) => c.name === e.consumer);
    const after = x.results[i]!.state.proc;
    const o = after?.consumers.find((c) => c.name === e.consumer);
    if (before && o && e.streamSeq >= before.sseq && o.stored.delivered.streamSeq > after!.store.state.lastSeq) return true;
  }
  return false;
}

/** The cause of a violation; see the header for each predicate. */
export function classifyCause(x: CauseInput): Cause {
  const crash = lastCrash(x);
  const from = crash ? (crash.powerLoss ?? crash.killStep!) : -1;
  const r = restartIndex(x, from);
  if (crash) {
    if (crash.killStep !== null && killCutRemoval(x.results[crash.killStep]!)) return 'removal-window';
    if (crash.powerLoss !== null) {
      const removal = removalLossAt(x, crash.powerLoss);
      if (removal) return removal;
    }
  }
  if (r !== null && tombstoneRuleAt(x, r)) return 'tombstone-rule';
  if (r !== null && crash) {
    const beforeCrash = crash.killStep ?? crash.powerLoss!;
    const s = observe(stateBefore(x, beforeCrash)).stream;
    if (staleIndexAt(x, r, s ? s.lastSeq : null)) return 'stale-index';
  }
  if (crash?.powerLoss !== null && crash?.powerLoss !== undefined && r !== null) {
    const truncated = x.results[r]!.ops.some((p) => p.op.type === 'truncate' && p.fn === 'rebuildStateLocked');
    const back = observe(x.results[r]!.state).stream;
    if (truncated && back && back.lastSeq < durableHighWater(x, crash.powerLoss)) return 'truncated-tail';
  }
  if (crash?.powerLoss !== null && crash?.powerLoss !== undefined && unsyncedDataAt(x, crash.powerLoss, r)) return 'unsynced-data';
  if (ackPastPointer(x, x.failedAt)) return 'ack-past-pointer';
  return 'other';
}

/** Replay a run from its configuration and classify its violation at `failedAt`. */
export function classifyRun(config: StoreConfig, profile: string, events: readonly ModelEvent[], failedAt: number): Cause {
  const initial = initialState(config, profile);
  const results: StepResult[] = [];
  let s = initial;
  for (const e of events.slice(0, failedAt + 1)) {
    const r = step(s, e);
    results.push(r);
    s = r.state;
  }
  return classifyCause({ initial, events, results, failedAt });
}
