/**
 * Reading a trace file: strict validation of `filestore-trace/1`, so a malformed, foreign or
 * outdated file gets one line naming the field and the problem, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import type { StoreConfig } from '../model/config.js';
import type { PowerLossKeep } from '../model/disk.js';
import { FILE_SYSTEM_NAMES, isFileSystemName, type FileSystemName } from '../model/filesystems.js';
import type { ModelEvent } from '../model/step.js';
import { TRACE_FORMAT, type TraceFile } from './trace.js';

export class TraceError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'TraceError';
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Reader {
  constructor(private readonly file: string) {}

  fail(where: string, problem: string): never {
    throw new TraceError(this.file, `${where}: ${problem}`);
  }

  obj(v: unknown, where: string): Obj {
    if (!isObj(v)) this.fail(where, 'must be an object');
    return v;
  }

  only(o: Obj, where: string, allowed: readonly string[]): void {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(where, `unknown field "${k}"`);
  }

  int(o: Obj, key: string, where: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = o[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(`${where}.${key}`, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    return v;
  }

  optInt(o: Obj, key: string, where: string, min: number): number | undefined {
    return o[key] === undefined ? undefined : this.int(o, key, where, min);
  }

  str(o: Obj, key: string, where: string): string {
    const v = o[key];
    if (typeof v !== 'string' || v.length === 0) this.fail(`${where}.${key}`, `must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  }

  bool(o: Obj, key: string, where: string): boolean {
    const v = o[key];
    if (typeof v !== 'boolean') this.fail(`${where}.${key}`, `must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }
}

const KILLABLE = ['start', 'store', 'skip', 'remove', 'newBlock', 'deliver', 'ack', 'advance', 'stop'];

/** Fields of each event type (besides `type` and, where killable, `killAfterFileOps`). */
const EVENT_FIELDS: Readonly<Record<string, readonly string[]>> = {
  start: ['firstSyncMs', 'indexFlushJitterMs'],
  newBlock: [],
  stop: [],
  kill: [],
  store: ['subject', 'payloadBytes', 'headersBytes', 'count'],
  skip: ['count'],
  remove: ['from', 'to'],
  deliver: ['consumer', 'count'],
  ack: ['consumer', 'streamSeq', 'odatFlushAfterFileOps', 'indexDbWriteAfterFileOps'],
  advance: ['ms'],
  powerLoss: ['keep'],
  deleteFile: ['path'],
  copyFile: ['from', 'to'],
  renameFile: ['from', 'to'],
  truncateFile: ['path', 'bytes'],
};

function readKeep(r: Reader, v: unknown, where: string): PowerLossKeep {
  const o = r.obj(v, where);
  const kind = o.kind;
  if (kind === 'synced' || kind === 'all') {
    r.only(o, where, ['kind']);
    return { kind };
  }
  if (kind === 'prefix') {
    r.only(o, where, ['kind', 'count']);
    return { kind, count: r.int(o, 'count', where, 0) };
  }
  if (kind === 'subset') {
    r.only(o, where, ['kind', 'opIds', 'partial']);
    if (!Array.isArray(o.opIds) || o.opIds.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 1)) r.fail(`${where}.opIds`, 'must be a list of operation ids');
    if (o.partial === undefined) return { kind, opIds: o.opIds as number[] };
    const isIntList = (v: unknown, min: number) => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= min);
    if (!Array.isArray(o.partial) || o.partial.some((p) => !p || typeof p !== 'object' || Object.keys(p).some((k) => k !== 'opId' && k !== 'pages') || !isIntList([(p as { opId: unknown }).opId], 1) || !isIntList((p as { pages: unknown }).pages, 0))) {
      r.fail(`${where}.partial`, 'must be a list of { opId, pages } (an operation id and its kept 4 KiB page numbers)');
    }
    return { kind, opIds: o.opIds as number[], partial: o.partial as { opId: number; pages: number[] }[] };
  }
  return r.fail(`${where}.kind`, `unknown power-loss choice ${JSON.stringify(kind)} (synced, all, prefix, subset)`);
}

