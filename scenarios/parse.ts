/**
 * Strict parser and validator for scenario files (`filestore-scenario/1`, see types.ts).
 * Every problem becomes a ScenarioError whose message is one line naming the file, the step
 * index (when there is one) and the field at fault. Beyond shape and ranges it checks what can
 * be known statically: the first step is `start`, consumers are declared, and every step is
 * valid for whether the store is running or down at that point.
 */

import { FILE_SYSTEM_NAMES } from '../model/filesystems.js';
import { readFileSync } from 'node:fs';
import {
  SCENARIO_FORMAT,
  ScenarioError,
  type KillPoint,
  type Retention,
  type Scenario,
  type ScenarioConsumer,
  type ScenarioOp,
  type ScenarioStep,
  type ScenarioStream,
} from './types.js';

type JsonObject = Record<string, unknown>;

/** Where a problem lies: the file and, inside `steps`, the step index. */
interface Where {
  readonly file: string;
  readonly step: number | null;
}

/** Whether the store process is running at some point of the script. */
type Power = 'up' | 'down';

/** Largest block size, payload or header size a scenario may name (64 MiB). */
export const MAX_BYTES = 64 * 1024 * 1024;
/** Largest `count` of a store, skip or deliver step. */
export const MAX_COUNT = 100_000;
/** Largest `advance` (one year) and `syncIntervalMs` (one day), in milliseconds. */
export const MAX_ADVANCE_MS = 86_400_000 * 365;
export const MAX_SYNC_INTERVAL_MS = 86_400_000;

const MAX_SEQ = Number.MAX_SAFE_INTEGER;
const RETENTIONS: readonly Retention[] = ['limits', 'workqueue', 'interest'];
const KEEPS = ['synced', 'all'] as const;
type ScenarioKeep = Extract<ScenarioStep, { op: 'powerLoss' }>['keep'];
const TOP_FIELDS = ['format', 'name', 'source', 'stream', 'consumers', 'steps'];
const TOP_REQUIRED = ['format', 'name', 'source', 'stream', 'steps'];
const STREAM_FIELDS = ['retention', 'blockSizeBytes', 'maxAgeMs', 'maxMsgsPerSubject', 'syncAlways', 'syncIntervalMs', 'fileSystem'];
const STREAM_REQUIRED = ['retention', 'blockSizeBytes'];
const SCENARIO_NAME = /^[A-Za-z0-9_.-]+$/;
const CONSUMER_NAME = /^[A-Za-z0-9_-]+$/;
const KILL = 'killAfterFileOps';
const DOWN_HINT = '(after stop, kill or powerLoss)';
const UP_HINT = '(after start)';

/** What a step op accepts and how it relates to the store being up or down. */
interface OpSpec {
  readonly required: readonly string[];
  readonly optional: readonly string[];
  /** May carry `killAfterFileOps`. */
  readonly killable: boolean;
  /** The store state the step needs. */
  readonly when: Power | 'either';
  /** The store state after the step (unchanged when absent; `killAfterFileOps` always means down). */
  readonly after?: Power;
}

function spec(when: OpSpec['when'], required: string[], optional: string[], killable: boolean, after?: Power): OpSpec {
  return after === undefined ? { required, optional, killable, when } : { required, optional, killable, when, after };
}

/** The step table of FORMAT.md. */
const OPS: Readonly<Record<ScenarioOp, OpSpec>> = {
  start: spec('down', [], [], true, 'up'),
  store: spec('up', ['subject', 'payloadBytes'], ['headersBytes', 'count'], true),
  skip: spec('up', [], ['count'], true),
  remove: spec('up', [], ['seq', 'from', 'to'], true),
  newBlock: spec('up', [], [], true),
  deliver: spec('up', ['consumer'], ['count'], true),
  ack: spec('up', ['consumer', 'streamSeq'], [], true),
  advance: spec('either', ['ms'], [], true),
  stop: spec('up', [], [], true, 'down'),
  kill: spec('up', [], [], false, 'down'),
  powerLoss: spec('up', ['keep'], [], false, 'down'),
  deleteFile: spec('down', ['path'], [], false),
  deleteFiles: spec('down', ['glob'], [], false),
  copyFile: spec('down', ['from', 'to'], [], false),
  renameFile: spec('down', ['from', 'to'], [], false),
  truncateFile: spec('down', ['path', 'bytes'], [], false),
  snapshot: spec('either', ['label'], [], false),
};

