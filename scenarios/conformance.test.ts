/**
 * Conformance: every built-in scenario against its hand-derived v2.10.22 expectations
 * (<name>.expect.json: subset checks written from the Go source, not from the model), and
 * against its full recorded output (golden/<name>.out.json) so any change of behaviour shows.
 * UPDATE_GOLDEN=1 rewrites the golden outputs.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinScenarioFiles, CONFORMANCE_DIR } from './builtin.js';
import { loadScenarioFile } from './parse.js';
import { runScenario, type SnapshotOutput } from './run.js';

interface SnapshotExpectation {
  stream?: Record<string, unknown>;
  blockCount?: number;
  files?: Record<string, number | 'exists' | 'absent'>;
  consumers?: Record<string, unknown>;
  logIncludes?: string[];
  logExcludes?: string[];
  logEmpty?: boolean;
}

interface Expectation {
  derivation: string;
  snapshots: Record<string, SnapshotExpectation>;
}

const GOLDEN_DIR = join(CONFORMANCE_DIR, 'golden');

function checkSnapshot(label: string, got: SnapshotOutput, want: SnapshotExpectation): void {
  if (want.stream) expect(got.stream, `${label}: stream`).toMatchObject(want.stream);
  if (want.blockCount !== undefined) expect(got.blocks.length, `${label}: block count`).toBe(want.blockCount);
  for (const [path, w] of Object.entries(want.files ?? {})) {
    const f = got.files.find((x) => x.path === path);
    if (w === 'absent') expect(f, `${label}: ${path} absent`).toBeUndefined();
    else if (w === 'exists') expect(f, `${label}: ${path} exists`).toBeDefined();
    else expect(f?.bytes, `${label}: ${path} size`).toBe(w);
  }
  if (want.consumers) expect(got.consumers, `${label}: consumers`).toMatchObject(want.consumers);
  for (const line of want.logIncludes ?? []) expect(got.log, `${label}: log includes`).toContain(line);
  for (const sub of want.logExcludes ?? []) expect(got.log.filter((l) => l.includes(sub)), `${label}: log excludes "${sub}"`).toEqual([]);
  if (want.logEmpty) expect(got.log, `${label}: log empty`).toEqual([]);
}

describe('conformance scenarios at v2.10.22', () => {
  const files = builtinScenarioFiles();

  it('has a hand-derived expectation for every scenario', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const f of files) expect(existsSync(f.replace(/\.json$/, '.expect.json')), f).toBe(true);
  });

  for (const file of files) {
    const name = basename(file, '.json');
    it(name, () => {
      const scenario = loadScenarioFile(file);
      expect(scenario.name).toBe(name);
      const out = runScenario(scenario, 'v2.10.22', file).output;
      const exp = JSON.parse(readFileSync(file.replace(/\.json$/, '.expect.json'), 'utf8')) as Expectation;
      const labels = Object.keys(exp.snapshots);
      expect(labels.length, 'expectation names at least one snapshot').toBeGreaterThan(0);
      for (const label of labels) {
        const got = out.snapshots.find((s) => s.label === label);
        expect(got, `snapshot ${label} exists`).toBeDefined();
        checkSnapshot(label, got!, exp.snapshots[label]!);
      }
      const golden = join(GOLDEN_DIR, `${name}.out.json`);
      const text = `${JSON.stringify(out, null, 2)}\n`;
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(golden, text);
      } else {
        expect(existsSync(golden), `golden output ${golden} (run with UPDATE_GOLDEN=1)`).toBe(true);
        expect(text).toBe(readFileSync(golden, 'utf8'));
      }
    });
  }

  it('the seed scenario ends as the issue states', () => {
    const file = join(CONFORMANCE_DIR, 'wq-lmb-removal-kill.json');
    const out = runScenario(loadScenarioFile(file), 'v2.10.22', file).output;
    const s = out.snapshots.find((x) => x.label === 'after-restart')!;
    expect(s.stream).toMatchObject({ lastSeq: 0, msgs: 0 });
    expect(s.consumers.C?.delivered.streamSeq).toBe(2);
    expect(s.log).toContain('Filestore [TEST] Stream state detected prior state, could not locate msg block 2');
  });
});
