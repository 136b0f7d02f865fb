/**
 * Crash images: the model's disk after any step of a trace, written as a real nats-server
 * store directory that a server of the trace's profile recovers from:
 *
 *   DIR/jetstream/<account>/streams/<stream>/meta.inf, meta.sum
 *                                           msgs/<N>.blk, msgs/index.db
 *                                           obs/<consumer>/meta.inf, meta.sum, o.dat
 *
 * DIR is what the server's `store_dir` names. The model's files (blocks, index.db, o.dat)
 * come from the byte-level replay of its file operations (bytedisk.ts); meta files, which the
 * model leaves implicit, are added for the stream and every configured consumer.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getProfile } from '../../model/profile.js';
import { initialState, step, type ModelEvent, type StepResult } from '../../model/step.js';
import type { ModelState } from '../../model/state.js';
import type { StoreConfig } from '../../model/config.js';
import { ByteDisk, ImageError } from './bytedisk.js';
import type { IndexDbVersion } from './indexdb.js';
import { EPOCH_UNIX_MS } from './content.js';
import { consumerMetaInf, consumerMetaSum, streamMetaInf, streamMetaSum } from './meta.js';

export { ImageError };

/** The subject the real-server probe publishes to (as `probeDelivery` does in the model). */
export const PROBE_SUBJECT = 'probe';

export interface ImageOptions {
  /** Which view: what the OS shows (a kill keeps it), or what is durable (a power loss now). */
  readonly view?: 'cache' | 'durable';
  /** Unix ms of model time 0 (default `EPOCH_UNIX_MS`, which the model's sizes assume). */
  readonly epochMs?: number;
  /** index.db format (default: the profile's `indexDbVersion`). */
  readonly indexDbVersion?: IndexDbVersion;
}

/** A run of a trace's events: the state after each of the first N events is `states[N]`. */
export interface Run {
  readonly config: StoreConfig;
  readonly profile: string;
  readonly events: readonly ModelEvent[];
  readonly results: readonly StepResult[];
  readonly states: readonly ModelState[];
}

export function runEvents(config: StoreConfig, profile: string, events: readonly ModelEvent[]): Run {
  let state = initialState(config, profile);
  const states: ModelState[] = [state];
  const results: StepResult[] = [];
  for (const e of events) {
    const r = step(state, e);
    results.push(r);
    states.push((state = r.state));
  }
  return { config, profile, events, results, states };
}

/** A run from results already computed (a scenario replay), without stepping again. */
export function runFromResults(initial: ModelState, profile: string, events: readonly ModelEvent[], results: readonly StepResult[]): Run {
  if (events.length !== results.length) throw new Error('one result per event');
  return { config: initial.config, profile, events, results, states: [initial, ...results.map((r) => r.state)] };
}

/** A conformance scenario's replay as a run of the model's events. */
export function runOfScenario(replay: { readonly steps: readonly { readonly events: readonly ModelEvent[]; readonly results: readonly StepResult[]; readonly before: ModelState }[] }, profile: string): Run {
  const first = replay.steps[0];
  if (!first) throw new Error('a scenario with no steps');
  return runFromResults(first.before, profile, replay.steps.flatMap((s) => s.events), replay.steps.flatMap((s) => s.results));
}

/**
 * The default crash point of a run: just before its last `start` that follows a crash or a
 * stop (the disk recovery reads), else after its last event.
 */
export function defaultImageStep(run: Run): number {
  for (let n = run.events.length - 1; n >= 1; n--) {
    if (run.events[n]!.type === 'start' && run.states[n]!.proc === null) return n;
  }
  return run.events.length;
}

/** Every point where the server is down and the next event starts it: each recovery. */
export function restartPoints(run: Run): number[] {
  const out: number[] = [];
  for (let n = 1; n < run.events.length; n++) if (run.events[n]!.type === 'start' && run.states[n]!.proc === null) out.push(n);
  return out;
}

