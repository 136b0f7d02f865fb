/**
 * Whole searches side by side: the verdict matrix runs one independent search per profile and
 * crash model, so it spreads them over worker threads, each search in one thread (no level
 * splitting, no frontier copied between threads). Results are stored by job number, so the
 * matrix is the same whatever the number of threads and the order in which searches finish.
 *
 * Synchronous, like the level-splitting pool (parallel.ts): this thread blocks on a shared
 * counter the workers bump after posting (`Atomics.wait`) and reads replies with
 * `receiveMessageOnPort`.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { CrashModel, ExploreBounds } from './alphabet.js';
import { workerBoot } from './parallel.js';
import type { MatrixRow, SearchRun } from './matrix.js';

export interface SearchJob {
  readonly profile: string;
  readonly crash: CrashModel;
  readonly bounds: ExploreBounds;
}

export interface SearchJobResult {
  readonly rows: MatrixRow[];
  readonly run: SearchRun;
}

export interface PoolSetup {
  readonly signal: SharedArrayBuffer;
  readonly port: MessagePort;
}
export type PoolRequest = { readonly kind: 'search'; readonly job: number; readonly search: SearchJob };
export type PoolReply = { readonly kind: 'searched'; readonly job: number; readonly result: SearchJobResult } | { readonly kind: 'error'; readonly message: string };

const BOOT = workerBoot(new URL('./searchpool-worker.ts', import.meta.url).href);

/**
 * Run every job and return the results in job order. `threads` ≤ 1 (or one job) runs them here,
 * through `runHere`. `order` says which jobs to start first (the longest first shortens the run);
 * it changes only the time, never the results.
 */
export function runSearches(
  jobs: readonly SearchJob[],
  threads: number,
  runHere: (job: SearchJob, index: number) => SearchJobResult,
  onDone?: (index: number, job: SearchJob, result: SearchJobResult) => void,
  order: readonly number[] = jobs.map((_, i) => i),
): SearchJobResult[] {
  const results: SearchJobResult[] = new Array(jobs.length);
  const count = Math.min(threads, jobs.length);
  if (count <= 1) {
    jobs.forEach((job, i) => {
      results[i] = runHere(job, i);
      onDone?.(i, job, results[i]!);
    });
    return results;
  }
  const signal = new SharedArrayBuffer(4);
  const counter = new Int32Array(signal);
  const workers: Worker[] = [];
  const ports: MessagePort[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const { port1, port2 } = new MessageChannel();
      const setup: PoolSetup = { signal, port: port2 };
      const w = new Worker(BOOT, { eval: true, workerData: setup, transferList: [port2] });
      w.unref();
      workers.push(w);
      ports.push(port1);
    }
    let sent = 0;
    let done = 0;
    const send = (w: number) => {
      const job = order[sent++]!;
      ports[w]!.postMessage({ kind: 'search', job, search: jobs[job]! } satisfies PoolRequest);
    };
    for (let w = 0; w < count; w++) send(w);
    while (done < jobs.length) {
      const seen = Atomics.load(counter, 0);
      let got = false;
      for (let w = 0; w < ports.length; w++) {
        const m = receiveMessageOnPort(ports[w]!);
        if (!m) continue;
        got = true;
        const reply = m.message as PoolReply;
        if (reply.kind === 'error') throw new Error(`search worker: ${reply.message}`);
        results[reply.job] = reply.result;
        done++;
        onDone?.(reply.job, jobs[reply.job]!, reply.result);
        if (sent < jobs.length) send(w);
      }
      if (!got) Atomics.wait(counter, 0, seen, 60_000);
    }
    return results;
  } finally {
    for (const w of workers) void w.terminate();
    for (const p of ports) p.close();
  }
}
