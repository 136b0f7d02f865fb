/**
 * A worker thread of the search pool (searchpool.ts): it runs each whole search it is sent, in
 * this thread, and replies with its matrix rows.
 */
import { workerData } from 'node:worker_threads';
import { searchAllProperties } from './matrix.js';
import type { PoolReply, PoolRequest, PoolSetup } from './searchpool.js';

const setup = workerData as PoolSetup;
const counter = new Int32Array(setup.signal);

function reply(r: PoolReply): void {
  setup.port.postMessage(r);
  Atomics.add(counter, 0, 1);
  Atomics.notify(counter, 0);
}

setup.port.on('message', (m: PoolRequest) => {
  try {
    reply({ kind: 'searched', job: m.job, result: searchAllProperties(m.search.profile, m.search.crash, m.search.bounds, undefined, 1) });
  } catch (e) {
    reply({ kind: 'error', message: e instanceof Error ? e.message : String(e) });
  }
});
