/**
 * Server-version profiles: every behaviour that differs between nats-server versions is a
 * named flag here, so adding a version (or a proposed fix) touches this one table. Each flag
 * names the Go function it changes and the PR that changed it; each was checked against the
 * source at the release tag (`git show vX.Y.Z:server/filestore.go`, `consumer.go`).
 *
 * Behaviour a release changes outside what the model covers (replicated streams, encryption,
 * compression, purge/compact/truncate/erase, APIs the model has no operation for) is listed in
 * the profile's `outOfScope`, so nothing is silently ignored.
 */

/** A flag's documentation: what it models, and the PR(s) that changed it. */
export interface FlagDoc {
  readonly flag: keyof ProfileFlags;
  readonly prs: readonly string[];
  readonly models: string;
  /** For a flag two PRs changed: the PR behind each non-baseline value. */
  readonly valuePrs?: Readonly<Record<string, readonly string[]>>;
}

/** The PRs behind a flag having this value. */
export function prsForValue(doc: FlagDoc, value: unknown): readonly string[] {
  return doc.valuePrs?.[String(value)] ?? doc.prs;
}

export interface ProfileFlags {
  // ---- Stream store: removal ----
  /**
   * `fs.removeMsgBlock` when the emptied block is the lmb.
   * - `unlinkThenCreate` (<= v2.10.27, v2.10.22 L7446): delete N.blk, then create N+1.blk, then
   *   write the LastSeq tombstone. A kill between the first two leaves no block holding LastSeq.
   * - `createThenUnlink` (#6778, v2.10.28, v2.11.2; v2.10.28 L8324): create N+1.blk and write the
   *   tombstone first, then delete N.blk.
   */
  readonly lmbRemovalOrder: 'unlinkThenCreate' | 'createThenUnlink';
  /**
   * `fs.removeMsgBlock`: a block that is not the lmb but holds LastSeq also gets a LastSeq
   * tombstone before it is deleted (#7384, v2.11.11 L8981 `else if lseq == fs.state.LastSeq`).
   */
  readonly nonLmbRemovalWritesLastSeqTombstone: boolean;
  /**
   * `fs.selectNextFirst` force-removes leading empty blocks (`forceRemoveMsgBlock`, no
   * tombstone) before taking FirstSeq from the first block (#7384, v2.11.11).
   */
  readonly selectNextFirstRemovesEmptyBlocks: boolean;
  /**
   * `fs.removeMsgBlock` keeps an emptied block that still holds tombstones for sequences at or
   * above FirstSeq (`numPriorTombsLocked`, #7387, v2.14.0 L10961); `compactWithFloor` keeps a
   * tombstone only if its sequence is still in the stream's delete map (v2.14.0 syncBlocks).
   */
  readonly keepBlocksWithPriorTombstones: boolean;

  // ---- Timers ----
  /**
   * `setSyncTimer`: the first `syncBlocks` fires at a random point in [SyncInterval/2,
   * SyncInterval) (#6041, #6128; v2.10.23 L8135). The model explores the choice (the `start`
   * event's `firstSyncMs`), it never draws a random number.
   */
  readonly firstSyncJitter: boolean;
  /**
   * `flushStreamStateLoop`: the index.db ticker's period is 2 min plus a jitter in
   * [0, this) fixed once per store (#6220, v2.10.23 L8168). 0: no jitter. Explored, like the above.
   */
  readonly indexFlushJitterMaxMs: number;

