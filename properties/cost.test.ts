/**
 * Cost of the standard WorkQueue workload. Expected figures are derived by hand from the Go
 * source at v2.10.22 (filestore.go, consumer.go, store.go), not from the model:
 *
 * Per cycle (publish, deliver, ack, 1 s of timers):
 * - `writeMsgRecord` → `flushPendingMsgsLocked`: one write of the 136-byte record
 *   (22 + len("wq.job") 6 + payload 100 + checksum 8; `fileStoreMsgSize` L6547).
 * - the ack empties the lmb: `removeMsgBlock` (L7446) unlinks N.blk, `newMsgBlockForWrite`
 *   creates N+1.blk, `writeTombstone` appends the 30-byte LastSeq tombstone (`emptyRecordLen`).
 * - the consumer's `flushLoop` rewrites o.dat once (`writeState` → os.WriteFile: O_TRUNC then
 *   one write): magic and version (2 bytes), four uvarints (ack floor and delivered, each
 *   consumer and stream sequence, all equal to the cycle's seq i), 0 pending, 0 redelivered
 *   (`encodeConsumerState`, store.go L371): 8 bytes while i < 128, 12 bytes from 128 on.
 * So 6 file operations per cycle, 0 fsyncs.
 *
 * Timers over 1000 s: `syncBlocks` every 120 s fires 8 times (120..960 s) and fsyncs the lmb,
 * which always has `needSync` (a tombstone was written since); it also fsyncs index.db, which
 * exists from the first `flushStreamStateLoop` write at 120 s on. index.db is written 8 times
 * (dirty every cycle), the first time by create + write, then truncate + write.
 */
import { describe, expect, it } from 'vitest';
import { COST_WORKLOAD, measureCost } from './cost.js';

const MSG_RECORD_BYTES = 22 + 'wq.job'.length + 100 + 8;
const TOMBSTONE_BYTES = 30;
/** o.dat bytes over cycles 1..1000: 127 cycles of 8 bytes, 873 of 12. */
const ODAT_BYTES = 127 * 8 + 873 * 12;
const SYNC_RUNS = 8; // syncBlocks at 120, 240, ..., 960 s
const INDEX_WRITES = 8; // flushStreamStateLoop at the same instants

describe('cost of the standard WorkQueue workload at v2.10.22', () => {
  const cost = measureCost('v2.10.22');

  it('removal of the last block: unlink, create, one 30-byte tombstone, no fsync', () => {
    expect(cost.lastBlockRemovals).toBe(COST_WORKLOAD.messages);
    expect(cost.perLastBlockRemoval).toEqual({ fileOps: 3, fsyncs: 0, dirFsyncs: 0, bytesWritten: TOMBSTONE_BYTES });
  });

  it('per 1000 messages: 6 operations a cycle, plus the timers', () => {
    // The first syncBlocks at 120 s runs before the first index.db exists, so index.db is fsynced 7 times.
    const timerFsyncs = SYNC_RUNS + (INDEX_WRITES - 1);
    expect(cost.per1000.fileOps).toBe(6 * 1000 + timerFsyncs + 2 * INDEX_WRITES);
    expect(cost.per1000.fsyncs).toBe(timerFsyncs);
    expect(cost.per1000.dirFsyncs).toBe(0);
    const indexBytes = cost.per1000.bytesWritten - 1000 * (MSG_RECORD_BYTES + TOMBSTONE_BYTES) - ODAT_BYTES;
    // index.db of an empty stream with one block: at least the 2-byte header, the 8-byte lchk
    // and the 8-byte trailing checksum; well under 100 bytes.
    expect(indexBytes / INDEX_WRITES).toBeGreaterThan(18);
    expect(indexBytes / INDEX_WRITES).toBeLessThan(100);
  });

  it('under sync always: every block write and every o.dat write is synced; index.db is never fsynced', () => {
    const c = measureCost('v2.10.22', { syncAlways: true });
    // flushPendingMsgsLocked fsyncs after the record and after the tombstone (mb.syncAlways, L5711);
    // o.dat is written with O_SYNC (writeFileWithOptionalSync, #5729); syncBlocks finds nothing
    // that needs a sync and skips index.db under SyncAlways (L5383).
    expect(c.perLastBlockRemoval).toEqual({ fileOps: 4, fsyncs: 1, dirFsyncs: 0, bytesWritten: TOMBSTONE_BYTES });
    expect(c.per1000.fsyncs).toBe(3 * 1000);
    expect(c.per1000.fileOps).toBe(8 * 1000 + 2 * INDEX_WRITES);
    expect(c.per1000.bytesWritten).toBe(cost.per1000.bytesWritten);
  });

  it('rejects a workload past its bound', () => {
    expect(() => measureCost('v2.10.22', { workload: { ...COST_WORKLOAD, messages: 0 } })).toThrow(/1\.\.100000/);
  });
});
