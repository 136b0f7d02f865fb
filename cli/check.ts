/**
 * `check` (npm start): the default check. Every property under `kill` and
 * `power-loss:ext4`, each crash model one exhaustive search of every property at once
 * within the default bounds (to the fixpoint under `kill`, to CHECK_POWER_LOSS_DEPTH under
 * power loss), printed as a table
 * (property × crash model → verdict, and for a violation the shortest length of each cause)
 * with the state space of each search; each cause's shortest counterexample is written as a
 * trace under out/check/.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { CrashModel, ExploreBounds } from '../properties/alphabet.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS, explore, type ExploreResult } from '../properties/explore.js';
import { PROPERTY_IDS } from '../properties/invariants.js';
import { DEFAULT_PROFILE } from '../model/profile.js';
import { serializeTrace } from '../traces/trace.js';
import { parseArgs, UsageError } from './args.js';
import { CAUSE_DEFINITIONS, CAUSES, type Cause } from '../properties/causes.js';
import type { Retention } from '../model/config.js';
import { BUDGET_FLAGS, BudgetExhausted, budgetOf, unknownVerdict } from './budget.js';
import { boundsDescription, replayCommand, writeTrace } from './explore.js';
import { makeOutputDir, writeStdout } from './io.js';
import { Progress } from './progress.js';

export const CHECK_CRASH_MODELS: readonly CrashModel[] = ['kill', 'power-loss:ext4'];
export const CHECK_OUT_DIR = 'out/check';

export const CHECK_FLAGS = {
  profile: { kind: 'string', help: 'server version profile', default: DEFAULT_PROFILE },
  out: { kind: 'string', help: `folder for counterexample traces (default ${CHECK_OUT_DIR})`, default: CHECK_OUT_DIR },
  json: { kind: 'boolean', help: 'print the matrix as JSON' },
  'sync-always': { kind: 'boolean', help: 'the stream runs with jetstream { sync: always }' },
  retention: { kind: 'string', help: 'the explored stream\'s retention (default workqueue)', choices: ['workqueue', 'interest', 'limits'] },
  workers: { kind: 'int', help: `worker threads (default the number of cores, ${availableParallelism()})`, min: 1, max: 64 },
  ...BUDGET_FLAGS,
} as const;

/** The stream options of the check (the bounds are otherwise the default exhaustive bounds). */
export interface CheckStream {
  readonly syncAlways?: boolean;
  readonly retention?: Retention;
}

/**
 * The check's depth bounds. Under `kill` none: at the default bounds (2 messages, 1 crash, 3
 * starts, 1 redelivery) the space closes at 112,505 distinct states and 647,289
 * transitions (depth 22, about 2 minutes on 2 cores), so the check reports `complete: true`
 * there; the complete search also finds a violation deeper than the previous depth 9 (the
 * stale ack past the pointer, 11 events: cause `ack-past-pointer`). Under power loss depth 7:
 * each power loss branches into every disk the file system allows, and the space at 2
 * messages is out of reach (at 1 message alone its fixpoint has 1.5 million transitions, see
 * properties/matrix.ts); depth 7 holds every shortest counterexample the previous engine reported
 * (8 events), and the check says that search is not complete.
 */
export const CHECK_KILL_DEPTH: number | null = null;
export const CHECK_POWER_LOSS_DEPTH = 7;

/** The default check's bounds under a crash model (the default exhaustive bounds, with the stream options). */
export function checkBounds(crash: CrashModel, stream: CheckStream = {}): ExploreBounds {
  return {
    ...DEFAULT_EXHAUSTIVE_BOUNDS,
    depth: crash === 'kill' ? CHECK_KILL_DEPTH : CHECK_POWER_LOSS_DEPTH,
    ...(stream.syncAlways !== undefined ? { syncAlways: stream.syncAlways } : {}),
    ...(stream.retention ? { retention: stream.retention } : {}),
  };
}

export interface CheckRow {
  readonly property: string;
  readonly crash: CrashModel;
  readonly verdict: string;
  readonly shortest: number | null;
  readonly message: string | null;
  readonly file: string | null;
  /** The cause of the shortest counterexample. */
  readonly cause: Cause | null;
  /** Every cause found, with its shortest length and trace file, shortest first. */
  readonly causes: readonly { readonly cause: Cause; readonly length: number; readonly message: string; readonly file: string }[];
}

export interface CheckRun {
  readonly crash: CrashModel;
  /** Null when the search ran out of budget (then `exhausted` says after how many states). */
  readonly result: ExploreResult | null;
  readonly exhausted: BudgetExhausted | null;
  readonly seconds: number;
}

/** Run the default check; the caller decides what to print. */
export function runCheck(profile: string, onProgress?: (text: string) => void, stream: CheckStream = {}, workers = availableParallelism(), budgetFlags: Parameters<typeof budgetOf>[0] = {}): CheckRun[] {
  return CHECK_CRASH_MODELS.map((crash) => {
    const started = performance.now();
    try {
      const result = explore({
        profile,
        properties: PROPERTY_IDS,
        crash,
        mode: 'exhaustive',
        bounds: checkBounds(crash, stream),
        seed: 0,
        runs: 0,
        stopEarly: false,
        byCause: true,
        workers,
        onProgress: (t) => onProgress?.(`${crash}: ${t}`),
        budget: budgetOf(budgetFlags),
      });
      return { crash, result, exhausted: null, seconds: (performance.now() - started) / 1000 };
    } catch (e) {
      if (!(e instanceof BudgetExhausted)) throw e;
      return { crash, result: null, exhausted: e, seconds: (performance.now() - started) / 1000 };
    }
  });
}