  // ---- index.db ----
  /**
   * `recoverFullState` and `_writeFullState` compare the summary with the sum of the blocks
   * (`trackingStatesEqual`): on recovery a mismatch (and an lmb index mismatch) deletes index.db
   * ("internal inconsistency on recover"); on write a mismatch refuses to write, logs "internal
   * inconsistency on write" and rebuilds the state from the blocks (#6034, v2.10.23 L1784, L8358).
   * In 2.10.22 the write check was bypassed whenever blocks existed (L8040).
   */
  readonly trackingStateCheck: boolean;
  /**
   * `recoverFullState`: every block index.db lists is checked on disk; a missing one that is not
   * the lmb is lost data, logs "could not locate msg block N" and forces a rebuild (#7123,
   * v2.11.7; v2.11.11 L1905-L1916).
   */
  readonly detectMissingBlocks: boolean;
  /**
   * Only names ending in `.blk` are block files (#6684, v2.10.28, v2.11.0). Before it,
   * `fmt.Sscanf("%d.blk")` also took `10.blk.tmp`.
   */
  readonly strictBlkSuffix: boolean;

  // ---- Recovery from blocks ----
  /**
   * `mb.rebuildStateLocked`: which tombstone sets first/last of a block that holds no
   * messages. `min` in 2.10.x (v2.10.22 L1413); `max` from #7384 (v2.11.11, v2.12.1, v2.14).
   */
  readonly emptyBlockTombstoneRule: 'min' | 'max';
  /**
   * `mb.rebuildStateLocked`: a skip (ebit) record in a block with no messages yet is added to
   * the dmap (<= v2.10.25); #6521 (v2.10.26 L1440) adds it only when the block has messages.
   */
  readonly skipInEmptyBlockToDmap: boolean;
  /**
   * `recoverMsgs`: a block whose first timestamp is 0 (tombstones only) may lower FirstSeq
   * (<= v2.10.27); #6685 (v2.10.28 L1936) requires `mb.first.ts != 0` to lower it.
   */
  readonly tombstoneOnlyBlockLowersFirstSeq: boolean;
  /**
   * `recoverMsgs`: while the stream is still empty, first/last are reset before each block so
   * tombstones spread over blocks move them up, and LastSeq takes `>=` (#7384, v2.11.11 L1935).
   */
  readonly recoverResetsWhileEmpty: boolean;
  /**
   * `newFileStoreWithCreated`: when index.db's LastSeq (`prior.LastSeq`) wins over a lower
   * LastSeq rebuilt from the blocks.
   * - `onlyWithLostData` (<= v2.10.29, v2.10.22 L457): only when recovery recorded lost data
   *   (`fs.ld`); then a new block with a tombstone at prior.LastSeq.
   * - `always` (#6882, v2.11.4, v2.12.0): whenever prior.LastSeq is higher; the tombstone is
   *   still written only with lost data.
   * - `alwaysWithTombstone` (#7782, v2.12.5, v2.14): whenever it is higher (and not AsyncFlush),
   *   always a new block with a tombstone at prior.LastSeq, then the sequences.
   */
  readonly priorLastSeqReuse: 'onlyWithLostData' | 'always' | 'alwaysWithTombstone';
  /**
   * With prior.LastSeq reused on an empty stream, also set FirstSeq = LastSeq+1
   * (#6647, v2.10.28, v2.11.0). Without it FirstSeq stays 0.
   */
  readonly priorReuseSetsFirstSeq: boolean;

