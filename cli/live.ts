/** `confirm --live TRACE`: the trace's client events on a real server, its files after SIGKILL against the model's. */
import type { ResolvedBinary } from '../realserver/binaries.js';
import { confirmLive, LiveRefusal } from '../realserver/live.js';
import type { Run } from '../traces/image/image.js';
import { UsageError } from './args.js';

export async function runLiveCommand(file: string, run: Run, bin: ResolvedBinary, flags: { json: boolean; 'timeout-ms'?: number | undefined }): Promise<number> {
  let result;
  try {
    result = await confirmLive(run, { binary: bin.path, ...(flags['timeout-ms'] !== undefined ? { startTimeoutMs: flags['timeout-ms'] } : {}) });
  } catch (e) {
    if (e instanceof LiveRefusal) throw new UsageError(`${file}: cannot run live: ${e.message}`);
    throw e;
  }
  if (flags.json) {
    const { serverLog: _log, ...rest } = result;
    process.stdout.write(`${JSON.stringify({ trace: file, profile: run.profile, server: { path: bin.path, version: bin.version }, ...rest }, null, 2)}\n`);
  } else {
    const lines = [`confirm --live ${file} under ${run.profile} on nats-server ${bin.version}: ${run.events.length} events driven, then SIGKILL; files compared with the model's page cache, times excluded`];
    lines.push(result.agree ? 'agree' : 'DISAGREE');
    for (const d of result.eventDifferences) lines.push(`  ≠ ${d}`);
    for (const d of result.fileDifferences) lines.push(`  ≠ ${d}`);
    for (const d of result.races) lines.push(`  race (not counted: the model's flush was due at the kill, the real flusher writes within ms): ${d}`);
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return result.agree ? 0 : 1;
}
