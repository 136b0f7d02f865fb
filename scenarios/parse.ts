/**
 * Reading scenario files (`filestore-scenario/1`): the file is read with a size limit, parsed
 * as JSON and checked against the one schema (schemas/scenario.ts). Every problem becomes a
 * ScenarioError whose message is one line naming the file, the step (1-based) and the field.
 */
import { describeIssues } from '../schemas/issues.js';
import { MAX_SCENARIO_FILE_BYTES } from '../schemas/limits.js';
import { scenarioSchema } from '../schemas/scenario.js';
import { TRACE_FORMAT } from '../schemas/trace.js';
import { readInputFile, parseJsonText } from '../schemas/read.js';
import { ScenarioError, type Scenario } from './types.js';

/**
 * Parses and validates the text of a scenario file. `file` only names the file in errors.
 * Returns the scenario with `consumers` defaulted to []; optional step and stream fields stay
 * absent when absent (the runner applies their defaults). Throws only ScenarioError.
 */
export function parseScenario(text: string, file: string): Scenario {
  const json = parseJsonText(text);
  if (!json.ok) throw new ScenarioError(file, null, json.problem);
  const v = json.value;
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && (v as { format?: unknown }).format === TRACE_FORMAT) {
    throw new ScenarioError(file, null, `is a trace (${TRACE_FORMAT}), not a scenario: replay and diagram read traces`);
  }
  const r = scenarioSchema.safeParse(v, { reportInput: true });
  if (r.success) return r.data;
  const { step, text: problem } = describeIssues(r.error.issues);
  throw new ScenarioError(file, step === null ? null : step + 1, problem);
}

/** Reads and parses a scenario file. A missing, unreadable or too large file is a ScenarioError too. */
export function loadScenarioFile(path: string): Scenario {
  const read = readInputFile(path, MAX_SCENARIO_FILE_BYTES);
  if (!read.ok) throw new ScenarioError(path, null, read.problem);
  return parseScenario(read.text, path);
}

export { oneLine } from '../schemas/read.js';