  // ---- Consumers ----
  /**
   * `consumer.processAckMsg`: an ack with sseq >= o.sseq.
   * - `movePointer` (<= v2.10.22, consumer.go L2791): o.sseq = sseq+1, with no check.
   * - `dropPastLastSeq` (#6109, v2.10.23 consumer.go L2797-L2811): past the stream's LastSeq it
   *   is dropped with "ACK sequence N past last stream sequence of M"; otherwise o.sseq = sseq+1.
   * - `ignore` (#6469, v2.10.26, v2.11.0): always dropped (warning if past LastSeq); acks never
   *   move the pointer.
   */
  readonly ackAtOrPastPointer: 'movePointer' | 'dropPastLastSeq' | 'ignore';
  /**
   * `consumerFileStore.UpdateAcks`: if sseq > Delivered.Stream then Delivered.Stream = sseq+1,
   * before the pending check (#5528, v2.10.17-v2.10.29; removed by #6566 in v2.11.0).
   */
  readonly updateAcksBumpsDelivered: boolean;
  /**
   * `writeFileWithOptionalSync` → `writeAtomically`: o.dat is written to `o.dat.tmp` and
   * renamed into place (with O_SYNC and a directory fsync under sync always) (#7388,
   * v2.11.11 L11469). Before it, o.dat was truncated and rewritten in place.
   */
  readonly atomicConsumerStateWrite: boolean;
  /**
   * `addConsumerWithAssignment` at recovery: a single-replica consumer whose delivered stream
   * sequence is past the stream's LastSeq logs "delivered sequence N past last stream sequence
   * of M", is reconciled (`reconcileStateWithStream`) and persisted with `ForceUpdate` (#7692,
   * v2.14.0 consumer.go L1308, L6089).
   */
  readonly reconcileConsumerAtStart: boolean;
  /**
   * `fullStateVersion`, the index.db format `_writeFullState` writes (filestore.go L7841 at
   * v2.10.22; L11763 at v2.14.5): 1 in 2.10.x, 2 from 2.11.0 (per-block ttls), 3 from 2.12.0
   * (schedules), 4 from 2.14.0 (lblk always). Crash images (traces/image) encode index.db in
   * it; the model's own index.db sizes are those of version 1.
   */
  readonly indexDbVersion: 1 | 2 | 3 | 4;
  // ---- Proposed fixes (the project's own; in no release: every release has them off) ----
  /**
   * `fs.removeMsgBlock` of the lmb with `createThenUnlink`: fsync the new block after its
   * LastSeq tombstone is written and before the old block is unlinked (atomic-lmb-rotation).
   * On ext4 and xfs the fsync of a new file also commits the journal transaction holding its
   * creation (and every earlier metadata operation), so the unlink can never be durable
   * without the tombstone. Requires `lmbRemovalOrder: createThenUnlink`.
   */
  readonly fsyncNewLmbBeforeUnlink: boolean;
  /**
   * The same, plus an fsync of `msgs/` after the new block's fsync and before the unlink
   * (atomic-lmb-rotation-dirsync): strict POSIX promises a new directory entry only through a
   * directory fsync. Requires `fsyncNewLmbBeforeUnlink`.
   */
  readonly fsyncMsgsDirBeforeUnlink: boolean;
  /**
   * `fs.removeMsgBlock`: before any block file is unlinked, index.db is written as a durable
   * record of the removal (index-before-unlink): the state with the block already out of the
   * list, written to `index.db.tmp`, fsynced, renamed over index.db, then `msgs/` fsynced.
   * Recovery then always has a LastSeq at least as new as every unlink that survived.
   */
  readonly durableIndexBeforeUnlink: boolean;
  /**
   * `newFileStoreWithCreated`, rebuild path (durable-last-seq): LastSeq is the maximum of
   * index.db's LastSeq, the largest tombstone found in any block and the blocks' own last
   * sequence; before the store accepts writes it is made durable: a new block with a tombstone
   * at it (when the blocks alone say less), fsync of that block and of `msgs/`.
   */
  readonly durableLastSeqAtRecovery: boolean;
  /**
   * At start, after every consumer is restored (consumer-reconcile): a consumer whose delivered
   * stream sequence or ack floor is past the stream's LastSeq moves the *stream* forward:
   * `SkipMsgs` up to that sequence, fsynced, so no sequence the consumer has seen is handed
   * out again. The alternative, #7692's reset of the consumer to the stream
   * (`reconcileConsumerAtStart`), re-issues those sequences to new messages.
   */
  readonly advanceStreamToConsumerAtStart: boolean;
  /** The server runs with `jetstream { sync: always }` whatever the stream's configuration (sync-always). */
  readonly forceSyncAlways: boolean;
}

