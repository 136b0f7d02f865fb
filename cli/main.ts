#!/usr/bin/env node
/**
 * The command-line front end. Every command validates its input and reports a problem as
 * one line on stderr with exit code 2; a model invariant failure (a bug in the model) exits 3.
 */
import { DEFAULT_PROFILE, getProfile } from '../model/profile.js';
import { ModelInvariantError } from '../model/assert.js';
import { ScenarioError } from '../scenarios/types.js';
import { builtinScenarioFiles } from '../scenarios/builtin.js';
import { flagHelp, parseArgs, UsageError } from './args.js';
import { formatScenarioOutput, replayScenarioFile } from './scenario.js';
import { EXPLORE_FLAGS, EXPLORE_USAGE, runExploreCommand } from './explore.js';
import { MATRIX_FLAGS, MATRIX_USAGE, runMatrixCommand } from './matrix.js';
import { CHECK_FLAGS, runCheckCommand } from './check.js';
import { REPLAY_FLAGS, REPLAY_USAGE, runReplayCommand } from './replay.js';
import { DIAGRAM_SUMMARY, DIAGRAM_USAGE, runDiagramCommand } from './diagram.js';
import { TraceError } from '../traces/validate.js';
import { IMAGE_USAGE, runImageCommand } from './image.js';
import { CONFIRM_USAGE, runConfirmCommand } from './confirm.js';
import { CONFORMANCE_REAL_USAGE, runConformanceRealCommand } from './conformance-real.js';
import { formatProfiles, listProfiles } from './profiles.js';

const SCENARIO_FLAGS = {
  profile: { kind: 'string', help: 'server version profile', default: DEFAULT_PROFILE },
  json: { kind: 'boolean', help: 'print the output as JSON (filestore-scenario/1 output)' },
} as const;

interface Command {
  readonly summary: string;
  readonly usage: string;
  run(argv: readonly string[]): number | Promise<number>;
}

function stdout(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

const PROFILES_FLAGS = {
  json: { kind: 'boolean', help: 'print every profile with its flags, PRs and out-of-scope list as JSON' },
} as const;

const COMMANDS: Record<string, Command> = {
  profiles: {
    summary: 'list every server-version profile: its flags, the PRs they model, what is out of scope',
    usage: `profiles [--json]\n${flagHelp(PROFILES_FLAGS)}`,
    run(argv) {
      const { flags, positional } = parseArgs(argv, PROFILES_FLAGS);
      if (positional.length !== 0) throw new UsageError('profiles takes no argument');
      stdout(flags.json ? JSON.stringify(listProfiles(), null, 2) : formatProfiles());
      return 0;
    },
  },
  check: {
    summary: 'the verdict matrix (npm start): every profile and proposed fix, every property, kill and power-loss:ext4, with costs and closure',
    usage: `${MATRIX_USAGE}\n${flagHelp(MATRIX_FLAGS)}`,
    run: (argv) => runMatrixCommand(argv),
  },
  corpus: {
    summary: 'the single-profile default check (npm run corpus): every property under kill and power-loss:ext4 at the default bounds, each cause\'s shortest counterexample written as a trace',
    usage: `corpus [--profile P] [--out DIR] [--json] [--sync-always] [--retention R]\n${flagHelp(CHECK_FLAGS)}`,
    run: (argv) => runCheckCommand(argv, getProfileName),
  },
  explore: {
    summary: 'search for violations of a property (random or exhaustive)',
    usage: `${EXPLORE_USAGE}\n${flagHelp(EXPLORE_FLAGS)}`,
    run: (argv) => runExploreCommand(argv, getProfileName),
  },
  replay: {
    summary: 'replay a trace file: check its observations and its violation; export ITF',
    usage: `${REPLAY_USAGE}\n${flagHelp(REPLAY_FLAGS)}`,
    run: (argv) => runReplayCommand(argv, getProfileName),
  },
  diagram: {
    summary: DIAGRAM_SUMMARY,
    usage: DIAGRAM_USAGE,
    run: (argv) => runDiagramCommand(argv),
  },
  image: {
    summary: "write the model's disk after a step of a trace as a real nats-server store directory",
    usage: IMAGE_USAGE,
    run: (argv) => runImageCommand(argv, getProfileName),
  },
  confirm: {
    summary: 'start a real nats-server on the crash image of a trace and compare it with the model (exit 0 agree, 1 disagree)',
    usage: CONFIRM_USAGE,
    run: (argv) => runConfirmCommand(argv, getProfileName),
  },
  'conformance-real': {
    summary: 'the differential suite: crash images of scenarios, the corpus and sampled search states on real nats-server binaries (npm run conformance:real)',
    usage: CONFORMANCE_REAL_USAGE,
    run: (argv) => runConformanceRealCommand(argv, getProfileName),
  },
  scenario: {
    summary: 'replay a scenario file against the model',
    usage: `scenario FILE [--profile P] [--json]\n${flagHelp(SCENARIO_FLAGS)}`,
    run(argv) {
      const { flags, positional } = parseArgs(argv, SCENARIO_FLAGS);
      if (positional.length !== 1) throw new UsageError(`scenario takes one FILE, got ${positional.length}`);
      const profile = getProfileName(flags.profile);
      const out = replayScenarioFile(positional[0]!, profile);
      stdout(flags.json ? JSON.stringify(out, null, 2) : formatScenarioOutput(out));
      return 0;
    },
  },
  scenarios: {
    summary: 'replay every built-in conformance scenario',
    usage: `scenarios [--profile P] [--json]\n${flagHelp(SCENARIO_FLAGS)}`,
    run(argv) {
      const { flags, positional } = parseArgs(argv, SCENARIO_FLAGS);
      if (positional.length !== 0) throw new UsageError(`scenarios takes no FILE`);
      const profile = getProfileName(flags.profile);
      const outs = builtinScenarioFiles().map((f) => replayScenarioFile(f, profile));
      stdout(flags.json ? JSON.stringify(outs, null, 2) : outs.map(formatScenarioOutput).join('\n\n'));
      return 0;
    },
  },
};

function getProfileName(name: string | undefined): string {
  try {
    return getProfile(name ?? DEFAULT_PROFILE).name;
  } catch (e) {
    throw new UsageError(`option --profile: ${(e as Error).message}`);
  }
}

function usage(): string {
  const lines = ['usage: tsx cli/main.ts COMMAND [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', "Run 'tsx cli/main.ts COMMAND --help' for a command's options.");
  return lines.join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === 'help') {
    stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`error: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')})\n`);
    return 2;
  }
  if (rest.includes('--help')) {
    stdout(`usage: tsx cli/main.ts ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ScenarioError || e instanceof TraceError) {
      process.stderr.write(`error: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ModelInvariantError) {
      process.stderr.write(`error: ${e.message} (a bug in the model; please report it with the input)\n`);
      return 3;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
