/**
 * Crash images round-trip: for every step of every conformance scenario and corpus trace, the
 * image written to disk decodes back to exactly the model's files (records with their keys,
 * seqs, times, subjects and sizes; index.db's fields and lchk; o.dat's fields), in both views.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FsView } from '../../model/disk.js';
import type { Segment } from '../../model/records.js';
import { builtinScenarioFiles } from '../../scenarios/builtin.js';
import { loadScenarioFile } from '../../scenarios/parse.js';
import { runScenario } from '../../scenarios/run.js';
import { loadTraceFile } from '../validate.js';
import { compareWithModel, decodeStreamFiles, readStoreDir } from './decode.js';
import { buildImage, buildImages, defaultImageStep, ImageError, runEvents, runOfScenario, writeImage, type Run, type StoreImage } from './image.js';

const tmp = mkdtempSync(join(tmpdir(), 'image-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

function viewFiles(view: FsView): Map<string, readonly Segment[]> {
  return new Map(Object.keys(view.entries).sort().map((p) => [p, view.inodes[view.entries[p]!] ?? []]));
}

/** Decode an image (from memory, or written to disk and read back) and compare it with the model's view. */
function roundTrip(run: Run, image: StoreImage, which: 'cache' | 'durable', viaDisk: boolean): string[] {
  let store;
  if (viaDisk) {
    const dir = join(tmp, String(n++));
    writeImage(dir, image);
    store = readStoreDir(dir);
    rmSync(dir, { recursive: true });
  } else {
    const prefix = `${image.streamDir}/`;
    store = decodeStreamFiles(run.config.streamName, new Map([...image.files].map(([p, b]) => [p.slice(prefix.length), b])));
  }
  expect(store.metaOk).toBe(true);
  const state = run.states[image.step]!;
  return compareWithModel(viewFiles(which === 'cache' ? state.disk.cache : state.disk.durable), store, image.checksumHex);
}

const runs: { name: string; run: Run }[] = [
  ...builtinScenarioFiles().map((file) => {
    const s = loadScenarioFile(file);
    return { name: `scenario ${s.name}`, run: runOfScenario(runScenario(s, 'v2.10.22', file), 'v2.10.22') };
  }),
  ...readdirSync(join(import.meta.dirname, '..', 'corpus'))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const t = loadTraceFile(join(import.meta.dirname, '..', 'corpus', f));
      return { name: `corpus ${f}`, run: runEvents(t.config, t.profile, t.steps.map((s) => s.event)) };
    }),
];

describe('every step of every scenario and corpus trace decodes back to the model\'s files', () => {
  for (const { name, run } of runs) {
    it(name, () => {
      const steps = Array.from({ length: run.events.length + 1 }, (_, i) => i);
      // Every step from memory; the crash point a confirm would use through a real directory.
      const crashAt = defaultImageStep(run);
      for (const image of buildImages(run, steps)) expect(roundTrip(run, image, 'cache', image.step === crashAt), `after event ${image.step}, cache view`).toEqual([]);
      // The durable view differs from the page cache only while operations are in flight.
      const inFlight = steps.filter((i) => run.states[i]!.disk.inFlight.length > 0);
      for (const image of buildImages(run, inFlight, { view: 'durable' })) expect(roundTrip(run, image, 'durable', false), `after event ${image.step}, durable view`).toEqual([]);
    });
  }
});

describe('images', () => {
  const seed = runs.find((r) => r.name === 'corpus kill_stream-not-behind-consumer.json')!.run;

  it('are deterministic: the same trace and step give the same bytes', () => {
    const a = buildImage(seed, 5);
    const b = buildImage(seed, 5);
    expect([...a.files.keys()]).toEqual([...b.files.keys()]);
    for (const [k, v] of a.files) expect(Buffer.from(v).equals(Buffer.from(b.files.get(k)!))).toBe(true);
  });

  it('of the seed bug hold what the model says the kill left: an empty 1.blk gone, index.db absent, o.dat at delivered 1', () => {
    expect(defaultImageStep(seed)).toBe(5);
    const img = buildImage(seed, 5);
    expect([...img.modelFiles.keys()]).toEqual(['obs/C/o.dat']);
    const root = 'jetstream/$G/streams/TEST';
    expect([...img.files.keys()]).toEqual([`${root}/meta.inf`, `${root}/meta.sum`, `${root}/obs/C/meta.inf`, `${root}/obs/C/meta.sum`, `${root}/obs/C/o.dat`]);
    const dir = join(tmp, 'seed');
    writeImage(dir, img);
    const c = readStoreDir(dir).consumers.C;
    expect(c && 'state' in c ? [c.state.delivered.streamSeq, c.state.ackFloor.streamSeq, c.state.pending.map((p) => p.streamSeq)] : null).toEqual([1, 0, [1]]);
  });

  it('are never written over a non-empty directory or past the trace\'s end', () => {
    const dir = join(tmp, 'taken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x'), 'x');
    expect(() => writeImage(dir, buildImage(seed, 1))).toThrow(ImageError);
    expect(() => buildImage(seed, seed.events.length + 1)).toThrow(/out of range/);
  });
});