export interface Profile extends ProfileFlags {
  /** Profile name as given on the command line, e.g. "v2.10.22". */
  readonly name: string;
  /** One line: what this profile is. */
  readonly description: string;
  /** Release behaviour the model does not cover, each with its PR and why it is out of scope. */
  readonly outOfScope: readonly string[];
}

/** Every flag with the PRs behind it, in table order (what `profiles` prints). */
export const FLAG_DOCS: readonly FlagDoc[] = [
  { flag: 'lmbRemovalOrder', prs: ['#6778'], models: 'fs.removeMsgBlock: order of unlinking the emptied lmb and creating its replacement with the LastSeq tombstone' },
  { flag: 'nonLmbRemovalWritesLastSeqTombstone', prs: ['#7384'], models: 'fs.removeMsgBlock: a LastSeq tombstone when removing a non-last block that holds LastSeq' },
  { flag: 'selectNextFirstRemovesEmptyBlocks', prs: ['#7384'], models: 'fs.selectNextFirst: leading empty blocks force-removed' },
  { flag: 'keepBlocksWithPriorTombstones', prs: ['#7387'], models: 'fs.removeMsgBlock keeps a block holding tombstones for earlier blocks; compaction keeps only tombstones in the delete map' },
  { flag: 'firstSyncJitter', prs: ['#6041', '#6128'], models: 'setSyncTimer: first syncBlocks in [SyncInterval/2, SyncInterval), an explored choice' },
  { flag: 'indexFlushJitterMaxMs', prs: ['#6220'], models: 'flushStreamStateLoop: index.db ticker 2 min + [0, this) ms, an explored choice' },
  { flag: 'trackingStateCheck', prs: ['#6034'], models: 'recoverFullState/_writeFullState: summary vs sum of blocks; index.db deleted on mismatch, write refused' },
  { flag: 'detectMissingBlocks', prs: ['#7123'], models: 'recoverFullState: a missing non-last block listed in index.db is lost data and forces a rebuild' },
  { flag: 'strictBlkSuffix', prs: ['#6684'], models: 'recoverFullState/recoverMsgs: only names ending in .blk are blocks' },
  { flag: 'emptyBlockTombstoneRule', prs: ['#7384'], models: 'mb.rebuildStateLocked: min or max tombstone sets an empty block\'s range' },
  { flag: 'skipInEmptyBlockToDmap', prs: ['#6521'], models: 'mb.rebuildStateLocked: skip record of an empty block added to the dmap' },
  { flag: 'tombstoneOnlyBlockLowersFirstSeq', prs: ['#6685'], models: 'recoverMsgs: a block with first.ts 0 may lower FirstSeq' },
  { flag: 'recoverResetsWhileEmpty', prs: ['#7384'], models: 'recoverMsgs: first/last reset while the stream is empty' },
  { flag: 'priorLastSeqReuse', prs: ['#6882', '#7782'], models: 'newFileStoreWithCreated: when index.db\'s LastSeq wins, and whether a tombstone records it', valuePrs: { always: ['#6882'], alwaysWithTombstone: ['#7782'] } },
  { flag: 'priorReuseSetsFirstSeq', prs: ['#6647'], models: 'newFileStoreWithCreated: FirstSeq = LastSeq+1 when prior LastSeq is reused on an empty stream' },
  { flag: 'ackAtOrPastPointer', prs: ['#6109', '#6469'], models: 'consumer.processAckMsg: an ack at or past o.sseq moves the pointer, is dropped past LastSeq, or is ignored', valuePrs: { dropPastLastSeq: ['#6109'], ignore: ['#6469'] } },
  { flag: 'updateAcksBumpsDelivered', prs: ['#5528', '#6566'], models: 'consumerFileStore.UpdateAcks: Delivered.Stream = sseq+1 for an ack past it', valuePrs: { true: ['#5528'], false: ['#6566'] } },
  { flag: 'atomicConsumerStateWrite', prs: ['#7388'], models: 'writeAtomically: o.dat via o.dat.tmp and rename' },
  { flag: 'reconcileConsumerAtStart', prs: ['#7692'], models: 'addConsumerWithAssignment: R1 consumer ahead of the stream reconciled at start' },
  { flag: 'indexDbVersion', prs: ['#6272', '#7170', '#8004'], models: '_writeFullState: fullStateVersion of index.db (crash images only; 2 adds per-block ttls, 3 schedules, 4 lblk always)', valuePrs: { 2: ['#6272'], 3: ['#7170'], 4: ['#8004'] } },
  { flag: 'fsyncNewLmbBeforeUnlink', prs: [], models: 'proposed fix atomic-lmb-rotation: fs.removeMsgBlock fsyncs the new lmb (with its LastSeq tombstone) before unlinking the old one' },
  { flag: 'fsyncMsgsDirBeforeUnlink', prs: [], models: 'proposed fix atomic-lmb-rotation-dirsync: and fsyncs msgs/ before the unlink' },
  { flag: 'durableIndexBeforeUnlink', prs: [], models: 'proposed fix index-before-unlink: index.db written durably (tmp, fsync, rename, directory fsync) before any block is unlinked' },
  { flag: 'durableLastSeqAtRecovery', prs: [], models: 'proposed fix durable-last-seq: recovery keeps max(index.db, largest tombstone, blocks) and makes it durable before accepting writes' },
  { flag: 'advanceStreamToConsumerAtStart', prs: [], models: 'proposed fix consumer-reconcile: a consumer ahead of the stream at start moves the stream forward (SkipMsgs, fsync)' },
  { flag: 'forceSyncAlways', prs: [], models: 'proposed fix sync-always: the server runs with jetstream { sync: always }' },
];

