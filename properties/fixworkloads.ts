/**
 * Fixed client workloads that decide between fixes, each beyond the matrix's default bounds
 * (more messages, or a stale index.db that needs the 120 s ticker). Rerun under a profile with
 * every crash choice at the marked point (properties/closure.ts); docs and tests share them.
 */
import type { ModelEvent } from '../model/step.js';
import type { WorkloadStep } from './closure.js';

const STORE: ModelEvent = { type: 'store', subject: 'foo', payloadBytes: 10 };
const DELIVER: ModelEvent = { type: 'deliver', consumer: 'C' };
const ev = (event: ModelEvent, crash = false): WorkloadStep => ({ kind: 'event', event, crash });

/**
 * Reference section 8, minimum tombstone with three messages: 1 and 2 in 1.blk, 3 in 2.blk
 * (128-byte blocks), all delivered and o.dat written; ack 3 replaces the lmb with [t3]; ack 1
 * appends t1, and the crash may cut it anywhere; then start.
 */
export const MIN_TOMBSTONE_WORKLOAD: readonly WorkloadStep[] = [
  ...[{ type: 'start' } as ModelEvent, STORE, STORE, STORE, DELIVER, DELIVER, DELIVER, { type: 'advance', ms: 100 } as ModelEvent, { type: 'ack', consumer: 'C', streamSeq: 3 } as ModelEvent].map((e) => ev(e)),
  ev({ type: 'ack', consumer: 'C', streamSeq: 1 }, true),
  ev({ type: 'start' }),
];

/**
 * A stale index.db and an empty new block: message 1 stored, index.db written at 120 s
 * (LastSeq 1); message 2 stored, both delivered, o.dat written, 40 s pass (ext4 writes the
 * data back); ack 1, then ack 2 empties the lmb and the power loss may cut its rotation; start,
 * publish, deliver. Under #7692 the consumer is moved back to index.db's LastSeq and the next
 * publish reuses sequence 2, which a durable, acked message had.
 */
export const STALE_INDEX_EMPTY_BLOCK_WORKLOAD: readonly WorkloadStep[] = [
  ...[{ type: 'start' } as ModelEvent, STORE, { type: 'advance', ms: 120_000 } as ModelEvent, STORE, DELIVER, DELIVER, { type: 'advance', ms: 100 } as ModelEvent, { type: 'advance', ms: 40_000 } as ModelEvent, { type: 'ack', consumer: 'C', streamSeq: 1 } as ModelEvent].map((e) => ev(e)),
  ev({ type: 'ack', consumer: 'C', streamSeq: 2 }, true),
  ...[{ type: 'start' } as ModelEvent, STORE, DELIVER].map((e) => ev(e)),
];
