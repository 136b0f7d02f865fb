/** `scenario FILE`: replay one scenario file and print its snapshots. */
import { isAbsolute, relative } from 'node:path';
import { loadScenarioFile } from '../scenarios/parse.js';
import { byPath } from '../traces/mermaid.js';
import { runScenario, type ScenarioOutput, type SnapshotOutput } from '../scenarios/run.js';

export function replayScenarioFile(file: string, profile: string): ScenarioOutput {
  const scenario = loadScenarioFile(file);
  // Named relative to the working directory when inside it (outputs stay the same on every machine), else as given.
  const inside = relative(process.cwd(), file);
  return runScenario(scenario, profile, inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside : file).output;
}

function seqRange(first: number, last: number): string {
  return `${first}..${last}`;
}

export function formatSnapshot(s: SnapshotOutput): string {
  const lines: string[] = [];
  lines.push(`  [${s.label}] after step ${s.step}, t=${s.atMs} ms`);
  if (s.stream) {
    const st = s.stream;
    lines.push(`    stream: msgs ${st.msgs}, bytes ${st.bytes}, seq ${seqRange(st.firstSeq, st.lastSeq)}, deleted ${st.numDeleted}${st.lostMsgs.length ? `, lost [${st.lostMsgs.join(', ')}]` : ''}`);
    lines.push(`    blocks: ${s.blocks.map((b) => `${b.index}.blk(${seqRange(b.firstSeq, b.lastSeq)}, ${b.msgs} msg${b.msgs === 1 ? '' : 's'})`).join(' ') || '(none)'}`);
  } else {
    lines.push('    stream: server down');
  }
  lines.push(`    files:  ${[...s.files].sort(byPath).map((f) => `${f.path} ${f.bytes} B`).join(', ') || '(none)'}`);
  for (const [name, c] of Object.entries(s.consumers)) {
    lines.push(`    consumer ${name}: delivered ${c.delivered.streamSeq} (dseq ${c.delivered.consumerSeq}), ack floor ${c.ackFloor.streamSeq} (dseq ${c.ackFloor.consumerSeq}), ${c.numAckPending} pending`);
  }
  for (const l of s.log) lines.push(`    log: ${l}`);
  return lines.join('\n');
}

export function formatScenarioOutput(out: ScenarioOutput): string {
  const head = `scenario ${out.scenario} (profile ${out.profile}): ${out.snapshots.length} snapshot${out.snapshots.length === 1 ? '' : 's'}`;
  return [head, ...out.snapshots.map(formatSnapshot)].join('\n');
}
