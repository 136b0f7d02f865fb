/**
 * The scenario file format `filestore-scenario/1`: a fixed script of operations on one
 * stream's file store, its consumers and its files. The parser (parse.ts) turns JSON into
 * these types or a one-line error; the runner (run.ts) replays them against the model.
 */

import type { FileSystemName } from '../model/filesystems.js';

export const SCENARIO_FORMAT = 'filestore-scenario/1';

export type Retention = 'limits' | 'workqueue' | 'interest';

export interface ScenarioStream {
  retention: Retention;
  blockSizeBytes: number;
  /** 0 or absent: no age limit. */
  maxAgeMs?: number;
  /** 0 or absent: no per-subject limit. */
  maxMsgsPerSubject?: number;
  syncAlways?: boolean;
  syncIntervalMs?: number;
  /** The file system under the store (ext4 when absent): what a power loss may keep. */
  fileSystem?: FileSystemName;
}

export interface ScenarioConsumer {
  name: string;
}

/** Fields every mutating step may carry: perform the first N file operations, then kill. */
export interface KillPoint {
  killAfterFileOps?: number;
}

export type ScenarioStep =
  | { op: 'start' } & KillPoint
  | ({ op: 'store'; subject: string; payloadBytes: number; headersBytes?: number; count?: number } & KillPoint)
  | ({ op: 'skip'; count?: number } & KillPoint)
  | ({ op: 'remove'; seq: number } & KillPoint)
  | ({ op: 'remove'; from: number; to: number } & KillPoint)
  | ({ op: 'newBlock' } & KillPoint)
  | ({ op: 'deliver'; consumer: string; count?: number } & KillPoint)
  | ({ op: 'ack'; consumer: string; streamSeq: number } & KillPoint)
  | ({ op: 'advance'; ms: number } & KillPoint)
  | ({ op: 'stop' } & KillPoint)
  | { op: 'kill' }
  | { op: 'powerLoss'; keep: 'synced' | 'all' | { prefix: number } | { subset: number[]; partial?: { opId: number; pages: number[] }[] } }
  | { op: 'deleteFile'; path: string }
  | { op: 'deleteFiles'; glob: string }
  | { op: 'copyFile'; from: string; to: string }
  | { op: 'renameFile'; from: string; to: string }
  | { op: 'truncateFile'; path: string; bytes: number }
  | { op: 'snapshot'; label: string };

export type ScenarioOp = ScenarioStep['op'];

export interface Scenario {
  format: typeof SCENARIO_FORMAT;
  name: string;
  source: string;
  stream: ScenarioStream;
  consumers: ScenarioConsumer[];
  steps: ScenarioStep[];
}

/** A bad scenario file: one line naming the file, the step index (when there is one) and the problem. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly stepIndex: number | null,
    readonly problem: string,
  ) {
    super(`${file}: ${stepIndex === null ? '' : `step ${stepIndex}: `}${problem}`);
    this.name = 'ScenarioError';
  }
}
