/**
 * What every docs page shares: the page contract (`Page`, `PageFn`, `definePage`), the
 * context pages read the model through (`DocsContext`), and small Markdown helpers.
 *
 * A page is a pure function of the context: no clock, no file system, no absolute paths,
 * no unordered iteration, so `npm run docs` writes the same bytes every time. A page states
 * facts it reads from the model; where its prose depends on what a trace looks like, it checks
 * that with `ensure`, so a change in the model fails the generator instead of leaving the docs
 * saying something the model no longer does.
 */
import type { StoreConfig } from '../../model/config.js';
import type { PerformedOp } from '../../model/io.js';
import type { IndexDbSummary } from '../../model/records.js';
import type { ModelState } from '../../model/state.js';
import { initialState, step, type ModelEvent } from '../../model/step.js';
import type { CheckRow, CheckRun } from '../../cli/check.js';
import type { CrashModel, ExploreBounds } from '../../properties/alphabet.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS, type PropertyResult } from '../../properties/explore.js';
import { PROPERTY_IDS, type PropertyId } from '../../properties/invariants.js';
import { rootNode, runAction, type SearchContext } from '../../properties/runner.js';
import { describeEvent } from '../../traces/describe.js';
import { opLabel } from '../../traces/mermaid.js';
import { makeTrace, traceStep, type TraceFile, type TraceOrigin, type TraceStep, type TraceViolation } from '../../traces/trace.js';

// ---- The page contract ------------------------------------------------------------------------

export interface Diagram {
  /** File name under docs/diagrams/, without `.svg`: lower case, digits and dashes. */
  readonly name: string;
  /** Mermaid text. */
  readonly mmd: string;
}

export interface Page {
  /** File name under docs/, e.g. `seed-bug.md`. */
  readonly file: string;
  readonly title: string;
  /** The body (the generator adds the "generated" comment and the `# title` heading). */
  readonly markdown: string;
  /** Every diagram the markdown embeds; the generator renders each to docs/diagrams/<name>.svg. */
  readonly diagrams: readonly Diagram[];
}

/** A page: one function of the context, with the name, title and one-line summary the index lists. */
export interface PageFn {
  (ctx: DocsContext): Promise<Page>;
  readonly file: string;
  readonly title: string;
  readonly summary: string;
}

export interface PageLink {
  readonly file: string;
  readonly title: string;
  readonly summary: string;
}

import type { MatrixResult } from '../../properties/matrix.js';

/** A check run that finished within its budget (the docs are generated only from those). */
export type CompleteCheckRun = CheckRun & { readonly result: NonNullable<CheckRun['result']> };

/** The default check (`npm run corpus`): every property under each checked crash model. */
export interface CheckMatrix {
  readonly profile: string;
  readonly bounds: ExploreBounds;
  readonly crashModels: readonly CrashModel[];
  /** One per crash model, in `crashModels` order, each complete. Their `seconds` are never written to the docs. */
  readonly runs: readonly CompleteCheckRun[];
  readonly rows: readonly CheckRow[];
}

/** A trace with every property judged along it, as the search judges a run. */
export interface JudgedTrace {
  readonly trace: TraceFile;
  /** Every violation, in step order (then property order). The trace's `violation` is the first. */
  readonly violations: readonly TraceViolation[];
  /** How often each property's precondition was reached. */
  readonly reached: Readonly<Partial<Record<PropertyId, number>>>;
}

/** What pages read. The generator's context computes each expensive thing once, when first asked. */
export interface DocsContext {
  /** The server version profile the docs describe. */
  readonly profile: string;
  /** The verdict matrix `npm start` prints (runCheck). */
  check(): CheckMatrix;
  /** The verdict matrix of every profile and proposed fix, with costs and closure (properties/matrix.ts). */
  matrix(): MatrixResult;
  /** A scenario file (path relative to the repository) replayed as a judged trace. */
  scenarioTrace(file: string): JudgedTrace;
  /** Every page of the docs, in the order of the pages list. */
  pages(): readonly PageLink[];
  /** A text file of the repository (path relative to its root), e.g. a scenario's expectations. */
  repoText(path: string): string;
}

/** Registers a diagram for the page and returns the Markdown that embeds it. */
export type Figure = (name: string, mmd: string, caption: string) => string;

/** A page the generator (or the model) cannot write truthfully. */
export class DocsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocsError';
  }
}

/** Stop the generator when a page's prose no longer matches what the model does. */
export function ensure(condition: unknown, message: string): asserts condition {
  if (!condition) throw new DocsError(`docs out of date with the model: ${message}`);
}

export const DIAGRAM_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Where diagrams go, relative to docs/ (and to every page, which all live in docs/). */
export const DIAGRAMS_DIR = 'diagrams';

