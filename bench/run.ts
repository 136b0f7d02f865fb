/**
 * `npm run bench`: speed and memory of the model and the search, as figures. Each figure is
 * printed as a line of text and as a JSON line, with its target beside it. Targets live here,
 * never in timed tests: a figure that misses its target says so; it fails nothing.
 *
 * Options: `--workers N` (default the number of cores); `--max-states N`, the budget of the
 * whole-space searches (default 250,000 distinct states: past it a search stops and the
 * figure says "not complete").
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { makeConfig } from '../model/config.js';
import { initialState, step, type ModelEvent } from '../model/step.js';
import type { CrashModel, ExploreBounds } from '../properties/alphabet.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS, DEFAULT_MAX_REDELIVERIES, EXTRA_STARTS, explore } from '../properties/explore.js';
import { PROPERTY_IDS } from '../properties/invariants.js';
import { MATRIX_BOUNDS, searchBounds } from '../properties/matrix.js';

interface Figure {
  readonly name: string;
  readonly value: number | null;
  readonly unit: string;
  /** The target, and whether a figure meets it by being at most (`max`) or at least (`min`) it. */
  readonly target?: { readonly kind: 'max' | 'min'; readonly value: number };
  readonly note?: string;
}

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 1) {
    process.stderr.write(`error: option --${name} needs a positive whole number\n`);
    process.exit(2);
  }
  return v;
}

const WORKERS = flag('workers', availableParallelism());
const MAX_STATES = flag('max-states', 250_000);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The reference bounds of issue 9: `--max-msgs 4 --max-crashes 2 --consumers 1 --block-size-bytes 128`. */
const REFERENCE: ExploreBounds = { depth: null, maxMsgs: 4, maxCrashes: 2, consumers: 1, blockSizeBytes: 128, reorderWindow: 4, retention: 'workqueue', syncAlways: false, maxStarts: 2 + EXTRA_STARTS, maxRedeliveries: DEFAULT_MAX_REDELIVERIES };

function print(f: Figure): void {
  const v = f.value === null ? 'n/a' : f.value >= 100 ? f.value.toFixed(0) : f.value.toFixed(2);
  const target = f.target ? `target ${f.target.kind === 'max' ? '≤' : '≥'} ${f.target.value} ${f.unit}` : '';
  const meets = f.target && f.value !== null ? (f.target.kind === 'max' ? f.value <= f.target.value : f.value >= f.target.value) : null;
  const verdict = meets === null ? '' : meets ? 'meets it' : 'MISSES it';
  process.stdout.write(`${f.name.padEnd(64)} ${v.padStart(10)} ${f.unit.padEnd(9)} ${target}${verdict ? ` (${verdict})` : ''}${f.note ? `  [${f.note}]` : ''}\n`);
  process.stdout.write(`${JSON.stringify({ figure: f.name, value: f.value === null ? null : Number(f.value.toPrecision(6)), unit: f.unit, target: f.target ?? null, meets, ...(f.note ? { note: f.note } : {}) })}\n`);
}

