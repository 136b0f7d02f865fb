/**
 * The ghost: what a client of the server has been told, kept beside the model state along a
 * run, so properties can compare what the server recovered with what it had promised.
 * It is updated only from what each step returned (its event, outcome, operations) and the
 * disk's list of in-flight operations, never by reading the store's internals, and it is
 * part of a state's fingerprint.
 *
 * Each stored message gets the ghost's own identity (`msgId`, 1, 2, ... in store order), so
 * a new message that reuses a sequence after a reset is a different message.
 *
 * Claims under power loss depend on exactly what they need: a message's claim on its record
 * write, the earlier writes and truncates of the same block file (recovery truncates a block
 * at its first bad record), and the block file's create (its directory entry), as far as these
 * are still in flight and not forced. A power loss that keeps each of them whole keeps the
 * claim; one that drops any of them drops the claim, because then the loss is the file
 * system's, by design of the sync policy. Nothing else (another file's lost rewrite) matters.
 */
import type { Disk, FileOp, OpFate, PowerLossKeep } from '../model/disk.js';
import { fatesOf, opInode } from '../model/disk.js';
import type { StreamObservation } from '../model/observe.js';
import type { ModelEvent, StepResult } from '../model/step.js';

/** A promise about a message that holds only if the file operations `deps` survived. */
export interface Claim {
  readonly seq: number;
  /** The ghost's identity of the message. */
  readonly msgId: number;
  /** Ids of the in-flight file operations the promise needs (empty: none, it is durable). */
  readonly deps: readonly number[];
}

export interface Ghost {
  /** Completed starts. */
  readonly starts: number;
  /** Completed stores (the explorer's `maxMsgs` bound counts these; also the last msgId given). */
  readonly stores: number;
  /** Sequences handed to stored messages, with the operations they depend on. */
  readonly assigned: readonly Claim[];
  /** Stored messages not acked: they must survive a restart. */
  readonly unacked: readonly Claim[];
  /** Messages whose ack was processed and whose removal completed; deps are the removal's. */
  readonly acked: readonly Claim[];
  /** For each sequence, the identity of the last message stored under it. */
  readonly current: readonly { readonly seq: number; readonly msgId: number }[];
  /** Whether an ack was processed and then a restart completed (precondition of no-acked-redelivery). */
  readonly restartAfterAck: boolean;
  /** The stream as it was just before a clean stop; null unless the last event was that stop. */
  readonly beforeStop: StreamObservation | null;
  /**
   * What each consumer's client was handed: [consumer, stream sequence], sorted. A client can
   * ack any of these at any time, after a restart included (a stale ack).
   */
  readonly delivered: readonly (readonly [string, number])[];
}

export const EMPTY_GHOST: Ghost = { starts: 0, stores: 0, assigned: [], unacked: [], acked: [], current: [], restartAfterAck: false, beforeStop: null, delivered: [] };

/**
 * The in-flight (not forced) operations a write depends on: itself, and every earlier
 * in-flight create, write, truncate or rename of the same file.
 */
export function writeDeps(disk: Disk, opId: number): number[] {
  const w = disk.inFlight.find((o) => o.id === opId);
  if (!w || w.forced) return [];
  const inode = opInode(w.op as FileOp);
  return disk.inFlight
    .filter((o) => !o.forced && o.id <= opId && opInode(o.op as FileOp) === inode && o.op.type !== 'unlink' && o.op.type !== 'fsync')
    .map((o) => o.id);
}

/** The operations a whole step's effect depends on: each of its in-flight operations with their own deps. */
function stepDeps(disk: Disk, r: StepResult): number[] {
  const ids = new Set<number>();
  for (const p of r.ops) for (const id of writeDeps(disk, p.id)) ids.add(id);
  return [...ids].sort((a, b) => a - b);
}

/** The identity of the message stored under `seq` now, if the ghost knows one. */
export function msgIdAt(g: Ghost, seq: number): number | undefined {
  return g.current.find((c) => c.seq === seq)?.msgId;
}

/** Drop from each claim the deps that are no longer in flight or are forced (they cannot be lost any more). */
function prune(claims: readonly Claim[], live: ReadonlySet<number>): readonly Claim[] {
  let changed = false;
  const out = claims.map((c) => {
    if (c.deps.every((d) => live.has(d))) return c;
    changed = true;
    return { ...c, deps: c.deps.filter((d) => live.has(d)) };
  });
  return changed ? out : claims;
}

/** Whether a power loss with these fates keeps every dependency of a claim whole. */
function keeps(fates: ReadonlyMap<number, OpFate>, c: Claim): boolean {
  return c.deps.every((d) => (fates.get(d) ?? { kind: 'keep' }).kind === 'keep');
}

/**
 * The ghost after one step. `diskBefore` is the disk the step started from (a power loss
 * is judged against its in-flight operations); `streamBefore` is the stream before it.
 */
