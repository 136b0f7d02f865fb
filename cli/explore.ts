/** `explore`: search one profile for violations of a property under a crash model. */
import { availableParallelism } from 'node:os';
import { BOUND_LIMITS, CRASH_MODELS, crashFileSystem, exploredStreamError, type CrashModel, type ExploreBounds, type NumericBound } from '../properties/alphabet.js';
import { CAUSE_DEFINITIONS } from '../properties/causes.js';
import type { Retention } from '../model/config.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS, DEFAULT_MAX_REDELIVERIES, DEFAULT_RANDOM_BOUNDS, DEFAULT_RANDOM_RUNS, DEFAULT_SEED, EXTRA_STARTS, explore, type ExploreResult, type Mode, type PropertyResult } from '../properties/explore.js';
import { PROPERTY_IDS, type PropertyId } from '../properties/invariants.js';
import { DEFAULT_PROFILE } from '../model/profile.js';
import { describeEvent } from '../traces/describe.js';
import { serializeTrace } from '../traces/trace.js';
import { parseArgs, UsageError } from './args.js';
import { BUDGET_FLAGS, BudgetExhausted, budgetOf, unknownVerdict } from './budget.js';
import { checkOutputPath, writeOutputFile, writeStdout } from './io.js';
import { Progress } from './progress.js';

const int = (help: string, k: NumericBound) => ({ kind: 'int', help, min: BOUND_LIMITS[k].min, max: BOUND_LIMITS[k].max }) as const;

export const EXPLORE_FLAGS = {
  profile: { kind: 'string', help: 'server version profile', default: DEFAULT_PROFILE },
  property: { kind: 'string', help: 'the property to check (exhaustive default: every property, in one search)', choices: PROPERTY_IDS },
  crash: { kind: 'string', help: 'crash model', choices: CRASH_MODELS, default: 'kill' },
  mode: { kind: 'string', help: 'random (fast-check, shrinking) or exhaustive (breadth-first, shortest)', choices: ['random', 'exhaustive'], default: 'exhaustive' },
  seed: { kind: 'int', help: `random: the seed (default ${DEFAULT_SEED})`, min: -2147483648, max: 2147483647 },
  runs: { kind: 'int', help: `random: number of runs (default ${DEFAULT_RANDOM_RUNS})`, min: 1, max: 10_000_000 },
  path: { kind: 'string', help: 'random: replay a fast-check path printed with a counterexample' },
  depth: int('most actions in one run (exhaustive default: none, the search runs to its fixpoint; random 24)', 'depth'),
  'max-msgs': int('most messages stored in one run (exhaustive default 2, random 6)', 'maxMsgs'),
  'max-crashes': int('most crashes in one run (exhaustive default 1, random 4)', 'maxCrashes'),
  consumers: int('number of consumers (default 1)', 'consumers'),
  'block-size-bytes': int('block size (default 128: two 43-byte records per block)', 'blockSizeBytes'),
  'reorder-window': int('power-loss:posix: newest in-flight operations a power loss may keep in any combination (default 4)', 'reorderWindow'),
  'sync-always': { kind: 'boolean', help: 'the stream runs with jetstream { sync: always } (fsync after every block write, O_SYNC o.dat)' },
  retention: { kind: 'string', help: 'the explored stream\'s retention (default workqueue)', choices: ['workqueue', 'interest', 'limits'] },
  'max-starts': int(`exhaustive: most completed starts in one run (default max-crashes + ${EXTRA_STARTS})`, 'maxStarts'),
  'max-redeliveries': int(`exhaustive: most redeliveries in one run (default ${DEFAULT_MAX_REDELIVERIES})`, 'maxRedeliveries'),
  workers: { kind: 'int', help: `exhaustive: worker threads (default the number of cores, ${availableParallelism()})`, min: 1, max: 64 },
  'verify-fingerprints': { kind: 'boolean', help: 'exhaustive, test mode: keep every full canonical state and fail if two distinct states share a fingerprint' },
  out: { kind: 'string', help: 'where to write the counterexample trace (default out/counterexamples/...)' },
  json: { kind: 'boolean', help: 'print one JSON object' },
  ...BUDGET_FLAGS,
} as const;

export const EXPLORE_USAGE = `explore [--property P] [--profile P] [--crash ${CRASH_MODELS.join('|')}] [--mode random|exhaustive] [--seed N] [--runs N] [--path P] [--depth N] [--max-msgs N] [--max-crashes N] [--consumers N] [--block-size-bytes N] [--reorder-window N] [--sync-always] [--retention workqueue|interest|limits] [--max-starts N] [--max-redeliveries N] [--workers N] [--verify-fingerprints] [--max-states N] [--max-seconds N] [--out FILE] [--json]`;

