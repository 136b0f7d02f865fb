/**
 * Server-version profiles: every behaviour that differs between nats-server versions is a
 * named flag here, so adding a version (or a proposed fix) touches this one table.
 * Each flag names the Go function it changes and the PR that changed it.
 */

export interface Profile {
  /** Profile name as given on the command line, e.g. "v2.10.22". */
  readonly name: string;
  /** One line: what this profile is. */
  readonly description: string;

  /**
   * `fs.removeMsgBlock` when the emptied block is the lmb.
   * - `unlinkThenCreate` (<= v2.10.27): delete N.blk, then create N+1.blk, then write the
   *   LastSeq tombstone. A kill between the first two leaves no block holding LastSeq.
   * - `createThenUnlink` (#6778, v2.10.28, v2.11.2): create N+1.blk and write the tombstone
   *   first, then delete N.blk.
   */
  readonly lmbRemovalOrder: 'unlinkThenCreate' | 'createThenUnlink';

  /**
   * `newFileStoreWithCreated`: when index.db's LastSeq (`prior.LastSeq`) wins over a lower
   * LastSeq rebuilt from the blocks.
   * - `onlyWithLostData` (<= v2.10.27, L457): only when recovery recorded lost data (`fs.ld`).
   * - `always` (#6882, v2.11.4 / v2.12.0): whenever prior.LastSeq is higher; the tombstone is
   *   still written only with lost data.
   */
  readonly priorLastSeqReuse: 'onlyWithLostData' | 'always';

  /**
   * With prior.LastSeq reused on an empty stream, also set FirstSeq = LastSeq+1
   * (#6647, v2.10.28, v2.11.0). Without it FirstSeq stays 0.
   */
  readonly priorReuseSetsFirstSeq: boolean;

  /**
   * `msgBlock.rebuildStateLocked`: which tombstone sets first/last of a block that holds no
   * messages. `min` in 2.10.x; `max` from #7384 (v2.11.11, v2.12.1, v2.14).
   */
  readonly emptyBlockTombstoneRule: 'min' | 'max';

  /**
   * `consumer.processAckMsg`: an ack with sseq >= o.sseq.
   * - `movePointer` (<= v2.10.22): o.sseq = sseq+1, with no check against the stream.
   */
  readonly ackAtOrPastPointer: 'movePointer';

  /**
   * `consumerFileStore.UpdateAcks`: if sseq > Delivered.Stream then Delivered.Stream = sseq+1,
   * before the pending check (#5528, v2.10.17-v2.10.29; removed by #6566 in v2.11.0).
   */
  readonly updateAcksBumpsDelivered: boolean;

  /**
   * `fullStateVersion`, the index.db format `_writeFullState` writes (filestore.go L7841 at
   * v2.10.22): 1 in 2.10.x, 2 from 2.11.0 (per-block ttls), 3 from 2.12.0 (schedules), 4 from
   * 2.14.0 (lblk always). Crash images (traces/image) encode index.db in it.
   */
  readonly indexDbVersion: 1 | 2 | 3 | 4;
}

export const PROFILES: Readonly<Record<string, Profile>> = Object.freeze({
  'v2.10.22': Object.freeze<Profile>({
    name: 'v2.10.22',
    description: 'nats-server v2.10.22 (240e9a41e, 2024-10-17): the WorkQueue reset-to-0 release',
    lmbRemovalOrder: 'unlinkThenCreate',
    priorLastSeqReuse: 'onlyWithLostData',
    priorReuseSetsFirstSeq: false,
    emptyBlockTombstoneRule: 'min',
    ackAtOrPastPointer: 'movePointer',
    updateAcksBumpsDelivered: true,
    indexDbVersion: 1,
  }),
});

export const DEFAULT_PROFILE = 'v2.10.22';

/** The profile of that name, or an Error whose message is one line naming the known ones. */
export function getProfile(name: string): Profile {
  const profile = Object.prototype.hasOwnProperty.call(PROFILES, name) ? PROFILES[name] : undefined;
  if (!profile) {
    throw new Error(`unknown profile "${name}" (known: ${Object.keys(PROFILES).join(', ')})`);
  }
  return profile;
}
