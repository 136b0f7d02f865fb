/**
 * Mermaid diagrams of a trace (`filestore-trace/2`).
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
import { contentBytes, fatesOf, fileContent, unforced, type Disk, type FsView, type IssuedOp, type PowerLossKeep } from '../model/disk.js';
import type { PerformedOp } from '../model/io.js';
import type { Observation } from '../model/observe.js';
import { isBlockRecord, type Segment } from '../model/records.js';
import type { ModelState } from '../model/state.js';
import { initialState, step, type ModelEvent } from '../model/step.js';
import { CAUSE_DEFINITIONS, CAUSES, type Cause } from '../properties/causes.js';
import { probeDelivery } from '../properties/invariants.js';
import type { TimerFiring } from '../model/timers.js';
import { TRACE_FORMAT, type TraceFile, type TraceStep } from './trace.js';

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
export function escapeLabel(text: string, wrapAtChars = LABEL_WRAP_CHARS): string {
  return wrapText(text.replace(/\s*[\r\n]+\s*/g, ' '), wrapAtChars)
    .map((line) => line.replace(/[;#<>"]/g, (c) => ENTITIES[c]!))
    .join('<br/>');
}

/**
 * Longest line of a label, in characters: longer ones break at spaces. A label's width sets the
 * distance between participants, and the diagram must stay readable when a page shows it
 * 800 px wide.
 */
export const LABEL_WRAP_CHARS = 40;

/** Break text into lines of at most `max` characters at spaces (a longer word stays whole). */
export function wrapText(text: string, max: number): string[] {
  if (text.length <= max) return [text];
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > max) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

/** Join already-escaped lines with Mermaid's line break. */
function lines(...parts: readonly string[]): string {
  return parts.join('<br/>');
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A model time as people read it: "0 s", "0.2 s", "120 s", "120.2 s". */
export function time(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** "t = 120 s". */
function at(ms: number): string {
  return `t = ${time(ms)}`;
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
      return `index.db image, ${s.bytes} B (${plural(s.summary.msgs, 'msg')}, seq ${seqRange(s.summary.firstSeq, s.summary.lastSeq)}, lmb ${s.summary.lmbIndex})`;
    case 'odat':
      return `o.dat image, ${s.bytes} B (delivered ${s.state.delivered.streamSeq}, ack floor ${s.state.ackFloor.streamSeq})`;
    case 'fragment':
      return `fragment of ${s.of}, ${s.bytes} B`;
    case 'zeros':
      return `zeros, ${s.bytes} B`;
  }
}

/** One file operation, e.g. "unlink msgs/2.blk (removeMsgBlock)". Unescaped. */
export function opLabel(p: Pick<PerformedOp, 'op'> & { readonly fn?: string }): string {
  const op = p.op;
  const fn = p.fn ? ` (${p.fn})` : '';
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

/** Paths as people sort them: msgs/2.blk before msgs/10.blk. */
export function byPath(a: { readonly path: string }, b: { readonly path: string }): number {
  return a.path.localeCompare(b.path, 'en', { numeric: true });
}

function fileItems(files: Observation['files']): string[] {
  return [...files].sort(byPath).map((f) => `${f.path} ${f.bytes} B`);
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
      if (!sameOps(r.ops, s.ops)) return { before: before.slice(0, i), stopped: `step ${i + 1} replays differently` };
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
    return `${plural(s.msgs, 'msg')}, seq ${seqRange(s.firstSeq, s.lastSeq)}, blocks [${blocks}], last block ${s.lmbIndex}`;
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
  return s.killed || s.log.length > 0 || trace.violation?.step === i + 1;
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
  return [parts.join(' · '), `then ${at(last.atMs)}: stream ${streamLabel(last)}`].filter(Boolean);
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
  const head = escapeLabel(`[${i + 1}] advance ${time(s.event.ms)} (t = ${time(prevMs)} → ${time(s.observation.atMs)})`);
  if (s.timers.length === 0) {
    out.note('FS,PC', lines(head, 'no timer fired'));
    for (const p of s.ops) drawOp(out, p);
    return;
  }
  const times = [...new Set(s.timers.map((t) => t.atMs))];
  const drawn = new Set<number>();
  times.forEach((firedAt, k) => {
    const fired = s.timers.filter((t) => t.atMs === firedAt).map((t) => timerLabel(t.timer));
    const text = escapeLabel(`${at(firedAt)}: ${fired.join(', ')}`);
    out.note('FS,PC', k === 0 ? lines(head, text) : text);
    s.ops.forEach((p, n) => {
      if (p.atMs === firedAt) {
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
  const tag = `[${i + 1}]`;
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
  if (changes.length) out.msg('PC', '-->>', 'D', lines(...listLines('now durable: ', changes).map((t) => escapeLabel(t))));
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
  const title = afterCrash ? `▶ [${i + 1}] start: recovery after the crash (${at(s.observation.atMs)})` : `▶ [${i + 1}] start (${at(s.observation.atMs)})`;
  const files = prev?.files ?? [];
  const noBlock = files.length > 0 && !files.some((f) => /^msgs\/\d+\.blk$/.test(f.path));
  const found = files.length === 0 ? ['the store finds: no files'] : listLines('the store finds: ', [...fileItems(files), ...(noBlock ? ['and no msg block file'] : [])], 4);
  const reads = [...found, ...recoveryInputs(replay, i)];
  out.note(`${parts.first},${parts.last}`, lines(escapeLabel(title), ...reads.map((t) => escapeLabel(t))));
  drawOps(out, s);
  drawDurable(out, durableBefore(trace, i), s.observation.durableFiles);
  if (s.killed) return; // the crash block says the rest
  const before = lastRunning(trace, i);
  const was = afterCrash && before?.stream ? ` (before the crash: ${streamLabel(before)})` : '';
  const state = [`recovered stream: ${streamLabel(s.observation)}${was}`, ...consumersLabel(s.observation)];
  out.note(`P,FS`, lines(...state.map((t) => escapeLabel(t))));
  const why = afterCrash ? lastSeqReasons(trace, replay, i) : [];
  // The search's classification of the violation at this restart, in words (properties/causes.ts).
  const cause = trace.violation?.cause;
  if (why.length > 0 && cause && trace.violation!.step === i + 1 && isCause(cause)) why.push(`• cause ${cause}: ${CAUSE_DEFINITIONS[cause]}`);
  if (why.length) out.note(`P,FS`, lines(...why.map((t) => escapeLabel(t))));
}

/** The block records in a view, each with its file: what recovery can rebuild a stream from. */
function blockRecords(view: FsView): { path: string; seg: Segment & { seq: number } }[] {
  const out: { path: string; seg: Segment & { seq: number } }[] = [];
  for (const path of Object.keys(view.entries).sort()) {
    if (!/^msgs\/\d+\.blk$/.test(path)) continue;
    for (const seg of fileContent(view, path) ?? []) if (isBlockRecord(seg)) out.push({ path, seg });
  }
  return out;
}

function indexDbOf(view: FsView): Extract<Segment, { kind: 'indexdb' }> | null {
  const content = fileContent(view, 'msgs/index.db') ?? [];
  const only = content.length === 1 ? content[0]! : null;
  return only?.kind === 'indexdb' ? only : null;
}

/** The last step before i that ended the process by a crash, or -1. */
function lastCrash(trace: TraceFile, i: number): number {
  for (let k = i - 1; k >= 0; k--) if (trace.steps[k]!.killed) return k;
  return -1;
}

/**
 * Why a restart after a crash came back with the LastSeq it did: the highest record recovery
 * found and where, what index.db said and whether recovery kept it, and (when LastSeq went
 * back) the record that held the old LastSeq and what happened to it: unlinked by the crashed
 * step, never written because the process died first, or lost with the power.
 */
function isCause(c: string): c is Cause {
  return (CAUSES as readonly string[]).includes(c);
}

function lastSeqReasons(trace: TraceFile, replay: Replay | null, i: number): string[] {
  const now = trace.steps[i]!.observation.stream;
  const before = lastRunning(trace, i)?.stream;
  const found = replay?.before[i];
  if (!now || !before || !found) return [];
  const was = before.lastSeq;
  const out = [`why LastSeq is ${now.lastSeq}${now.lastSeq !== was ? ` (it was ${was})` : ''}:`];
  const records = blockRecords(found.disk.cache);
  const top = records.reduce<(typeof records)[number] | null>((m, r) => (!m || r.seg.seq > m.seg.seq ? r : m), null);
  out.push(top ? `• the highest record in the block files is ${top.seg.kind} seq ${top.seg.seq}, in ${top.path}` : '• no block file holds a record');
  const idx = indexDbOf(found.disk.cache);
  if (idx) {
    const kept = idx.summary.lastSeq === now.lastSeq;
    const warning = trace.steps[i]!.log[0];
    out.push(`• index.db says LastSeq ${idx.summary.lastSeq} (last block ${idx.summary.lmbIndex})${kept ? '' : `: recovery did not keep it${warning ? ` (${warning.replace(/^Filestore \[[^\]]*\] /, '')})` : ''}`}`);
  } else out.push('• there is no readable index.db');
  if (now.lastSeq >= was) return out;
  const c = lastCrash(trace, i);
  if (c < 0) return out;
  const crashed = trace.steps[c]!;
  // Under power loss the process died at a kill point in the step before the power loss.
  const crashedStep = crashed.event.type === 'powerLoss' && c > 0 && trace.steps[c - 1]!.killed ? c - 1 : c;
  const crashState = replay?.before[crashedStep];
  if (!crashState) return out;
  const holders = blockRecords(crashState.disk.cache).filter((r) => r.seg.seq === was);
  for (const h of holders) {
    const unlink = trace.steps[crashedStep]!.ops.find((p) => p.op.type === 'unlink' && p.op.path === h.path);
    if (unlink) out.push(`• ${h.seg.kind} seq ${was} was in ${h.path}, which ${unlink.fn} unlinked in step ${crashedStep + 1}`);
    else if (!records.some((r) => r.path === h.path && r.seg.seq === was)) out.push(`• ${h.seg.kind} seq ${was} was in ${h.path}; it did not survive the crash in step ${c + 1}`);
  }
  // The write that would have held it, had the process lived: the first never-made record write at or past it.
  const uncut = uncutOps(trace, replay, crashedStep);
  const never = uncut?.slice(trace.steps[crashedStep]!.ops.length).find((p) => p.op.type === 'write' && isBlockRecord(p.op.segment) && p.op.segment.seq >= was);
  if (never) out.push(`• never made (the process died first): ${opLabel(never)}`);
  if (crashed.event.type === 'powerLoss' || trace.steps[crashedStep + 1]?.event.type === 'powerLoss') {
    const lossAt = crashed.event.type === 'powerLoss' ? c : crashedStep + 1;
    const fate = inFlightFate(replay, lossAt, (trace.steps[lossAt]!.event as { keep: PowerLossKeep }).keep);
    // A lost write to a file the crashed step unlinked explains nothing: the unlink took the record anyway.
    const unlinked = new Set(holders.filter((h) => trace.steps[crashedStep]!.ops.some((p) => p.op.type === 'unlink' && p.op.path === h.path)).map((h) => h.path));
    const holds = (o: IssuedOp) => o.op.type === 'write' && isBlockRecord(o.op.segment) && o.op.segment.seq >= was && !unlinked.has(o.op.path);
    const lostWrite = fate?.lost.find(holds);
    const tornWrite = fate?.torn.find(holds);
    if (lostWrite) out.push(`• lost with the power (never durable): ${opLabel(lostWrite)}`);
    else if (tornWrite) out.push(`• torn by the power loss (part of it never durable): ${opLabel(tornWrite)}`);
  }
  return out;
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
      out.note('FS,D', lines(escapeLabel(`☠ [${i + 1}] process killed between steps (${at(s.observation.atMs)})`), escapeLabel('the page cache survives, in-memory state is lost')));
      return;
    }
    if (e.type === 'powerLoss') {
      drawPowerLoss(out, trace, replay, i);
      return;
    }
    const done = s.ops.length;
    const uncut = uncutOps(trace, replay, i);
    const kp = killPointOf(e);
    let head: string;
    if (uncut) head = `☠ process killed after ${done} of ${uncut.length} file operations of this step (${at(s.observation.atMs)})`;
    else if (kp !== undefined && kp > done) head = `☠ process killed after ${done} of ${done} file operations of this step, at its end (${at(s.observation.atMs)})`;
    else head = `☠ process killed after ${done} file operations of this step (${at(s.observation.atMs)})`;
    const missing = uncut ? uncut.slice(done) : [];
    const last = s.ops[done - 1];
    const cut = last ? `the last operation issued: ${opLabel(last)}` : 'before its first file operation';
    const tail = missing.length === 0 ? (uncut ? 'every operation of the step was issued' : '') : `${plural(missing.length, 'operation')} never happened:`;
    out.note('FS,D', lines(...[head, cut, tail].filter(Boolean).map((t) => escapeLabel(t))));
    for (const p of missing.slice(0, opts.maxNeverHappened)) {
      const label = escapeLabel(`never happened: ${opLabel(p)}`);
      if (p.op.type === 'fsync' || p.op.type === 'fsyncDir') out.msg('PC', '--x', 'D', label);
      else out.msg('FS', '--x', 'PC', label);
    }
    if (missing.length > opts.maxNeverHappened) out.note('FS,D', escapeLabel(`… and ${missing.length - opts.maxNeverHappened} more operations that never happened`));
  });
}

/** At most `max` items, one per line, then how many more. */
function shortList(prefix: string, items: readonly string[], max = 6): string[] {
  if (items.length === 0) return [];
  const shown = items.slice(0, max).map((x, k) => (k === 0 ? `${prefix}${x}` : `  ${x}`));
  if (items.length > max) shown.push(`  … and ${items.length - max} more`);
  return shown;
}

/**
 * What a power loss did to the operations not yet durable (in flight and not forced by the file
 * system): which survived whole, which survived torn or as zeros, which were lost; the model's
 * own reading of the choice (`fatesOf`), so the diagram cannot disagree with it. Null without a replay.
 */
function inFlightFate(replay: Replay | null, i: number, keep: PowerLossKeep): { survived: string[]; tornLabels: string[]; lost: IssuedOp[]; torn: IssuedOp[]; total: number } | null {
  const state = replay?.before[i];
  if (!state) return null;
  const disk = state.disk as Disk;
  const fates = fatesOf(disk, keep);
  if (typeof fates === 'string') return null;
  const ops = unforced(disk);
  const survived: string[] = [];
  const tornLabels: string[] = [];
  const lost: IssuedOp[] = [];
  const torn: IssuedOp[] = [];
  for (const o of ops) {
    const fate = fates.get(o.id) ?? { kind: 'drop' };
    if (fate.kind === 'keep') survived.push(opLabel(o));
    else if (fate.kind === 'drop') lost.push(o);
    else {
      torn.push(o);
      tornLabels.push(`${opLabel(o)}: ${fate.pages.length === 0 ? 'at its new size, reading as zeros' : `torn, only page${fate.pages.length === 1 ? '' : 's'} ${fate.pages.join(', ')} (4 KiB) kept`}`);
    }
  }
  return { survived, tornLabels, lost, torn, total: ops.length };
}

function drawPowerLoss(out: Out, trace: TraceFile, replay: Replay | null, i: number): void {
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
  const flight = inFlightFate(replay, i, s.event.keep);
  const partly = flight && flight.torn.length > 0 ? `, ${flight.torn.length} survived only in part` : '';
  const rows = [`⚡ [${i + 1}] power lost (${at(s.observation.atMs)})${flight ? `: of ${plural(flight.total, 'operation')} not yet durable, ${flight.survived.length} survived${partly} and ${flight.lost.length} ${flight.lost.length === 1 ? 'was' : 'were'} lost` : ''}`];
  if (flight) {
    rows.push(...shortList('survived: ', flight.survived));
    rows.push(...shortList('in part: ', flight.tornLabels));
    rows.push(...shortList('lost: ', flight.lost.map((o) => opLabel(o))));
  }
  rows.push('files, before → after:');
  if (kept.length) rows.push(...listLines('unchanged: ', kept));
  if (changed.length) rows.push(...listLines('rolled back: ', changed));
  if (lost.length) rows.push(...listLines('gone: ', lost));
  if (back.length) rows.push(...listLines('came back (deleted, but not durably): ', back));
  if (!kept.length && !changed.length && !lost.length && !back.length) rows.push('no files, before or after');
  out.note('FS,D', lines(...rows.map((t) => escapeLabel(t))));
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
  out.note('FS,D', lines(escapeLabel(`✎ [${i + 1}] operator, server down: ${what} (made durable)`), ...s.ops.map((p) => escapeLabel(opLabel(p)))));
}

/** The state after step i, from the replay (null when the replay did not reach it). */
function stateAfter(trace: TraceFile, replay: Replay | null, i: number): ModelState | null {
  const next = replay?.before[i + 1];
  if (next) return next;
  const before = replay?.before[i];
  if (!before) return null;
  try {
    return step(before, trace.steps[i]!.event).state;
  } catch {
    return null;
  }
}

/**
 * The probe behind consumer-keeps-delivering (properties/invariants.ts probeDelivery), drawn:
 * a message stored after the restart, and the consumer that never delivers it.
 */
function drawProbe(out: Out, trace: TraceFile, parts: Participants, replay: Replay | null, i: number): void {
  const state = stateAfter(trace, replay, i);
  const stuck = state ? probeDelivery(state) : null;
  if (!stuck) return;
  const cid = parts.consumerIds.get(stuck.consumer) ?? 'FS';
  out.msg('P', '->>', 'FS', escapeLabel(`probe: store one message → seq ${stuck.storedSeq}`));
  out.msg('FS', '--x', cid, escapeLabel(`never delivered: consumer ${stuck.consumer}'s next sequence is ${stuck.deliveredPointer + 1}, past seq ${stuck.storedSeq}`));
  out.note(all2(parts), escapeLabel(`probe: delivered again after AckWait (${time(trace.config.ackWaitMs)}): still not seq ${stuck.storedSeq}`));
}

function all2(parts: Participants): string {
  return `${parts.first},${parts.last}`;
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
    `title: ${JSON.stringify(escapeLabel(trace.title || 'filestore trace', Infinity))}`,
    '---',
    `%% ${TRACE_FORMAT}, profile ${trace.profile}, ${trace.steps.length} steps${replay?.stopped ? `, replay stopped: ${replay.stopped}` : ''}`.replace(/[\r\n]+/g, ' '),
    'sequenceDiagram',
    ...decl,
  ];

  let prevMs = 0;
  for (let i = 0; i < trace.steps.length; i++) {
    const s = trace.steps[i]!;
    const e = s.event;
    if (e.type === 'start') drawStart(out, trace, parts, replay, i);
    else if (e.type === 'stop') {
      out.note(all, escapeLabel(`■ [${i + 1}] stop: clean shutdown (${at(s.observation.atMs)})`));
      drawOps(out, s);
      drawDurable(out, durableBefore(trace, i), s.observation.durableFiles);
    } else if (e.type === 'kill' || e.type === 'powerLoss') {
      /* the crash block below */
    } else if (e.type === 'deleteFile' || e.type === 'copyFile' || e.type === 'renameFile' || e.type === 'truncateFile') drawFileEdit(out, s, i);
    else {
      drawEvent(out, trace, parts, i, prevMs);
      drawOps(out, s);
      drawDurable(out, durableBefore(trace, i), s.observation.durableFiles);
      if (e.type !== 'advance' && s.timers.length) out.note('FS,PC', escapeLabel(`timers fired: ${s.timers.map((t) => `${timerLabel(t.timer)} at ${at(t.atMs)}`).join(', ')}`));
    }
    if (s.killed) drawCrash(out, trace, replay, i, o);

    const foldEnd = folds.get(i);
    if (foldEnd !== undefined) {
      out.note('FS,PC', lines(escapeLabel(`… ×${foldEnd - i} similar steps folded (steps ${i + 2}–${foldEnd + 1})`), ...foldSummary(trace, i + 1, foldEnd).map((t) => escapeLabel(t))));
      drawDurable(out, s.observation.durableFiles, trace.steps[foldEnd]!.observation.durableFiles);
      i = foldEnd;
    }
    prevMs = trace.steps[i]!.observation.atMs;
  }

  if (trace.violation) {
    const v = trace.violation;
    out.block(`rect ${VIOLATION_RGB}`, () => {
      out.note(all, lines(escapeLabel(`✗ ${v.property}: ${v.message}`), escapeLabel(`(after step ${v.step}${v.cause ? `; cause: ${v.cause}` : ''})`)));
      if (v.property === 'consumer-keeps-delivering') drawProbe(out, trace, parts, replay, v.step - 1);
    });
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
  const limit = trace.violation ? trace.violation.step - 1 : trace.steps.length - 1;
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
  const t = at(s.observation.atMs);
  if (s.killed && s.event.type === 'powerLoss') return `after the power loss (step ${i + 1}, ${t})`;
  if (s.killed) return `at the crash (step ${i + 1}: ${s.event.type}, ${t})`;
  if (s.event.type === 'start') return `after recovery (step ${i + 1}: start, ${t})`;
  return `after step ${i + 1}: ${s.event.type} (${t})`;
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
  let prevCache: ReadonlyMap<string, number> | null = null;
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
    const paths = [...new Set([...cache.keys(), ...durable.keys(), ...refMap.keys()])].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
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
      const since = `step ${refStep + 1}`;
      if (refStep >= 0) {
        if (was === undefined && c !== undefined) detail.push(`new since ${since}`);
        else if (was !== undefined && c === undefined) detail.push(`vanished since ${since} (was ${was} B)`);
        else if (was !== undefined && c !== undefined && was !== c) detail.push(`was ${was} B at ${since}`);
      }
      used.add(status);
      const id = `${colId}_f${n}`;
      ids.set(path, id);
      rows.push(`    ${id}["${lines(`<b>${escapeLabel(path)}</b>`, ...detail.map((t) => escapeLabel(t)))}"]:::${status}`);
    });
    if (paths.length === 0) rows.push(`    ${colId}_none["no files"]`);
    rows.push('  end');
    if (prevIds && prevCol) {
      let linked = false;
      for (const [path, id] of ids) {
        const from = prevIds.get(path);
        // The same file only if it is in the page cache in both columns (or in neither): a file
        // deleted in one and created anew by the next is another file under the same name.
        if (from && prevCache?.has(path) === cache.has(path)) {
          edges.push(`  ${from} -.-> ${id}`);
          linked = true;
        }
      }
      if (!linked) edges.push(`  ${prevCol} --> ${colId}`);
    }
    prevStep = k;
    prevIds = ids;
    prevCache = cache;
    prevCol = colId;
  });
  if (steps.length === 0) rows.push('  empty["the trace has no steps"]');
  rows.push(...edges);
  for (const status of Object.keys(FILE_CLASSES) as FileStatus[]) if (used.has(status)) rows.push(`  classDef ${status} ${FILE_CLASSES[status]}`);
  return `${rows.join('\n')}\n`;
}
