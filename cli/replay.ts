/** `replay TRACE`: re-run a trace, check its recorded observations and its violation; export ITF. */
import { replayTrace } from '../traces/replay.js';
import { traceToItf } from '../traces/itf.js';
import { loadTraceFile } from '../traces/validate.js';
import { describeEvent } from '../traces/describe.js';
import { printable } from '../schemas/issues.js';
import { parseArgs, UsageError } from './args.js';
import { checkOutputPath, writeOutputFile, writeStdout } from './io.js';

export const REPLAY_FLAGS = {
  profile: { kind: 'string', help: 'replay under another profile (default: the trace\'s own)' },
  itf: { kind: 'string', help: 'also write the trace as ITF JSON (Quint/Apalache) to this file' },
  json: { kind: 'boolean', help: 'print the result as JSON' },
} as const;

export const REPLAY_USAGE = 'replay TRACE [--profile P] [--itf OUT] [--json]';

/** Exit 0 when the replay matches; a divergence under the trace's own profile is an error (exit 2). */
export function runReplayCommand(argv: readonly string[], profileName: (p: string | undefined) => string): number {
  const { flags, positional } = parseArgs(argv, REPLAY_FLAGS);
  if (positional.length !== 1) throw new UsageError(`replay takes one TRACE file, got ${positional.length}`);
  const file = positional[0]!;
  if (flags.itf !== undefined) checkOutputPath('--itf', flags.itf);
  const trace = loadTraceFile(file);
  const override = flags.profile !== undefined ? profileName(flags.profile) : undefined;
  if (override === undefined) profileName(trace.profile); // the trace's own profile must be known
  const result = replayTrace(trace, override);
  if (flags.itf !== undefined) writeOutputFile('--itf', flags.itf, `${JSON.stringify(traceToItf(trace, file), null, 2)}\n`);
  const ownProfile = override === undefined || override === trace.profile;
  if (result.divergence && ownProfile) {
    const d = result.divergence;
    throw new UsageError(`${printable(file)}: replay diverges at step ${d.step} (${describeEvent(trace.steps[d.step - 1]!.event)}): ${d.field} was ${d.expected}, now ${d.actual}`);
  }
  if (flags.json) {
    writeStdout(JSON.stringify({ file, profile: result.profile, steps: trace.steps.length, divergence: result.divergence, violation: result.violation }, null, 2));
    return 0;
  }
  const lines = [`replay ${printable(file)} (${trace.title}) under ${result.profile}: ${trace.steps.length} steps`];
  lines.push(result.divergence ? `observations diverge at step ${result.divergence.step}: ${result.divergence.field} was ${result.divergence.expected}, now ${result.divergence.actual}` : 'observations: identical to the recorded ones');
  trace.steps.forEach((s, i) => lines.push(`  ${String(i + 1).padStart(2)}. ${describeEvent(s.event)}${trace.violation?.step === i + 1 ? '   <- recorded violation' : ''}`));
  const v = result.violation;
  if (v) lines.push(v.stillViolated ? `violation: ${v.property} still fails, after step ${v.step}: ${v.message}` : `violation: ${v.property} no longer fails under ${result.profile}`);
  if (flags.itf) lines.push(`ITF written to ${printable(flags.itf)}`);
  writeStdout(lines.join('\n'));
  return 0;
}