const KILLABLE_OPS = (Object.keys(OPS) as ScenarioOp[]).filter((op) => OPS[op].killable);

/**
 * Parses and validates the text of a scenario file. `file` only names the file in errors.
 * Returns the scenario with `consumers` defaulted to []; optional step and stream fields stay
 * absent when absent (the runner applies their defaults). Throws only ScenarioError.
 */
export function parseScenario(text: string, file: string): Scenario {
  const top: Where = { file, step: null };
  const o = expectObject(top, 'top level', parseJson(top, text));
  checkFormat(top, o);
  checkFields(top, o, TOP_FIELDS, TOP_REQUIRED, 'at top level');
  const name = scenarioName(top, field(o, 'name'));
  const source = nonEmptyString(top, 'source', field(o, 'source'));
  const stream = parseStream(top, field(o, 'stream'));
  const consumers = parseConsumers(top, field(o, 'consumers'));
  const steps = parseSteps(file, field(o, 'steps'), new Set(consumers.map((c) => c.name)));
  return { format: SCENARIO_FORMAT, name, source, stream, consumers, steps };
}

/**
 * Reads and parses a scenario file. A missing or unreadable file is a ScenarioError
 * ("cannot read file: ..."), like every other problem.
 */
export function loadScenarioFile(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ScenarioError(path, null, `cannot read file: ${oneLine(errorMessage(err))}`);
  }
  return parseScenario(text, path);
}

/** Joins the lines of a message into one line (line breaks and the spaces around them become one space). */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ').trim();
}

// ---------------------------------------------------------------------------------------------
// Generic checks

function fail(at: Where, problem: string): never {
  throw new ScenarioError(at.file, at.step, oneLine(problem));
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function parseJson(at: Where, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    return fail(at, `not valid JSON: ${errorMessage(err)}`);
  }
}

/** A value as it appears in an error: JSON, cut short when long. */
function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectObject(at: Where, label: string, value: unknown): JsonObject {
  if (!isObject(value)) fail(at, `${label}: must be a JSON object, got ${show(value)}`);
  return value;
}

