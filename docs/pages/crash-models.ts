/**
 * docs/crash-models.md: kill, power-loss:synced, ordered and reordered: what survives each,
 * with a small trace built from explicit events, and every choice the model allows at its
 * power loss replayed through the model.
 */
import type { ModelEvent } from '../../model/step.js';
import { step } from '../../model/step.js';
import { observe } from '../../model/observe.js';
import { CRASH_MODELS, exploredConfig, powerLossChoices, type CrashModel } from '../../properties/alphabet.js';
import { EXPLORED_PAYLOAD_BYTES, EXPLORED_SUBJECT } from '../../properties/alphabet.js';
import { describeKeep } from '../../traces/describe.js';
import { filesView, opLabel, sequenceDiagram } from '../../traces/mermaid.js';
import type { TraceFile } from '../../traces/trace.js';
import { code, definePage, ensure, findStep, judgeRun, md, mdTable, plural, slug, stateBefore, stepList, type Figure, type JudgedTrace } from './lib.js';

const S: ModelEvent = { type: 'store', subject: EXPLORED_SUBJECT, payloadBytes: EXPLORED_PAYLOAD_BYTES };
const D: ModelEvent = { type: 'deliver', consumer: 'C' };
/** How many of the in-flight operations the ordered example keeps. */
const ORDERED_KEEP = 4;

type Files = readonly { readonly path: string; readonly bytes: number }[];

function fileList(files: Files): string {
  return files.length ? files.map((f) => `${f.path} ${f.bytes} B`).join(', ') : 'no files';
}

/** The operations in flight at step `i` (before it), with the labels the trace recorded for them. */
function inFlightAt(trace: TraceFile, i: number): { ids: number[]; text: string } {
  const state = stateBefore(trace, i);
  const labels = new Map(trace.steps.flatMap((s) => s.ops.map((p) => [p.id, `${code(opLabel(p))}, issued at t=${p.atMs} ms`] as const)));
  const ids = state.disk.inFlight.map((o) => o.id);
  const text = ids.length ? ids.map((id) => `- #${id} ${labels.get(id) ?? '?'}`).join('\n') : '- none';
  return { ids, text };
}

/** Every power-loss choice the crash model allows before step `i`, each replayed with the restart after it. */
function choicesTable(trace: TraceFile, i: number, model: CrashModel, reorderWindow: number): { count: number; table: string } {
  const state = stateBefore(trace, i);
  const choices = powerLossChoices(model, state.disk.inFlight.map((o) => o.id), reorderWindow);
  const rows = choices.map((keep) => {
    const lost = step(state, { type: 'powerLoss', keep });
    const back = step(lost.state, { type: 'start' });
    const st = back.state.proc?.store.state;
    const chosen = trace.steps[i]!.event.type === 'powerLoss' && JSON.stringify((trace.steps[i]!.event as { keep: unknown }).keep) === JSON.stringify(keep);
    return [
      `${describeKeep(keep)}${chosen ? ' **(the trace)**' : ''}`,
      fileList(observe(lost.state).files),
      st ? `${plural(st.msgs, 'message')}, LastSeq ${st.lastSeq}` : '—',
      back.log.length ? back.log.map((l) => code(l)).join('<br>') : '—',
    ];
  });
  return { count: choices.length, table: mdTable(['the disk keeps', 'files after the power loss', 'the restart recovers', 'the restart logs'], rows) };
}

function figures(fig: Figure, model: CrashModel, j: JudgedTrace): string {
  const name = `crash-${slug(model)}`;
  return md(
    fig(name, sequenceDiagram(j.trace), `${model}: the trace`),
    fig(`${name}-files`, filesView(j.trace), `${model}: the files at the crash and after the restart`),
  );
}

function violationsText(j: JudgedTrace): string {
  if (j.violations.length === 0) return 'No property is broken along this trace.';
  return `Judged as the search judges a run: ${j.violations.map((v) => `${code(v.property)} breaks at step ${v.step} (${v.message})`).join('; ')}.`;
}

