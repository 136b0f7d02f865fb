/**
 * The ghost: what a client of the server has been told, kept beside the model state along a
 * run, so properties can compare what the server recovered with what it had promised.
 * It is updated only from what each step returned (its event, outcome, operations), never
 * by reading the model's internals, and it is part of a state's fingerprint.
 *
 * Claims are conservative under power loss: a promise tied to a file operation (a message's
 * record, an ack's removal) is dropped when the power loss lost that operation or anything
 * issued before it, because then the loss is the persistence model's, by design.
 */
import type { Disk, PowerLossKeep } from '../model/disk.js';
import { selectKept } from '../model/disk.js';
import type { StreamObservation } from '../model/observe.js';
import type { ModelEvent, StepResult } from '../model/step.js';

/** A promise that holds only if the file operations up to `lastOpId` survived. */
export interface Claim {
  readonly seq: number;
  /** Id of the last file operation the promise depends on (0: none). */
  readonly lastOpId: number;
}

export interface Ghost {
  /** Completed starts. */
  readonly starts: number;
  /** Completed stores (the explorer's `maxMsgs` bound counts these). */
  readonly stores: number;
  /** Sequences handed to stored messages, with the record write they depend on. */
  readonly assigned: readonly Claim[];
  /** Stored messages not acked: they must survive a restart. */
  readonly unacked: readonly Claim[];
  /** Messages whose ack was processed and whose removal completed. */
  readonly acked: readonly Claim[];
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

export const EMPTY_GHOST: Ghost = { starts: 0, stores: 0, assigned: [], unacked: [], acked: [], restartAfterAck: false, beforeStop: null, delivered: [] };

function lastOpId(r: StepResult): number {
  return r.ops.length === 0 ? 0 : r.ops[r.ops.length - 1]!.id;
}

/** The ids of the in-flight operations a power loss drops. */
export function lostOpIds(disk: Disk, keep: PowerLossKeep): Set<number> {
  const kept = selectKept(disk.inFlight, keep);
  return new Set(disk.inFlight.filter((o) => !kept.has(o.id)).map((o) => o.id));
}

/**
 * The ghost after one step. `diskBefore` is the disk the step started from (a power loss
 * is judged against its in-flight operations); `streamBefore` is the stream before it.
 */
export function nextGhost(g: Ghost, event: ModelEvent, r: StepResult, diskBefore: Disk, streamBefore: StreamObservation | null): Ghost {
  let { starts, stores, assigned, unacked, acked, restartAfterAck, delivered } = g;
  let beforeStop: StreamObservation | null = null;
  const killedMidStep = 'killAfterFileOps' in event && event.killAfterFileOps !== undefined;

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
      const writes = r.ops.filter((o) => o.op.type === 'write' && o.op.segment.kind === 'msg');
      const done = writes.map((o) => ({ seq: (o.op as { segment: { seq: number } }).segment.seq, lastOpId: o.id }));
      stores += done.length;
      assigned = [...assigned, ...done];
      unacked = [...unacked, ...done];
      break;
    }
    case 'ack': {
      const seq = event.streamSeq;
      unacked = unacked.filter((c) => c.seq !== seq);
      // A cut ack promises nothing: its removal may or may not have happened.
      if (r.completed && r.ops.length > 0) acked = [...acked.filter((c) => c.seq !== seq), { seq, lastOpId: lastOpId(r) }];
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
      const lost = lostOpIds(diskBefore, event.keep);
      const minLost = lost.size === 0 ? Infinity : Math.min(...lost);
      const survives = (c: Claim) => c.lastOpId < minLost;
      assigned = assigned.filter(survives);
      unacked = unacked.filter(survives);
      acked = acked.filter(survives);
      break;
    }
    default:
      break;
  }
  return { starts, stores, assigned, unacked, acked, restartAfterAck, beforeStop, delivered };
}