/** An own field of a parsed object (never something inherited from Object.prototype). */
function field(o: JsonObject, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function has(o: JsonObject, key: string): boolean {
  return Object.hasOwn(o, key);
}

/** Rejects fields outside `allowed`, then reports the first missing `required` one. `where` ends the message. */
function checkFields(at: Where, o: JsonObject, allowed: readonly string[], required: readonly string[], where: string): void {
  const unknown = Object.keys(o).find((key) => !allowed.includes(key));
  if (unknown !== undefined) fail(at, `unknown field ${show(unknown)} ${where}`);
  const missing = required.find((key) => !has(o, key));
  if (missing !== undefined) fail(at, `missing field "${missing}" ${where}`);
}

function int(at: Where, label: string, value: unknown, min: number, max: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  const tooBig = typeof value === 'number' && value > max;
  const range = max === MAX_SEQ && !tooBig ? `>= ${min}` : `from ${min} to ${max}`;
  return fail(at, `${label}: must be an integer ${range}, got ${show(value)}`);
}

function nonEmptyString(at: Where, label: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') fail(at, `${label}: must be a non-empty string, got ${show(value)}`);
  return value;
}

function oneOf<T extends string>(at: Where, label: string, value: unknown, allowed: readonly T[]): T {
  const found = allowed.find((a) => a === value);
  if (found === undefined) fail(at, `${label}: must be ${allowed.map((a) => `"${a}"`).join(' or ')}, got ${show(value)}`);
  return found;
}

function bool(at: Where, label: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(at, `${label}: must be true or false, got ${show(value)}`);
  return value;
}

/**
 * A file path relative to the stream directory: non-empty '/'-separated segments, none of
 * them '.' or '..', no leading '/', no '\' or NUL; '*' only in a glob.
 */
function filePath(at: Where, label: string, value: unknown, glob: boolean): string {
  const kind = glob ? 'glob' : 'path';
  if (typeof value !== 'string' || value === '') fail(at, `${label}: must be a non-empty relative ${kind}, got ${show(value)}`);
  const bad = pathProblem(value, glob);
  if (bad !== null) fail(at, `${label}: ${bad}, got ${show(value)}`);
  return value;
}

function pathProblem(path: string, glob: boolean): string | null {
  if (path.startsWith('/')) return "must be relative (no leading '/')";
  const segments = path.split('/');
  if (segments.includes('..')) return "must not contain '..' segments";
  if (segments.includes('.')) return "must not contain '.' segments";
  if (segments.includes('')) return "must not contain empty segments ('//' or a trailing '/')";
  if (/[\\\0]/.test(path)) return "must not contain '\\' or NUL";
  if (!glob && path.includes('*')) return "must not contain '*' (only a deleteFiles glob may)";
  return null;
}

// ---------------------------------------------------------------------------------------------
// Top level, stream, consumers

function checkFormat(at: Where, o: JsonObject): void {
  if (!has(o, 'format')) fail(at, 'missing field "format" at top level');
  const format = field(o, 'format');
  if (format !== SCENARIO_FORMAT) fail(at, `format: expected "${SCENARIO_FORMAT}", got ${show(format)}`);
}

function scenarioName(at: Where, value: unknown): string {
  if (typeof value !== 'string' || !SCENARIO_NAME.test(value)) {
    fail(at, `name: must be a non-empty string of letters, digits, '-', '_' or '.', got ${show(value)}`);
  }
  return value;
}

function parseStream(at: Where, value: unknown): ScenarioStream {
  const o = expectObject(at, 'stream', value);
  checkFields(at, o, STREAM_FIELDS, STREAM_REQUIRED, 'in "stream"');
  const stream: ScenarioStream = {
    retention: oneOf(at, 'stream.retention', field(o, 'retention'), RETENTIONS),
    blockSizeBytes: int(at, 'stream.blockSizeBytes', field(o, 'blockSizeBytes'), 64, MAX_BYTES),
  };
  if (has(o, 'maxAgeMs')) stream.maxAgeMs = int(at, 'stream.maxAgeMs', field(o, 'maxAgeMs'), 0, MAX_SEQ);
  if (has(o, 'maxMsgsPerSubject')) {
    stream.maxMsgsPerSubject = int(at, 'stream.maxMsgsPerSubject', field(o, 'maxMsgsPerSubject'), 0, MAX_SEQ);
  }
  if (has(o, 'syncAlways')) stream.syncAlways = bool(at, 'stream.syncAlways', field(o, 'syncAlways'));
  if (has(o, 'syncIntervalMs')) {
    stream.syncIntervalMs = int(at, 'stream.syncIntervalMs', field(o, 'syncIntervalMs'), 1, MAX_SYNC_INTERVAL_MS);
  }
  if (has(o, 'fileSystem')) stream.fileSystem = oneOf(at, 'stream.fileSystem', field(o, 'fileSystem'), FILE_SYSTEM_NAMES);
  return stream;
}

function parseConsumers(at: Where, value: unknown): ScenarioConsumer[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(at, `consumers: must be an array, got ${show(value)}`);
  const seen = new Set<string>();
  return value.map((item: unknown, i) => {
    const consumer = parseConsumer(at, `consumers[${i}]`, item);
    if (seen.has(consumer.name)) fail(at, `consumers[${i}].name: duplicate consumer name "${consumer.name}"`);
    seen.add(consumer.name);
    return consumer;
  });
}

function parseConsumer(at: Where, label: string, value: unknown): ScenarioConsumer {
  const o = expectObject(at, label, value);
  checkFields(at, o, ['name'], ['name'], `in "${label}"`);
  const name = field(o, 'name');
  if (typeof name !== 'string' || !CONSUMER_NAME.test(name)) {
    fail(at, `${label}.name: must be a non-empty string of letters, digits, '_' or '-', got ${show(name)}`);
  }
  return { name };
}

// ---------------------------------------------------------------------------------------------
// Steps

function parseSteps(file: string, value: unknown, consumers: ReadonlySet<string>): ScenarioStep[] {
  if (!Array.isArray(value) || value.length === 0) {
    fail({ file, step: null }, `steps: must be a non-empty array, got ${show(value)}`);
  }
  let power: Power = 'down';
  return value.map((item: unknown, i) => {
    const at: Where = { file, step: i };
    const step = parseStep(at, item, consumers);
    power = checkPower(at, step, power);
    return step;
  });
}

function parseStep(at: Where, value: unknown, consumers: ReadonlySet<string>): ScenarioStep {
  const o = expectObject(at, 'step', value);
  const op = stepOp(at, o);
  checkStepFields(at, o, op);
  return buildStep(new StepFields(at, o, consumers), op);
}

function stepOp(at: Where, o: JsonObject): ScenarioOp {
  if (!has(o, 'op')) fail(at, 'missing field "op"');
  const op = field(o, 'op');
  if (typeof op !== 'string') fail(at, `op: must be a string, got ${show(op)}`);
  if (!Object.hasOwn(OPS, op)) fail(at, `unknown op ${show(op)}`);
  return op as ScenarioOp;
}

function checkStepFields(at: Where, o: JsonObject, op: ScenarioOp): void {
  const { required, optional, killable } = OPS[op];
  if (has(o, KILL) && !killable) {
    fail(at, `"${KILL}" is not allowed in "${op}" step (only ${KILLABLE_OPS.join(', ')} may carry it)`);
  }
  const allowed = ['op', ...required, ...optional, ...(killable ? [KILL] : [])];
  checkFields(at, o, allowed, required, `in "${op}" step`);
}

/** Typed access to one step's fields; every method validates and names the field on error. */
class StepFields {
  constructor(
    readonly at: Where,
    private readonly o: JsonObject,
    private readonly consumers: ReadonlySet<string>,
  ) {}

  has(key: string): boolean {
    return has(this.o, key);
  }

  int(key: string, min: number, max: number): number {
    return int(this.at, key, field(this.o, key), min, max);
  }

  /** `{ [key]: value }` when present, `{}` when absent: spread into a step to keep absent fields absent. */
  optInt<K extends string>(key: K, min: number, max: number): Partial<Record<K, number>> {
    return this.has(key) ? ({ [key]: this.int(key, min, max) } as Record<K, number>) : {};
  }

  kill(): KillPoint {
    return this.optInt(KILL, 0, MAX_SEQ);
  }

  string(key: string): string {
    return nonEmptyString(this.at, key, field(this.o, key));
  }

  path(key: string): string {
    return filePath(this.at, key, field(this.o, key), false);
  }

  glob(key: string): string {
    return filePath(this.at, key, field(this.o, key), true);
  }

  consumer(key: string): string {
    const name = this.string(key);
    if (!this.consumers.has(name)) fail(this.at, `${key}: ${show(name)} is not a declared consumer`);
    return name;
  }

  keep(): ScenarioKeep {
    return parseKeep(this.at, field(this.o, 'keep'));
  }
}

/**
 * A power loss's choice: "synced" (only what the file system forced), "all", { "prefix": N }
 * (the first N in-flight operations not forced), or { "subset": [ids], "partial": [{ "opId",
 * "pages" }] } (operation ids as the scenario's output numbers them). Whether the file system
 * allows it is the model's check, at replay.
 */
function parseKeep(at: Where, value: unknown): ScenarioKeep {
  if (typeof value === 'string') return oneOf(at, 'keep', value, KEEPS);
  const hint = 'must be "synced", "all", { "prefix": N } or { "subset": [operation ids], "partial"?: [{ "opId": N, "pages": [N] }] }';
  if (!isObject(value)) fail(at, `keep ${hint}, got ${show(value)}`);
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'prefix') return { prefix: int(at, 'keep.prefix', field(value, 'prefix'), 0, MAX_COUNT) };
  if (keys.includes('subset') && keys.every((k) => k === 'subset' || k === 'partial')) {
    const ids = field(value, 'subset');
    if (!Array.isArray(ids)) fail(at, `keep.subset must be a list of operation ids, got ${show(ids)}`);
    const subset = ids.map((id, i) => int(at, `keep.subset[${i}]`, id, 1, MAX_SEQ));
    if (!has(value, 'partial')) return { subset };
    const parts = field(value, 'partial');
    if (!Array.isArray(parts)) fail(at, `keep.partial must be a list of { "opId", "pages" }, got ${show(parts)}`);
    const partial = parts.map((p, i) => {
      if (!isObject(p) || Object.keys(p).some((k) => k !== 'opId' && k !== 'pages')) fail(at, `keep.partial[${i}] must be { "opId": N, "pages": [N] }`);
      const pages = field(p, 'pages');
      if (!Array.isArray(pages)) fail(at, `keep.partial[${i}].pages must be a list of page numbers`);
      return { opId: int(at, `keep.partial[${i}].opId`, field(p, 'opId'), 1, MAX_SEQ), pages: pages.map((x, j) => int(at, `keep.partial[${i}].pages[${j}]`, x, 0, MAX_SEQ)) };
    });
    return { subset, partial };
  }
  return fail(at, `keep ${hint}, got ${show(value)}`);
}

