/**
 * `check` (npm start): the default check. Every property under `kill` and
 * `power-loss:ordered`, exhaustive within the default bounds, printed as a table
 * (property × crash model → verdict, shortest length, states, seconds); each counterexample
 * is written as a trace under out/check/.
 */
import { join } from 'node:path';
import type { CrashModel } from '../properties/alphabet.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS, explore, type ExploreResult } from '../properties/explore.js';
import { PROPERTY_IDS } from '../properties/invariants.js';
import { DEFAULT_PROFILE } from '../model/profile.js';
import { serializeTrace } from '../traces/trace.js';
import { parseArgs, UsageError } from './args.js';
import { BUDGET_FLAGS, BudgetExhausted, budgetOf, unknownVerdict } from './budget.js';
import { replayCommand, writeTrace } from './explore.js';
import { makeOutputDir, writeStdout } from './io.js';
import { Progress } from './progress.js';

export const CHECK_CRASH_MODELS: readonly CrashModel[] = ['kill', 'power-loss:ordered'];
export const CHECK_OUT_DIR = 'out/check';

export const CHECK_FLAGS = {
  profile: { kind: 'string', help: 'server version profile', default: DEFAULT_PROFILE },
  out: { kind: 'string', help: `folder for counterexample traces (default ${CHECK_OUT_DIR})`, default: CHECK_OUT_DIR },
  json: { kind: 'boolean', help: 'print the matrix as JSON' },
  ...BUDGET_FLAGS,
} as const;

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
  /** Null when the search ran out of budget (then `exhausted` says after how many states). */
  readonly result: ExploreResult | null;
  readonly exhausted: BudgetExhausted | null;
  readonly seconds: number;
}

/** Run the default check; the caller decides what to print. */
export function runCheck(profile: string, onProgress?: (text: string) => void, budgetFlags: Parameters<typeof budgetOf>[0] = {}): CheckRun[] {
  return CHECK_CRASH_MODELS.map((crash) => {
    const started = performance.now();
    try {
    const result = explore({
      profile,
      properties: PROPERTY_IDS,
      crash,
      mode: 'exhaustive',
      bounds: DEFAULT_EXHAUSTIVE_BOUNDS,
      seed: 0,
      runs: 0,
      stopEarly: false,
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
        rows.push({ property, crash: run.crash, verdict: 'unknown', shortest: null, message: run.exhausted ? unknownVerdict(run.exhausted) : null, file: null });
        continue;
      }
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
    `default check: profile ${profile}, exhaustive, depth ≤ ${DEFAULT_EXHAUSTIVE_BOUNDS.depth}, ≤ ${DEFAULT_EXHAUSTIVE_BOUNDS.maxMsgs} msgs, ≤ ${DEFAULT_EXHAUSTIVE_BOUNDS.maxCrashes} crash, ${DEFAULT_EXHAUSTIVE_BOUNDS.consumers} consumer, ${DEFAULT_EXHAUSTIVE_BOUNDS.blockSizeBytes}-byte blocks`,
    '',
    line(head),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...body.map(line),
    '',
    ...runs.map((r) => (r.result ? `${r.crash}: ${r.result.stats.statesGenerated} states generated, ${r.result.stats.distinctStates} distinct, ${r.seconds.toFixed(1)} s` : `${r.crash}: ${unknownVerdict(r.exhausted!)}, ${r.seconds.toFixed(1)} s: no claim is made under this crash model`)),
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
  const runs = runCheck(profile, (t) => progress.update(t), flags);
  progress.done();
  const rows = checkRows(runs, flags.out!);
  if (rows.some((r) => r.file)) makeOutputDir('--out', flags.out!);
  for (const run of runs) {
    for (const r of run.result?.results ?? []) {
      const row = rows.find((x) => x.property === r.property && x.crash === run.crash)!;
      if (r.counterexample && row.file) writeTrace(row.file, serializeTrace(r.counterexample.trace), '--out');
    }
  }
  if (flags.json) {
    const json = {
      profile,
      bounds: DEFAULT_EXHAUSTIVE_BOUNDS,
      rows,
      runs: runs.map((r) =>
        r.result
          ? { crash: r.crash, statesGenerated: r.result.stats.statesGenerated, distinctStates: r.result.stats.distinctStates, depth: r.result.stats.depth, seconds: Number(r.seconds.toFixed(3)), coverage: r.result.coverage }
          : { crash: r.crash, verdict: 'unknown', reason: r.exhausted!.message, statesGenerated: r.exhausted!.states, seconds: Number(r.seconds.toFixed(3)) },
      ),
    };
    writeStdout(JSON.stringify(json, null, 2));
  } else {
    writeStdout(table(rows, runs, profile));
  }
  return 0;
}
