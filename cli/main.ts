#!/usr/bin/env node
/**
 * The command-line front end. Every command validates its input and reports a problem as one
 * line on stderr with exit code 2 (bad input, unreadable or unwritable files); a scenario whose
 * results differ from its expectations exits 1; a failure of the model's own invariants (a bug
 * in the model) exits 3. A closed stdout (`| head`) ends the output quietly. `main` runs
 * in-process too (tests): it never exits the process, it returns the exit code.
 */
import { fileURLToPath } from 'node:url';
import { DEFAULT_PROFILE, getProfile } from '../model/profile.js';
import { ModelInvariantError } from '../model/assert.js';
import { ScenarioError } from '../scenarios/types.js';
import { builtinScenarioFiles } from '../scenarios/builtin.js';
import { loadExpectation, mismatches } from '../scenarios/expect.js';
import { loadScenarioFile } from '../scenarios/parse.js';
import { printable } from '../schemas/issues.js';
import { ioProblem, oneLine } from '../schemas/read.js';
import { scenarioTrace } from '../traces/from-scenario.js';
import { serializeTrace } from '../traces/trace.js';
import { MATRIX_FLAGS, MATRIX_USAGE, runMatrixCommand } from './matrix.js';
import { TraceError } from '../traces/validate.js';
import { flagHelp, parseArgs, UsageError } from './args.js';
import { CHECK_FLAGS, runCheckCommand } from './check.js';
import { DIAGRAM_SUMMARY, DIAGRAM_USAGE, runDiagramCommand } from './diagram.js';
import { EXPLORE_FLAGS, EXPLORE_USAGE, runExploreCommand } from './explore.js';
import { checkOutputPath, markStdoutClosed, resetStdout, writeOutputFile, writeStdout } from './io.js';
import { formatProfiles, listProfiles } from './profiles.js';
import { REPLAY_FLAGS, REPLAY_USAGE, runReplayCommand } from './replay.js';
import { formatScenarioOutput, replayScenarioFile } from './scenario.js';
import { IMAGE_USAGE, runImageCommand } from './image.js';
import { CONFIRM_USAGE, runConfirmCommand } from './confirm.js';
import { CONFORMANCE_REAL_USAGE, runConformanceRealCommand } from './conformance-real.js';

export const PROGRAM = 'npx tsx cli/main.ts';

const SCENARIO_FLAGS = {
  profile: { kind: 'string', help: 'server version profile', default: DEFAULT_PROFILE },
  json: { kind: 'boolean', help: 'print the output as JSON (filestore-scenario/1 output)' },
} as const;

const TRACE_FLAGS = {
  profile: { kind: 'string', help: 'server version profile', default: DEFAULT_PROFILE },
  out: { kind: 'string', help: 'the trace file to write (filestore-trace/2)' },
} as const;

