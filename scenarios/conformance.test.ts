/**
 * Conformance: every built-in scenario against its hand-derived expectations for every server
 * profile it names (<name>.expect.json: subset checks written from the Go source and the
 * server's tests at each tag, never from the model), and against its full recorded output
 * (golden/<name>.out.json for v2.10.22, golden/<name>@<profile>.out.json for each profile with
 * expectations of its own) so any change of behaviour shows. UPDATE_GOLDEN=1 rewrites them.
 *
 * `<name>.expect.json`: `derivation` and `snapshots` state v2.10.22 (or the scenario's `base`
 * profile, for scenarios of later tests); `profiles` maps every other profile to
 * `{ derivation, like?, snapshots? }`: the expectations of `like` (default: the base), with the
 * labels in `snapshots` replaced.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROFILE_NAMES } from '../model/profile.js';
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

interface ProfileExpectation {
  derivation: string;
  like?: string;
  snapshots?: Record<string, SnapshotExpectation>;
}

interface Expectation {
  /** The profile `snapshots` states (default v2.10.22). */
  base?: string;
  derivation: string;
  snapshots: Record<string, SnapshotExpectation>;
  profiles?: Record<string, ProfileExpectation>;
}

const GOLDEN_DIR = join(CONFORMANCE_DIR, 'golden');
const BASE_PROFILE = 'v2.10.22';

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

/** The snapshot expectations a profile resolves to (following `like`). */
function resolveExpectation(exp: Expectation, profile: string, seen: string[] = []): Record<string, SnapshotExpectation> {
  const base = exp.base ?? BASE_PROFILE;
  if (profile === base) return exp.snapshots;
  const p = exp.profiles?.[profile];
  if (!p) throw new Error(`no expectation for profile ${profile}`);
  if (seen.includes(profile)) throw new Error(`"like" cycle through ${profile}`);
  const like = resolveExpectation(exp, p.like ?? base, [...seen, profile]);
  return { ...like, ...(p.snapshots ?? {}) };
}

function readExpectation(file: string): Expectation {
  return JSON.parse(readFileSync(file.replace(/\.json$/, '.expect.json'), 'utf8')) as Expectation;
}

/** Profiles whose golden output is recorded: the base and every profile with snapshots of its own. */
function goldenProfiles(exp: Expectation): string[] {
  const own = Object.entries(exp.profiles ?? {})
    .filter(([, p]) => p.snapshots !== undefined)
    .map(([name]) => name);
  return [exp.base ?? BASE_PROFILE, ...own];
}

describe('conformance scenarios, per profile', () => {
  const files = builtinScenarioFiles();

  it('has a hand-derived expectation for every scenario and every profile', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const f of files) {
      expect(existsSync(f.replace(/\.json$/, '.expect.json')), f).toBe(true);
      const exp = readExpectation(f);
      const named = [exp.base ?? BASE_PROFILE, ...Object.keys(exp.profiles ?? {})].sort();
      // Scenarios of later tests start at the release that added them; all name every later profile.
      const from = PROFILE_NAMES.indexOf(exp.base ?? BASE_PROFILE);
      expect(from, `${f}: base profile`).toBeGreaterThanOrEqual(0);
      expect(named, `${basename(f)} names every profile from ${exp.base ?? BASE_PROFILE} on`).toEqual([...PROFILE_NAMES.slice(from)].sort());
      for (const [name, p] of Object.entries(exp.profiles ?? {})) expect(p.derivation.length, `${basename(f)} ${name}: derivation`).toBeGreaterThan(20);
    }
  });

  for (const file of files) {
    const name = basename(file, '.json');
    const exp = readExpectation(file);
    const profiles = [exp.base ?? BASE_PROFILE, ...Object.keys(exp.profiles ?? {})];
    const golden = new Set(goldenProfiles(exp));
    for (const profile of profiles) {
      it(`${name} @ ${profile}`, () => {
        const scenario = loadScenarioFile(file);
        expect(scenario.name).toBe(name);
        const out = runScenario(scenario, profile, file).output;
        const snapshots = resolveExpectation(exp, profile);
        const labels = Object.keys(snapshots);
        expect(labels.length, 'expectation names at least one snapshot').toBeGreaterThan(0);
        for (const label of labels) {
          const got = out.snapshots.find((s) => s.label === label);
          expect(got, `snapshot ${label} exists`).toBeDefined();
          checkSnapshot(label, got!, snapshots[label]!);
        }
        if (!golden.has(profile)) return;
        const goldenFile = join(GOLDEN_DIR, profile === BASE_PROFILE ? `${name}.out.json` : `${name}@${profile}.out.json`);
        const text = `${JSON.stringify(out, null, 2)}\n`;
        if (process.env.UPDATE_GOLDEN === '1') {
          mkdirSync(GOLDEN_DIR, { recursive: true });
          writeFileSync(goldenFile, text);
        } else {
          expect(existsSync(goldenFile), `golden output ${goldenFile} (run with UPDATE_GOLDEN=1)`).toBe(true);
          expect(text).toBe(readFileSync(goldenFile, 'utf8'));
        }
      });
    }
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