/** A fast-check replay path, as printed with a counterexample: numbers separated by ':'. */
const FC_PATH = /^\d{1,9}(:\d{1,9}){0,999}$/;

export function defaultTracePath(profile: string, property: string, crash: string, mode: string): string {
  return `out/counterexamples/${profile}_${property}_${crash.replace(':', '-')}_${mode}.json`;
}

/** Write a counterexample trace; `option` names the flag that chose the path, for errors. */
export function writeTrace(file: string, text: string, option = '--out', createDir = false): void {
  writeOutputFile(option, file, text, createDir);
}

export function replayCommand(file: string): string {
  return `npx tsx cli/main.ts replay ${file}`;
}

export function boundsDescription(b: ExploreBounds, crash: CrashModel): string {
  const parts = [b.depth === null ? 'no depth bound' : `depth ≤ ${b.depth}`, `≤ ${b.maxMsgs} msg${b.maxMsgs === 1 ? '' : 's'}`, `≤ ${b.maxCrashes} crash${b.maxCrashes === 1 ? '' : 'es'}`, `${b.consumers} consumer${b.consumers === 1 ? '' : 's'}`, `${b.blockSizeBytes}-byte blocks`];
  if (b.maxStarts !== undefined) parts.push(`≤ ${b.maxStarts} starts`);
  if (b.maxRedeliveries !== undefined) parts.push(`≤ ${b.maxRedeliveries} redeliver${b.maxRedeliveries === 1 ? 'y' : 'ies'}`);
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
    stats: statsJson(result, seconds),
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

/** The search's figures, for JSON reports. */
export function statsJson(result: ExploreResult, seconds: number): Record<string, unknown> {
  const s = result.stats;
  return {
    statesGenerated: s.statesGenerated,
    distinctStates: s.distinctStates,
    depth: s.depth,
    runs: s.runs,
    ...(s.complete !== undefined ? { transitions: s.transitions, maxDepth: s.depth, complete: s.complete, visitedBytes: s.visitedBytes, subsumedStates: s.subsumedStates, workers: s.workers } : {}),
    seconds,
  };
}

function readable(result: ExploreResult, r: PropertyResult, seconds: number, file: string | null): string {
  const req = result.request;
  const lines = [`explore ${req.profile} ${r.property} under ${req.crash}, ${req.mode} search (${boundsDescription(req.bounds, req.crash)}${req.mode === 'random' ? (req.path !== undefined ? `, the run at --path ${req.path}, seed ${req.seed}` : `, ${req.runs} runs, seed ${req.seed}`) : ''})`];
  if (r.verdict === 'violated' && r.counterexample && file) {
    const ce = r.counterexample;
    lines.push(`verdict: VIOLATED: ${ce.message}`);
    lines.push(`cause: ${ce.cause} (${CAUSE_DEFINITIONS[ce.cause]})`);
    lines.push(`${req.mode === 'exhaustive' ? 'shortest' : 'shrunk'} counterexample (${ce.events.length} events):`);
    ce.events.forEach((e, i) => lines.push(`  ${String(i + 1).padStart(2)}. ${describeEvent(e)}${i === ce.failedAt ? '   <- property fails here' : ''}`));
    lines.push(`trace: ${file}`);
    lines.push(`replay: ${replayCommand(file)}`);
    if (req.mode === 'random') lines.push(`seed ${ce.seed}, path ${ce.path}`);
  } else if (req.path !== undefined) {
    lines.push(`verdict: the run at --path ${req.path} does not violate ${r.property} (only that one run was replayed; nothing else is claimed)`);
  } else if (r.verdict === 'holds') {
    lines.push(`verdict: holds within the bounds (precondition "${r.property}" reached ${r.reached} times)`);
  } else {
    lines.push('verdict: VACUOUS: the property\'s precondition was never reached; widen the bounds');
  }
  const s = result.stats;
  lines.push(`stats: ${s.statesGenerated} states generated${s.distinctStates !== null ? `, ${s.distinctStates} distinct` : ''}, depth ${s.depth}${s.runs !== null ? `, ${s.runs} run${s.runs === 1 ? '' : 's'}` : ''}, ${s.complete ? 'complete (every reachable state within the bounds)' : req.mode === 'exhaustive' ? 'NOT complete (stopped at the depth bound or at the first violation)' : 'not complete (random)'}, file system ${result.fileSystem}, ${seconds.toFixed(1)} s`);
  lines.push(`coverage: ${Object.entries(result.coverage).filter(([k]) => !k.startsWith('crash-point:')).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  const points = Object.keys(result.coverage).filter((k) => k.startsWith('crash-point:')).length;
  lines.push(`crash points explored: ${points} distinct`);
  return lines.join('\n');
}

function bounds(mode: Mode, f: Record<string, unknown>): ExploreBounds {
  const d = mode === 'random' ? DEFAULT_RANDOM_BOUNDS : DEFAULT_EXHAUSTIVE_BOUNDS;
  const pick = (k: string, dv: number) => (f[k] as number | undefined) ?? dv;
  const maxCrashes = pick('max-crashes', d.maxCrashes);
  return {
    depth: (f.depth as number | undefined) ?? d.depth,
    maxMsgs: pick('max-msgs', d.maxMsgs),
    maxCrashes,
    consumers: pick('consumers', d.consumers),
    blockSizeBytes: pick('block-size-bytes', d.blockSizeBytes),
    reorderWindow: pick('reorder-window', d.reorderWindow),
    retention: (f.retention as Retention | undefined) ?? d.retention ?? 'workqueue',
    syncAlways: f['sync-always'] === true,
    ...(mode === 'exhaustive' ? { maxStarts: pick('max-starts', maxCrashes + EXTRA_STARTS), maxRedeliveries: pick('max-redeliveries', DEFAULT_MAX_REDELIVERIES) } : {}),
  };
}

/** Every property in one exhaustive search: the report of `explore --json` without --property. */
export function allPropertiesJson(result: ExploreResult, seconds: number, files: Readonly<Record<string, string>>): Record<string, unknown> {
  const req = result.request;
  return {
    profile: req.profile,
    crash: req.crash,
    mode: req.mode,
    bounds: req.bounds,
    stats: statsJson(result, seconds),
    properties: result.results.map((r) => ({
      property: r.property,
      verdict: r.verdict,
      preconditionReached: r.reached,
      ...(r.counterexample ? { shortest: r.counterexample.events.length, message: r.counterexample.message, file: files[r.property] ?? null } : {}),
      ...(r.counterexample ? { cause: r.counterexample.cause } : {}),
      causes: r.causes.map((c) => ({ cause: c.cause, length: c.events.length, message: c.message, events: c.events })),
    })),
    coverage: result.coverage,
  };
}

function allPropertiesReadable(result: ExploreResult, seconds: number, files: Readonly<Record<string, string>>): string {
  const req = result.request;
  const s = result.stats;
  const lines = [`explore ${req.profile}, every property, under ${req.crash}, exhaustive (${boundsDescription(req.bounds, req.crash)})`];
  for (const r of result.results) {
    if (r.verdict === 'violated') {
      lines.push(`  ${r.property}: VIOLATED, shortest ${r.counterexample!.events.length} events: ${r.counterexample!.message}`);
      for (const c of r.causes) lines.push(`      cause ${c.cause}: shortest ${c.events.length} events`);
      if (files[r.property]) lines.push(`      replay: ${replayCommand(files[r.property]!)}`);
    } else lines.push(`  ${r.property}: ${r.verdict}${r.verdict === 'holds' ? ` (precondition reached ${r.reached} times)` : ''}`);
  }
  lines.push(`state space: ${s.distinctStates} distinct states (${s.subsumedStates ?? 0} more subsumed), ${s.transitions} transitions, max depth ${s.depth}, ${s.complete ? 'complete' : 'NOT complete'}; ${s.workers} worker${s.workers === 1 ? '' : 's'}, ${seconds.toFixed(1)} s`);
  return lines.join('\n');
}

export function runExploreCommand(argv: readonly string[], profileName: (p: string | undefined) => string): number {
  const { flags, positional } = parseArgs(argv, EXPLORE_FLAGS);
  if (positional.length > 0) throw new UsageError(`explore takes no positional argument, got "${positional[0]}"`);
  const mode = flags.mode as Mode;
  if (!flags.property && mode === 'random') throw new UsageError(`option --property is required with --mode random (one of ${PROPERTY_IDS.join(', ')})`);
  if (mode === 'exhaustive') {
    for (const k of ['seed', 'runs', 'path'] as const) if (flags[k] !== undefined) throw new UsageError(`option --${k} applies to --mode random only`);
  } else {
    for (const k of ['max-starts', 'max-redeliveries', 'workers'] as const) if (flags[k] !== undefined) throw new UsageError(`option --${k} applies to --mode exhaustive only`);
    if (flags['verify-fingerprints']) throw new UsageError('option --verify-fingerprints applies to --mode exhaustive only');
  }
  if (!flags.property && flags.out !== undefined) throw new UsageError('option --out needs --property (without it every counterexample is written under out/counterexamples/)');
  const crash = flags.crash as CrashModel;
  if (flags['reorder-window'] !== undefined && crash !== 'power-loss:posix') throw new UsageError('option --reorder-window applies to --crash power-loss:posix only');
  if (flags.path !== undefined && !FC_PATH.test(flags.path)) throw new UsageError('option --path: must be a fast-check path as printed with a counterexample (numbers separated by ":", e.g. 12:0:3)');
  if (flags.path !== undefined && flags.runs !== undefined) throw new UsageError('option --runs does not apply with --path (the path replays one run)');
  if (flags.out !== undefined) checkOutputPath('--out', flags.out);
  const profile = profileName(flags.profile);
  const b = bounds(mode, flags as Record<string, unknown>);
  const streamError = exploredStreamError(b);
  if (streamError) throw new UsageError(streamError);
  const progress = new Progress(flags.json);
  const started = performance.now();
  const budget = budgetOf(flags);
  let result: ExploreResult;
  try {
    result = explore({
      profile,
      properties: flags.property ? [flags.property as PropertyId] : PROPERTY_IDS,
      crash,
      mode,
      bounds: b,
      seed: flags.seed ?? DEFAULT_SEED,
      // A path names one run (and its shrink steps): fast-check replays it and nothing more only with numRuns 1.
      runs: flags.path !== undefined ? 1 : (flags.runs ?? DEFAULT_RANDOM_RUNS),
      ...(flags.path !== undefined ? { path: flags.path } : {}),
      stopEarly: flags.property !== undefined,
      byCause: flags.property === undefined,
      workers: flags.workers ?? availableParallelism(),
      verifyFingerprints: flags['verify-fingerprints'],
      onProgress: (t) => progress.update(t),
      budget,
    });
  } catch (e) {
    progress.done();
    if (!(e instanceof BudgetExhausted)) throw e;
    const seconds = (performance.now() - started) / 1000;
    const what = flags.property ?? 'every property';
    const head = `explore ${profile} ${what} under ${crash}, ${mode} search (${boundsDescription(b, crash)})`;
    const claim = 'the search did not finish: no claim is made about the property (raise --max-states, or narrow the bounds)';
    writeStdout(
      flags.json
        ? JSON.stringify({ profile, property: flags.property ?? null, crash, fileSystem: crashFileSystem(crash), mode, verdict: 'unknown', complete: false, reason: e.message, bounds: { ...b, ...(mode === 'random' ? { runs: flags.runs ?? DEFAULT_RANDOM_RUNS, seed: flags.seed ?? DEFAULT_SEED } : {}) }, budget: budget.limits, stats: { statesGenerated: e.states, seconds: Number(seconds.toFixed(3)) } }, null, 2)
        : [head, `verdict: ${unknownVerdict(e)}`, claim, `stats: ${e.states} states generated, ${seconds.toFixed(1)} s`].join('\n'),
    );
    return 0;
  }
  progress.done();
  const seconds = (performance.now() - started) / 1000;
  if (!flags.property) {
    const files: Record<string, string> = {};
    for (const r of result.results) {
      if (!r.counterexample) continue;
      files[r.property] = defaultTracePath(profile, r.property, crash, mode);
      writeTrace(files[r.property]!, serializeTrace(r.counterexample.trace), '--out', true);
    }
    writeStdout(flags.json ? JSON.stringify(allPropertiesJson(result, Number(seconds.toFixed(3)), files), null, 2) : allPropertiesReadable(result, seconds, files));
    return 0;
  }
  const r = result.results[0]!;
  let file: string | null = null;
  if (r.counterexample) {
    file = flags.out ?? defaultTracePath(profile, r.property, crash, mode);
    writeTrace(file, serializeTrace(r.counterexample.trace), '--out', flags.out === undefined);
  }
  writeStdout(flags.json ? JSON.stringify(reportJson(result, r, Number(seconds.toFixed(3)), file), null, 2) : readable(result, r, seconds, file));
  return 0;
}