export function checkRows(runs: readonly CheckRun[], outDir: string): CheckRow[] {
  const rows: CheckRow[] = [];
  for (const property of PROPERTY_IDS) {
    for (const run of runs) {
      if (!run.result) {
        rows.push({ property, crash: run.crash, verdict: 'unknown', shortest: null, message: run.exhausted ? unknownVerdict(run.exhausted) : null, file: null, cause: null, causes: [] });
        continue;
      }
      const r = run.result.results.find((x) => x.property === property)!;
      const fileOf = (cause: Cause) => join(outDir, `${run.crash.replace(':', '-')}_${property}_${cause}.json`);
      const causes = r.causes.map((c) => ({ cause: c.cause, length: c.events.length, message: c.message, file: fileOf(c.cause) }));
      const cause = r.counterexample?.cause ?? null;
      rows.push({ property, crash: run.crash, verdict: r.verdict, shortest: r.counterexample?.events.length ?? null, message: r.counterexample?.message ?? null, file: cause ? fileOf(cause) : null, cause, causes });
    }
  }
  return rows;
}

function table(rows: readonly CheckRow[], runs: readonly CheckRun[], profile: string, stream: CheckStream): string {
  const head = ['property', ...CHECK_CRASH_MODELS];
  const cell = (r: CheckRow) => (r.verdict === 'violated' ? `VIOLATED: ${(r.causes.length ? r.causes : [{ cause: r.cause, length: r.shortest }]).map((c) => `${c.cause} ${c.length}`).join(', ')}` : r.verdict);
  const body = PROPERTY_IDS.map((p) => [p, ...CHECK_CRASH_MODELS.map((c) => cell(rows.find((r) => r.property === p && r.crash === c)!))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [
    `default check: profile ${profile}, exhaustive, every property in one search per crash model`,
    ...runs.map((r) => `  ${r.crash}: ${boundsDescription(checkBounds(r.crash, stream), r.crash)}`),
    'a violation lists each cause found with its shortest counterexample length (events); removal-window and empty-block count against the removal protocol, unsynced-data is loss the sync policy allows',
    '',
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    '',
    ...runs.map((r) => (r.result ? `${r.crash}: ${r.result.stats.distinctStates} distinct states, ${r.result.stats.transitions} transitions, max depth ${r.result.stats.depth}, ${r.result.stats.complete ? 'complete' : 'NOT complete'}, ${r.seconds.toFixed(1)} s` : `${r.crash}: ${unknownVerdict(r.exhausted!)}, ${r.seconds.toFixed(1)} s: no claim is made under this crash model`)),
  ];
  const violated = rows.filter((r) => r.causes.length > 0);
  if (violated.length > 0) {
    out.push('', 'counterexamples (shortest of each cause):');
    for (const r of violated) for (const c of r.causes) out.push(`  ${r.property} under ${r.crash}, ${c.cause}: ${c.message}`, `    ${replayCommand(c.file)}`);
  }
  out.push('', 'causes:', ...CAUSES.map((c) => `  ${c}: ${CAUSE_DEFINITIONS[c]}`));
  return out.join('\n');
}

export function runCheckCommand(argv: readonly string[], profileName: (p: string | undefined) => string): number {
  const { flags, positional } = parseArgs(argv, CHECK_FLAGS);
  if (positional.length > 0) throw new UsageError(`corpus takes no positional argument, got "${positional[0]}"`);
  const profile = profileName(flags.profile);
  const progress = new Progress(flags.json);
  const stream: CheckStream = { syncAlways: flags['sync-always'], ...(flags.retention ? { retention: flags.retention as Retention } : {}) };
  const runs = runCheck(profile, (t) => progress.update(t), stream, flags.workers ?? availableParallelism(), flags);
  progress.done();
  const rows = checkRows(runs, flags.out!);
  if (rows.some((r) => r.file)) makeOutputDir('--out', flags.out!);
  for (const run of runs) {
    for (const r of run.result?.results ?? []) {
      const row = rows.find((x) => x.property === r.property && x.crash === run.crash)!;
      for (const c of r.causes) writeTrace(row.causes.find((x) => x.cause === c.cause)!.file, serializeTrace(c.trace), '--out');
    }
  }
  if (flags.json) {
    const json = {
      profile,
      bounds: checkBounds('kill', stream),
      rows,
      runs: runs.map((r) =>
        r.result
          ? { crash: r.crash, fileSystem: r.result.fileSystem, bounds: r.result.request.bounds, complete: r.result.stats.complete, statesGenerated: r.result.stats.statesGenerated, distinctStates: r.result.stats.distinctStates, transitions: r.result.stats.transitions, depth: r.result.stats.depth, seconds: Number(r.seconds.toFixed(3)), coverage: r.result.coverage }
          : { crash: r.crash, bounds: checkBounds(r.crash, stream), verdict: 'unknown', complete: false, reason: r.exhausted!.message, statesGenerated: r.exhausted!.states, seconds: Number(r.seconds.toFixed(3)) },
      ),
    };
    writeStdout(JSON.stringify(json, null, 2));
  } else {
    writeStdout(table(rows, runs, profile, stream));
  }
  return 0;
}
