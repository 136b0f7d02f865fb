/**
 * Exhaustive search on several cores: worker threads expand chunks of each level's frontier
 * (see search-worker.ts); this thread merges their results in frontier order, so the result
 * is the sequential search's whatever the number of workers and their timing.
 *
 * The search stays a synchronous call: this thread blocks on a shared counter the workers
 * bump after posting a result (`Atomics.wait`) and reads their replies with
 * `receiveMessageOnPort`.
 */
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { Coverage } from './coverage.js';
import type { LevelExpander, Successor } from './exhaustive.js';
import type { SearchContext, SearchNode } from './runner.js';

/** What a worker needs to rebuild the search context (no functions, no counters). */
export interface WorkerSetup {
  readonly profile: string;
  readonly crash: SearchContext['crash'];
  readonly bounds: SearchContext['bounds'];
  readonly properties: SearchContext['properties'];
  readonly config?: SearchContext['config'];
  readonly verify: boolean;
  readonly signal: SharedArrayBuffer;
  readonly port: MessagePort;
}

export type WorkerRequest = { readonly kind: 'expand'; readonly chunk: number; readonly nodes: readonly SearchNode[] } | { readonly kind: 'counters' };
export type WorkerReply =
  | { readonly kind: 'expanded'; readonly chunk: number; readonly successors: Successor[][] }
  | { readonly kind: 'counters'; readonly coverage: Coverage; readonly reached: Record<string, number> }
  | { readonly kind: 'error'; readonly message: string };

/**
 * A worker's entry: register tsx's loader in the worker (it compiles the TypeScript sources
 * the first time, as in the main thread), then load the worker's module. A failure to load
 * is posted on the worker's port as an error reply.
 */
export function workerBoot(moduleUrl: string): string {
  return `(async () => {
  const { register } = await import(${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/index\.cjs$/, 'index.mjs')).href)});
  register();
  await import(${JSON.stringify(moduleUrl)});
})().catch((e) => { require('node:worker_threads').workerData.port.postMessage({ kind: 'error', message: String(e && e.stack || e) }); });`;
}
const WORKER_BOOT = workerBoot(new URL('./search-worker.ts', import.meta.url).href);

/** Frontier states per chunk: small enough to spread a level over the workers. */
const CHUNK_STATES = 64;

export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly ports: MessagePort[] = [];
  private readonly signal = new SharedArrayBuffer(4);
  private readonly counter = new Int32Array(this.signal);

  constructor(
    private readonly ctx: SearchContext,
    count: number,
    verify: boolean,
  ) {
    for (let i = 0; i < count; i++) {
      const { port1, port2 } = new MessageChannel();
      const setup: WorkerSetup = { profile: ctx.profile, crash: ctx.crash, bounds: ctx.bounds, properties: ctx.properties, ...(ctx.config ? { config: ctx.config } : {}), verify, signal: this.signal, port: port2 };
      const worker = new Worker(WORKER_BOOT, { eval: true, workerData: setup, transferList: [port2] });
      worker.unref();
      this.workers.push(worker);
      this.ports.push(port1);
    }
  }

  /** Block until a reply arrives on any port; return it with the worker's index. */
  private next(): { from: number; reply: WorkerReply } {
    for (;;) {
      const seen = Atomics.load(this.counter, 0);
      for (let i = 0; i < this.ports.length; i++) {
        const m = receiveMessageOnPort(this.ports[i]!);
        if (m) {
          const reply = m.message as WorkerReply;
          if (reply.kind === 'error') throw new Error(`search worker: ${reply.message}`);
          return { from: i, reply };
        }
      }
      Atomics.wait(this.counter, 0, seen, 60_000);
    }
  }

  readonly expandLevel: LevelExpander = (frontier) => {
    const chunks: SearchNode[][] = [];
    for (let i = 0; i < frontier.length; i += CHUNK_STATES) chunks.push(frontier.slice(i, i + CHUNK_STATES) as SearchNode[]);
    const results: Successor[][][] = new Array(chunks.length);
    let sent = 0;
    let done = 0;
    // Each worker takes chunks in increasing order (what the expander reports once relies on it).
    for (let w = 0; w < this.workers.length && sent < chunks.length; w++, sent++) this.ports[w]!.postMessage({ kind: 'expand', chunk: sent, nodes: chunks[sent]! } satisfies WorkerRequest);
    while (done < chunks.length) {
      const { from, reply } = this.next();
      if (reply.kind !== 'expanded') throw new Error('search worker: unexpected reply');
      results[reply.chunk] = reply.successors; // typed arrays arrive as typed arrays (structured clone)
      done++;
      if (sent < chunks.length) {
        this.ports[from]!.postMessage({ kind: 'expand', chunk: sent, nodes: chunks[sent]! } satisfies WorkerRequest);
        sent++;
      }
    }
    return results.flat();
  };

  /** Add the workers' coverage and precondition counters into the context's, then stop them. */
  close(): void {
    for (const port of this.ports) port.postMessage({ kind: 'counters' } satisfies WorkerRequest);
    for (let got = 0; got < this.ports.length; got++) {
      const { reply } = this.next();
      if (reply.kind !== 'counters') throw new Error('search worker: unexpected reply');
      for (const [k, v] of Object.entries(reply.coverage)) this.ctx.coverage[k] = (this.ctx.coverage[k] ?? 0) + v;
      for (const [k, v] of Object.entries(reply.reached)) this.ctx.reached[k] = (this.ctx.reached[k] ?? 0) + v;
    }
    for (const w of this.workers) void w.terminate();
    for (const p of this.ports) p.close();
  }
}