/** Out of scope for every profile: the model is one single-replica stream on one server. */
const COMMON_OUT_OF_SCOPE = [
  'replication (Raft, R>1 streams and consumers, leader changes, clustered pre-acks and snapshots)',
  'encryption and compression of blocks, index.db and o.dat',
  'purge, PurgeEx, Compact, Truncate, EraseMsg and snapshots (no such operation in the model)',
  'MaxMsgs/MaxBytes limits, message TTLs, filtered and push consumers, AckAll/AckNone',
];

const V2_10_22: Profile = {
  name: 'v2.10.22',
  indexDbVersion: 1,
  description: 'nats-server v2.10.22 (240e9a41e, 2024-10-17): the WorkQueue reset-to-0 release',
  outOfScope: [...COMMON_OUT_OF_SCOPE],
  lmbRemovalOrder: 'unlinkThenCreate',
  nonLmbRemovalWritesLastSeqTombstone: false,
  selectNextFirstRemovesEmptyBlocks: false,
  keepBlocksWithPriorTombstones: false,
  firstSyncJitter: false,
  indexFlushJitterMaxMs: 0,
  trackingStateCheck: false,
  detectMissingBlocks: false,
  strictBlkSuffix: false,
  emptyBlockTombstoneRule: 'min',
  skipInEmptyBlockToDmap: true,
  tombstoneOnlyBlockLowersFirstSeq: true,
  recoverResetsWhileEmpty: false,
  priorLastSeqReuse: 'onlyWithLostData',
  priorReuseSetsFirstSeq: false,
  ackAtOrPastPointer: 'movePointer',
  updateAcksBumpsDelivered: true,
  atomicConsumerStateWrite: false,
  reconcileConsumerAtStart: false,
  fsyncNewLmbBeforeUnlink: false,
  fsyncMsgsDirBeforeUnlink: false,
  durableIndexBeforeUnlink: false,
  durableLastSeqAtRecovery: false,
  advanceStreamToConsumerAtStart: false,
  forceSyncAlways: false,
};

