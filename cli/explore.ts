/** `explore`: search one profile for violations of a property under a crash model. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BOUND_LIMITS, CRASH_MODELS, exploredStreamError, type CrashModel, type ExploreBounds, type NumericBound } from '../properties/alphabet.js';
import { CAUSE_DEFINITIONS } from '../properties/causes.js';
import type { Retention } from '../model/config.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS, DEFAULT_RANDOM_BOUNDS, DEFAULT_RANDOM_RUNS, DEFAULT_SEED, explore, type ExploreResult, type Mode, type PropertyResult } from '../properties/explore.js';
import { PROPERTY_IDS, type PropertyId } from '../properties/invariants.js';
import { DEFAULT_PROFILE } from '../model/profile.js';
import { describeEvent } from '../traces/describe.js';
import { serializeTrace } from '../traces/trace.js';
import { parseArgs, UsageError } from './args.js';
import { Progress } from './progress.js';

const int = (help: string, k: NumericBound) => ({ kind: 'int', help, min: BOUND_LIMITS[k].min, max: BOUND_LIMITS[k].max }) as const;

export const EXPLORE_FLAGS = {
  profile: { kind: 'string', help: 'server version profile', default: DEFAULT_PROFILE },
  property: { kind: 'string', help: 'the property to check', choices: PROPERTY_IDS },
  crash: { kind: 'string', help: 'crash model', choices: CRASH_MODELS, default: 'kill' },
  mode: { kind: 'string', help: 'random (fast-check, shrinking) or exhaustive (breadth-first, shortest)', choices: ['random', 'exhaustive'], default: 'exhaustive' },
  seed: { kind: 'int', help: `random: the seed (default ${DEFAULT_SEED})`, min: -2147483648, max: 2147483647 },
  runs: { kind: 'int', help: `random: number of runs (default ${DEFAULT_RANDOM_RUNS})`, min: 1, max: 10_000_000 },
  path: { kind: 'string', help: 'random: replay a fast-check path printed with a counterexample' },
  depth: int('most actions in one run (exhaustive default 9, random 24)', 'depth'),
  'max-msgs': int('most messages stored in one run (exhaustive default 2, random 6)', 'maxMsgs'),
  'max-crashes': int('most crashes in one run (exhaustive default 1, random 4)', 'maxCrashes'),
  consumers: int('number of consumers (default 1)', 'consumers'),
  'block-size-bytes': int('block size (default 128: two 43-byte records per block)', 'blockSizeBytes'),
  'reorder-window': int('power-loss:posix: newest in-flight operations a power loss may keep in any combination (default 4)', 'reorderWindow'),
  'sync-always': { kind: 'boolean', help: 'the stream runs with jetstream { sync: always } (fsync after every block write, O_SYNC o.dat)' },
  retention: { kind: 'string', help: 'the explored stream\'s retention (default workqueue)', choices: ['workqueue', 'interest', 'limits'] },
  out: { kind: 'string', help: 'where to write the counterexample trace (default out/counterexamples/...)' },
  json: { kind: 'boolean', help: 'print one JSON object' },
} as const;

export const EXPLORE_USAGE = `explore --property P [--profile P] [--crash ${CRASH_MODELS.join('|')}] [--mode random|exhaustive] [--seed N] [--runs N] [--path P] [--depth N] [--max-msgs N] [--max-crashes N] [--consumers N] [--block-size-bytes N] [--reorder-window N] [--sync-always] [--retention workqueue|interest|limits] [--out FILE] [--json]`;

export function defaultTracePath(profile: string, property: string, crash: string, mode: string): string {
  return `out/counterexamples/${profile}_${property}_${crash.replace(':', '-')}_${mode}.json`;
}

export function writeTrace(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

export function replayCommand(file: string): string {
  return `npx tsx cli/main.ts replay ${file}`;
}

function boundsDescription(b: ExploreBounds, crash: CrashModel): string {
  const parts = [`depth ≤ ${b.depth}`, `≤ ${b.maxMsgs} msgs`, `≤ ${b.maxCrashes} crash${b.maxCrashes === 1 ? '' : 'es'}`, `${b.consumers} consumer${b.consumers === 1 ? '' : 's'}`, `${b.blockSizeBytes}-byte blocks`];
  if (crash === 'power-loss:posix') parts.push(`reorder window ${b.reorderWindow}`);
  parts.push(`${b.retention ?? 'workqueue'} retention`);
  if (b.syncAlways) parts.push('sync always');
  return parts.join(', ');
}

/** The report object of `explore --json`. */
export function reportJson(result: ExploreResult, r: PropertyResult, seconds: number, file: string | null): Record<string, unknown> {
  const req = result.request;
  return {
    profile: req.profile,
    property: r.property,
    crash: req.crash,
    fileSystem: result.fileSystem,
    mode: req.mode,
    verdict: r.verdict,
    complete: result.stats.complete,
    bounds: { ...req.bounds, ...(req.mode === 'random' ? { runs: req.runs, seed: req.seed } : {}) },
    stats: { statesGenerated: result.stats.statesGenerated, distinctStates: result.stats.distinctStates, depth: result.stats.depth, runs: result.stats.runs, seconds },
    coverage: result.coverage,
    preconditionReached: r.reached,
    ...(r.counterexample && file
      ? {
          counterexample: {
            seed: r.counterexample.seed,
            ...(r.counterexample.path ? { path: r.counterexample.path } : {}),
            length: r.counterexample.events.length,
            message: r.counterexample.message,
            cause: r.counterexample.cause,
            events: r.counterexample.events,
            file,
            replay: replayCommand(file),
            ...(req.mode === 'random' ? { rerun: `npx tsx cli/main.ts explore --mode random --property ${r.property} --crash ${req.crash} --profile ${req.profile} --seed ${r.counterexample.seed} --path ${r.counterexample.path}` } : {}),
          },
        }
      : {}),
  };
}