function timed<T>(f: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = f();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

process.stdout.write(`bench: ${WORKERS} worker${WORKERS === 1 ? '' : 's'}, ${availableParallelism()} cores; whole-space budget ${MAX_STATES} states\n`);

// 1. The shortest counterexample at the reference bounds, end to end (a fresh process, as a user runs it).
{
  // explore --out does not create directories (a mistyped path is an error): make the bench's own.
  mkdirSync(join(ROOT, 'out', 'bench'), { recursive: true });
  const args = ['tsx', 'cli/main.ts', 'explore', '--property', 'stream-not-behind-consumer', '--crash', 'kill', '--max-msgs', '4', '--max-crashes', '2', '--consumers', '1', '--block-size-bytes', '128', '--workers', '1', '--json', '--out', 'out/bench/shortest.json'];
  const { value, seconds } = timed(() => execFileSync('npx', args, { cwd: ROOT, encoding: 'utf8' }));
  const length = (JSON.parse(value) as { counterexample?: { length: number } }).counterexample?.length ?? null;
  print({ name: 'shortest counterexample, reference bounds, kill (end to end)', value: seconds, unit: 's', target: { kind: 'max', value: 1.2 }, note: `${length} events` });
}

// 2. The whole reachable space, every property in one search (with causes, as the check runs it):
// at the reference bounds, and at the default check's bounds to its fixpoint.
function wholeSpace(crash: CrashModel, bounds: ExploreBounds, label: string, targetS: number | null): void {
  const { value, seconds } = timed(() => explore({ profile: 'v2.10.22', properties: PROPERTY_IDS, crash, mode: 'exhaustive', bounds, seed: 0, runs: 0, stopEarly: false, byCause: true, workers: WORKERS, maxStates: MAX_STATES }));
  const s = value.stats;
  const note = `${s.distinctStates} distinct states, ${s.transitions} transitions, max depth ${s.depth}, ${s.complete ? 'complete' : `NOT complete (budget of ${MAX_STATES} states)`}`;
  print({ name: `whole space, ${label}, ${crash}, v2.10.22, all properties`, value: s.complete ? seconds : null, unit: 's', ...(targetS !== null ? { target: { kind: 'max' as const, value: targetS } } : {}), note });
  print({ name: `distinct states/s (${label}, ${crash})`, value: (s.distinctStates ?? 0) / seconds, unit: 'states/s', target: { kind: 'min', value: 100_000 } });
  print({ name: `visited-state table per state (${label}, ${crash})`, value: (s.visitedBytes ?? 0) / Math.max(1, s.distinctStates ?? 1), unit: 'bytes', note: '16-byte fingerprints in an open-addressing table at most half full' });
}
const DEFAULT_FIXPOINT: ExploreBounds = { ...DEFAULT_EXHAUSTIVE_BOUNDS, depth: null };
/** What `npm start` runs to the fixpoint under kill for a profile with deterministic timers (properties/matrix.ts). */
const MATRIX_FIXPOINT: ExploreBounds = searchBounds(MATRIX_BOUNDS, 'kill', 'v2.10.22');
wholeSpace('kill', MATRIX_FIXPOINT, 'matrix bounds (1 msg)', null);
wholeSpace('kill', DEFAULT_FIXPOINT, 'default bounds', null);
wholeSpace('power-loss:ext4', DEFAULT_FIXPOINT, 'default bounds', null);
wholeSpace('kill', REFERENCE, 'reference bounds', 10);
wholeSpace('power-loss:ext4', REFERENCE, 'reference bounds', 60);

print({ name: 'peak resident memory', value: process.resourceUsage().maxRSS / 1024, unit: 'MiB', target: { kind: 'max', value: 1024 } });

// 3. One model step, on a WorkQueue cycle of one second (store, deliver, advance, ack).
{
  const cfg = makeConfig({ retention: 'workqueue', blockSizeBytes: 128, consumers: ['C'] });
  const cycle: ModelEvent[] = [{ type: 'store', subject: 'foo', payloadBytes: 10 }, { type: 'deliver', consumer: 'C' }, { type: 'advance', ms: 1000 }, { type: 'ack', consumer: 'C', streamSeq: 0 }];
  const STEPS = 20_000;
  const { seconds } = timed(() => {
    let s = step(initialState(cfg, 'v2.10.22'), { type: 'start' }).state;
    let seq = 0;
    for (let i = 0; i < STEPS / cycle.length; i++) {
      for (const e of cycle) {
        const r = step(s, e.type === 'ack' ? { ...e, streamSeq: seq } : e);
        if (e.type === 'store') seq = r.outcome.seqs![0]!;
        s = r.state;
      }
    }
  });
  print({ name: 'model step (WorkQueue cycle)', value: (seconds * 1e6) / STEPS, unit: 'µs/step' });
}

// 4. Scenario scaling: N single-message stores without an advance.
for (const n of [1000, 8000]) {
  const cfg = makeConfig({ retention: 'limits', blockSizeBytes: 1 << 20, consumers: [] });
  const { seconds } = timed(() => {
    let s = step(initialState(cfg, 'v2.10.22'), { type: 'start' }).state;
    for (let i = 0; i < n; i++) s = step(s, { type: 'store', subject: 'foo', payloadBytes: 10 }).state;
  });
  print({ name: `${n} stores without an advance`, value: seconds, unit: 's', ...(n === 8000 ? { target: { kind: 'max' as const, value: 2 } } : {}) });
}