function buildStep(f: StepFields, op: ScenarioOp): ScenarioStep {
  switch (op) {
    case 'start':
    case 'newBlock':
    case 'stop':
      return { op, ...f.kill() };
    case 'kill':
      return { op };
    case 'store':
      return {
        op,
        subject: f.string('subject'),
        payloadBytes: f.int('payloadBytes', 0, MAX_BYTES),
        ...f.optInt('headersBytes', 0, MAX_BYTES),
        ...f.optInt('count', 1, MAX_COUNT),
        ...f.kill(),
      };
    case 'skip':
      return { op, ...f.optInt('count', 1, MAX_COUNT), ...f.kill() };
    case 'remove':
      return buildRemove(f);
    case 'deliver':
      return { op, consumer: f.consumer('consumer'), ...f.optInt('count', 1, MAX_COUNT), ...f.kill() };
    case 'ack':
      return { op, consumer: f.consumer('consumer'), streamSeq: f.int('streamSeq', 1, MAX_SEQ), ...f.kill() };
    case 'advance':
      return { op, ms: f.int('ms', 0, MAX_ADVANCE_MS), ...f.kill() };
    case 'powerLoss':
      return { op, keep: f.keep() };
    case 'deleteFile':
      return { op, path: f.path('path') };
    case 'deleteFiles':
      return { op, glob: f.glob('glob') };
    case 'copyFile':
    case 'renameFile':
      return { op, from: f.path('from'), to: f.path('to') };
    case 'truncateFile':
      return { op, path: f.path('path'), bytes: f.int('bytes', 0, MAX_SEQ) };
    case 'snapshot':
      return { op, label: f.string('label') };
  }
}

