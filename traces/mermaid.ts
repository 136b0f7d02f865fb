/**
 * Mermaid diagrams of a trace (`filestore-trace/1`).
 *
 * - `sequenceDiagram`: who did what, step by step: the publisher's stores, the consumers'
 *   deliveries and acks, every file operation the store issued (with the nats-server function
 *   that issued it) down to the page cache and, for fsyncs, to the disk; crashes drawn as red
 *   blocks naming the operations that never happened; recoveries with the files they found,
 *   their log lines and the state they came back with; and the violated property, if any.
 * - `filesView`: the files at the crash and after recovery: page cache against durable.
 *
 * Pure and deterministic: the same trace gives the same text, byte for byte. What the trace
 * does not record (the operations a kill cut off, the content of index.db at a restart) is
 * recomputed by replaying the trace's events through the model; if the replay does not
 * reproduce the recorded operations, those details are left out rather than guessed.
 */
import { contentBytes, fileContent, type FileOp } from '../model/disk.js';
import type { PerformedOp } from '../model/io.js';
import type { Observation } from '../model/observe.js';
import type { Segment } from '../model/records.js';
import type { ModelState } from '../model/state.js';
import { initialState, step, type ModelEvent } from '../model/step.js';
import type { TimerFiring } from '../model/timers.js';
import type { TraceFile, TraceStep } from './trace.js';

export interface SequenceDiagramOptions {
  /** Runs of more than this many consecutive same-shape steps are folded (default 3; 0: never fold). */
  readonly foldThreshold?: number;
  /** At most this many never-happened operations are drawn for one crash (default 10). */
  readonly maxNeverHappened?: number;
  /** Replay the trace through the model to recompute what a kill cut off (default true). */
  readonly replay?: boolean;
}

export const DEFAULT_FOLD_THRESHOLD = 3;
export const DEFAULT_MAX_NEVER_HAPPENED = 10;

const CRASH_RGB = 'rgb(255, 220, 220)';
const VIOLATION_RGB = 'rgb(255, 240, 200)';

// ---- Text ---------------------------------------------------------------------------------

const ENTITIES: Readonly<Record<string, string>> = { ';': '#59;', '#': '#35;', '<': '#lt;', '>': '#gt;', '"': '#quot;' };

/**
 * Make text safe inside a Mermaid label: `;` (a statement separator), `#` (starts an entity
 * code), `<` `>` (HTML) and `"` become entity codes, in one pass so an inserted code is never
 * escaped again; line breaks become spaces (the diagram's own breaks are inserted after).
 */
