/**
 * `diagram TRACE --format mmd|svg|png --out FILE [--view sequence|files] [--fold N]`: draw a
 * trace file as a Mermaid sequence diagram (or the files at its crash) and write it as Mermaid
 * text, SVG or PNG. SVG and PNG are rendered in Chromium (traces/render.ts; CHROMIUM_PATH
 * overrides the browser). A diagram Mermaid would refuse is refused here first, with the fold
 * setting that would make it fit.
 */
import { DEFAULT_FOLD_THRESHOLD, filesView, sequenceDiagram } from '../traces/mermaid.js';
import { BrowserMissingError, MERMAID_MAX_EDGES, MERMAID_MAX_TEXT_CHARS, Renderer } from '../traces/render.js';
import type { TraceFile } from '../traces/trace.js';
import { loadTraceFile } from '../traces/validate.js';
import { flagHelp, parseArgs, UsageError } from './args.js';
import { checkOutputPath, writeOutputFile } from './io.js';

export const DIAGRAM_FLAGS = {
  format: { kind: 'string', help: 'output format: Mermaid text, or rendered with Chromium (default: from the --out extension)', choices: ['mmd', 'svg', 'png'] },
  out: { kind: 'string', help: 'the file to write' },
  view: { kind: 'string', help: 'sequence: every step and file operation; files: the files at the crash and after recovery', choices: ['sequence', 'files'], default: 'sequence' },
  fold: { kind: 'int', help: `sequence view: fold runs of more than N similar steps (0: never fold; default ${DEFAULT_FOLD_THRESHOLD})`, min: 0, max: 1_000_000 },
} as const;

export const DIAGRAM_SUMMARY = 'draw a trace file as a Mermaid diagram (mmd, svg or png)';
export const DIAGRAM_USAGE = `diagram TRACE --out FILE [--format mmd|svg|png] [--view sequence|files] [--fold N]\n${flagHelp(DIAGRAM_FLAGS)}\n  environment: CHROMIUM_PATH, the browser that renders svg and png (default /usr/bin/chromium)`;

type Format = 'mmd' | 'svg' | 'png';

function formatOf(flag: string | undefined, out: string): Format {
  if (flag === 'mmd' || flag === 'svg' || flag === 'png') return flag;
  const ext = /\.([A-Za-z]+)$/.exec(out)?.[1]?.toLowerCase();
  if (ext === 'mmd' || ext === 'svg' || ext === 'png') return ext;
  throw new UsageError('diagram: give --format mmd|svg|png (cannot tell it from the --out file name)');
}

/** Read and validate a trace file; problems are one-line `TraceError`s. */
export function readTraceFile(file: string): TraceFile {
  return loadTraceFile(file);
}

/** Links of a flowchart (`-.->` or `-->` lines). */
function edgeCount(mmd: string): number {
  return mmd.split('\n').filter((l) => /^\s+\S+ (-\.->|-->) \S+$/.test(l)).length;
}

/** Why Mermaid would refuse this text, or null. */
function tooLarge(mmd: string): string | null {
  if (mmd.length > MERMAID_MAX_TEXT_CHARS) return `${mmd.length} characters, more than Mermaid's limit of ${MERMAID_MAX_TEXT_CHARS}`;
  const edges = edgeCount(mmd);
  if (edges > MERMAID_MAX_EDGES) return `${edges} links, more than Mermaid's limit of ${MERMAID_MAX_EDGES}`;
  return null;
}

/** The sequence diagram at the requested fold, or a UsageError naming the fold that fits. */
function fittingSequence(trace: TraceFile, fold: number): string {
  const mmd = sequenceDiagram(trace, { foldThreshold: fold });
  const problem = tooLarge(mmd);
  if (!problem) return mmd;
  // Smaller thresholds fold more. Try the default and below (never a larger one: it folds less).
  const candidates = [DEFAULT_FOLD_THRESHOLD, 2, 1].filter((k, i, all) => all.indexOf(k) === i && (fold === 0 || k < fold));
  for (const k of candidates) {
    const smaller = sequenceDiagram(trace, { foldThreshold: k });
    if (!tooLarge(smaller)) throw new UsageError(`diagram: the sequence diagram at --fold ${fold} is ${problem}; use --fold ${k} (${smaller.length} characters)`);
  }
  throw new UsageError(`diagram: the sequence diagram is ${problem}, even folded as far as it goes (--fold 1); the trace's ${trace.steps.length} steps are too many to draw: draw a shorter trace`);
}

export async function runDiagramCommand(argv: readonly string[]): Promise<number> {
  const { flags, positional } = parseArgs(argv, DIAGRAM_FLAGS);
  if (positional.length !== 1) throw new UsageError(`diagram takes one TRACE file, got ${positional.length}`);
  const out = flags.out;
  if (out === undefined) throw new UsageError('diagram needs --out FILE');
  if (flags.view === 'files' && flags.fold !== undefined) throw new UsageError('option --fold applies to --view sequence only');
  const format = formatOf(flags.format, out);
  checkOutputPath('--out', out);
  const trace = readTraceFile(positional[0]!);
  let mmd: string;
  if (flags.view === 'files') {
    mmd = filesView(trace);
    const problem = tooLarge(mmd);
    if (problem) throw new UsageError(`diagram: the files view is ${problem}`);
  } else {
    mmd = fittingSequence(trace, flags.fold ?? DEFAULT_FOLD_THRESHOLD);
  }

  let data: string | Buffer = mmd;
  if (format !== 'mmd') {
    let renderer: Renderer;
    try {
      renderer = await Renderer.open();
    } catch (e) {
      if (e instanceof BrowserMissingError) throw new UsageError(e.message);
      throw e;
    }
    try {
      data = await renderer.render(mmd, format);
    } finally {
      await renderer.close();
    }
  }
  writeOutputFile('--out', out, data);
  return 0;
}
