/**
 * `diagram TRACE --format mmd|svg|png --out FILE [--view sequence|files] [--fold N]`: draw a
 * trace file as a Mermaid sequence diagram (or the files at its crash) and write it as Mermaid
 * text, SVG or PNG. SVG and PNG are rendered in the system Chromium (traces/render.ts).
 */
import { writeFileSync } from 'node:fs';
import { DEFAULT_FOLD_THRESHOLD, filesView, sequenceDiagram } from '../traces/mermaid.js';
import { BrowserMissingError, Renderer } from '../traces/render.js';
import type { TraceFile } from '../traces/trace.js';
import { loadTraceFile } from '../traces/validate.js';
import { flagHelp, parseArgs, UsageError } from './args.js';

export const DIAGRAM_FLAGS = {
  format: { kind: 'string', help: 'output format: Mermaid text, or rendered with Chromium (default: from the --out extension)', choices: ['mmd', 'svg', 'png'] },
  out: { kind: 'string', help: 'the file to write' },
  view: { kind: 'string', help: 'sequence: every step and file operation; files: the files at the crash and after recovery', choices: ['sequence', 'files'], default: 'sequence' },
  fold: { kind: 'int', help: `fold runs of more than N similar steps (0: never fold)`, min: 0, max: 1_000_000, default: DEFAULT_FOLD_THRESHOLD },
} as const;

export const DIAGRAM_SUMMARY = 'draw a trace file as a Mermaid diagram (mmd, svg or png)';
export const DIAGRAM_USAGE = `diagram TRACE --out FILE [--format mmd|svg|png] [--view sequence|files] [--fold N]\n${flagHelp(DIAGRAM_FLAGS)}`;

type Format = 'mmd' | 'svg' | 'png';

function formatOf(flag: string | undefined, out: string): Format {
  if (flag === 'mmd' || flag === 'svg' || flag === 'png') return flag;
  const ext = /\.([A-Za-z]+)$/.exec(out)?.[1]?.toLowerCase();
  if (ext === 'mmd' || ext === 'svg' || ext === 'png') return ext;
  throw new UsageError(`diagram: give --format mmd|svg|png (cannot tell it from "${out}")`);
}

/** Read and validate a trace file; problems are one-line `TraceError`s. */
export function readTraceFile(file: string): TraceFile {
  return loadTraceFile(file);
}

export async function runDiagramCommand(argv: readonly string[]): Promise<number> {
  const { flags, positional } = parseArgs(argv, DIAGRAM_FLAGS);
  if (positional.length !== 1) throw new UsageError(`diagram takes one TRACE file, got ${positional.length}`);
  const out = flags.out;
  if (out === undefined) throw new UsageError('diagram needs --out FILE');
  const format = formatOf(flags.format, out);
  const trace = readTraceFile(positional[0]!);
  const mmd = flags.view === 'files' ? filesView(trace) : sequenceDiagram(trace, { foldThreshold: flags.fold ?? DEFAULT_FOLD_THRESHOLD });

  let data: string | Buffer = mmd;
  if (format !== 'mmd') {
    let renderer: Renderer;
    try {
      renderer = await Renderer.open();
    } catch (e) {
      if (e instanceof BrowserMissingError) {
        process.stderr.write(`error: ${e.message}\n`);
        return 2;
      }
      throw e;
    }
    try {
      data = await renderer.render(mmd, format);
    } finally {
      await renderer.close();
    }
  }
  try {
    writeFileSync(out, data);
  } catch (e) {
    throw new UsageError(`--out ${out}: cannot write (${(e as Error).message.replace(/\s+/g, " ").trim()})`);
  }
  return 0;
}