export function escapeLabel(text: string): string {
  return text.replace(/[;#<>"]/g, (c) => ENTITIES[c]!).replace(/\s*[\r\n]+\s*/g, ' ');
}

/** Join already-escaped lines with Mermaid's line break. */
function lines(...parts: readonly string[]): string {
  return parts.join('<br/>');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "2", "2–5" or "2, 4, 7" for a list of sequences. */
function seqList(seqs: readonly number[]): string {
  if (seqs.length === 0) return 'none';
  const contiguous = seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1);
  if (contiguous && seqs.length > 2) return `${seqs[0]}–${seqs[seqs.length - 1]}`;
  if (seqs.length > 6) return `${seqs.slice(0, 3).join(', ')}, … ${seqs[seqs.length - 1]} (${seqs.length})`;
  return seqs.join(', ');
}

function seqRange(first: number, last: number): string {
  return `${first}..${last}`;
}

function segmentLabel(s: Segment): string {
  switch (s.kind) {
    case 'msg':
      return `msg seq ${s.seq} "${s.subject}", ${s.bytes} B`;
    case 'tombstone':
      return `tombstone seq ${s.seq}, ${s.bytes} B`;
    case 'skip':
      return `skip seq ${s.seq}, ${s.bytes} B`;
    case 'indexdb':
      return `index.db image, ${s.bytes} B (${s.summary.msgs} msgs, seq ${seqRange(s.summary.firstSeq, s.summary.lastSeq)}, lmb ${s.summary.lmbIndex})`;
    case 'odat':
      return `o.dat image, ${s.bytes} B (delivered ${s.state.delivered.streamSeq}, ack floor ${s.state.ackFloor.streamSeq})`;
    case 'fragment':
      return `fragment of ${s.of}, ${s.bytes} B`;
    case 'zeros':
      return `zeros, ${s.bytes} B`;
  }
}

/** One file operation, e.g. "unlink msgs/2.blk (removeMsgBlock)". Unescaped. */
export function opLabel(p: Pick<PerformedOp, 'op' | 'fn'>): string {
  const op = p.op;
  const fn = ` (${p.fn})`;
  switch (op.type) {
    case 'create':
      return `create ${op.path}${fn}`;
    case 'write':
      return `write ${op.path} @${op.offsetBytes}: ${segmentLabel(op.segment)}${op.osync ? ', O_SYNC' : ''}${fn}`;
    case 'truncate':
      return `truncate ${op.path} to ${op.sizeBytes} B${fn}`;
    case 'unlink':
      return `unlink ${op.path}${fn}`;
    case 'rename':
      return `rename ${op.from} → ${op.to}${fn}`;
    case 'fsync':
      return `fsync ${op.path}${fn}`;
    case 'fsyncDir':
      return `fsync dir ${op.dir || '.'}${fn}`;
  }
}

function timerLabel(t: TimerFiring['timer']): string {
  if (t === 'sync') return 'sync timer';
  if (t === 'indexFlush') return 'index.db flush';
  if (t === 'maxAge') return 'max-age check';
  return `consumer ${t.slice('consumerFlush:'.length)} flush`;
}

/** Items after a prefix, a few per line, so a long list does not stretch the diagram sideways. Unescaped lines. */
export function listLines(prefix: string, items: readonly string[], perLine = 3): string[] {
  const out: string[] = [];
  for (let k = 0; k < items.length; k += perLine) {
    const chunk = items.slice(k, k + perLine).join(', ');
    const more = k + perLine < items.length ? ',' : '';
    out.push(`${k === 0 ? prefix : ''}${chunk}${more}`);
  }
  return out.length ? out : [prefix.trimEnd()];
}

function fileItems(files: Observation['files']): string[] {
  return files.map((f) => `${f.path} ${f.bytes} B`);
}

function streamLabel(o: Observation): string {
  const s = o.stream;
  if (!s) return 'server down';
  return `${plural(s.msgs, 'msg')}, seq ${seqRange(s.firstSeq, s.lastSeq)}${s.lostMsgs.length ? `, lost ${seqList(s.lostMsgs)}` : ''}`;
}

function consumersLabel(o: Observation): string[] {
  return Object.entries(o.consumers).map(
    ([name, c]) => `consumer ${name}: delivered ${c.delivered.streamSeq}, ack floor ${c.ackFloor.streamSeq}${c.numAckPending ? `, ${c.numAckPending} pending` : ''}`,
  );
}

// ---- Replay: what the trace does not record -------------------------------------------------

interface Replay {
  /** The model state before step i, for every step the replay reproduced. */
  readonly before: readonly ModelState[];
  /** Why the replay stopped early, if it did. */
  readonly stopped: string | null;
}

function sameOps(a: readonly PerformedOp[], b: readonly PerformedOp[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Re-run the trace's events; stop at the first step whose operations differ from the record. */
function replayTrace(trace: TraceFile): Replay {
  const before: ModelState[] = [];
  try {
    let state = initialState(trace.config, trace.profile);
    for (const [i, s] of trace.steps.entries()) {
      before.push(state);
      const r = step(state, s.event);
      if (!sameOps(r.ops, s.ops)) return { before: before.slice(0, i), stopped: `step ${i} replays differently` };
      state = r.state;
    }
    return { before, stopped: null };
  } catch (e) {
    return { before: before.slice(0, -1), stopped: e instanceof Error ? e.message : String(e) };
  }
}

function killPointOf(event: ModelEvent): number | undefined {
  return 'killAfterFileOps' in event ? event.killAfterFileOps : undefined;
}

/** The operations step i would have issued had it not been killed: all of them, or null if unknown. */
function uncutOps(trace: TraceFile, replay: Replay | null, i: number): readonly PerformedOp[] | null {
  const s = trace.steps[i]!;
  const state = replay?.before[i];
  if (!state || killPointOf(s.event) === undefined) return null;
  try {
    return step(state, { ...s.event, killAfterFileOps: undefined } as ModelEvent).ops;
  } catch {
    return null;
  }
}

/** What a restart reads: index.db and o.dat decoded from the page cache before step i. */
function recoveryInputs(replay: Replay | null, i: number): string[] {
  const state = replay?.before[i];
  if (!state) return [];
  const out: string[] = [];
  const view = state.disk.cache;
  for (const path of Object.keys(view.entries).sort()) {
    const content = fileContent(view, path) ?? [];
    if (path.endsWith('index.db') || path.endsWith('o.dat')) out.push(`${path}: ${describeContent(content)}`);
  }
  return out;
}

function describeContent(content: readonly Segment[]): string {
  if (content.length === 0) return 'empty';
  const only = content.length === 1 ? content[0]! : null;
  if (only?.kind === 'indexdb') {
    const s = only.summary;
    const blocks = s.blocks.length ? seqList(s.blocks.map((b) => b.index)) : 'none';
    return `${s.msgs} msgs, seq ${seqRange(s.firstSeq, s.lastSeq)}, blocks [${blocks}], last block ${s.lmbIndex}`;
  }
  if (only?.kind === 'odat') return `delivered ${only.state.delivered.streamSeq}, ack floor ${only.state.ackFloor.streamSeq}, ${plural(only.state.pending.length, 'pending', 'pending')}`;
  return `torn: ${content.map(segmentLabel).join(' + ')} (${contentBytes(content)} B)`;
}

// ---- Participants -----------------------------------------------------------------------------

interface Participants {
  readonly consumerIds: ReadonlyMap<string, string>;
  /** The first and last participant, for notes over all of them. */
  readonly first: string;
  readonly last: string;
}

function consumerNames(trace: TraceFile): string[] {
  const names: string[] = [...trace.config.consumers];
  const add = (n: string) => {
    if (!names.includes(n)) names.push(n);
  };
  for (const s of trace.steps) {
    if (s.event.type === 'deliver' || s.event.type === 'ack') add(s.event.consumer);
    for (const n of Object.keys(s.observation.consumers)) add(n);
  }
  return names;
}

function participants(trace: TraceFile): { p: Participants; decl: string[] } {
  const consumerIds = new Map<string, string>();
  const used = new Set(['P', 'FS', 'PC', 'D']);
  for (const name of consumerNames(trace)) {
    const base = `C_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let id = base;
    for (let k = 2; used.has(id); k++) id = `${base}_${k}`;
    used.add(id);
    consumerIds.set(name, id);
  }
  const decl = [
    '  participant P as Publisher',
    ...[...consumerIds].map(([name, id]) => `  participant ${id} as ${escapeLabel(`Consumer ${name}`)}`),
    '  participant FS as FileStore',
    '  participant PC as OS page cache',
    '  participant D as Disk',
  ];
  return { p: { consumerIds, first: 'P', last: 'D' }, decl };
}

// ---- Folding ----------------------------------------------------------------------------------

/** Steps that are always drawn in full: crashes, restarts, anything that logged, the violation. */
function isLandmark(trace: TraceFile, i: number): boolean {
  const s = trace.steps[i]!;
  const t = s.event.type;
  if (t !== 'store' && t !== 'skip' && t !== 'remove' && t !== 'deliver' && t !== 'ack' && t !== 'advance' && t !== 'newBlock') return true;
  return s.killed || s.log.length > 0 || trace.violation?.step === i;
}

/** Steps of the same shape: same event (and consumer), same operations by kind and function, same timers. */
function shapeOf(s: TraceStep): string {
  const who = s.event.type === 'deliver' || s.event.type === 'ack' ? s.event.consumer : '';
  const ops = s.ops.map((p) => `${p.op.type}:${p.fn}:${p.op.type === 'write' ? p.op.segment.kind : ''}`).join(',');
  const timers = s.timers.map((t) => t.timer).join(',');
  return `${s.event.type}|${who}|${ops}|${timers}`;
}

/** Runs to fold: [first, last] step indices, each longer than `threshold`. */
function foldRuns(trace: TraceFile, threshold: number): Map<number, number> {
  const runs = new Map<number, number>();
  if (threshold <= 0) return runs;
  let i = 0;
  while (i < trace.steps.length) {
    let j = i;
    if (!isLandmark(trace, i)) {
      const shape = shapeOf(trace.steps[i]!);
      while (j + 1 < trace.steps.length && !isLandmark(trace, j + 1) && shapeOf(trace.steps[j + 1]!) === shape) j++;
    }
    if (j - i + 1 > threshold) runs.set(i, j);
    i = j + 1;
  }
  return runs;
}

function foldSummary(trace: TraceFile, from: number, to: number): string[] {
  const seqs: number[] = [];
  const opCounts = new Map<string, number>();
  for (let k = from; k <= to; k++) {
    const s = trace.steps[k]!;
    if (s.outcome.seqs) seqs.push(...s.outcome.seqs);
    if (s.outcome.deliveries) seqs.push(...s.outcome.deliveries.map((d) => d.streamSeq));
    if (s.event.type === 'ack') seqs.push(s.event.streamSeq);
    for (const p of s.ops) opCounts.set(p.op.type, (opCounts.get(p.op.type) ?? 0) + 1);
  }
  const parts: string[] = [];
  if (seqs.length) parts.push(`seq ${seqList(seqs)}`);
  const ops = [...opCounts].map(([t, n]) => plural(n, t));
  if (ops.length) parts.push(ops.join(', '));
  const last = trace.steps[to]!.observation;
  return [parts.join(' · '), `then t=${last.atMs} ms: stream ${streamLabel(last)}`].filter(Boolean);
}

// ---- The sequence diagram -------------------------------------------------------------------------

class Out {
  readonly rows: string[] = [];
  indent = 1;
  line(text: string): void {
    this.rows.push(`${'  '.repeat(this.indent)}${text}`);
  }
  /** `Note over A,B: text` with already-escaped text. */
  note(over: string, text: string): void {
    this.line(`Note over ${over}: ${text}`);
  }
  msg(from: string, arrow: string, to: string, text: string): void {
    this.line(`${from}${arrow}${to}: ${text}`);
  }
  block(header: string, body: () => void): void {
    this.line(header);
    this.indent++;
    body();
    this.indent--;
    this.line('end');
  }
}

function drawOp(out: Out, p: PerformedOp): void {
  const label = escapeLabel(opLabel(p));
  if (p.op.type === 'fsync' || p.op.type === 'fsyncDir') out.msg('PC', '->>', 'D', label);
  else out.msg('FS', '->>', 'PC', label);
}

/** The operations of an advance, each group after the note naming the timers that issued it. */
function drawAdvance(out: Out, s: TraceStep, i: number, prevMs: number): void {
  if (s.event.type !== 'advance') return;
  const head = escapeLabel(`[${i}] advance ${s.event.ms} ms (t=${prevMs} → ${s.observation.atMs} ms)`);
  if (s.timers.length === 0) {
    out.note('FS,PC', lines(head, 'no timer fired'));
    for (const p of s.ops) drawOp(out, p);
    return;
  }
  const times = [...new Set(s.timers.map((t) => t.atMs))];
  const drawn = new Set<number>();
  times.forEach((at, k) => {
    const fired = s.timers.filter((t) => t.atMs === at).map((t) => timerLabel(t.timer));
    const text = escapeLabel(`t=${at} ms: ${fired.join(', ')}`);
    out.note('FS,PC', k === 0 ? lines(head, text) : text);
    s.ops.forEach((p, n) => {
      if (p.atMs === at) {
        drawOp(out, p);
        drawn.add(n);
      }
    });
  });
  s.ops.forEach((p, n) => {
    if (!drawn.has(n)) drawOp(out, p);
  });
}

/** The event itself: who asked the store for what. */
function drawEvent(out: Out, trace: TraceFile, parts: Participants, i: number, prevMs: number): void {
  const s = trace.steps[i]!;
  const e = s.event;
  const tag = `[${i}]`;
  const cid = (name: string) => parts.consumerIds.get(name) ?? 'FS';
  switch (e.type) {
    case 'store': {
      const seqs = s.outcome.seqs ?? [];
      const count = e.count ?? 1;
      const what = count > 1 ? `store ${e.subject} ×${count}` : `store ${e.subject}`;
      out.msg('P', '->>', 'FS', escapeLabel(`${tag} ${what} (seq ${seqList(seqs)})`));
      return;
    }
    case 'skip':
      out.msg('P', '->>', 'FS', escapeLabel(`${tag} skip (seq ${seqList(s.outcome.seqs ?? [])})`));
      return;
    case 'remove': {
      const which = e.from === e.to ? `remove seq ${e.from}` : `remove seq ${e.from}–${e.to}`;
      out.msg('P', '->>', 'FS', escapeLabel(`${tag} ${which} (${s.outcome.removed ?? 0} removed)`));
      return;
    }
    case 'newBlock':
      out.note('FS,PC', escapeLabel(`${tag} new block (forced)`));
      return;
    case 'deliver': {
      const ds = s.outcome.deliveries ?? [];
      if (ds.length === 0) {
        out.msg('FS', '-->>', cid(e.consumer), escapeLabel(`${tag} deliver: nothing to deliver`));
        return;
      }
      const fresh = ds.filter((d) => !d.redelivery).map((d) => d.streamSeq);
      const again = ds.filter((d) => d.redelivery).map((d) => d.streamSeq);
      const what = [fresh.length ? `deliver seq ${seqList(fresh)}` : '', again.length ? `redeliver seq ${seqList(again)}` : ''].filter(Boolean).join(', ');
      out.msg('FS', '->>', cid(e.consumer), escapeLabel(`${tag} ${what}`));
      return;
    }
    case 'ack':
      out.msg(cid(e.consumer), '->>', 'FS', escapeLabel(`${tag} ack ${e.streamSeq}`));
      return;
    case 'advance':
      drawAdvance(out, s, i, prevMs);
      return;
    case 'start':
    case 'stop':
    case 'kill':
    case 'powerLoss':
    case 'deleteFile':
    case 'copyFile':
    case 'renameFile':
    case 'truncateFile':
      return; // drawn by their own functions
  }
}

/** The step's file operations, with each warning drawn where it was logged among them. */
function drawOps(out: Out, s: TraceStep): void {
  const logsAt = (k: number | null) =>
    s.log.forEach((l, j) => {
      const at = s.logAfterOps?.[j] ?? s.ops.length;
      if (k === null || at === k || (k === s.ops.length && at > k)) out.note('FS,PC', escapeLabel(`⚠ ${l}`));
    });
  if (s.event.type === 'advance') return logsAt(null); // its operations are drawn with its timers
  s.ops.forEach((p, k) => {
    logsAt(k);
    drawOp(out, p);
  });
  logsAt(s.ops.length);
}

/**
 * What became durable (or stopped being) during a step, by fsync, O_SYNC or background
 * writeback: a dashed arrow to the disk. Nothing when the durable view did not change.
 */
function drawDurable(out: Out, before: Observation['durableFiles'], after: Observation['durableFiles']): void {
  const was = new Map(before.map((f) => [f.path, f.bytes]));
  const now = new Map(after.map((f) => [f.path, f.bytes]));
  const changes: string[] = [];
  for (const [path, bytes] of now) {
    const old = was.get(path);
    if (old === undefined) changes.push(`${path} ${bytes} B`);
    else if (old !== bytes) changes.push(`${path} ${old} → ${bytes} B`);
  }
  for (const path of was.keys()) if (!now.has(path)) changes.push(`${path} removed`);
  if (changes.length) out.msg('PC', '-->>', 'D', lines(...listLines('now durable: ', changes).map(escapeLabel)));
}

function durableBefore(trace: TraceFile, i: number): Observation['durableFiles'] {
  return i > 0 ? trace.steps[i - 1]!.observation.durableFiles : [];
}

/** The last observation with the stream up, before step i. */
function lastRunning(trace: TraceFile, i: number): Observation | null {
  for (let k = i - 1; k >= 0; k--) {
    const o = trace.steps[k]!.observation;
    if (o.stream) return o;
  }
  return null;
}

function drawStart(out: Out, trace: TraceFile, parts: Participants, replay: Replay | null, i: number): void {
  const s = trace.steps[i]!;
  const prev = i > 0 ? trace.steps[i - 1]!.observation : null;
  const afterCrash = wentDownByCrash(trace, i);
  const title = afterCrash ? `▶ [${i}] start: recovery after the crash (t=${s.observation.atMs} ms)` : `▶ [${i}] start (t=${s.observation.atMs} ms)`;
  const files = prev?.files ?? [];
  const noBlock = files.length > 0 && !files.some((f) => /^msgs\/\d+\.blk$/.test(f.path));
  const found = files.length === 0 ? ['the store finds: no files'] : listLines('the store finds: ', [...fileItems(files), ...(noBlock ? ['and no msg block file'] : [])], 4);
  const reads = [...found, ...recoveryInputs(replay, i)];
  out.note(`${parts.first},${parts.last}`, lines(escapeLabel(title), ...reads.map(escapeLabel)));
  drawOps(out, s);
  drawDurable(out, durableBefore(trace, i), s.observation.durableFiles);
  if (s.killed) return; // the crash block says the rest
  const before = lastRunning(trace, i);
  const was = afterCrash && before?.stream ? ` (before the crash: ${streamLabel(before)})` : '';
  const state = [`recovered stream: ${streamLabel(s.observation)}${was}`, ...consumersLabel(s.observation)];
  out.note(`P,FS`, lines(...state.map(escapeLabel)));
}

/** Whether the process last went down (before step i) by a crash rather than a clean stop. */
function wentDownByCrash(trace: TraceFile, i: number): boolean {
  for (let k = i - 1; k >= 0; k--) {
    const s = trace.steps[k]!;
    if (s.killed) return true;
    if (s.event.type === 'stop') return false;
  }
  return false;
}

/** The red block of a kill point, a kill or a power loss. */
function drawCrash(out: Out, trace: TraceFile, replay: Replay | null, i: number, opts: Required<SequenceDiagramOptions>): void {
  const s = trace.steps[i]!;
  const e = s.event;
  out.block(`rect ${CRASH_RGB}`, () => {
    if (e.type === 'kill') {
      out.note('FS,D', lines(escapeLabel(`💥 [${i}] process killed between steps (t=${s.observation.atMs} ms)`), escapeLabel('the page cache survives, in-memory state is lost')));
      return;
    }
    if (e.type === 'powerLoss') {
      drawPowerLoss(out, trace, i);
      return;
    }
    const done = s.ops.length;
    const uncut = uncutOps(trace, replay, i);
    const kp = killPointOf(e);
    let head: string;
    if (uncut) head = `💥 process killed after ${done} of ${uncut.length} file operations of this step (t=${s.observation.atMs} ms)`;
    else if (kp !== undefined && kp > done) head = `💥 process killed after ${done} of ${done} file operations of this step, at its end (t=${s.observation.atMs} ms)`;
    else head = `💥 process killed after ${done} file operations of this step (t=${s.observation.atMs} ms)`;
    const missing = uncut ? uncut.slice(done) : [];
    const last = s.ops[done - 1];
    const cut = last ? `the last operation issued: ${opLabel(last)}` : 'before its first file operation';
    const tail = missing.length === 0 ? (uncut ? 'every operation of the step was issued' : '') : `${plural(missing.length, 'operation')} never happened:`;
    out.note('FS,D', lines(...[head, cut, tail].filter(Boolean).map(escapeLabel)));
    for (const p of missing.slice(0, opts.maxNeverHappened)) {
      const label = escapeLabel(`never happened: ${opLabel(p)}`);
      if (p.op.type === 'fsync' || p.op.type === 'fsyncDir') out.msg('PC', '--x', 'D', label);
      else out.msg('FS', '--x', 'PC', label);
    }
    if (missing.length > opts.maxNeverHappened) out.note('FS,D', escapeLabel(`… and ${missing.length - opts.maxNeverHappened} more operations that never happened`));
  });
}

function drawPowerLoss(out: Out, trace: TraceFile, i: number): void {
  const s = trace.steps[i]!;
  if (s.event.type !== 'powerLoss') return;
  const before = new Map((i > 0 ? trace.steps[i - 1]!.observation.files : []).map((f) => [f.path, f.bytes]));
  const after = new Map(s.observation.files.map((f) => [f.path, f.bytes]));
  const kept: string[] = [];
  const changed: string[] = [];
  const lost: string[] = [];
  const back: string[] = [];
  for (const [path, bytes] of before) {
    const now = after.get(path);
    if (now === undefined) lost.push(`${path} (${bytes} B)`);
    else if (now === bytes) kept.push(`${path} ${bytes} B`);
    else changed.push(`${path} ${bytes} B → ${now} B`);
  }
  for (const [path, bytes] of after) if (!before.has(path)) back.push(`${path} ${bytes} B`);
  const keep = s.event.keep;
  const how = keep.kind === 'synced' ? 'only what the file system forced' : keep.kind === 'all' ? 'every operation in flight' : keep.kind === 'prefix' ? `the first ${keep.count} operations in flight` : `operations ${keep.opIds.join(', ') || 'none'} in flight${(keep.partial ?? []).map((p) => (p.pages.length ? `, #${p.opId} torn (pages ${p.pages.join(', ')})` : `, #${p.opId} as zeros`)).join('')}`;
  const rows = [`⚡ [${i}] power lost (t=${s.observation.atMs} ms): the disk keeps ${how}`];
  if (kept.length) rows.push(...listLines('kept: ', kept));
  if (changed.length) rows.push(...listLines('rolled back: ', changed));
  if (lost.length) rows.push(...listLines('lost: ', lost));
  if (back.length) rows.push(...listLines('came back (deleted, but not durably): ', back));
  if (!kept.length && !changed.length && !lost.length && !back.length) rows.push('no files, before or after');
  out.note('FS,D', lines(...rows.map(escapeLabel)));
}

function drawFileEdit(out: Out, s: TraceStep, i: number): void {
  const e = s.event;
  let what: string;
  switch (e.type) {
    case 'deleteFile':
      what = `delete ${e.path}`;
      break;
    case 'copyFile':
      what = `copy ${e.from} → ${e.to}`;
      break;
    case 'renameFile':
      what = `rename ${e.from} → ${e.to}`;
      break;
    case 'truncateFile':
      what = `truncate ${e.path} to ${e.bytes} B`;
      break;
    default:
      return;
  }
  out.note('FS,D', lines(escapeLabel(`✎ [${i}] operator, server down: ${what} (made durable)`), ...s.ops.map((p) => escapeLabel(opLabel(p)))));
}

/**
 * The trace as a Mermaid sequence diagram: participants Publisher, one per consumer,
 * FileStore, OS page cache and Disk.
 */
export function sequenceDiagram(trace: TraceFile, opts: SequenceDiagramOptions = {}): string {
  const o: Required<SequenceDiagramOptions> = {
    foldThreshold: opts.foldThreshold ?? DEFAULT_FOLD_THRESHOLD,
    maxNeverHappened: opts.maxNeverHappened ?? DEFAULT_MAX_NEVER_HAPPENED,
    replay: opts.replay ?? true,
  };
  const replay = o.replay ? replayTrace(trace) : null;
  const { p: parts, decl } = participants(trace);
  const folds = foldRuns(trace, o.foldThreshold);
  const out = new Out();
  const all = `${parts.first},${parts.last}`;

  const header = [
    '---',
    `title: ${JSON.stringify(escapeLabel(trace.title || 'filestore trace'))}`,
    '---',
    `%% filestore-trace/1, profile ${trace.profile}, ${trace.steps.length} steps${replay?.stopped ? `, replay stopped: ${replay.stopped}` : ''}`.replace(/[\r\n]+/g, ' '),
    'sequenceDiagram',
    ...decl,
  ];

  let prevMs = 0;
  for (let i = 0; i < trace.steps.length; i++) {
    const s = trace.steps[i]!;
    const e = s.event;
    if (e.type === 'start') drawStart(out, trace, parts, replay, i);
    else if (e.type === 'stop') {
      out.note(all, escapeLabel(`■ [${i}] stop: clean shutdown (t=${s.observation.atMs} ms)`));
      drawOps(out, s);
      drawDurable(out, durableBefore(trace, i), s.observation.durableFiles);
    } else if (e.type === 'kill' || e.type === 'powerLoss') {
      /* the crash block below */
    } else if (e.type === 'deleteFile' || e.type === 'copyFile' || e.type === 'renameFile' || e.type === 'truncateFile') drawFileEdit(out, s, i);
    else {
      drawEvent(out, trace, parts, i, prevMs);
      drawOps(out, s);
      drawDurable(out, durableBefore(trace, i), s.observation.durableFiles);
      if (e.type !== 'advance' && s.timers.length) out.note('FS,PC', escapeLabel(`timers fired: ${s.timers.map((t) => `${timerLabel(t.timer)} at t=${t.atMs} ms`).join(', ')}`));
    }
    if (s.killed) drawCrash(out, trace, replay, i, o);

    const foldEnd = folds.get(i);
    if (foldEnd !== undefined) {
      out.note('FS,PC', lines(escapeLabel(`… ×${foldEnd - i} similar steps folded (steps ${i + 1}–${foldEnd})`), ...foldSummary(trace, i + 1, foldEnd).map(escapeLabel)));
      drawDurable(out, s.observation.durableFiles, trace.steps[foldEnd]!.observation.durableFiles);
      i = foldEnd;
    }
    prevMs = trace.steps[i]!.observation.atMs;
  }

  if (trace.violation) {
    const v = trace.violation;
    out.block(`rect ${VIOLATION_RGB}`, () => out.note(all, lines(escapeLabel(`✗ ${v.property}: ${v.message}`), escapeLabel(`(after step ${v.step}${v.cause ? `; cause: ${v.cause}` : ''})`))));
  }
  return `${[...header, ...out.rows].join('\n')}\n`;
}

// ---- The files view ---------------------------------------------------------------------------------

type FileStatus = 'durable' | 'newer' | 'cacheOnly' | 'unlinked' | 'vanished';

const FILE_CLASSES: Readonly<Record<FileStatus, string>> = {
  durable: 'fill:#dff0d8,stroke:#3c763d',
  newer: 'fill:#fff3cd,stroke:#b8860b',
  cacheOnly: 'fill:#fff3cd,stroke:#b8860b,stroke-dasharray: 4 3',
  unlinked: 'fill:#eeeeee,stroke:#777777,stroke-dasharray: 4 3',
  vanished: 'fill:#f8d7da,stroke:#a94442,stroke-dasharray: 4 3',
};

/** The steps `filesView` shows by default: the (last) crash and the start after it. */
export function defaultFileViewSteps(trace: TraceFile): number[] {
  const limit = trace.violation ? trace.violation.step : trace.steps.length - 1;
  let crash = -1;
  for (let k = Math.min(limit, trace.steps.length - 1); k >= 0; k--) {
    if (trace.steps[k]!.killed) {
      crash = k;
      break;
    }
  }
  if (crash < 0) return trace.steps.length ? [trace.steps.length - 1] : [];
  const restart = trace.steps.findIndex((s, k) => k > crash && s.event.type === 'start');
  return restart < 0 ? [crash] : [crash, restart];
}

function columnTitle(trace: TraceFile, i: number): string {
  const s = trace.steps[i]!;
  const t = `t=${s.observation.atMs} ms`;
  if (s.killed && s.event.type === 'powerLoss') return `after the power loss (step ${i}, ${t})`;
  if (s.killed) return `at the crash (step ${i}: ${s.event.type}, ${t})`;
  if (s.event.type === 'start') return `after recovery (step ${i}: start, ${t})`;
  return `after step ${i}: ${s.event.type} (${t})`;
}

/**
 * The files at some steps, by default at the crash and after the recovery that follows:
 * each file with its size in the page cache and on disk; files the page cache shows but a
 * power loss would lose (or roll back), files unlinked but still durable, and files that
 * vanished since the column before (or, for the first column, since the step before).
 */
export function filesView(trace: TraceFile, atSteps?: readonly number[]): string {
  const steps = (atSteps ?? defaultFileViewSteps(trace)).filter((k) => Number.isInteger(k) && k >= 0 && k < trace.steps.length);
  const rows: string[] = ['flowchart LR'];
  let prevStep: number | null = null;
  let prevIds: Map<string, string> | null = null;
  let prevCol: string | null = null;
  const edges: string[] = [];
  const used = new Set<FileStatus>();

  steps.forEach((k, col) => {
    const s = trace.steps[k]!;
    const cache = new Map(s.observation.files.map((f) => [f.path, f.bytes]));
    const durable = new Map(s.observation.durableFiles.map((f) => [f.path, f.bytes]));
    const refStep = prevStep ?? k - 1;
    const reference = refStep >= 0 ? trace.steps[refStep]!.observation.files : [];
    const refMap = new Map(reference.map((f) => [f.path, f.bytes]));
    const paths = [...new Set([...cache.keys(), ...durable.keys(), ...refMap.keys()])].sort();
    const colId = `s${k}_${col}`;
    const ids = new Map<string, string>();
    rows.push(`  subgraph ${colId}["${escapeLabel(columnTitle(trace, k))}"]`);
    rows.push('    direction TB');
    paths.forEach((path, n) => {
      const c = cache.get(path);
      const d = durable.get(path);
      const was = refMap.get(path);
      let status: FileStatus;
      let verdict: string;
      if (c === undefined && d === undefined) {
        status = 'vanished';
        verdict = '✗ gone, from the page cache and the disk';
      } else if (c === undefined) {
        status = 'unlinked';
        verdict = '⚠ unlinked, not durably: returns on power loss';
      } else if (d === undefined) {
        status = 'cacheOnly';
        verdict = '⚠ not durable: a power loss loses it';
      } else if (c !== d) {
        status = 'newer';
        verdict = `⚠ not durable: a power loss rolls it back to ${d} B`;
      } else {
        status = 'durable';
        verdict = '✔ durable';
      }
      const detail = [`page cache: ${c === undefined ? '—' : `${c} B`}`, `disk: ${d === undefined ? '—' : `${d} B`}`, verdict];
      const since = `step ${refStep}`;
      if (refStep >= 0) {
        if (was === undefined && c !== undefined) detail.push(`new since ${since}`);
        else if (was !== undefined && c === undefined) detail.push(`vanished since ${since} (was ${was} B)`);
        else if (was !== undefined && c !== undefined && was !== c) detail.push(`was ${was} B at ${since}`);
      }
      used.add(status);
      const id = `${colId}_f${n}`;
      ids.set(path, id);
      rows.push(`    ${id}["${lines(`<b>${escapeLabel(path)}</b>`, ...detail.map(escapeLabel))}"]:::${status}`);
    });
    if (paths.length === 0) rows.push(`    ${colId}_none["no files"]`);
    rows.push('  end');
    if (prevIds && prevCol) {
      let linked = false;
      for (const [path, id] of ids) {
        const from = prevIds.get(path);
        if (from) {
          edges.push(`  ${from} -.-> ${id}`);
          linked = true;
        }
      }
      if (!linked) edges.push(`  ${prevCol} --> ${colId}`);
    }
    prevStep = k;
    prevIds = ids;
    prevCol = colId;
  });
  if (steps.length === 0) rows.push('  empty["the trace has no steps"]');
  rows.push(...edges);
  for (const status of Object.keys(FILE_CLASSES) as FileStatus[]) if (used.has(status)) rows.push(`  classDef ${status} ${FILE_CLASSES[status]}`);
  return `${rows.join('\n')}\n`;
}