interface Command {
  readonly summary: string;
  readonly usage: string;
  run(argv: readonly string[]): number | Promise<number>;
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
      writeStdout(flags.json ? JSON.stringify(listProfiles(), null, 2) : formatProfiles());
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
    usage: `corpus [--profile P] [--out DIR] [--sync-always] [--retention workqueue|interest|limits] [--max-states N] [--max-seconds N] [--json]\n${flagHelp(CHECK_FLAGS)}`,
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
    summary: 'replay a scenario file against the model (and compare it with FILE.expect.json when there is one)',
    usage: `scenario FILE [--profile P] [--json]\n${flagHelp(SCENARIO_FLAGS)}`,
    run(argv) {
      const { flags, positional } = parseArgs(argv, SCENARIO_FLAGS);
      if (positional.length !== 1) throw new UsageError(`scenario takes one FILE, got ${positional.length}`);
      const profile = getProfileName(flags.profile);
      const file = positional[0]!;
      const out = replayScenarioFile(file, profile);
      const expectation = loadExpectation(file);
      const wrong = expectation ? mismatches(out, expectation) : null; // null: none stated for this profile
      if (flags.json) writeStdout(JSON.stringify(out, null, 2));
      else writeStdout([formatScenarioOutput(out), ...(wrong ? [expectationLine(wrong)] : [])].join('\n'));
      return wrong && wrong.length > 0 ? 1 : 0;
    },
  },
  scenarios: {
    summary: 'replay every built-in conformance scenario and compare each with its expectations (exit 1 on a mismatch)',
    usage: `scenarios [--profile P] [--json]\n${flagHelp(SCENARIO_FLAGS)}`,
    run(argv) {
      const { flags, positional } = parseArgs(argv, SCENARIO_FLAGS);
      if (positional.length !== 0) throw new UsageError('scenarios takes no FILE');
      const profile = getProfileName(flags.profile);
      const results = builtinScenarioFiles().map((f) => {
        const output = replayScenarioFile(f, profile);
        const expectation = loadExpectation(f);
        const wrong = expectation ? mismatches(output, expectation) : null;
        return { output, verdict: !wrong ? 'no expectations' : wrong.length ? 'mismatch' : 'match', mismatches: wrong ?? [] };
      });
      const bad = results.filter((r) => r.verdict === 'mismatch').length;
      const matched = results.filter((r) => r.verdict === 'match').length;
      if (flags.json) {
        writeStdout(JSON.stringify(results.map((r) => ({ ...r.output, expectations: r.verdict, mismatches: r.mismatches })), null, 2));
      } else {
        const lines = results.flatMap((r) => [`${r.verdict === 'mismatch' ? 'MISMATCH' : r.verdict === 'match' ? 'match   ' : 'none    '} ${r.output.scenario}`, ...r.mismatches.map((m) => `           ${m}`)]);
        lines.push('', `${results.length} scenarios at ${profile}: ${matched} match their expectations, ${bad} do not${results.length - matched - bad ? `, ${results.length - matched - bad} have none` : ''}`);
        writeStdout(lines.join('\n'));
      }
      return bad > 0 ? 1 : 0;
    },
  },
  trace: {
    summary: 'turn a scenario file into a trace file that replay and diagram read',
    usage: `trace SCENARIO --out TRACE.json [--profile P]\n${flagHelp(TRACE_FLAGS)}`,
    run(argv) {
      const { flags, positional } = parseArgs(argv, TRACE_FLAGS);
      if (positional.length !== 1) throw new UsageError(`trace takes one SCENARIO file, got ${positional.length}`);
      if (flags.out === undefined) throw new UsageError('trace needs --out TRACE.json');
      checkOutputPath('--out', flags.out);
      const profile = getProfileName(flags.profile);
      const file = positional[0]!;
      const trace = scenarioTrace(loadScenarioFile(file), profile, file);
      writeOutputFile('--out', flags.out, serializeTrace(trace));
      const v = trace.violation;
      writeStdout(`wrote ${printable(flags.out)}: ${trace.steps.length} steps${v ? `, ${v.property} breaks after step ${v.step}` : ', no property breaks'}`);
      return 0;
    },
  },
};

function expectationLine(wrong: readonly string[]): string {
  return wrong.length === 0 ? 'expectations: match' : ['expectations: MISMATCH', ...wrong.map((w) => `  ${w}`)].join('\n');
}

function getProfileName(name: string | undefined): string {
  try {
    return getProfile(name ?? DEFAULT_PROFILE).name;
  } catch (e) {
    throw new UsageError(`option --profile: ${printable((e as Error).message)}`);
  }
}

function usage(): string {
  const lines = [`usage: ${PROGRAM} COMMAND [options]`, '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', `Run '${PROGRAM} COMMAND --help' for a command's options.`);
  return lines.join('\n');
}

function isHelp(arg: string): boolean {
  return arg === '--help' || arg === '-h';
}

/** An operating-system error (EISDIR, ENOENT, EACCES, ...), as Node raises it. */
function isSystemError(e: unknown): e is Error & { code: string } {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && /^E[A-Z]+$/.test((e as unknown as { code: string }).code);
}

function fail(line: string): void {
  process.stderr.write(`error: ${oneLine(line)}\n`);
}

/** Run one command line; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  resetStdout();
  const [name, ...rest] = argv;
  if (name === undefined || isHelp(name) || name === 'help') {
    if (name === undefined) process.stderr.write(`${usage()}\n`);
    else writeStdout(usage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    fail(`unknown command ${JSON.stringify(printable(name))} (commands: ${Object.keys(COMMANDS).join(', ')})`);
    return 2;
  }
  if (rest.some(isHelp)) {
    writeStdout(`usage: ${PROGRAM} ${command.usage}`);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ScenarioError || e instanceof TraceError) {
      fail(e.message);
      return 2;
    }
    if (isSystemError(e)) {
      fail(`${ioProblem(e)}${'path' in e && typeof e.path === 'string' ? `: ${printable(e.path)}` : ''}`);
      return 2;
    }
    if (e instanceof ModelInvariantError) {
      fail(`${e.message} (a bug in the model; please report it with the input)`);
      return 3;
    }
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      fail('the input is nested too deeply to process');
      return 2;
    }
    fail(`internal error: ${e instanceof Error ? e.message : String(e)} (a bug; please report it with the input${process.env.FSMODEL_DEBUG ? '' : '; FSMODEL_DEBUG=1 shows the stack'})`);
    if (process.env.FSMODEL_DEBUG && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    return 3;
  }
}

/** Run as a program: a reader that closes stdout ends the output quietly. */
async function runAsProgram(): Promise<void> {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') markStdoutClosed();
    else fail(`cannot write the output: ${ioProblem(e)}`);
  });
  process.exitCode = await main(process.argv.slice(2));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) await runAsProgram();
