/** `image TRACE [--step N] --out DIR`: the model's disk after a step, as a real nats-server store directory. */
import { relative } from 'node:path';
import { EventError } from '../model/step.js';
import { describeEvent } from '../traces/describe.js';
import { loadTraceFile } from '../traces/validate.js';
import type { TraceFile } from '../traces/trace.js';
import { buildImage, defaultImageStep, ImageError, runEvents, writeImage, type Run } from '../traces/image/image.js';
import { flagHelp, parseArgs, UsageError } from './args.js';

export const IMAGE_FLAGS = {
  out: { kind: 'string', help: 'the store directory to create (must not exist, or be empty); the server\'s store_dir' },
  step: { kind: 'int', min: 0, max: 1_000_000, help: 'the disk after the first N events (default: just before the last restart after a crash or stop, else after the last event)' },
  view: { kind: 'string', choices: ['cache', 'durable'], default: 'cache', help: 'cache: what the OS shows (what a kill leaves); durable: what a power loss at that moment would keep' },
  profile: { kind: 'string', help: 'run the trace under another profile (default: the trace\'s own)' },
  'epoch-ms': { kind: 'int', min: 0, max: 4_000_000_000_000, help: 'Unix time in ms of the model\'s time 0 (default 1700000000000, the model\'s epoch)' },
  json: { kind: 'boolean', help: 'print what was written as JSON' },
} as const;

export const IMAGE_USAGE = `image TRACE --out DIR [--step N] [--view cache|durable] [--profile P] [--epoch-ms N] [--json]\n${flagHelp(IMAGE_FLAGS)}`;

/** Re-run a trace's events under the current model; an event the model refuses is bad input. */
export function runTrace(file: string, trace: TraceFile, profile: string): Run {
  try {
    return runEvents(trace.config, profile, trace.steps.map((s) => s.event));
  } catch (e) {
    if (e instanceof EventError) throw new UsageError(`${file}: the trace does not run under ${profile}: ${e.message}`);
    throw e;
  }
}

export function runImageCommand(argv: readonly string[], profileName: (p: string | undefined) => string): number {
  const { flags, positional } = parseArgs(argv, IMAGE_FLAGS);
  if (positional.length !== 1) throw new UsageError(`image takes one TRACE file, got ${positional.length}`);
  if (!flags.out) throw new UsageError('image needs --out DIR');
  const file = positional[0]!;
  const trace = loadTraceFile(file);
  const profile = profileName(flags.profile ?? trace.profile);
  const run = runTrace(file, trace, profile);
  const stepN = flags.step ?? defaultImageStep(run);
  if (stepN > run.events.length) throw new UsageError(`option --step: ${stepN} is past the trace's ${run.events.length} events`);
  const view = flags.view as 'cache' | 'durable';
  let image;
  try {
    image = buildImage(run, stepN, { view, ...(flags['epoch-ms'] !== undefined ? { epochMs: flags['epoch-ms'] } : {}) });
    writeImage(flags.out, image);
  } catch (e) {
    if (e instanceof ImageError) throw new UsageError(`--out ${flags.out}: ${e.message}`);
    if (e instanceof Error && 'code' in e && typeof e.code === 'string') throw new UsageError(`cannot write ${flags.out}: ${e.message.split('\n')[0]}`);
    throw e;
  }
  const after = stepN === 0 ? 'before the first event' : `after event ${stepN} (${describeEvent(run.events[stepN - 1]!)})`;
  if (flags.json) {
    const files = [...image.files].map(([path, bytes]) => ({ path, bytes: bytes.length }));
    process.stdout.write(`${JSON.stringify({ trace: file, profile, step: stepN, view, epochMs: image.epochMs, out: flags.out, streamDir: image.streamDir, files }, null, 2)}\n`);
    return 0;
  }
  const lines = [`${file} under ${profile}: the ${view === 'cache' ? 'page-cache' : 'durable'} view ${after}, written to ${flags.out}`];
  for (const [path, bytes] of image.files) lines.push(`  ${relative(image.streamDir, path).padEnd(20)} ${String(bytes.length).padStart(6)} B`);
  lines.push(`(stream folder ${image.streamDir}; start a server on it with: nats-server -js -sd ${flags.out})`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