function readable(result: ExploreResult, r: PropertyResult, seconds: number, file: string | null): string {
  const req = result.request;
  const lines = [`explore ${req.profile} ${r.property} under ${req.crash}, ${req.mode} search (${boundsDescription(req.bounds, req.crash)}${req.mode === 'random' ? `, ${req.runs} runs, seed ${req.seed}` : ''})`];
  if (r.verdict === 'violated' && r.counterexample && file) {
    const ce = r.counterexample;
    lines.push(`verdict: VIOLATED: ${ce.message}`);
    lines.push(`cause: ${ce.cause} (${CAUSE_DEFINITIONS[ce.cause]})`);
    lines.push(`${req.mode === 'exhaustive' ? 'shortest' : 'shrunk'} counterexample (${ce.events.length} events):`);
    ce.events.forEach((e, i) => lines.push(`  ${String(i + 1).padStart(2)}. ${describeEvent(e)}${i === ce.failedAt ? '   <- property fails here' : ''}`));
    lines.push(`trace: ${file}`);
    lines.push(`replay: ${replayCommand(file)}`);
    if (req.mode === 'random') lines.push(`seed ${ce.seed}, path ${ce.path}`);
  } else if (r.verdict === 'holds') {
    lines.push(`verdict: holds within the bounds (precondition "${r.property}" reached ${r.reached} times)`);
  } else {
    lines.push('verdict: VACUOUS: the property\'s precondition was never reached; widen the bounds');
  }
  const s = result.stats;
  lines.push(`stats: ${s.statesGenerated} states generated${s.distinctStates !== null ? `, ${s.distinctStates} distinct` : ''}, depth ${s.depth}${s.runs !== null ? `, ${s.runs} runs` : ''}, ${s.complete ? 'complete within the bounds' : 'not complete (stopped at the first violation, or random)'}, file system ${result.fileSystem}, ${seconds.toFixed(1)} s`);
  lines.push(`coverage: ${Object.entries(result.coverage).filter(([k]) => !k.startsWith('crash-point:')).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const points = Object.keys(result.coverage).filter((k) => k.startsWith('crash-point:')).length;
  lines.push(`crash points explored: ${points} distinct`);
  return lines.join('\n');
}

function bounds(mode: Mode, f: Record<string, unknown>): ExploreBounds {
  const d = mode === 'random' ? DEFAULT_RANDOM_BOUNDS : DEFAULT_EXHAUSTIVE_BOUNDS;
  const pick = (k: string, dv: number) => (f[k] as number | undefined) ?? dv;
  return {
    depth: pick('depth', d.depth),
    maxMsgs: pick('max-msgs', d.maxMsgs),
    maxCrashes: pick('max-crashes', d.maxCrashes),
    consumers: pick('consumers', d.consumers),
    blockSizeBytes: pick('block-size-bytes', d.blockSizeBytes),
    reorderWindow: pick('reorder-window', d.reorderWindow),
    retention: (f.retention as Retention | undefined) ?? d.retention ?? 'workqueue',
    syncAlways: f['sync-always'] === true,
  };
}

export function runExploreCommand(argv: readonly string[], profileName: (p: string | undefined) => string): number {
  const { flags, positional } = parseArgs(argv, EXPLORE_FLAGS);
  if (positional.length > 0) throw new UsageError(`explore takes no positional argument, got "${positional[0]}"`);
  if (!flags.property) throw new UsageError(`option --property is required (one of ${PROPERTY_IDS.join(', ')})`);
  const mode = flags.mode as Mode;
  if (mode === 'exhaustive') {
    for (const k of ['seed', 'runs', 'path'] as const) if (flags[k] !== undefined) throw new UsageError(`option --${k} applies to --mode random only`);
  }
  const crash = flags.crash as CrashModel;
  const profile = profileName(flags.profile);
  const b = bounds(mode, flags as Record<string, unknown>);
  const streamError = exploredStreamError(b);
  if (streamError) throw new UsageError(streamError);
  const progress = new Progress(flags.json);
  const started = performance.now();
  const result = explore({
    profile,
    properties: [flags.property as PropertyId],
    crash,
    mode,
    bounds: b,
    seed: flags.seed ?? DEFAULT_SEED,
    runs: flags.runs ?? DEFAULT_RANDOM_RUNS,
    ...(flags.path !== undefined ? { path: flags.path } : {}),
    stopEarly: true,
    onProgress: (t) => progress.update(t),
  });
  progress.done();
  const seconds = (performance.now() - started) / 1000;
  const r = result.results[0]!;
  let file: string | null = null;
  if (r.counterexample) {
    file = flags.out ?? defaultTracePath(profile, r.property, crash, mode);
    writeTrace(file, serializeTrace(r.counterexample.trace));
  }
  process.stdout.write(`${flags.json ? JSON.stringify(reportJson(result, r, Number(seconds.toFixed(3)), file), null, 2) : readable(result, r, seconds, file)}\n`);
  return 0;
}
