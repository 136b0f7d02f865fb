/**
 * Proposed fix `consumer-reconcile` (profile flag `advanceStreamToConsumerAtStart`; in no
 * release): at start, after every consumer is restored, a consumer whose delivered stream
 * sequence (`o.sseq - 1`) or stream ack floor is past the stream's LastSeq moves the stream
 * forward to it. The store skips the missing sequences (`fs.SkipMsg`, the skip records
 * `SkipMsgs` writes) and fsyncs the lmb and `msgs/` before the server accepts a publish.
 *
 * Why forward and not back: #7692 (v2.14.0, `reconcileConsumerAtStart`) moves the consumer back
 * to the stream's LastSeq, so the next publishes reuse sequences the consumer had already been
 * given and acked; a client that deduplicates or reports by sequence sees two messages with
 * one number (property `no-sequence-reuse`). Moving the stream forward hands out only new
 * sequences; the messages between the two LastSeqs were lost either way. docs/forward-or-back.md
 * shows the workload and the trace that decide it.
 */
import type { Draft } from 'immer';
import { skipMsg } from './blocks.js';
import { blockPath, MSGS_DIR, type ConsumerProc, type Ctx, type StoreProc } from './state.js';

/** The highest stream sequence a consumer has seen: delivered or acked. */
export function consumerHighWater(o: ConsumerProc): number {
  return Math.max(o.sseq > 0 ? o.sseq - 1 : 0, o.asflr);
}

export function advanceStreamToConsumers(ctx: Ctx, fs: Draft<StoreProc>, consumers: readonly ConsumerProc[]): void {
  const target = consumers.reduce((m, o) => Math.max(m, consumerHighWater(o)), 0);
  const lseq = fs.state.lastSeq;
  if (target <= lseq) return;
  ctx.io.warn(`Filestore [${ctx.cfg.streamName}] stream last sequence ${lseq} is behind its consumers (${target}): skipping to ${target}`);
  // Each skipMsg takes one sequence, so the loop ends after target - lseq iterations.
  while (fs.state.lastSeq < target) skipMsg(ctx, fs);
  const lmb = fs.blks[fs.blks.length - 1]!;
  if (lmb.needSync) {
    ctx.io.fsync(blockPath(lmb.index), 'advanceStreamToConsumers');
    lmb.needSync = false;
  }
  ctx.io.fsyncDir(MSGS_DIR, 'advanceStreamToConsumers');
}