export function readEvent(r: Reader, v: unknown, where: string): ModelEvent {
  const o = r.obj(v, where);
  const type = o.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(EVENT_FIELDS, type)) r.fail(`${where}.type`, `unknown event type ${JSON.stringify(type)}`);
  const fields = EVENT_FIELDS[type]!;
  r.only(o, where, ['type', ...fields, ...(KILLABLE.includes(type) ? ['killAfterFileOps'] : [])]);
  const kill = KILLABLE.includes(type) && o.killAfterFileOps !== undefined ? { killAfterFileOps: r.int(o, 'killAfterFileOps', where, 0) } : {};
  const count = o.count !== undefined ? { count: r.int(o, 'count', where, 1) } : {};
  switch (type) {
    case 'start': {
      // Timer-jitter choices (#6041, #6220); their ranges are checked by the model against the profile.
      const jitter = {
        ...(o.firstSyncMs !== undefined ? { firstSyncMs: r.int(o, 'firstSyncMs', where, 0) } : {}),
        ...(o.indexFlushJitterMs !== undefined ? { indexFlushJitterMs: r.int(o, 'indexFlushJitterMs', where, 0) } : {}),
      };
      return { type, ...jitter, ...kill };
    }
    case 'newBlock':
    case 'stop':
      return { type, ...kill };
    case 'kill':
      return { type };
    case 'store':
      return { type, subject: r.str(o, 'subject', where), payloadBytes: r.int(o, 'payloadBytes', where, 0), ...(o.headersBytes !== undefined ? { headersBytes: r.int(o, 'headersBytes', where, 0) } : {}), ...count, ...kill };
    case 'skip':
      return { type, ...count, ...kill };
    case 'remove':
      return { type, from: r.int(o, 'from', where, 1), to: r.int(o, 'to', where, 1), ...kill };
    case 'deliver':
      return { type, consumer: r.str(o, 'consumer', where), ...count, ...kill };
    case 'ack':
      return {
        type,
        consumer: r.str(o, 'consumer', where),
        streamSeq: r.int(o, 'streamSeq', where, 1),
        // Background writes inside the ack's removal (section 8 interleavings).
        ...(o.odatFlushAfterFileOps !== undefined ? { odatFlushAfterFileOps: r.int(o, 'odatFlushAfterFileOps', where, 0) } : {}),
        ...(o.indexDbWriteAfterFileOps !== undefined ? { indexDbWriteAfterFileOps: r.int(o, 'indexDbWriteAfterFileOps', where, 0) } : {}),
        ...kill,
      };
    case 'advance':
      return { type, ms: r.int(o, 'ms', where, 0), ...kill };
    case 'powerLoss':
      return { type, keep: readKeep(r, o.keep, `${where}.keep`) };
    case 'deleteFile':
      return { type, path: r.str(o, 'path', where) };
    case 'copyFile':
    case 'renameFile':
      return { type, from: r.str(o, 'from', where), to: r.str(o, 'to', where) };
    default:
      return { type: 'truncateFile', path: r.str(o, 'path', where), bytes: r.int(o, 'bytes', where, 0) };
  }
}

