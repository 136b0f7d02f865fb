/**
 * `corpus` (npm run corpus): the regression corpus. The single-profile default check of
 * cli/check.ts (every property under `kill` and `power-loss:ext4`, exhaustive within the
 * default bounds, every cause kept) writes the shortest counterexample of each cause as
 * `<crash>_<property>_<cause>.json` under --out (traces/corpus/). These are the traces the
 * corpus test replays, the real-server suite restarts from, and docs/matrix.md reruns under
 * every proposed fix. The verdict matrix (`check`) searches smaller bounds across every profile.
 */
import { DEFAULT_PROFILE } from '../model/profile.js';
import { serializeTrace } from '../traces/trace.js';
import { parseArgs, UsageError } from './args.js';
import { checkRows, runCheck, CHECK_OUT_DIR } from './check.js';
import { replayCommand, writeTrace } from './explore.js';
import { Progress } from './progress.js';

export const CORPUS_FLAGS = {
  profile: { kind: 'string', help: 'server version profile', default: DEFAULT_PROFILE },
  out: { kind: 'string', help: `folder for the counterexample traces (default ${CHECK_OUT_DIR}; npm run corpus: traces/corpus)`, default: CHECK_OUT_DIR },
  json: { kind: 'boolean', help: 'print the rows as JSON' },
} as const;

export const CORPUS_USAGE = 'corpus [--profile P] [--out DIR] [--json]';

export function runCorpusCommand(argv: readonly string[], profileName: (p: string | undefined) => string): number {
  const { flags, positional } = parseArgs(argv, CORPUS_FLAGS);
  if (positional.length > 0) throw new UsageError(`corpus takes no positional argument, got "${positional[0]}"`);
  const profile = profileName(flags.profile);
  const progress = new Progress(flags.json);
  const runs = runCheck(profile, (t) => progress.update(t));
  progress.done();
  const rows = checkRows(runs, flags.out!);
  try {
    for (const run of runs) {
      for (const r of run.result.results) {
        const row = rows.find((x) => x.property === r.property && x.crash === run.crash)!;
        for (const c of r.causes) writeTrace(row.causes.find((x) => x.cause === c.cause)!.file, serializeTrace(c.trace));
      }
    }
  } catch (e) {
    throw new UsageError(`option --out: cannot write traces under "${flags.out}": ${(e as Error).message.split('\n')[0]}`);
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ profile, rows }, null, 2)}\n`);
  } else {
    const files = rows.flatMap((r) => r.causes.map((c) => `  ${r.property} under ${r.crash}, ${c.cause} (${c.length} events): ${replayCommand(c.file)}`));
    process.stdout.write(`${[`corpus of ${profile}: ${files.length} counterexample${files.length === 1 ? '' : 's'}, the shortest of each cause`, ...files].join('\n')}\n`);
  }
  return 0;
}