export function nextGhost(g: Ghost, event: ModelEvent, r: StepResult, diskBefore: Disk, streamBefore: StreamObservation | null): Ghost {
  let { starts, stores, assigned, unacked, acked, current, restartAfterAck, delivered } = g;
  let beforeStop: StreamObservation | null = null;
  const killedMidStep = 'killAfterFileOps' in event && event.killAfterFileOps !== undefined;
  const disk = r.state.disk;

  switch (event.type) {
    case 'start':
      if (r.completed) {
        starts += 1;
        if (acked.length > 0) restartAfterAck = true;
      }
      break;
    case 'store': {
      // The client is told the sequence only when StoreMsg returns: a cut store promises nothing.
      if (!r.completed) break;
      const done: Claim[] = [];
      for (const o of r.ops) {
        if (o.op.type !== 'write' || o.op.segment.kind !== 'msg') continue;
        stores += 1;
        done.push({ seq: o.op.segment.seq, msgId: stores, deps: writeDeps(disk, o.id) });
      }
      assigned = [...assigned, ...done];
      unacked = [...unacked, ...done];
      current = [...current.filter((c) => !done.some((d) => d.seq === c.seq)), ...done.map((d) => ({ seq: d.seq, msgId: d.msgId }))].sort((a, b) => a.seq - b.seq);
      break;
    }
    case 'ack': {
      const seq = event.streamSeq;
      const msgId = msgIdAt(g, seq);
      unacked = unacked.filter((c) => c.seq !== seq);
      // A cut ack promises nothing: its removal may or may not have happened.
      if (r.completed && r.ops.length > 0 && msgId !== undefined) acked = [...acked.filter((c) => c.msgId !== msgId), { seq, msgId, deps: stepDeps(disk, r) }];
      break;
    }
    case 'stop':
      if (r.completed && !killedMidStep) beforeStop = streamBefore;
      break;
    case 'deliver': {
      // The client gets a message only when the delivery completed (it is sent after the store update).
      if (!r.completed || killedMidStep) break;
      const got = (r.outcome.deliveries ?? []).map((d) => [event.consumer, d.streamSeq] as const);
      const have = new Set(delivered.map(([c, q]) => `${c}\u0000${q}`));
      const added = got.filter(([c, q]) => !have.has(`${c}\u0000${q}`));
      if (added.length > 0) delivered = [...delivered, ...added].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
      break;
    }
    case 'powerLoss': {
      const fates = fatesOf(diskBefore, event.keep as PowerLossKeep);
      if (typeof fates === 'string') throw new Error(`ghost: ${fates}`);
      const survives = (c: Claim) => keeps(fates, c);
      assigned = assigned.filter(survives).map((c) => ({ ...c, deps: [] }));
      unacked = unacked.filter(survives).map((c) => ({ ...c, deps: [] }));
      acked = acked.filter(survives).map((c) => ({ ...c, deps: [] }));
      break;
    }
    default:
      break;
  }
  const live = new Set(disk.inFlight.filter((o) => !o.forced).map((o) => o.id));
  return { starts, stores, assigned: prune(assigned, live), unacked: prune(unacked, live), acked: prune(acked, live), current, restartAfterAck, beforeStop, delivered };
}

/** A claim in canonical form for fingerprints: its sequence, identity, and the positions of its deps among the unforced in-flight operations. */
export function canonicalClaim(c: Claim, disk: Disk): [number, number, number[]] {
  const ids = disk.inFlight.filter((o) => !o.forced).map((o) => o.id);
  return [c.seq, c.msgId, c.deps.map((d) => ids.indexOf(d))];
}

/**
 * What the ghost's readers can tell apart, for fingerprints: two ghosts with one view judge
 * every future run alike. The readers (invariants.ts, alphabet.ts, `nextGhost`) use a
 * message's identity only to ask whether an acked message is the one now stored under its
 * sequence (`current`), and read claims by sequence and deps otherwise. So:
 * - a claim is its sequence and deps (the identities in `assigned` and `unacked` are never read);
 * - `current` is its sequences: each names the message stored there last, and identities
 *   are renamed to those sequences;
 * - an acked claim whose message is no longer current under its sequence (a new message
 *   reused it) can never match a delivery again: only its deps are kept (a power loss reads
 *   them) and, deduplicated, that one existed (no-acked-redelivery's precondition reads
 *   `acked.length`);
 * - `stores` is left out: it only bounds the stores (a budget counter, exhaustive.ts) and
 *   numbers the next identity, which renaming makes irrelevant.
 * Claims are sorted (no reader depends on their order).
 */
export function ghostView(g: Ghost): object {
  const currentId = new Map(g.current.map((c) => [c.seq, c.msgId]));
  const claim = (c: Claim) => ({ seq: c.seq, deps: c.deps });
  const live = g.acked.filter((c) => currentId.get(c.seq) === c.msgId).map(claim);
  const gone = new Map<string, { deps: readonly number[] }>();
  for (const c of g.acked) if (currentId.get(c.seq) !== c.msgId) gone.set(c.deps.join(','), { deps: c.deps });
  return {
    starts: g.starts,
    assigned: g.assigned.map(claim).sort(byClaim),
    unacked: g.unacked.map(claim).sort(byClaim),
    acked: live.sort(byClaim),
    ackedGone: [...gone.keys()].sort().map((k) => gone.get(k)!),
    current: g.current.map((c) => c.seq),
    restartAfterAck: g.restartAfterAck,
    beforeStop: g.beforeStop,
    delivered: g.delivered,
  };
}

function byClaim(a: { seq: number; deps: readonly number[] }, b: { seq: number; deps: readonly number[] }): number {
  if (a.seq !== b.seq) return a.seq - b.seq;
  for (let i = 0; i < Math.min(a.deps.length, b.deps.length); i++) if (a.deps[i] !== b.deps[i]) return a.deps[i]! - b.deps[i]!;
  return a.deps.length - b.deps.length;
}