const V2_10_23: Profile = {
  ...V2_10_22,
  name: 'v2.10.23',
  description: 'nats-server v2.10.23 (145e44d6e, 2024-12-10): state consistency checks, timer jitter, out-of-bounds acks dropped',
  outOfScope: [
    ...COMMON_OUT_OF_SCOPE,
    '#6109 clustered consumer snapshots no longer register pre-acks (replication)',
    'commit 4bae9af93: consumerFileStore.Update returns an error on an outdated update (no caller in the model acts on it)',
  ],
  firstSyncJitter: true,
  indexFlushJitterMaxMs: 30_000,
  trackingStateCheck: true,
  ackAtOrPastPointer: 'dropPastLastSeq',
};

const V2_10_26: Profile = {
  ...V2_10_23,
  name: 'v2.10.26',
  description: 'nats-server v2.10.26: acks never move the delivery pointer; skip records of empty blocks stay out of the dmap',
  outOfScope: [...V2_10_23.outOfScope, '#6469 is motivated by leader changes; only its single-server effect (acks never move o.sseq) is modelled'],
  ackAtOrPastPointer: 'ignore',
  skipInEmptyBlockToDmap: false,
};

const V2_10_28: Profile = {
  ...V2_10_26,
  name: 'v2.10.28',
  description: 'nats-server v2.10.28 (same as v2.10.29 on these paths): new lmb and tombstone before the unlink, FirstSeq after prior-LastSeq reuse, strict .blk names',
  outOfScope: [
    ...V2_10_26.outOfScope,
    '#6685 tombstones for PurgeEx and Compact (no purge or compact in the model; its recovery change is modelled)',
    '#6825 asynchronous PurgeEx tombstones (no purge)',
    '#6753 configured FirstSeq purge (the model has no configured FirstSeq)',
  ],
  lmbRemovalOrder: 'createThenUnlink',
  priorReuseSetsFirstSeq: true,
  tombstoneOnlyBlockLowersFirstSeq: false,
  strictBlkSuffix: true,
};

const V2_11_4: Profile = {
  ...V2_10_28,
  name: 'v2.11.4',
  indexDbVersion: 2,
  description: 'nats-server v2.11.4: index.db LastSeq reused whenever higher (#6882), no UpdateAcks bump (#6566)',
  outOfScope: [
    ...V2_10_28.outOfScope,
    'index.db format version 2 (a per-block TTL count: one more byte per block; sizes in the model stay version 1)',
    'message TTLs and the thw.db file (2.11)',
  ],
  priorLastSeqReuse: 'always',
  updateAcksBumpsDelivered: false,
};

const V2_11_11: Profile = {
  ...V2_11_4,
  name: 'v2.11.11',
  description: 'nats-server v2.11.11: missing blocks detected (#7123), lost-tombstone fixes (#7384), o.dat written atomically (#7388)',
  outOfScope: [
    ...V2_11_4.outOfScope,
    '#7100, #7162 Truncate and EraseMsg crash consistency; #7384 EraseMsg keeps tombstones (no erase or truncate)',
    '#7388 atomic writes of meta.inf, meta.sum and key files (the model has no sequences in them)',
  ],
  detectMissingBlocks: true,
  emptyBlockTombstoneRule: 'max',
  recoverResetsWhileEmpty: true,
  nonLmbRemovalWritesLastSeqTombstone: true,
  selectNextFirstRemovesEmptyBlocks: true,
  atomicConsumerStateWrite: true,
};

const V2_12_5: Profile = {
  ...V2_11_11,
  name: 'v2.12.5',
  indexDbVersion: 3,
  description: 'nats-server v2.12.5: a tombstone always records index.db\'s LastSeq when recovery is below it (#7782)',
  outOfScope: [
    ...V2_11_11.outOfScope,
    '#7018, #7163 AsyncFlush for replicated streams and persist_mode async (single-replica streams still flush in place)',
    '#7594 syncBlocks flushes pending writes (matters only with AsyncFlush); #7595 tombstone I/O before accounting (same file operations in the same order for a single removal)',
    '#7627 Compact/Purge keep LastSeq (no compact or purge)',
    'ErrStoreOldUpdate from consumerFileStore.Update (an API error)',
    'index.db format version 3 (schedules count; sizes stay version 1)',
  ],
  priorLastSeqReuse: 'alwaysWithTombstone',
};

