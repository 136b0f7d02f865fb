/**
 * A scenario as a trace file: replay the scenario (scenarios/run.ts turns each step into model
 * events), record every event's result, and judge every property on every step as the search
 * does, so the trace names the first violation the scenario shows. `trace SCENARIO --out T`
 * writes it; `replay` and `diagram` read it like any other trace.
 */
import { DEFAULT_EXHAUSTIVE_BOUNDS } from '../properties/explore.js';
import { PROPERTY_IDS } from '../properties/invariants.js';
import { rootNode, runAction, type SearchContext } from '../properties/runner.js';
import { MAX_TRACE_STEPS } from '../schemas/limits.js';
import { runScenario, scenarioConfig } from '../scenarios/run.js';
import { ScenarioError, type Scenario } from '../scenarios/types.js';
import { makeTrace, traceStep, type TraceFile, type TraceStep, type TraceViolation } from './trace.js';

export function scenarioTrace(scenario: Scenario, profile: string, file: string): TraceFile {
  const run = runScenario(scenario, profile, file); // every problem a replay can meet, as a ScenarioError
  const events = run.steps.flatMap((s) => s.events);
  if (events.length > MAX_TRACE_STEPS) throw new ScenarioError(file, null, `becomes ${events.length} events, more than a trace holds (${MAX_TRACE_STEPS})`);
  const config = scenarioConfig(scenario);
  const ctx: SearchContext = { profile, config, crash: 'kill', bounds: DEFAULT_EXHAUSTIVE_BOUNDS, properties: PROPERTY_IDS, coverage: {}, reached: {} };
  let node = rootNode(ctx);
  const steps: TraceStep[] = [];
  let violation: TraceViolation | null = null;
  events.forEach((event, i) => {
    const t = runAction(ctx, node, { events: [event], crash: event.type === 'kill' || event.type === 'powerLoss' }, null);
    steps.push(traceStep(event, t.results[0]!));
    const v = t.violations[0];
    if (v && !violation) violation = { property: v.property, message: v.message, step: i + 1 };
    node = t.node;
  });
  return makeTrace({ config, profile, origin: { kind: 'scenario', name: scenario.name, source: scenario.source }, title: `scenario ${scenario.name} at ${profile}`, violation, steps });
}
