/**
 * `npm run bench`: speed and memory of the model and the search, as figures. Targets live
 * here, never in timed tests: a figure above its target prints a warning line, it does not
 * fail anything.
 */
import { makeConfig } from '../model/config.js';
import { initialState, step, type ModelEvent } from '../model/step.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS, DEFAULT_RANDOM_BOUNDS, explore } from '../properties/explore.js';
import { PROPERTY_IDS } from '../properties/invariants.js';

interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: number;
}

const figures: Figure[] = [];

function timed<T>(f: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = f();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

// 1. One model step, on a WorkQueue cycle of one second (store, deliver, flush, ack; timers).
//    A step costs time linear in the operations still in flight (those younger than writebackMs).
{
  const cfg = makeConfig({ retention: 'workqueue', blockSizeBytes: 128, consumers: ['C'] });
  const cycle: ModelEvent[] = [
    { type: 'store', subject: 'foo', payloadBytes: 10 },
    { type: 'deliver', consumer: 'C' },
    { type: 'advance', ms: 1000 },
    { type: 'ack', consumer: 'C', streamSeq: 0 },
  ];
  const STEPS_TARGET = 20_000;
  const { seconds } = timed(() => {
    let s = step(initialState(cfg, 'v2.10.22'), { type: 'start' }).state;
    let seq = 0;
    for (let i = 0; i < STEPS_TARGET / cycle.length; i++) {
      for (const e of cycle) {
        const r = step(s, e.type === 'ack' ? { ...e, streamSeq: seq } : e);
        if (e.type === 'store') seq = r.outcome.seqs![0]!;
        s = r.state;
      }
    }
  });
  figures.push({ name: 'model step', value: (seconds * 1e6) / STEPS_TARGET, unit: 'µs/step', target: 500 });
}

// 2. Exhaustive search, the default check's two runs.
for (const crash of ['kill', 'power-loss:ext4'] as const) {
  const { value, seconds } = timed(() => explore({ profile: 'v2.10.22', properties: PROPERTY_IDS, crash, mode: 'exhaustive', bounds: DEFAULT_EXHAUSTIVE_BOUNDS, seed: 0, runs: 0, stopEarly: false }));
  figures.push({ name: `exhaustive ${crash}, depth ${DEFAULT_EXHAUSTIVE_BOUNDS.depth}: distinct states`, value: value.stats.distinctStates ?? 0, unit: 'states' });
  figures.push({ name: `exhaustive ${crash}, depth ${DEFAULT_EXHAUSTIVE_BOUNDS.depth}: time`, value: seconds, unit: 's', target: crash === 'kill' ? 15 : 45 });
  figures.push({ name: `exhaustive ${crash}: throughput`, value: value.stats.statesGenerated / seconds, unit: 'states/s' });
}

// 3. Random search: runs per second with the default bounds, on a property that holds (no early stop).
{
  const RUNS = 500;
  const { seconds } = timed(() => explore({ profile: 'v2.10.22', properties: ['no-stored-loss'], crash: 'kill', mode: 'random', bounds: DEFAULT_RANDOM_BOUNDS, seed: 1, runs: RUNS, stopEarly: true }));
  figures.push({ name: 'random search (default bounds)', value: RUNS / seconds, unit: 'runs/s', target: undefined });
}

figures.push({ name: 'peak resident memory', value: process.memoryUsage().rss / 2 ** 20, unit: 'MiB', target: 1024 });

const width = Math.max(...figures.map((f) => f.name.length));
for (const f of figures) {
  const v = f.value >= 100 ? f.value.toFixed(0) : f.value.toFixed(1);
  const over = f.target !== undefined && f.value > f.target ? `   WARNING: above the target of ${f.target} ${f.unit}` : '';
  process.stdout.write(`${f.name.padEnd(width)}  ${v.padStart(9)} ${f.unit}${over}\n`);
}
