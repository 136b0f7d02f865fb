/**
 * A worker thread of the exhaustive search (parallel.ts): it expands the frontier states it
 * is sent, in order, and replies with their successors.
 */
import { workerData } from 'node:worker_threads';
import { deepFreeze } from '../model/io.js';
import { Expander } from './exhaustive.js';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './parallel.js';
import type { SearchContext, SearchNode } from './runner.js';

const setup = workerData as WorkerSetup;
const ctx: SearchContext = { profile: setup.profile, crash: setup.crash, bounds: setup.bounds, properties: setup.properties, ...(setup.config ? { config: setup.config } : {}), coverage: {}, reached: {} };
const expander = new Expander(ctx, setup.verify);
const counter = new Int32Array(setup.signal);

function reply(r: WorkerReply): void {
  setup.port.postMessage(r);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
}

/**
 * A message arrives as a copy, unfrozen. Freeze again what the model never changes (file
 * operations and the records they carry: an in-flight entry's `op`, or an object with a
 * `kind`), so steps share them and fingerprints remember them, as in the main thread. The
 * in-flight entry itself stays mutable: the disk sets its `forced` and `journal` flags.
 */
function refreeze(v: unknown): void {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return;
  if (Array.isArray(v)) {
    for (const x of v) refreeze(x);
    return;
  }
  const o = v as Record<string, unknown>;
  if ('op' in o && typeof o.id === 'number') {
    deepFreeze(o.op);
    return;
  }
  if (typeof o.kind === 'string') {
    deepFreeze(o);
    return;
  }
  for (const k of Object.keys(o)) refreeze(o[k]);
}

setup.port.on('message', (m: WorkerRequest) => {
  try {
    if (m.kind === 'expand') {
      const nodes = m.nodes as SearchNode[];
      for (const n of nodes) refreeze(n.state.disk);
      reply({ kind: 'expanded', chunk: m.chunk, successors: nodes.map((n) => expander.expand(n)) });
    } else {
      reply({ kind: 'counters', coverage: ctx.coverage, reached: ctx.reached });
    }
  } catch (e) {
    reply({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});
