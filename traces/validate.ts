/**
 * Reading a trace file: bounded in size, parsed as JSON, checked against the one schema of
 * `filestore-trace/2` (schemas/trace.ts), so a malformed, foreign or outdated file gets one line
 * naming the file, the step (counted from 1) and the field, never a stack trace.
 */
import { describeIssues, printable } from '../schemas/issues.js';
import { MAX_TRACE_FILE_BYTES } from '../schemas/limits.js';
import { parseJsonText, readInputFile } from '../schemas/read.js';
import { traceSchema } from '../schemas/trace.js';
import { SCENARIO_FORMAT } from '../schemas/scenario.js';
import type { TraceFile } from './trace.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class TraceError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${printable(file)}: ${problem}`);
    this.name = 'TraceError';
  }
}

/** Validate a parsed trace against the schema. Throws only TraceError. */
export function readTrace(value: unknown, file: string): TraceFile {
  if (isObject(value) && value.format === SCENARIO_FORMAT) throw new TraceError(file, `is a scenario (${SCENARIO_FORMAT}), not a trace: \`trace ${printable(file)} --out T.json\` turns it into one`);
  const r = traceSchema.safeParse(value, { reportInput: true });
  if (r.success) return r.data;
  const { step, text } = describeIssues(r.error.issues);
  throw new TraceError(file, `${step === null ? '' : `step ${step + 1}: `}${text}`);
}

export function loadTraceFile(path: string): TraceFile {
  const read = readInputFile(path, MAX_TRACE_FILE_BYTES);
  if (!read.ok) throw new TraceError(path, read.problem);
  const json = parseJsonText(read.text);
  if (!json.ok) throw new TraceError(path, json.problem);
  return readTrace(json.value, path);
}