function readConfig(r: Reader, v: unknown): StoreConfig {
  const where = 'config';
  const o = r.obj(v, where);
  const keys = ['streamName', 'accountName', 'retention', 'blockSizeBytes', 'maxAgeMs', 'maxMsgsPerSubject', 'syncAlways', 'syncIntervalMs', 'indexFlushIntervalMs', 'consumerFlushMinIntervalMs', 'ackWaitMs', 'consumers', 'fileSystem'];
  r.only(o, where, keys);
  for (const k of keys) if (o[k] === undefined) r.fail(where, `missing field "${k}"`);
  const retention = o.retention;
  if (retention !== 'limits' && retention !== 'workqueue' && retention !== 'interest') r.fail(`${where}.retention`, `must be limits, workqueue or interest, got ${JSON.stringify(retention)}`);
  if (!Array.isArray(o.consumers) || o.consumers.some((c) => typeof c !== 'string' || c === '')) r.fail(`${where}.consumers`, 'must be a list of consumer names');
  return {
    streamName: r.str(o, 'streamName', where),
    accountName: r.str(o, 'accountName', where),
    retention,
    blockSizeBytes: r.int(o, 'blockSizeBytes', where, 64, 67_108_864),
    maxAgeMs: r.int(o, 'maxAgeMs', where, 0),
    maxMsgsPerSubject: r.int(o, 'maxMsgsPerSubject', where, 0),
    syncAlways: r.bool(o, 'syncAlways', where),
    syncIntervalMs: r.int(o, 'syncIntervalMs', where, 1),
    indexFlushIntervalMs: r.int(o, 'indexFlushIntervalMs', where, 1),
    consumerFlushMinIntervalMs: r.int(o, 'consumerFlushMinIntervalMs', where, 0),
    ackWaitMs: r.int(o, 'ackWaitMs', where, 1),
    consumers: o.consumers as string[],
    fileSystem: isFileSystemName(String(o.fileSystem)) ? (o.fileSystem as FileSystemName) : r.fail(`${where}.fileSystem`, `must be one of ${FILE_SYSTEM_NAMES.join(', ')}, got ${JSON.stringify(o.fileSystem)}`),
  };
}

/**
 * Validate a parsed trace. Events and configuration are read strictly; the recorded
 * observations are kept as they are (replay compares them with what the model does now).
 */
export function readTrace(value: unknown, file: string): TraceFile {
  const r = new Reader(file);
  const o = r.obj(value, 'trace');
  if (o.format !== TRACE_FORMAT) r.fail('format', `expected "${TRACE_FORMAT}", got ${JSON.stringify(o.format)}`);
  r.only(o, 'trace', ['format', 'profile', 'config', 'origin', 'title', 'violation', 'steps']);
  const profile = r.str(o, 'profile', 'trace');
  const config = readConfig(r, o.config);
  const origin = r.obj(o.origin, 'origin');
  const title = typeof o.title === 'string' ? o.title : r.fail('title', 'must be a string');
  let violation: TraceFile['violation'] = null;
  if (o.violation !== null && o.violation !== undefined) {
    const v = r.obj(o.violation, 'violation');
    violation = { property: r.str(v, 'property', 'violation'), message: r.str(v, 'message', 'violation'), step: r.int(v, 'step', 'violation', 0), ...(v.cause !== undefined ? { cause: r.str(v, 'cause', 'violation') } : {}) };
  }
  const rawSteps: unknown[] = Array.isArray(o.steps) ? o.steps : r.fail('steps', 'must be a list');
  const steps = rawSteps.map((s, i) => {
    const where = `steps[${i}]`;
    const so = r.obj(s, where);
    const event = readEvent(r, so.event, `${where}.event`);
    for (const k of ['ops', 'log', 'timers', 'observation']) if (so[k] === undefined) r.fail(where, `missing field "${k}"`);
    return { ...(so as unknown as TraceFile['steps'][number]), event };
  });
  if (violation && violation.step >= steps.length) r.fail('violation.step', `is ${violation.step} but the trace has ${steps.length} steps`);
  return { format: TRACE_FORMAT, profile, config, origin: origin as unknown as TraceFile['origin'], title, violation, steps };
}

export function loadTraceFile(path: string): TraceFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TraceError(path, `cannot read file: ${(e as Error).message.split('\n')[0]}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TraceError(path, `not valid JSON: ${(e as Error).message.replace(/\s+/g, ' ')}`);
  }
  return readTrace(value, path);
}