const V2_14_0: Profile = {
  ...V2_12_5,
  name: 'v2.14.0',
  indexDbVersion: 4,
  description: 'nats-server v2.14.0: blocks with prior tombstones kept (#7387), R1 consumers reconciled to the stream at start (#7692)',
  outOfScope: [
    ...V2_12_5.outOfScope,
    '#7676 recovery from a partial purge (no purge)',
    '#7759 index.db writers serialised among themselves (the model never runs two index.db writers at once; the write still happens outside the store lock, so its interleaving with a removal is still explored)',
    '#7489 the consumer reset API and ForceUpdate as an API',
  ],
  keepBlocksWithPriorTombstones: true,
  reconcileConsumerAtStart: true,
};

const V2_14_5: Profile = {
  ...V2_14_0,
  name: 'v2.14.5',
  description: 'nats-server v2.14.5: the same as v2.14.0 on every modelled path',
  outOfScope: [
    ...V2_14_0.outOfScope,
    '#8102 checkRedelivered and MaxDeliver (MaxDeliver is not modelled)',
    '#8168 flusher save on a sole redelivered delete (redelivery counts only)',
    '#8366, #8365 key-file and directory fsync (encryption only)',
    '#8403, #8404 syncBlocks delete-map handling (the delete map is computed from the blocks\' dmaps, as modelled for v2.14.0)',
  ],
};

function freeze(p: Profile): Profile {
  return Object.freeze({ ...p, outOfScope: Object.freeze([...p.outOfScope]) });
}

/** The released versions, in release order. */
const RELEASES: readonly Profile[] = [V2_10_22, V2_10_23, V2_10_26, V2_10_28, V2_11_4, V2_11_11, V2_12_5, V2_14_0, V2_14_5];

export const PROFILES: Readonly<Record<string, Profile>> = Object.freeze(Object.fromEntries(RELEASES.map((p) => [p.name, freeze(p)])));

/** Profile names in release order. */
export const PROFILE_NAMES: readonly string[] = Object.freeze(Object.keys(PROFILES));

// ---- Proposed fixes ----

export const FIX_NAMES = ['atomic-lmb-rotation', 'atomic-lmb-rotation-dirsync', 'index-before-unlink', 'durable-last-seq', 'consumer-reconcile', 'sync-always'] as const;
export type FixName = (typeof FIX_NAMES)[number];

/** The releases a fix is built on: v2.10.22 isolates its effect, v2.14.5 is the newest release. */
export const FIX_BASES = ['v2.10.22', 'v2.14.5'] as const;

export interface FixDefinition {
  readonly name: FixName;
  /** One line: the mechanism. */
  readonly summary: string;
  /** The flags it sets, given the release it is built on. */
  flags(base: Profile): Partial<ProfileFlags>;
}

