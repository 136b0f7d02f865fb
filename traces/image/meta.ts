/**
 * `meta.inf` and `meta.sum` of the stream and of each consumer. The model has no meta files
 * (they hold no sequences); a store directory needs them to recover at all.
 * - Stream: JSON of `FileStreamInfo{Created, StreamConfig}` (filestore.go L75-78, written at
 *   L789-825); meta.sum is the lowercase hex of HighwayHash-64 keyed by SHA(stream name),
 *   checked on recovery against SHA of the folder name (jetstream.go L1219-1249).
 * - Consumer: JSON of `FileConsumerInfo{Created, Name, ConsumerConfig}` (filestore.go
 *   L149-153); meta.sum keyed by SHA("<stream>/<consumer>"), only its existence is checked
 *   (jetstream.go L1377-1380).
 * Only keys every version from 2.10.22 to 2.14.5 knows are written (2.11.11+ decode strictly),
 * with no `first_seq` (the 2.10.22 purge bug, filestore.go L515-518) and compression "none".
 * The model's streams are file-stored, single-replica, discard old, with durable pull
 * consumers acking explicitly and delivering all.
 */
import type { StoreConfig } from '../../model/config.js';
import { consumerKey, highway64, streamKey, toHex } from './hash.js';

const enc = new TextEncoder();

/** RFC 3339 time as Go's `time.Time` marshals it (UTC). */
function goTime(unixMs: number): string {
  return new Date(unixMs).toISOString().replace('.000Z', 'Z');
}

const NS_PER_MS = 1_000_000;

export function streamMetaInf(cfg: StoreConfig, subjects: readonly string[], createdUnixMs: number): Uint8Array {
  const info = {
    Created: goTime(createdUnixMs),
    name: cfg.streamName,
    subjects: [...subjects],
    retention: cfg.retention,
    max_consumers: -1,
    max_msgs: -1,
    max_bytes: -1,
    max_age: cfg.maxAgeMs * NS_PER_MS,
    max_msgs_per_subject: cfg.maxMsgsPerSubject > 0 ? cfg.maxMsgsPerSubject : -1,
    max_msg_size: -1,
    discard: 'old',
    storage: 'file',
    num_replicas: 1,
    duplicate_window: 0,
    sealed: false,
    deny_delete: false,
    deny_purge: false,
    allow_rollup_hdrs: false,
    allow_direct: false,
    mirror_direct: false,
    compression: 'none',
  };
  return enc.encode(JSON.stringify(info));
}

export function consumerMetaInf(cfg: StoreConfig, name: string, createdUnixMs: number): Uint8Array {
  const info = {
    Created: goTime(createdUnixMs),
    Name: name,
    durable_name: name,
    name,
    deliver_policy: 'all',
    ack_policy: 'explicit',
    ack_wait: cfg.ackWaitMs * NS_PER_MS,
    max_deliver: -1,
    replay_policy: 'instant',
    max_waiting: 512,
    max_ack_pending: 1000,
    num_replicas: 0,
  };
  return enc.encode(JSON.stringify(info));
}

export const streamMetaSum = (stream: string, metaInf: Uint8Array): string => toHex(highway64(streamKey(stream), metaInf));
export const consumerMetaSum = (stream: string, consumer: string, metaInf: Uint8Array): string => toHex(highway64(consumerKey(stream, consumer), metaInf));
