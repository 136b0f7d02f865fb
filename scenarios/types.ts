/**
 * The scenario file format `filestore-scenario/1`: a fixed script of operations on one
 * stream's file store, its consumers and its files. Its one definition is the schema in
 * schemas/scenario.ts; these types derive from it. The parser (parse.ts) turns JSON into them
 * or a one-line error; the runner (run.ts) replays them against the model.
 */
import { printable } from '../schemas/issues.js';

export {
  SCENARIO_FORMAT,
  type Retention,
  type Scenario,
  type ScenarioConsumer,
  type ScenarioOp,
  type ScenarioStep,
  type ScenarioStream,
} from '../schemas/scenario.js';

/** A bad scenario file: one line naming the file, the step (1-based, when there is one) and the problem. */
export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    /** The step, counted from 1 as everywhere in this project; null for the file as a whole. */
    readonly step: number | null,
    readonly problem: string,
  ) {
    super(`${printable(file)}: ${step === null ? '' : `step ${step}: `}${problem}`);
    this.name = 'ScenarioError';
  }
}