export const crashModelsPage = definePage(
  { file: 'crash-models.md', title: 'Crash models: what survives a crash', summary: 'kill, power-loss:synced, ordered and reordered, each with a small trace and every choice it allows' },
  async (ctx, fig) => {
    const m = ctx.check();
    const window = m.bounds.reorderWindow;
    const config = exploredConfig(m.bounds);
    const run = (model: CrashModel, events: readonly ModelEvent[]) => judgeRun({ config, profile: m.profile, events, title: `${model}: what survives` });
    ensure(CRASH_MODELS.length === 4, 'the crash models changed');

    // kill: between removeMsgBlock's unlink and its create.
    const kill = run('kill', [{ type: 'start' }, S, D, { type: 'ack', consumer: 'C', streamSeq: 1, killAfterFileOps: 1 }, { type: 'start' }]);
    const kCut = findStep(kill.trace, (s) => s.killed);
    const kAtCrash = kill.trace.steps[kCut]!.observation;
    const kFound = kill.trace.steps[kCut]!.observation.files;
    ensure(kAtCrash.durableFiles.length === 0 && kFound.length > 0, 'the kill example should crash with files in the page cache and nothing durable');
    const kBack = kill.trace.steps[kCut + 1]!.observation.stream;
    ensure(kBack, 'the kill example does not restart');

    // power-loss:synced: after a store, only what fsync or writeback made durable survives.
    const flushMs = config.indexFlushIntervalMs;
    ensure(config.syncIntervalMs === flushMs, 'the sync timer and the index.db flush no longer share a period');
    const synced = run('power-loss:synced', [{ type: 'start' }, S, { type: 'advance', ms: flushMs }, S, { type: 'powerLoss', keep: { kind: 'synced' } }, { type: 'start' }]);
    const sLoss = findStep(synced.trace, (s) => s.event.type === 'powerLoss');
    const sBefore = synced.trace.steps[sLoss - 1]!.observation;
    const sAfter = synced.trace.steps[sLoss]!.observation;
    ensure(JSON.stringify(sAfter.files) === JSON.stringify(sBefore.durableFiles), 'after a synced power loss the files are not what was durable');
    const sBack = synced.trace.steps[sLoss + 1]!.observation.stream;
    ensure(sBack, 'the synced example does not restart');
    const sFlight = inFlightAt(synced.trace, sLoss);
    const sChoices = choicesTable(synced.trace, sLoss, 'power-loss:synced', window);

    // power-loss:ordered: a prefix of the in-flight operations, in issue order.
    const ordered = run('power-loss:ordered', [{ type: 'start' }, S, S, { type: 'powerLoss', keep: { kind: 'prefix', count: ORDERED_KEEP } }, { type: 'start' }]);
    const oLoss = findStep(ordered.trace, (s) => s.event.type === 'powerLoss');
    const oFlight = inFlightAt(ordered.trace, oLoss);
    const oChoices = choicesTable(ordered.trace, oLoss, 'power-loss:ordered', window);
    const oBack = ordered.trace.steps[oLoss + 1]!.observation.stream;
    ensure(oBack && oBack.lastSeq === 1, 'the ordered example should come back with seq 1 only');

    // power-loss:reordered: keep index.db's rewrite but not its truncate: a torn index.db.
    // A clean Stop rewrites index.db without an fsync (the periodic rewrite from the second cycle
    // on is fsynced by syncBlocks right after it, v2.10.22 L5378/L7851).
    const reorderedEvents: ModelEvent[] = [{ type: 'start' }, S, S, { type: 'advance', ms: flushMs }, D, D, { type: 'ack', consumer: 'C', streamSeq: 1 }, { type: 'ack', consumer: 'C', streamSeq: 2 }, { type: 'stop' }];
    const probe = run('power-loss:reordered', reorderedEvents);
    const rewrite = probe.trace.steps[probe.trace.steps.length - 1]!.ops;
    const trunc = rewrite.find((p) => p.op.type === 'truncate' && p.op.path === 'msgs/index.db');
    const write = rewrite.find((p) => p.op.type === 'write' && p.op.path === 'msgs/index.db');
    ensure(trunc && write && write.id === trunc.id + 1, 'the reordered example does not end with a rewrite of index.db');
    // Keep every operation in flight but the truncate (older ones than the window are written back anyway).
    const lastStep = probe.trace.steps.length - 1;
    const afterStop = step(stateBefore(probe.trace, lastStep), probe.trace.steps[lastStep]!.event).state;
    const keepIds = afterStop.disk.inFlight.map((o) => o.id).filter((id) => id !== trunc.id);
    const reordered = run('power-loss:reordered', [...reorderedEvents, { type: 'powerLoss', keep: { kind: 'subset', opIds: keepIds } }, { type: 'start' }]);
    const rLoss = findStep(reordered.trace, (s) => s.event.type === 'powerLoss');
    const rFlight = inFlightAt(reordered.trace, rLoss);
    ensure(rFlight.ids.includes(trunc.id) && rFlight.ids.includes(write.id), 'the index.db rewrite is not in flight at the power loss');
    const rChoices = choicesTable(reordered.trace, rLoss, 'power-loss:reordered', window);
    const rLog = reordered.trace.steps[rLoss + 1]!.log;
    ensure(rLog.some((l) => l.includes('Stream state checksum did not match')), 'the torn index.db is not reported as a checksum mismatch');
    const rBack = reordered.trace.steps[rLoss + 1]!.observation.stream;
    ensure(rBack, 'the reordered example does not restart');
    const idxAfter = reordered.trace.steps[rLoss]!.observation.files.find((f) => f.path === 'msgs/index.db');
    ensure(idxAfter, 'index.db did not survive the power loss');

    const checked = m.crashModels.map((c) => code(c)).join(' and ');
    return md(
      `A crash model says where a crash may fall and what of the files survives it (${code('properties/alphabet.ts')}). The search places a crash between any two file operations of any operation (an event with ${code('killAfterFileOps = k')}, for every k), and every crash and power-loss choice is recorded in the trace as events, so a trace replays exactly. The default check runs ${checked}; the others can be searched with ${code('npx tsx cli/main.ts explore --crash <model> --property <id>')}.`,
      `## The disk`,
      `The simulated disk (${code('model/disk.ts')}) keeps two views: what the OS page cache shows, and what is durable. Every file operation reaches the page cache at once and is *in flight* until it becomes durable by:`,
      [
        `- ${code('fsync')} of the file: its data operations (writes, truncates), not its directory entry;`,
        `- a write under O_SYNC, likewise, when it returns;`,
        `- ${code('fsync')} of a directory: the creates, unlinks and renames in it;`,
        `- background writeback: every operation issued at least ${code(`writebackMs = ${config.writebackMs}`)} ms before (one knob for data and metadata, so what writeback keeps is always a prefix in issue order).`,
      ].join('\n'),
      `One write call persists whole or not at all; a rewrite in place (${code('os.WriteFile')}: truncate, then write) is two operations and can be cut between them.`,
      mdTable(
        ['crash model', 'what survives', 'choices at one crash'],
        [
          [code('kill'), 'the page cache, whole: every operation issued before the kill point, durable or not', '1'],
          [code('power-loss:synced'), 'only what was durable', '1'],
          [code('power-loss:ordered'), 'what was durable, plus any prefix (in issue order) of the operations in flight', 'in flight + 1'],
          [code('power-loss:reordered'), `what was durable, plus any subset of the newest ${window} operations in flight (the reorder window; older ones are taken as written back), as in ALICE's abstract persistence model`, `2^min(${window}, in flight)`],
        ],
      ),
      `Under every power-loss model the process stops at the kill point first, then the machine loses power. fsync barriers hold: whatever an fsync covered is already durable, so no choice can drop it.`,

      `## kill`,
      `A process crash (SIGKILL, OOM kill, panic). The kernel still holds everything the process wrote, so the page cache survives whole, durable or not. The trace: the ack of seq 1 empties the last block, and the process is killed after ${code('removeMsgBlock')}'s first operation — between the unlink of the old block and the create of the new one:`,
      stepList(kill.trace),
      figures(fig, 'kill', kill),
      `At the crash nothing is durable (no fsync has run, no ${config.writebackMs} ms have passed), yet the restart finds every file the page cache held: ${fileList(kFound)}. What it does not find is the block the unlink removed — the stream comes back with ${plural(kBack.msgs, 'message')} and LastSeq ${kBack.lastSeq}: the crash fell inside a removal that is not crash-safe ([the seed bug](seed-bug.md)). ${violationsText(kill)}`,

      `## power-loss:synced`,
      `The machine loses power and the disk keeps only what was durable: none of the operations in flight. The trace stores seq 1, advances the clock ${flushMs} ms so the timers run (the sync timer fsyncs the block; background writeback makes everything older than ${config.writebackMs} ms durable; the index.db flush writes index.db), stores seq 2, and loses power. In flight at the power loss:`,
      sFlight.text,
      stepList(synced.trace),
      figures(fig, 'power-loss:synced', synced),
      `Before the power loss the page cache showed ${fileList(sBefore.files)}; after it the disk holds ${fileList(sAfter.files)}. The restart recovers ${plural(sBack.msgs, 'message')}, LastSeq ${sBack.lastSeq}: seq 2 was never durable. The ghost drops the promise of seq 2 (its record write was lost), so no property counts the loss against the server. ${violationsText(synced)}`,
      `The one choice ${code('synced')} allows here (${sChoices.count}):`,
      sChoices.table,

      `## power-loss:ordered`,
      `The disk keeps what was durable plus any **prefix** of the operations in flight, in issue order: a later operation never survives without every earlier one. The trace stores seq 1 and seq 2 and loses power at once, keeping the first ${ORDERED_KEEP} of the ${oFlight.ids.length} operations in flight:`,
      oFlight.text,
      stepList(ordered.trace),
      figures(fig, 'power-loss:ordered', ordered),
      `The restart recovers ${plural(oBack.msgs, 'message')}, LastSeq ${oBack.lastSeq}: the record of seq 2 (the last operation) was dropped. ${violationsText(ordered)} All ${oChoices.count} choices ${code('ordered')} allows at this power loss, each replayed through the model with the restart after it:`,
      oChoices.table,

      `## power-loss:reordered`,
      `The disk keeps what was durable plus any **subset** of the newest ${window} operations in flight (${code(`reorderWindow = ${window}`)} in the default bounds); operations older than the window are taken as written back. This is how a file system without ordering guarantees between files, or a disk cache that reorders writes, behaves. The trace writes index.db at the first flush (t=${flushMs} ms), acks seqs 1 and 2 (the stream drains), and a clean stop rewrites index.db in place — a truncate, then the write of the new, shorter image, with no fsync — and the power fails with both in flight (the periodic rewrite of later cycles would not do: from the second cycle on the sync timer fsyncs index.db right after the ticker rewrites it):`,
      rFlight.text,
      `The trace keeps every operation in flight but the truncate (#${trunc.id}), the write (#${write.id}) included: the new image lands on top of the old file, which keeps its old length (${idxAfter.bytes} B) and a tail of the old image. index.db is torn.`,
      stepList(reordered.trace),
      figures(fig, 'power-loss:reordered', reordered),
      `At the restart ${code('recoverFullState')} finds that the file's checksum does not match, deletes it and rebuilds the stream from the blocks, which are intact: it comes back with ${plural(rBack.msgs, 'message')}, LastSeq ${rBack.lastSeq}. The restart logs:`,
      rLog.map((l) => `- ${code(l)}`).join('\n'),
      `${violationsText(reordered)} All ${rChoices.count} choices ${code('reordered')} allows at this power loss:`,
      rChoices.table,
    );
  },
);
