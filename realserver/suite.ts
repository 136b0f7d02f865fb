/**
 * The differential suite (`npm run conformance:real`): every case of cases.ts, for each real
 * profile, confirmed on that version's binary. Prints agreement per version; saves each
 * disagreement under the output folder as a trace, its crash image, the comparison and the
 * server's log, so it replays (`replay`), re-confirms (`confirm`) and can be opened by hand.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTrace, serializeTrace, traceStep } from '../traces/trace.js';
import { buildImage, writeImage } from '../traces/image/image.js';
import { corpusCases, sampleCases, scenarioCases, type SuiteCase } from './cases.js';
import { confirmImage, type ConfirmResult } from './confirm.js';
import { knownFor } from './known-disagreements.js';

export interface SuiteOptions {
  readonly profile: string;
  readonly binary: string;
  readonly seed: number;
  readonly samplePerCrash: number;
  /** Only the first N scenario crash points (all when undefined). */
  readonly maxScenarioCases?: number;
  readonly concurrency: number;
  readonly outDir: string;
  readonly progress: (line: string) => void;
}

export interface CaseOutcome {
  readonly name: string;
  readonly source: SuiteCase['source'];
  readonly agree: boolean;
  /** The fields that differ, `field: model X, real Y`. */
  readonly differences: readonly string[];
  /** The id of the known disagreement (docs/real-server.md) that explains it, if any. */
  readonly known: string | null;
  readonly saved: string | null;
}

export interface SuiteReport {
  readonly profile: string;
  readonly cases: number;
  readonly agree: number;
  /** Disagreements explained by a known entry. */
  readonly known: number;
  readonly bySource: Readonly<Record<string, { readonly cases: number; readonly agree: number }>>;
  readonly outcomes: readonly CaseOutcome[];
}

export function suiteCases(profile: string, seed: number, samplePerCrash: number, maxScenarioCases?: number): SuiteCase[] {
  const scenarios = scenarioCases(profile);
  return [...corpusCases(profile), ...(maxScenarioCases === undefined ? scenarios : scenarios.slice(0, maxScenarioCases)), ...sampleCases(profile, seed, samplePerCrash)];
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9@#._-]+/g, '_');
}

function save(c: SuiteCase, r: ConfirmResult, profile: string, outDir: string): string {
  const dir = join(outDir, profile, safeName(c.name));
  mkdirSync(dir, { recursive: true });
  const steps = c.run.events.map((e, i) => traceStep(e, c.run.results[i]!));
  const trace = makeTrace({ config: c.run.config, profile, origin: { kind: 'manual' }, title: `real-server disagreement ${c.name} at ${profile}: the crash image after event ${c.step}`, violation: null, steps });
  writeFileSync(join(dir, 'trace.json'), serializeTrace(trace));
  writeImage(join(dir, 'image'), buildImage(c.run, c.step));
  const { serverLog, ...rest } = r;
  writeFileSync(join(dir, 'confirm.json'), `${JSON.stringify({ case: c.name, profile, ...rest, model: { ...rest.model, recovered: undefined } }, null, 2)}\n`);
  writeFileSync(join(dir, 'server.log'), serverLog);
  return dir;
}

export async function runSuite(opts: SuiteOptions): Promise<SuiteReport> {
  const cases = suiteCases(opts.profile, opts.seed, opts.samplePerCrash, opts.maxScenarioCases);
  rmSync(join(opts.outDir, opts.profile), { recursive: true, force: true }); // this run's disagreements only
  const outcomes: CaseOutcome[] = new Array(cases.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      const c = cases[i]!;
      const r = await confirmImage(c.run, c.step, { binary: opts.binary });
      const differing = r.fields.filter((f) => !f.agree);
      const differences = differing.map((f) => `${f.field}: model ${f.model}, real ${f.real}`);
      const known = r.agree ? null : (knownFor(opts.profile, c.name, differing.map((f) => f.field))?.id ?? null);
      outcomes[i] = { name: c.name, source: c.source, agree: r.agree, differences, known, saved: r.agree ? null : save(c, r, opts.profile, opts.outDir) };
      done++;
      opts.progress(`${opts.profile}: ${done}/${cases.length} ${c.name} ${r.agree ? 'agree' : 'DISAGREE'}`);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, cases.length)) }, worker));
  const bySource: Record<string, { cases: number; agree: number }> = {};
  for (const o of outcomes) {
    const s = (bySource[o.source] ??= { cases: 0, agree: 0 });
    s.cases++;
    if (o.agree) s.agree++;
  }
  return { profile: opts.profile, cases: outcomes.length, agree: outcomes.filter((o) => o.agree).length, known: outcomes.filter((o) => o.known !== null).length, bySource, outcomes };
}
