/**
 * What can be observed of a state: the stream as `State()` reports it, the in-memory blocks,
 * the files the process would see, and each consumer as `ConsumerInfo` reports it.
 * Scenario snapshots, trace observations and properties read this.
 */
import { fileContent, forcedView, listFiles } from './disk.js';
import { blockPath, liveMessagesIn, type ModelState, type StoreProc } from './state.js';

export interface StreamObservation {
  readonly msgs: number;
  readonly bytes: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly numDeleted: number;
  readonly lostMsgs: readonly number[];
}

export interface BlockObservation {
  readonly index: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly msgs: number;
  readonly bytes: number;
}

export interface ConsumerObservation {
  readonly delivered: { readonly consumerSeq: number; readonly streamSeq: number };
  readonly ackFloor: { readonly consumerSeq: number; readonly streamSeq: number };
  readonly numAckPending: number;
}

export interface Observation {
  readonly atMs: number;
  readonly running: boolean;
  /** Null while the server is down. */
  readonly stream: StreamObservation | null;
  readonly blocks: readonly BlockObservation[];
  /** Every file the OS shows (page cache), sorted by path. */
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  /** Files that would survive a power loss now, sorted by path. */
  readonly durableFiles: readonly { readonly path: string; readonly bytes: number }[];
  readonly consumers: Readonly<Record<string, ConsumerObservation>>;
}

/** `fileStore.State()`: NumDeleted counts the gaps between blocks and every block's dmap. */
export function numDeleted(fs: StoreProc): number {
  const s = fs.state;
  if (s.lastSeq - s.firstSeq + 1 - s.msgs <= 0) return 0;
  const deleted = new Set<number>();
  let cur = s.firstSeq;
  for (const mb of fs.blks) {
    for (let seq = cur; seq < mb.firstSeq; seq++) deleted.add(seq);
    if (mb.lastSeq >= cur) cur = mb.lastSeq + 1;
    for (const seq of mb.dmap) if (seq >= mb.firstSeq) deleted.add(seq);
  }
  return deleted.size;
}

export function observe(state: ModelState): Observation {
  const proc = state.proc;
  const consumers: Record<string, ConsumerObservation> = {};
  for (const o of proc?.consumers ?? []) {
    consumers[o.name] = {
      delivered: { consumerSeq: Math.max(0, o.dseq - 1), streamSeq: Math.max(0, o.sseq - 1) },
      ackFloor: { consumerSeq: o.adflr, streamSeq: o.asflr },
      numAckPending: o.pending.length,
    };
  }
  return {
    atMs: state.nowMs,
    running: proc !== null,
    stream: proc
      ? {
          msgs: proc.store.state.msgs,
          bytes: proc.store.state.bytes,
          firstSeq: proc.store.state.firstSeq,
          lastSeq: proc.store.state.lastSeq,
          numDeleted: numDeleted(proc.store),
          lostMsgs: [...(proc.store.lost?.msgs ?? [])],
        }
      : null,
    blocks: (proc?.store.blks ?? []).map((b) => ({ index: b.index, firstSeq: b.firstSeq, lastSeq: b.lastSeq, msgs: b.msgs, bytes: b.bytes })),
    files: listFiles(state.disk.cache),
    durableFiles: listFiles(forcedView(state.disk)),
    consumers,
  };
}

/** Sequences of the messages the store holds now (what `LoadMsg` would find), ascending. */
export function storedSeqs(state: ModelState): number[] {
  const proc = state.proc;
  if (!proc) return [];
  return proc.store.blks.flatMap((mb) => liveMessagesIn(fileContent(state.disk.cache, blockPath(mb.index)), mb).map((m) => m.seq));
}
