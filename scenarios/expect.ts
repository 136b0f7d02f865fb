/**
 * A scenario's hand-derived expectations (<name>.expect.json beside it: subset checks written
 * from the Go source, not from the model) and the comparison of a run's snapshots with them.
 * The `scenarios` command reports each scenario as matching or not; the conformance test
 * asserts the same.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { describeIssues } from '../schemas/issues.js';
import { parseJsonText, readInputFile } from '../schemas/read.js';
import { MAX_SCENARIO_FILE_BYTES } from '../schemas/limits.js';
import type { ScenarioOutput, SnapshotOutput } from './run.js';
import { ScenarioError } from './types.js';

const seqPair = z.strictObject({ consumerSeq: z.int().nonnegative().optional(), streamSeq: z.int().nonnegative().optional() });

export const snapshotExpectationSchema = z.strictObject({
  stream: z.strictObject({ msgs: z.int(), bytes: z.int(), firstSeq: z.int(), lastSeq: z.int(), numDeleted: z.int(), lostMsgs: z.array(z.int()) }).partial().optional(),
  blockCount: z.int().nonnegative().optional(),
  files: z.record(z.string(), z.union([z.int().nonnegative(), z.literal('exists'), z.literal('absent')])).optional(),
  consumers: z.record(z.string(), z.strictObject({ delivered: seqPair, ackFloor: seqPair, numAckPending: z.int().nonnegative() }).partial()).optional(),
  logIncludes: z.array(z.string()).optional(),
  logExcludes: z.array(z.string()).optional(),
  logEmpty: z.boolean().optional(),
});

const profileExpectationSchema = z.strictObject({
  derivation: z.string().min(1),
  /** The profile whose expectations this one shares (default: the base). */
  like: z.string().optional(),
  /** Snapshots of its own, replacing those of `like` label by label. */
  snapshots: z.record(z.string(), snapshotExpectationSchema).optional(),
});

/**
 * `derivation` and `snapshots` state the `base` profile (default v2.10.22); `profiles` maps each
 * other profile to `{ derivation, like?, snapshots? }` (see conformance.test.ts).
 */
export const expectationSchema = z.strictObject({
  base: z.string().optional(),
  derivation: z.string().min(1),
  snapshots: z.record(z.string(), snapshotExpectationSchema),
  profiles: z.record(z.string(), profileExpectationSchema).optional(),
});

export const BASE_EXPECTATION_PROFILE = 'v2.10.22';

/** The snapshot expectations of one profile, following `like`; null when the file states none for it. */
export function expectationFor(exp: Expectation, profile: string, seen: readonly string[] = []): Record<string, SnapshotExpectation> | null {
  const base = exp.base ?? BASE_EXPECTATION_PROFILE;
  if (profile === base) return exp.snapshots;
  const p = exp.profiles?.[profile];
  if (!p || seen.includes(profile)) return null;
  const like = expectationFor(exp, p.like ?? base, [...seen, profile]);
  return like ? { ...like, ...(p.snapshots ?? {}) } : null;
}

export type SnapshotExpectation = z.output<typeof snapshotExpectationSchema>;
export type Expectation = z.output<typeof expectationSchema>;

/** The expectation file of a scenario file, or null when it has none. */
export function expectationFileOf(scenarioFile: string): string {
  return scenarioFile.replace(/\.json$/, '.expect.json');
}

export function loadExpectation(scenarioFile: string): Expectation | null {
  const file = expectationFileOf(scenarioFile);
  if (!existsSync(file)) return null;
  const read = readInputFile(file, MAX_SCENARIO_FILE_BYTES);
  if (!read.ok) throw new ScenarioError(file, null, read.problem);
  const json = parseJsonText(read.text);
  if (!json.ok) throw new ScenarioError(file, null, json.problem);
  const r = expectationSchema.safeParse(json.value, { reportInput: true });
  if (!r.success) throw new ScenarioError(file, null, describeIssues(r.error.issues).text);
  return r.data;
}

/** Whether `got` holds every field of `want` (objects by key, arrays and scalars exactly). */
function subsetDiff(got: unknown, want: unknown, path: string, out: string[]): void {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    if (got === null || typeof got !== 'object') {
      out.push(`${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      return;
    }
    for (const [k, v] of Object.entries(want)) subsetDiff((got as Record<string, unknown>)[k], v, path ? `${path}.${k}` : k, out);
    return;
  }
  if (JSON.stringify(got) !== JSON.stringify(want)) out.push(`${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got) ?? 'nothing'}`);
}

/** Every way a snapshot differs from its expectation, one line each (empty: it matches). */
export function snapshotMismatches(label: string, got: SnapshotOutput, want: SnapshotExpectation): string[] {
  const out: string[] = [];
  if (want.stream) subsetDiff(got.stream, want.stream, `${label}: stream`, out);
  if (want.blockCount !== undefined && got.blocks.length !== want.blockCount) out.push(`${label}: expected ${want.blockCount} blocks, got ${got.blocks.length}`);
  for (const [path, w] of Object.entries(want.files ?? {})) {
    const f = got.files.find((x) => x.path === path);
    if (w === 'absent' && f) out.push(`${label}: expected no ${path}, got one of ${f.bytes} B`);
    else if (w === 'exists' && !f) out.push(`${label}: expected ${path}, got none`);
    else if (typeof w === 'number' && f?.bytes !== w) out.push(`${label}: expected ${path} of ${w} B, got ${f ? `${f.bytes} B` : 'none'}`);
  }
  if (want.consumers) subsetDiff(got.consumers, want.consumers, `${label}: consumers`, out);
  for (const line of want.logIncludes ?? []) if (!got.log.includes(line)) out.push(`${label}: expected the log line "${line}"`);
  for (const sub of want.logExcludes ?? []) for (const l of got.log.filter((x) => x.includes(sub))) out.push(`${label}: expected no log line with "${sub}", got "${l}"`);
  if (want.logEmpty && got.log.length > 0) out.push(`${label}: expected no log lines, got ${got.log.length}`);
  return out;
}

/**
 * Every mismatch between a run and the scenario's expectation for the run's profile (empty: it
 * matches); null when the expectation states nothing for that profile.
 */
export function mismatches(output: ScenarioOutput, expectation: Expectation): string[] | null {
  const snapshots = expectationFor(expectation, output.profile);
  if (!snapshots) return null;
  const out: string[] = [];
  const labels = Object.keys(snapshots);
  if (labels.length === 0) out.push('the expectation names no snapshot');
  for (const label of labels) {
    const got = output.snapshots.find((s) => s.label === label);
    if (!got) out.push(`${label}: no snapshot with this label`);
    else out.push(...snapshotMismatches(label, got, snapshots[label]!));
  }
  return out;
}