/** The fenced Mermaid block GitHub renders. */
export function mermaidBlock(mmd: string): string {
  return ['```mermaid', mmd.trimEnd(), '```'].join('\n');
}

/** The link to the rendered diagram, relative to a page in docs/. */
export function svgLink(name: string): string {
  return `[SVG](${DIAGRAMS_DIR}/${name}.svg)`;
}

/** The Markdown of one figure: a caption with a link to the rendered SVG, then the Mermaid block. */
export function figureMarkdown(name: string, mmd: string, caption: string): string {
  return `**${caption}** (${svgLink(name)})\n\n${mermaidBlock(mmd)}`;
}

/**
 * One page: `build` returns the Markdown body and registers its diagrams through `figure`.
 * Adding a page is one `definePage` in docs/pages/<name>.ts and one line in the pages list.
 */
export function definePage(meta: PageLink, build: (ctx: DocsContext, figure: Figure) => Promise<string>): PageFn {
  const fn = async (ctx: DocsContext): Promise<Page> => {
    const diagrams: Diagram[] = [];
    const figure: Figure = (name, mmd, caption) => {
      diagrams.push({ name, mmd });
      return figureMarkdown(name, mmd, caption);
    };
    const markdown = await build(ctx, figure);
    return { file: meta.file, title: meta.title, markdown, diagrams };
  };
  return Object.assign(fn, meta);
}

// ---- Markdown -------------------------------------------------------------------------------------

/** Blocks joined by blank lines; empty blocks dropped. */
export function md(...blocks: readonly (string | false | null | undefined)[]): string {
  return blocks.filter((b): b is string => typeof b === 'string' && b.trim() !== '').join('\n\n');
}

