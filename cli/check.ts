/**
 * `check` (npm start): the default check. Every property under `kill` and
 * `power-loss:ordered`, each crash model one exhaustive search of every property at once,
 * run to its fixpoint within the default bounds (complete, not depth-capped), printed as a
 * table (property × crash model → verdict, shortest length) with the state space of each
 * search; each counterexample is written as a trace under out/check/.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { CrashModel, ExploreBounds } from '../properties/alphabet.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS, DEPTH9_BOUNDS, explore, type ExploreResult } from '../properties/explore.js';
import { PROPERTY_IDS } from '../properties/invariants.js';
import { DEFAULT_PROFILE } from '../model/profile.js';
import { serializeTrace } from '../traces/trace.js';
import { parseArgs, UsageError } from './args.js';
import { boundsDescription, replayCommand, writeTrace } from './explore.js';
import { Progress } from './progress.js';

export const CHECK_CRASH_MODELS: readonly CrashModel[] = ['kill', 'power-loss:ordered'];
export const CHECK_OUT_DIR = 'out/check';

export const CHECK_FLAGS = {
  profile: { kind: 'string', help: 'server version profile', default: DEFAULT_PROFILE },
  out: { kind: 'string', help: `folder for counterexample traces (default ${CHECK_OUT_DIR})`, default: CHECK_OUT_DIR },
  json: { kind: 'boolean', help: 'print the matrix as JSON' },
  workers: { kind: 'int', help: `worker threads (default the number of cores, ${availableParallelism()})`, min: 1, max: 64 },
} as const;

/**
 * The default check's bounds, per crash model. Under `kill` the search runs to its fixpoint
 * (complete: 172,082 states at these bounds). Under power loss the space at 2 messages is
 * still too large for a few minutes (it keeps doubling past depth 10), so that search keeps
 * the previous depth bound and says it is not complete.
 */
export const CHECK_BOUNDS: Readonly<Record<CrashModel, ExploreBounds>> = {
  kill: DEFAULT_EXHAUSTIVE_BOUNDS,
  'power-loss:synced': DEPTH9_BOUNDS,
  'power-loss:ordered': DEPTH9_BOUNDS,
  'power-loss:reordered': DEPTH9_BOUNDS,
};

export interface CheckRow {
  readonly property: string;
  readonly crash: CrashModel;
  readonly verdict: string;
  readonly shortest: number | null;
  readonly message: string | null;
  readonly file: string | null;
}

export interface CheckRun {
  readonly crash: CrashModel;
  readonly result: ExploreResult;
  readonly seconds: number;
}

/** Run the default check; the caller decides what to print. */
export function runCheck(profile: string, onProgress?: (text: string) => void, workers = availableParallelism()): CheckRun[] {
  return CHECK_CRASH_MODELS.map((crash) => {
    const started = performance.now();
    const result = explore({
      profile,
      properties: PROPERTY_IDS,
      crash,
      mode: 'exhaustive',
      bounds: CHECK_BOUNDS[crash],
      seed: 0,
      runs: 0,
      stopEarly: false,
      workers,
      onProgress: (t) => onProgress?.(`${crash}: ${t}`),
    });
    return { crash, result, seconds: (performance.now() - started) / 1000 };
  });
}

export function checkRows(runs: readonly CheckRun[], outDir: string): CheckRow[] {
  const rows: CheckRow[] = [];
  for (const property of PROPERTY_IDS) {
    for (const run of runs) {
      const r = run.result.results.find((x) => x.property === property)!;
      const file = r.counterexample ? join(outDir, `${run.crash.replace(':', '-')}_${property}.json`) : null;
      rows.push({ property, crash: run.crash, verdict: r.verdict, shortest: r.counterexample?.events.length ?? null, message: r.counterexample?.message ?? null, file });
    }
  }
  return rows;
}

function table(rows: readonly CheckRow[], runs: readonly CheckRun[], profile: string): string {
  const head = ['property', ...CHECK_CRASH_MODELS];
  const cell = (r: CheckRow) => (r.verdict === 'violated' ? `VIOLATED (${r.shortest} events)` : r.verdict);
  const body = PROPERTY_IDS.map((p) => [p, ...CHECK_CRASH_MODELS.map((c) => cell(rows.find((r) => r.property === p && r.crash === c)!))]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [
    `default check: profile ${profile}, exhaustive, every property in one search per crash model`,
    ...CHECK_CRASH_MODELS.map((c) => `  ${c}: ${boundsDescription(CHECK_BOUNDS[c], c)}`),
    '',
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    '',
    ...runs.map((r) => `${r.crash}: ${r.result.stats.distinctStates} distinct states, ${r.result.stats.transitions} transitions, max depth ${r.result.stats.depth}, ${r.result.stats.complete ? 'complete' : 'NOT complete'}, ${r.seconds.toFixed(1)} s`),
  ];
  const violated = rows.filter((r) => r.file);
  if (violated.length > 0) {
    out.push('', 'counterexamples (shortest):');
    for (const r of violated) out.push(`  ${r.property} under ${r.crash}: ${r.message}`, `    ${replayCommand(r.file!)}`);
  }
  return out.join('\n');
}

export function runCheckCommand(argv: readonly string[], profileName: (p: string | undefined) => string): number {
  const { flags, positional } = parseArgs(argv, CHECK_FLAGS);
  if (positional.length > 0) throw new UsageError(`check takes no positional argument, got "${positional[0]}"`);
  const profile = profileName(flags.profile);
  const progress = new Progress(flags.json);
  const runs = runCheck(profile, (t) => progress.update(t), flags.workers ?? availableParallelism());
  progress.done();
  const rows = checkRows(runs, flags.out!);
  for (const run of runs) {
    for (const r of run.result.results) {
      const row = rows.find((x) => x.property === r.property && x.crash === run.crash)!;
      if (r.counterexample && row.file) writeTrace(row.file, serializeTrace(r.counterexample.trace));
    }
  }
  if (flags.json) {
    const json = {
      profile,
      bounds: CHECK_BOUNDS,
      rows,
      runs: runs.map((r) => ({ crash: r.crash, bounds: CHECK_BOUNDS[r.crash], statesGenerated: r.result.stats.statesGenerated, distinctStates: r.result.stats.distinctStates, transitions: r.result.stats.transitions, depth: r.result.stats.depth, complete: r.result.stats.complete, seconds: Number(r.seconds.toFixed(3)), coverage: r.result.coverage })),
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  } else {
    process.stdout.write(`${table(rows, runs, profile)}\n`);
  }
  return 0;
}
