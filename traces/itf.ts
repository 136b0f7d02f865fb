/**
 * Export a trace as ITF, the Informal Trace Format that Quint and Apalache read
 * (Apalache ADR-015): one state per observation, integers as {"#bigint": "..."}, maps as
 * {"#map": [[k, v], ...]}, the event and the stream's up/down as variants {"tag", "value"}.
 */
import { observe, type Observation } from '../model/observe.js';
import { initialState, type ModelEvent } from '../model/step.js';
import type { TraceFile } from './trace.js';

type Itf = string | boolean | Itf[] | { [k: string]: Itf };

/** Plain JSON to ITF: numbers become #bigint, objects records, arrays lists. */
export function toItf(value: unknown): Itf {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`ITF has no non-integer numbers: ${value}`);
    return { '#bigint': String(value) };
  }
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value === null || value === undefined) return { tag: 'None', value: {} };
  if (Array.isArray(value)) return value.map(toItf);
  const out: { [k: string]: Itf } = {};
  for (const k of Object.keys(value as object)) {
    const v = (value as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = toItf(v);
  }
  return out;
}

function eventVariant(e: ModelEvent | null): Itf {
  if (!e) return { tag: 'Init', value: {} };
  const { type, ...rest } = e as { type: string } & Record<string, unknown>;
  return { tag: type, value: toItf(rest) };
}

function stateOf(index: number, event: ModelEvent | null, o: Observation, log: readonly string[]): Itf {
  return {
    '#meta': { index: { '#bigint': String(index) } },
    event: eventVariant(event),
    nowMs: toItf(o.atMs),
    stream: o.stream ? { tag: 'Up', value: toItf(o.stream) } : { tag: 'Down', value: {} },
    blocks: toItf(o.blocks),
    files: { '#map': o.files.map((f) => [f.path, toItf(f.bytes)] as Itf) },
    durableFiles: { '#map': o.durableFiles.map((f) => [f.path, toItf(f.bytes)] as Itf) },
    consumers: { '#map': Object.keys(o.consumers).sort().map((name) => [name, toItf(o.consumers[name])] as Itf) },
    log: toItf([...log]),
  };
}

export const ITF_VARS = ['event', 'nowMs', 'stream', 'blocks', 'files', 'durableFiles', 'consumers', 'log'] as const;

export function traceToItf(trace: TraceFile, source: string): Itf {
  const first = observe(initialState(trace.config, trace.profile));
  const states = [stateOf(0, null, first, []), ...trace.steps.map((s, i) => stateOf(i + 1, s.event, s.observation, s.log))];
  return {
    '#meta': {
      format: 'ITF',
      'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
      source,
      description: trace.title,
      profile: trace.profile,
      ...(trace.violation ? { violation: toItf(trace.violation) } : {}),
    },
    vars: [...ITF_VARS],
    states,
  };
}