/** Inline code, safe for any text. */
export function code(text: string): string {
  const ticks = text.includes('`') ? '``' : '`';
  const pad = ticks.length > 1 ? ' ' : '';
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

export function mdTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (c: string) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${head.map(cell).join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "kill" → "kill", "power-loss:ext4" → "power-loss-ext4": for diagram names and anchors. */
export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** A fenced block. */
export function fenced(lang: string, text: string): string {
  return ['```' + lang, text.trimEnd(), '```'].join('\n');
}

// ---- Traces ----------------------------------------------------------------------------------------

function stepDetails(s: TraceStep, restart: boolean): string {
  const parts: string[] = [];
  const seqs = s.outcome.seqs;
  if (s.event.type === 'store' && seqs?.length) parts.push(`gets seq ${seqs.join(', ')}`);
  if (s.event.type === 'deliver') parts.push(s.outcome.deliveries?.length ? `delivers seq ${s.outcome.deliveries.map((d) => d.streamSeq).join(', ')}` : 'delivers nothing');
  if (s.ops.length) parts.push(`file operations: ${s.ops.map((p) => code(opLabel(p))).join(', ')}`);
  if (s.timers.length) parts.push(`timers: ${s.timers.map((t) => `${t.timer} at t=${t.atMs} ms`).join(', ')}`);
  for (const line of s.log) parts.push(`logs ${code(line)}`);
  if (s.event.type === 'start' && s.completed && !s.killed && s.observation.stream) {
    const st = s.observation.stream;
    const consumers = Object.entries(s.observation.consumers).map(([n, c]) => `consumer ${n} delivered ${c.delivered.streamSeq}, ack floor ${c.ackFloor.streamSeq}`);
    parts.push(`${restart ? 'comes back' : 'opens'} with ${plural(st.msgs, 'message')}, FirstSeq ${st.firstSeq}, LastSeq ${st.lastSeq}${consumers.length ? `; ${consumers.join('; ')}` : ''}`);
  }
  if (s.killed && s.event.type !== 'kill' && s.event.type !== 'powerLoss') parts.push('**the process dies here**');
  return parts.join('; ');
}

/** The steps as an ordered list numbered from 1, as the diagrams, the command line and the trace's `violation.step` number them. */
export function stepList(trace: TraceFile): string {
  return trace.steps
    .map((s, i) => {
      const details = stepDetails(s, trace.steps.slice(0, i).some((p) => p.event.type === 'start'));
      const mark = trace.violation?.step === i + 1 ? ` — ✗ ${code(trace.violation.property)}: ${trace.violation.message}` : '';
      return `${i + 1}. **${describeEvent(s.event)}**${details ? ` — ${details}` : ''}${mark}`;
    })
    .join('\n');
}

/** The events as a JSON array, one event a line (what a trace file's `steps[].event` hold). */
export function eventsJson(events: readonly ModelEvent[]): string {
  return `[\n${events.map((e) => `  ${JSON.stringify(e)}`).join(',\n')}\n]`;
}

/**
 * Run `events` from a fresh store and judge every property on every step, as the search does
 * (the same ghost, the same checks). Each event is one action.
 */
export function judgeRun(args: { config: StoreConfig; profile: string; events: readonly ModelEvent[]; title: string; origin?: TraceOrigin }): JudgedTrace {
  const ctx: SearchContext = { profile: args.profile, config: args.config, crash: 'kill', bounds: DEFAULT_EXHAUSTIVE_BOUNDS, properties: PROPERTY_IDS, coverage: {}, reached: {} };
  let node = rootNode(ctx);
  const steps: TraceStep[] = [];
  const violations: TraceViolation[] = [];
  args.events.forEach((event, i) => {
    const t = runAction(ctx, node, { events: [event], crash: event.type === 'kill' || event.type === 'powerLoss' }, null);
    const r = t.results[0]!;
    steps.push(traceStep(event, r));
    for (const v of t.violations) violations.push({ property: v.property, message: v.message, step: i + 1 });
    node = t.node;
  });
  const trace = makeTrace({ config: args.config, profile: args.profile, origin: args.origin ?? { kind: 'manual' }, title: args.title, violation: violations[0] ?? null, steps });
  return { trace, violations, reached: { ...(ctx.reached as Partial<Record<PropertyId, number>>) } };
}

/** The check's result for one property under one crash model. */
export function checkResult(m: CheckMatrix, property: PropertyId, crash: CrashModel): PropertyResult {
  const run = m.runs.find((r) => r.crash === crash);
  ensure(run, `the check has no run under ${crash}`);
  const r = run.result.results.find((x) => x.property === property);
  ensure(r, `the check has no result for ${property} under ${crash}`);
  return r;
}

/** A verdict cell: "**VIOLATED**: removal-window 6, unsynced-data 7" (each cause with its shortest length in events), "holds" or "vacuous". */
export function verdictCell(r: PropertyResult): string {
  if (r.verdict === 'violated') {
    const causes = r.causes.length ? r.causes.map((c) => `${c.cause} ${c.events.length}`) : [`${r.counterexample?.cause ?? 'other'} ${r.counterexample?.events.length ?? 0}`];
    return `**VIOLATED**: ${causes.join(', ')}`;
  }
  return r.verdict;
}

/** The bounds of the default check, in words. */
export function boundsText(b: ExploreBounds): string {
  const extra = [b.maxStarts !== undefined ? `≤ ${plural(b.maxStarts, 'start')}` : null, b.maxRedeliveries !== undefined ? `≤ ${plural(b.maxRedeliveries, 'redelivery', 'redeliveries')}` : null].filter((x) => x !== null);
  return `${b.depth === null ? 'no depth bound (the search runs to its fixpoint)' : `depth ≤ ${b.depth} actions`}, ≤ ${plural(b.maxMsgs, 'message')}, ≤ ${plural(b.maxCrashes, 'crash', 'crashes')}, ${plural(b.consumers, 'consumer')}, ${b.blockSizeBytes}-byte blocks${extra.length ? `, ${extra.join(', ')}` : ''}`;
}

/** The index of the first step at or after `from` that matches. */
export function findStep(trace: TraceFile, pred: (s: TraceStep, i: number) => boolean, from = 0): number {
  for (let i = from; i < trace.steps.length; i++) if (pred(trace.steps[i]!, i)) return i;
  return -1;
}

/** The model state before step `i` of a trace (replayed through the model). */
export function stateBefore(trace: TraceFile, i: number): ModelState {
  ensure(i >= 0 && i < trace.steps.length, `no step ${i}`);
  let state = initialState(trace.config, trace.profile);
  for (const prev of trace.steps.slice(0, i)) state = step(state, prev.event).state;
  return state;
}

/** The file operations step `i` would have issued without its kill point. */
export function uncutOps(trace: TraceFile, i: number): readonly PerformedOp[] {
  const { killAfterFileOps: _cut, ...event } = trace.steps[i]!.event as ModelEvent & { killAfterFileOps?: number };
  return step(stateBefore(trace, i), event as ModelEvent).ops;
}

/** The last index.db image written before step `i` (what a restart at step `i` reads, if it survived). */
export function lastIndexDbWrite(trace: TraceFile, i: number): IndexDbSummary | null {
  for (let k = i - 1; k >= 0; k--) {
    const ops = trace.steps[k]!.ops;
    for (let n = ops.length - 1; n >= 0; n--) {
      const op = ops[n]!.op;
      if (op.type === 'write' && op.segment.kind === 'indexdb') return op.segment.summary;
    }
  }
  return null;
}

/** A labelled numbered list of file operations. */
export function opList(ops: readonly PerformedOp[]): string {
  return ops.map((p, k) => `${k + 1}. ${code(opLabel(p))}`).join('\n');
}