/** `remove` takes `seq`, or `from` and `to` (inclusive, from <= to), never both forms. */
function buildRemove(f: StepFields): ScenarioStep {
  if (f.has('seq') && (f.has('from') || f.has('to'))) fail(f.at, '"remove" takes either "seq" or "from" and "to", not both');
  if (f.has('seq')) return { op: 'remove', seq: f.int('seq', 1, MAX_SEQ), ...f.kill() };
  if (!f.has('from') && !f.has('to')) fail(f.at, 'missing field "seq" (or "from" and "to") in "remove" step');
  if (!f.has('to')) fail(f.at, 'missing field "to" in "remove" step');
  if (!f.has('from')) fail(f.at, 'missing field "from" in "remove" step');
  const from = f.int('from', 1, MAX_SEQ);
  const to = f.int('to', 1, MAX_SEQ);
  if (from > to) fail(f.at, `from: must be <= to (${to}), got ${from}`);
  return { op: 'remove', from, to, ...f.kill() };
}

/**
 * Checks that the step is valid with the store `power` (up or down) and returns the state after
 * it. The first step must be `start`; a step carrying killAfterFileOps leaves the store down,
 * and needs it up (a kill point kills a running process).
 */
function checkPower(at: Where, step: ScenarioStep, power: Power): Power {
  const { when, after } = OPS[step.op];
  const killPoint = KILL in step && step.killAfterFileOps !== undefined;
  if (at.step === 0 && step.op !== 'start') fail(at, 'the first step must be "start"');
  if (when === 'down' && power === 'up') fail(at, `"${step.op}" is only valid while the store is down ${DOWN_HINT}`);
  if (when === 'up' && power === 'down') fail(at, `"${step.op}" is only valid while the store is running ${UP_HINT}`);
  if (killPoint && power === 'down' && when === 'either') {
    fail(at, `"${KILL}" on "${step.op}" is only valid while the store is running ${UP_HINT}`);
  }
  if (killPoint) return 'down';
  return after ?? power;
}
