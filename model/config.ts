/**
 * The configuration of one modelled stream, its consumers and the machine's timing knobs.
 * Every limit is explicit and carries its unit in its name.
 */

import { DEFAULT_FILE_SYSTEM, type FileSystemName } from './filesystems.js';

export type Retention = 'limits' | 'workqueue' | 'interest';

export interface StoreConfig {
  /** Stream name, as it appears in log lines ("Filestore [TEST] ..."). */
  readonly streamName: string;
  /** Account name, as it appears in consumer log lines ("'$G > TEST > C'"). */
  readonly accountName: string;
  readonly retention: Retention;
  /** `FileStoreConfig.BlockSize`: the lmb rolls when the next record would exceed it. */
  readonly blockSizeBytes: number;
  /** `StreamConfig.MaxAge`; 0: no age limit. */
  readonly maxAgeMs: number;
  /** `StreamConfig.MaxMsgsPer`; 0: no per-subject limit. */
  readonly maxMsgsPerSubject: number;
  /** `jetstream { sync: always }`: fsync after every block write, O_SYNC meta and o.dat. */
  readonly syncAlways: boolean;
  /** `FileStoreConfig.SyncInterval`: the period of `syncBlocks` (default 2 min). */
  readonly syncIntervalMs: number;
  /** `flushStreamStateLoop`'s `writeThreshold`: the period of the index.db write. */
  readonly indexFlushIntervalMs: number;
  /** `consumerFileStore.flushLoop`'s `minTime`: at most one o.dat write per this period. */
  readonly consumerFlushMinIntervalMs: number;
  /** `ConsumerConfig.AckWait`: a pending message is redelivered after this. */
  readonly ackWaitMs: number;
  /** Durable explicit-ack consumers, by name, in declaration order. */
  readonly consumers: readonly string[];
  /** The file system under the store (filesystems.ts): what a power loss keeps, and when time forces what. */
  readonly fileSystem: FileSystemName;
}

export const DEFAULT_SYNC_INTERVAL_MS = 120_000; // defaultSyncInterval
export const INDEX_FLUSH_INTERVAL_MS = 120_000; // writeThreshold in flushStreamStateLoop
export const CONSUMER_FLUSH_MIN_INTERVAL_MS = 100; // minTime in consumerFileStore.flushLoop
export const DEFAULT_ACK_WAIT_MS = 30_000; // JsAckWaitDefault

export function makeConfig(partial: Partial<StoreConfig> & Pick<StoreConfig, 'retention' | 'blockSizeBytes'>): StoreConfig {
  const config: StoreConfig = {
    streamName: 'TEST',
    accountName: '$G',
    maxAgeMs: 0,
    maxMsgsPerSubject: 0,
    syncAlways: false,
    syncIntervalMs: DEFAULT_SYNC_INTERVAL_MS,
    indexFlushIntervalMs: INDEX_FLUSH_INTERVAL_MS,
    consumerFlushMinIntervalMs: CONSUMER_FLUSH_MIN_INTERVAL_MS,
    ackWaitMs: DEFAULT_ACK_WAIT_MS,
    consumers: [],
    fileSystem: DEFAULT_FILE_SYSTEM,
    ...partial,
  };
  return Object.freeze({ ...config, consumers: Object.freeze([...config.consumers]) });
}