/** Distinct subjects the events store to, plus the probe's, sorted: the stream's subjects. */
export function streamSubjects(events: readonly ModelEvent[]): string[] {
  const set = new Set<string>([PROBE_SUBJECT]);
  for (const e of events) if (e.type === 'store') set.add(e.subject);
  return [...set].sort();
}

export interface StoreImage {
  /** Path of the stream folder, relative to the store directory. */
  readonly streamDir: string;
  /** Every file, relative to the store directory, sorted by path. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** The model's own files (relative to the stream folder) in this view. */
  readonly modelFiles: ReadonlyMap<string, Uint8Array>;
  readonly step: number;
  readonly view: 'cache' | 'durable';
  readonly epochMs: number;
  /** A model checksum identity (`recordChecksum`) as the image's real checksum, hex. */
  readonly checksumHex: (identity: string) => string;
}

export function streamDirOf(config: StoreConfig): string {
  return join('jetstream', config.accountName, 'streams', config.streamName);
}

/** The image of `run` after its first `stepN` events. */
export function buildImage(run: Run, stepN: number, opts: ImageOptions = {}): StoreImage {
  if (!Number.isInteger(stepN) || stepN < 0 || stepN > run.events.length) throw new ImageError(`step ${stepN} is out of range (0 to ${run.events.length})`);
  return buildImages(run, [stepN], opts)[0]!;
}

/** Images after each of `steps` (ascending), from one byte-level replay. */
export function buildImages(run: Run, steps: readonly number[], opts: ImageOptions = {}): StoreImage[] {
  const view = opts.view ?? 'cache';
  const epochMs = opts.epochMs ?? EPOCH_UNIX_MS;
  const { config } = run;
  const disk = new ByteDisk({ config, indexDbVersion: opts.indexDbVersion ?? getProfile(run.profile).indexDbVersion, epochMs });
  const root = streamDirOf(config);
  const meta = new Map<string, Uint8Array>();
  const streamInf = streamMetaInf(config, streamSubjects(run.events), epochMs);
  meta.set('meta.inf', streamInf);
  meta.set('meta.sum', new TextEncoder().encode(streamMetaSum(config.streamName, streamInf)));
  for (const name of config.consumers) {
    const inf = consumerMetaInf(config, name, epochMs);
    meta.set(`obs/${name}/meta.inf`, inf);
    meta.set(`obs/${name}/meta.sum`, new TextEncoder().encode(consumerMetaSum(config.streamName, name, inf)));
  }
  const out: StoreImage[] = [];
  let applied = 0;
  for (const stepN of steps) {
    if (!Number.isInteger(stepN) || stepN < applied || stepN > run.events.length) throw new ImageError(`step ${stepN} is out of range (${applied} to ${run.events.length})`);
    for (; applied < stepN; applied++) disk.applyStep(run.events[applied]!, run.results[applied]!, applied);
    const modelFiles = disk.files(view);
    const files = new Map<string, Uint8Array>();
    for (const [path, bytes] of [...meta, ...modelFiles]) files.set(join(root, path), bytes);
    const sorted = new Map([...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    out.push({ streamDir: root, files: sorted, modelFiles, step: stepN, view, epochMs, checksumHex: (id) => disk.checksumHex(id) });
  }
  return out;
}

/** Write an image under `dir`, which must not exist or be an empty directory. */
export function writeImage(dir: string, image: StoreImage): void {
  if (existsSync(dir)) {
    if (!statSync(dir).isDirectory()) throw new ImageError(`${dir} exists and is not a directory`);
    if (readdirSync(dir).length > 0) throw new ImageError(`${dir} exists and is not empty`);
  }
  mkdirSync(join(dir, image.streamDir, 'msgs'), { recursive: true, mode: 0o700 });
  for (const [rel, bytes] of image.files) {
    const path = join(dir, rel);
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(path, bytes, { mode: 0o600 });
  }
}
