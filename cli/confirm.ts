/** `confirm TRACE`: the model's crash image on a real nats-server, compared field by field. */
import { loadTraceFile } from '../traces/validate.js';
import { describeEvent } from '../traces/describe.js';
import { defaultImageStep } from '../traces/image/image.js';
import { resolveBinary, ServerSetupError } from '../realserver/binaries.js';
import { confirmImage, formatConfirm } from '../realserver/confirm.js';
import { flagHelp, parseArgs, UsageError } from './args.js';
import { runTrace } from './image.js';

export const CONFIRM_FLAGS = {
  server: { kind: 'string', help: 'the nats-server binary (default: $NATS_SERVER_BIN, else the cached build of the profile\'s version)' },
  step: { kind: 'int', min: 0, max: 1_000_000, help: 'the crash image after the first N events (default: just before the last restart after a crash or stop)' },
  view: { kind: 'string', choices: ['cache', 'durable'], default: 'cache', help: 'cache: a kill (the page cache survives); durable: a power loss keeping nothing in flight' },
  profile: { kind: 'string', help: 'the model\'s profile (default: the trace\'s own)' },
  live: { kind: 'boolean', help: 'drive a real server through the trace\'s client events, kill it, and compare its files with the model\'s page cache' },
  'timeout-ms': { kind: 'int', min: 100, max: 600_000, help: 'how long the server may take to start (default 15000)' },
  json: { kind: 'boolean', help: 'print the result as JSON' },
} as const;

export const CONFIRM_USAGE = `confirm TRACE [--server PATH] [--step N] [--view cache|durable] [--profile P] [--live] [--timeout-ms N] [--json]\n${flagHelp(CONFIRM_FLAGS)}`;

export async function runConfirmCommand(argv: readonly string[], profileName: (p: string | undefined) => string): Promise<number> {
  const { flags, positional } = parseArgs(argv, CONFIRM_FLAGS);
  if (positional.length !== 1) throw new UsageError(`confirm takes one TRACE file, got ${positional.length}`);
  const file = positional[0]!;
  const trace = loadTraceFile(file);
  const profile = profileName(flags.profile ?? trace.profile);
  const run = runTrace(file, trace, profile);
  try {
    const bin = resolveBinary(profile, flags.server);
    if (flags.live) {
      if (flags.step !== undefined || flags.view !== 'cache') throw new UsageError('--live runs the whole trace; --step and --view do not apply');
      const { runLiveCommand } = await import('./live.js');
      return await runLiveCommand(file, run, bin, flags);
    }
    const stepN = flags.step ?? defaultImageStep(run);
    if (stepN > run.events.length) throw new UsageError(`option --step: ${stepN} is past the trace's ${run.events.length} events`);
    const result = await confirmImage(run, stepN, { binary: bin.path, view: flags.view as 'cache' | 'durable', ...(flags['timeout-ms'] !== undefined ? { startTimeoutMs: flags['timeout-ms'] } : {}) });
    const at = stepN === 0 ? 'before the first event' : `after event ${stepN} (${describeEvent(run.events[stepN - 1]!)})`;
    if (flags.json) {
      const { serverLog: _log, ...rest } = result;
      process.stdout.write(`${JSON.stringify({ trace: file, profile, server: { path: bin.path, version: bin.version }, ...rest, model: { ...rest.model, recovered: undefined } }, null, 2)}\n`);
    } else {
      const note = bin.version === profile ? '' : `(note: the binary reports ${bin.version}, the model runs profile ${profile})\n`;
      process.stdout.write(`confirm ${file} under ${profile} on nats-server ${bin.version} (${bin.path}): the ${result.view === 'cache' ? 'page-cache' : 'durable'} image ${at}\n${note}${formatConfirm(result)}\n`);
    }
    return result.agree ? 0 : 1;
  } catch (e) {
    if (e instanceof ServerSetupError) throw new UsageError(e.message);
    throw e;
  }
}