export const FIXES: Readonly<Record<FixName, FixDefinition>> = {
  'atomic-lmb-rotation': {
    name: 'atomic-lmb-rotation',
    summary: 'create the new lmb, write its LastSeq tombstone and fsync it before unlinking the old block',
    flags: () => ({ lmbRemovalOrder: 'createThenUnlink', fsyncNewLmbBeforeUnlink: true }),
  },
  'atomic-lmb-rotation-dirsync': {
    name: 'atomic-lmb-rotation-dirsync',
    summary: 'atomic-lmb-rotation plus an fsync of msgs/ before the unlink (what strict POSIX needs)',
    flags: () => ({ lmbRemovalOrder: 'createThenUnlink', fsyncNewLmbBeforeUnlink: true, fsyncMsgsDirBeforeUnlink: true }),
  },
  'index-before-unlink': {
    name: 'index-before-unlink',
    summary: 'before any block is unlinked, index.db is made a durable record of the removal (tmp file, fsync, rename, directory fsync), and recovery keeps its LastSeq',
    // A record recovery ignores closes nothing: v2.10.22 drops index.db's LastSeq unless data
    // was lost, so the fix also takes #6882's rule there (later releases already have it).
    flags: (base) => ({ durableIndexBeforeUnlink: true, ...(base.priorLastSeqReuse === 'onlyWithLostData' ? { priorLastSeqReuse: 'always' as const } : {}) }),
  },
  'durable-last-seq': {
    name: 'durable-last-seq',
    summary: 'recovery keeps the maximum of index.db\'s LastSeq, the largest tombstone and the blocks, and makes it durable (tombstone, fsync) before accepting writes',
    flags: () => ({ durableLastSeqAtRecovery: true }),
  },
  'consumer-reconcile': {
    name: 'consumer-reconcile',
    summary: 'a consumer found ahead of the stream at start moves the stream forward to it (SkipMsgs, fsync) instead of being moved back (#7692)',
    flags: () => ({ advanceStreamToConsumerAtStart: true, reconcileConsumerAtStart: false }),
  },
  'sync-always': {
    name: 'sync-always',
    summary: 'jetstream { sync: always }: every block write fsynced, o.dat written with O_SYNC',
    flags: () => ({ forceSyncAlways: true }),
  },
};

/** Whether a fix changes anything on a release (a fix the release already has is not built on it). */
export function fixApplies(fix: FixName, base: Profile): boolean {
  const flags = FIXES[fix].flags(base);
  return (Object.keys(flags) as (keyof ProfileFlags)[]).some((k) => flags[k] !== base[k]);
}

function fixProfile(base: Profile, fix: FixDefinition): Profile {
  return {
    ...base,
    ...fix.flags(base),
    name: `${base.name}+${fix.name}`,
    description: `proposed fix ${fix.name} on ${base.name}: ${fix.summary}`,
    outOfScope: [...base.outOfScope],
  };
}

const FIX_PROFILE_LIST: readonly Profile[] = FIX_NAMES.flatMap((fix) =>
  FIX_BASES.map((b) => RELEASES.find((r) => r.name === b)!)
    .filter((base) => fixApplies(fix, base))
    .map((base) => freeze(fixProfile(base, FIXES[fix]))),
);

/** The proposed-fix profiles (`<release>+<fix>`), fix by fix, each on v2.10.22 then v2.14.5. */
export const FIX_PROFILES: Readonly<Record<string, Profile>> = Object.freeze(Object.fromEntries(FIX_PROFILE_LIST.map((p) => [p.name, p])));
export const FIX_PROFILE_NAMES: readonly string[] = Object.freeze(FIX_PROFILE_LIST.map((p) => p.name));

/** Every profile name `--profile` accepts: the releases, then the proposed fixes. */
export const ALL_PROFILE_NAMES: readonly string[] = Object.freeze([...PROFILE_NAMES, ...FIX_PROFILE_NAMES]);

/** The release and the fix a fix profile is made of, or null for a release. */
export function fixOf(name: string): { base: string; fix: FixName } | null {
  const i = name.indexOf('+');
  if (i < 0) return null;
  const fix = name.slice(i + 1) as FixName;
  return FIX_NAMES.includes(fix) && Object.prototype.hasOwnProperty.call(FIX_PROFILES, name) ? { base: name.slice(0, i), fix } : null;
}

export const DEFAULT_PROFILE = 'v2.10.22';

/** The profile of that name, or an Error whose message is one line naming the known ones. */
export function getProfile(name: string): Profile {
  const own = (t: Readonly<Record<string, Profile>>) => (Object.prototype.hasOwnProperty.call(t, name) ? t[name] : undefined);
  const profile = own(PROFILES) ?? own(FIX_PROFILES);
  if (!profile) {
    throw new Error(`unknown profile "${name}" (known: ${ALL_PROFILE_NAMES.join(', ')})`);
  }
  return profile;
}
