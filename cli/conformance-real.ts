/** `conformance-real` (npm run conformance:real): the differential suite against real nats-server binaries. */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { BUILD_SCRIPT, cachedBinaryPath, isReleaseProfile, releaseProfiles, resolveBinary, ServerSetupError } from '../realserver/binaries.js';
import { runSuite, type SuiteReport } from '../realserver/suite.js';
import { flagHelp, parseArgs, UsageError } from './args.js';
import { Progress } from './progress.js';

export const CONFORMANCE_REAL_FLAGS = {
  profile: { kind: 'string', help: 'comma-separated profiles (default: every release profile with a binary in the cache)' },
  server: { kind: 'string', help: 'a binary to use instead of the cached one (with exactly one --profile)' },
  seed: { kind: 'int', min: 0, max: 2 ** 31 - 1, default: 1, help: 'seed of the sampled crash states' },
  sample: { kind: 'int', min: 0, max: 1000, default: 10, help: 'sampled crash states per crash model (kill, power-loss:ext4)' },
  'max-scenario-cases': { kind: 'int', min: 0, max: 10_000, help: 'only the first N scenario crash points (default: all)' },
  concurrency: { kind: 'int', min: 1, max: 16, default: 4, help: 'servers running at once (they mostly wait out AckWait)' },
  out: { kind: 'string', default: 'out/conformance-real', help: 'where disagreements are saved' },
  build: { kind: 'boolean', help: 'build missing release binaries first (realserver/build.sh, one at a time; needs Go)' },
  list: { kind: 'boolean', help: 'print the release profiles (one per line) and exit' },
  json: { kind: 'boolean', help: 'print the reports as JSON' },
} as const;

export const CONFORMANCE_REAL_USAGE = `conformance-real [--profile P[,P...]] [--server PATH] [--seed N] [--sample N] [--max-scenario-cases N] [--concurrency N] [--out DIR] [--build] [--list] [--json]\n${flagHelp(CONFORMANCE_REAL_FLAGS)}`;

export async function runConformanceRealCommand(argv: readonly string[], profileName: (p: string | undefined) => string): Promise<number> {
  const { flags, positional } = parseArgs(argv, CONFORMANCE_REAL_FLAGS);
  if (positional.length !== 0) throw new UsageError('conformance-real takes no positional arguments');
  if (flags.list) {
    process.stdout.write(`${releaseProfiles().join('\n')}\n`);
    return 0;
  }
  const profiles = flags.profile !== undefined ? flags.profile.split(',').map((p) => profileName(p)) : releaseProfiles();
  if (flags.build && flags.server === undefined) {
    const missing = profiles.filter((p) => isReleaseProfile(p) && !existsSync(cachedBinaryPath(p)));
    if (missing.length > 0) {
      const r = spawnSync('bash', [BUILD_SCRIPT, ...missing], { stdio: 'inherit' });
      if (r.status !== 0) throw new UsageError(`building nats-server ${missing.join(', ')} failed (exit ${r.status})`);
    }
  }
  if (flags.server !== undefined && profiles.length !== 1) throw new UsageError('--server needs exactly one --profile');
  const bins = profiles.map((p) => {
    try {
      return { profile: p, bin: resolveBinary(p, flags.server) };
    } catch (e) {
      if (e instanceof ServerSetupError) throw new UsageError(e.message);
      throw e;
    }
  });
  const bar = new Progress(flags.json);
  const progress = (line: string) => bar.update(line);
  const reports: SuiteReport[] = [];
  for (const { profile, bin } of bins) {
    reports.push(
      await runSuite({ profile, binary: bin.path, seed: flags.seed!, samplePerCrash: flags.sample!, ...(flags['max-scenario-cases'] !== undefined ? { maxScenarioCases: flags['max-scenario-cases'] } : {}), concurrency: flags.concurrency!, outDir: flags.out!, progress }),
    );
  }
  bar.done();
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  } else {
    const lines: string[] = [];
    for (const r of reports) {
      const parts = Object.entries(r.bySource).map(([s, x]) => `${s} ${x.agree}/${x.cases}`);
      lines.push(`${r.profile}: ${r.agree} of ${r.cases} crash images agree (${parts.join(', ')}); ${r.known} known disagreement${r.known === 1 ? '' : 's'}, ${r.cases - r.agree - r.known} new`);
      for (const o of r.outcomes.filter((x) => !x.agree)) {
        lines.push(`  ${o.known ? `known (${o.known})` : 'NEW'} disagreement ${o.name} (saved in ${o.saved})`);
        for (const d of o.differences) lines.push(`    ${d}`);
      }
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return reports.every((r) => r.agree + r.known === r.cases) ? 0 : 1;
}
