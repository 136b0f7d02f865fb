/**
 * The crash states the differential suite hands to real servers, each a run of the model and
 * a step whose disk becomes the image:
 * - every recovery (a `start` after a crash or stop) of every conformance scenario;
 * - every recovery of every counterexample in traces/corpus/;
 * - a seeded sample of crash states from random search runs (fast-check, the search's own
 *   alphabet), under `kill` (page-cache images) and `power-loss:ext4` (the disk a power
 *   loss left). The sample uses a 2 s AckWait so the probe's second round costs 2 s, not 30.
 */
import { readdirSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { makeConfig } from '../model/config.js';
import { EventError, type ModelEvent } from '../model/step.js';
import { exploredConfig, type CrashModel, type ExploreBounds } from '../properties/alphabet.js';
import { playChoices, choiceArbitrary } from '../properties/random.js';
import { builtinScenarioFiles } from '../scenarios/builtin.js';
import { loadScenarioFile } from '../scenarios/parse.js';
import { runScenario } from '../scenarios/run.js';
import { ScenarioError } from '../scenarios/types.js';
import { loadTraceFile } from '../traces/validate.js';
import { restartPoints, runEvents, runOfScenario, type Run } from '../traces/image/image.js';

export const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'traces', 'corpus');

export interface SuiteCase {
  /** Stable name: `<source>:<name>@<step>`. */
  readonly name: string;
  readonly source: 'scenario' | 'corpus' | 'sample';
  readonly run: Run;
  readonly step: number;
}

export const SAMPLE_BOUNDS: ExploreBounds = { depth: 12, maxMsgs: 3, maxCrashes: 1, consumers: 1, blockSizeBytes: 128, reorderWindow: 4 };
export const SAMPLE_ACK_WAIT_MS = 2000;

function safeRun(config: Run['config'], profile: string, events: readonly ModelEvent[]): Run | null {
  try {
    return runEvents(config, profile, events);
  } catch (e) {
    if (e instanceof EventError) return null; // not a valid run under this profile
    throw e;
  }
}

export function scenarioCases(profile: string): SuiteCase[] {
  const out: SuiteCase[] = [];
  for (const file of builtinScenarioFiles()) {
    const scenario = loadScenarioFile(file);
    let run: Run;
    try {
      run = runOfScenario(runScenario(scenario, profile, file), profile);
    } catch (e) {
      if (e instanceof ScenarioError) continue; // not valid under this profile
      throw e;
    }
    for (const step of restartPoints(run)) out.push({ name: `scenario:${scenario.name}@${step}`, source: 'scenario', run, step });
  }
  return out;
}

export function corpusCases(profile: string): SuiteCase[] {
  const out: SuiteCase[] = [];
  for (const f of readdirSync(CORPUS_DIR).filter((x) => x.endsWith('.json')).sort()) {
    const trace = loadTraceFile(join(CORPUS_DIR, f));
    const run = safeRun(trace.config, profile, trace.steps.map((s) => s.event));
    if (!run) continue;
    for (const step of restartPoints(run)) out.push({ name: `corpus:${basename(f, '.json')}@${step}`, source: 'corpus', run, step });
  }
  return out;
}

/**
 * `count` crash states per crash model: seeded runs of the search's alphabet; each run that
 * crashed gives the disk at its first crash. Runs are drawn until `count` distinct states.
 */
export function sampleCases(profile: string, seed: number, count: number, crashes: readonly CrashModel[] = ['kill', 'power-loss:ext4']): SuiteCase[] {
  const out: SuiteCase[] = [];
  const config = makeConfig({ ...exploredConfig(SAMPLE_BOUNDS), ackWaitMs: SAMPLE_ACK_WAIT_MS });
  for (const crash of crashes) {
    const ctx = { profile, config, crash, bounds: SAMPLE_BOUNDS, properties: [], coverage: {}, reached: {} };
    const draws = fc.sample(fc.array(choiceArbitrary, { minLength: 4, maxLength: SAMPLE_BOUNDS.depth ?? 24 }), { seed: seed + (crash === 'kill' ? 0 : 1), numRuns: count * 20 });
    const seen = new Set<string>();
    for (const [i, choices] of draws.entries()) {
      if (out.filter((c) => c.name.startsWith(`sample:${crash}`)).length >= count) break;
      const { events } = playChoices(ctx, choices);
      const run = runEvents(config, profile, events);
      const crashAt = run.results.findIndex((r) => r.killed);
      if (crashAt < 0) continue;
      const step = crashAt + 1 + (events[crashAt + 1]?.type === 'powerLoss' ? 1 : 0);
      const key = JSON.stringify(events.slice(0, step));
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ name: `sample:${crash}#${seed}.${i}@${step}`, source: 'sample', run: runEvents(config, profile, events.slice(0, step)), step });
    }
  }
  return out;
}
