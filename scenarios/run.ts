/**
 * Replays a `filestore-scenario/1` against the model and produces the output FORMAT.md
 * describes: one entry per `snapshot` step, with the warnings logged since the previous one.
 */
import { makeConfig, type StoreConfig } from '../model/config.js';
import { listFiles, type PowerLossKeep } from '../model/disk.js';
import { observe, type BlockObservation, type ConsumerObservation, type StreamObservation } from '../model/observe.js';
import { EventError, initialState, step, type ModelEvent, type StepResult } from '../model/step.js';
import type { ModelState } from '../model/state.js';
import { ScenarioError, type Scenario, type ScenarioStep } from './types.js';

export interface SnapshotOutput {
  readonly label: string;
  readonly step: number;
  readonly atMs: number;
  readonly stream: StreamObservation | null;
  readonly blocks: readonly BlockObservation[];
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  readonly consumers: Readonly<Record<string, ConsumerObservation>>;
  readonly log: readonly string[];
}

export interface ScenarioOutput {
  readonly scenario: string;
  readonly profile: string;
  readonly snapshots: readonly SnapshotOutput[];
}

/** One scenario step as replayed: the model events it became and what each did. */
export interface ReplayedStep {
  readonly index: number;
  readonly step: ScenarioStep;
  readonly events: readonly ModelEvent[];
  readonly results: readonly StepResult[];
  readonly before: ModelState;
  readonly after: ModelState;
}

export interface ScenarioRun {
  readonly output: ScenarioOutput;
  readonly steps: readonly ReplayedStep[];
  readonly final: ModelState;
}

export function scenarioConfig(s: Scenario): StoreConfig {
  return makeConfig({
    retention: s.stream.retention,
    blockSizeBytes: s.stream.blockSizeBytes,
    maxAgeMs: s.stream.maxAgeMs ?? 0,
    maxMsgsPerSubject: s.stream.maxMsgsPerSubject ?? 0,
    syncAlways: s.stream.syncAlways ?? false,
    ...(s.stream.syncIntervalMs !== undefined ? { syncIntervalMs: s.stream.syncIntervalMs } : {}),
    ...(s.stream.fileSystem !== undefined ? { fileSystem: s.stream.fileSystem } : {}),
    consumers: s.consumers.map((c) => c.name),
  });
}

/** A scenario's power-loss choice as the model's. */
function scenarioKeep(k: Extract<ScenarioStep, { op: 'powerLoss' }>['keep']): PowerLossKeep {
  if (k === 'synced' || k === 'all') return { kind: k };
  if ('prefix' in k) return { kind: 'prefix', count: k.prefix };
  return { kind: 'subset', opIds: k.subset, ...(k.partial ? { partial: k.partial } : {}) };
}

/** `*` matches within one path segment. */
export function globMatches(glob: string, path: string): boolean {
  const g = glob.split('/');
  const p = path.split('/');
  if (g.length !== p.length) return false;
  return g.every((seg, i) => new RegExp(`^${seg.split('*').map(escapeRegExp).join('[^/]*')}$`).test(p[i]!));
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The model events one scenario step stands for. */
function toEvents(s: ScenarioStep, state: ModelState, file: string, index: number): ModelEvent[] {
  const kill = 'killAfterFileOps' in s && s.killAfterFileOps !== undefined ? { killAfterFileOps: s.killAfterFileOps } : {};
  switch (s.op) {
    case 'start':
    case 'newBlock':
    case 'stop':
      return [{ type: s.op, ...kill }];
    case 'store':
      return [{ type: 'store', subject: s.subject, payloadBytes: s.payloadBytes, headersBytes: s.headersBytes ?? 0, count: s.count ?? 1, ...kill }];
    case 'skip':
      return [{ type: 'skip', count: s.count ?? 1, ...kill }];
    case 'remove':
      return 'seq' in s ? [{ type: 'remove', from: s.seq, to: s.seq, ...kill }] : [{ type: 'remove', from: s.from, to: s.to, ...kill }];
    case 'deliver':
      return [{ type: 'deliver', consumer: s.consumer, count: s.count ?? 1, ...kill }];
    case 'ack':
      return [{ type: 'ack', consumer: s.consumer, streamSeq: s.streamSeq, ...kill }];
    case 'advance':
      return [{ type: 'advance', ms: s.ms, ...kill }];
    case 'kill':
      return [{ type: 'kill' }];
    case 'powerLoss':
      return [{ type: 'powerLoss', keep: scenarioKeep(s.keep) }];
    case 'deleteFile':
      return [{ type: 'deleteFile', path: s.path }];
    case 'deleteFiles': {
      const paths = listFiles(state.disk.cache)
        .map((f) => f.path)
        .filter((p) => globMatches(s.glob, p));
      if (paths.length === 0) throw new ScenarioError(file, index, `deleteFiles: no file matches "${s.glob}"`);
      return paths.map((path) => ({ type: 'deleteFile', path }));
    }
    case 'copyFile':
      return [{ type: 'copyFile', from: s.from, to: s.to }];
    case 'renameFile':
      return [{ type: 'renameFile', from: s.from, to: s.to }];
    case 'truncateFile':
      return [{ type: 'truncateFile', path: s.path, bytes: s.bytes }];
    case 'snapshot':
      return [];
  }
}

/** Replay a parsed scenario. Problems found while replaying are `ScenarioError`s. */
export function runScenario(scenario: Scenario, profileName: string, file: string): ScenarioRun {
  let state = initialState(scenarioConfig(scenario), profileName);
  let pendingLog: string[] = [];
  const snapshots: SnapshotOutput[] = [];
  const steps: ReplayedStep[] = [];

  scenario.steps.forEach((s, index) => {
    const before = state;
    if (s.op === 'snapshot') {
      const o = observe(state);
      snapshots.push({ label: s.label, step: index, atMs: o.atMs, stream: o.stream, blocks: o.blocks, files: o.files, consumers: o.consumers, log: pendingLog });
      pendingLog = [];
      steps.push({ index, step: s, events: [], results: [], before, after: state });
      return;
    }
    const events = toEvents(s, state, file, index);
    const results: StepResult[] = [];
    for (const event of events) {
      let r: StepResult;
      try {
        r = step(state, event);
      } catch (e) {
        if (e instanceof EventError) throw new ScenarioError(file, index, `"${s.op}": ${e.message}`);
        throw e;
      }
      results.push(r);
      pendingLog.push(...r.log);
      state = r.state;
    }
    const kill = 'killAfterFileOps' in s ? s.killAfterFileOps : undefined;
    const performed = results.reduce((n, r) => n + r.ops.length, 0);
    if (kill !== undefined && kill > performed) {
      throw new ScenarioError(file, index, `killAfterFileOps is ${kill} but the step performs only ${performed} file operation${performed === 1 ? '' : 's'}`);
    }
    steps.push({ index, step: s, events, results, before, after: state });
  });

  return { output: { scenario: scenario.name, profile: profileName, snapshots }, steps, final: state };
}
