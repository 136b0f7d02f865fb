/**
 * One search transition: run an action's events through `step`, carry the ghost, count
 * coverage and check the selected properties on every event. Shared by the random and the
 * exhaustive explorers so both judge runs the same way.
 */
import type { StoreConfig } from '../model/config.js';
import { observe } from '../model/observe.js';
import type { ModelState } from '../model/state.js';
import { initialState, step, type ModelEvent, type StepResult } from '../model/step.js';
import { enabledActions, exploredConfig, powerLossChoices, type CrashModel, type ExploreBounds } from './alphabet.js';
import type { SearchBudget } from './budget.js';
import { bump, coverTransition, type Coverage } from './coverage.js';
import { EMPTY_GHOST, nextGhost, type Ghost } from './ghost.js';
import { PROPERTIES, type PropertyId } from './invariants.js';

export interface SearchNode {
  readonly state: ModelState;
  readonly ghost: Ghost;
  readonly crashes: number;
  /** Deliveries that were redeliveries (the `maxRedeliveries` bound counts these). */
  readonly redeliveries: number;
}

/** An action: one event, or (a crash under power loss) a kill point then the power loss. */
export interface Action {
  readonly events: readonly ModelEvent[];
  readonly crash: boolean;
  /** The first event's result from this node, when the caller already computed it. */
  readonly firstResult?: StepResult;
}

export interface FoundViolation {
  readonly property: PropertyId;
  readonly message: string;
}

export interface Transition {
  readonly node: SearchNode;
  readonly results: readonly StepResult[];
  /** Violations, each with the index (within this action's events) of the event that broke it. */
  readonly violations: readonly (FoundViolation & { readonly eventOffset: number })[];
}

export interface SearchContext {
  readonly profile: string;
  /** The store to explore; the explored WorkQueue stream of `bounds` when absent. */
  readonly config?: StoreConfig;
  readonly crash: CrashModel;
  readonly bounds: ExploreBounds;
  readonly properties: readonly PropertyId[];
  readonly coverage: Coverage;
  /** How often each property's precondition was reached. */
  readonly reached: Record<string, number>;
  /** Bounds the states the search may generate (budget.ts); none: unbounded (tests, docs). */
  readonly budget?: SearchBudget;
}

export function rootNode(ctx: SearchContext): SearchNode {
  return { state: initialState(ctx.config ?? exploredConfig(ctx.bounds, ctx.crash), ctx.profile), ghost: EMPTY_GHOST, crashes: 0, redeliveries: 0 };
}

/** Run an action from a node. `full` is the first event's result without its kill point (for coverage). */
export function runAction(ctx: SearchContext, node: SearchNode, action: Action, full: StepResult | null): Transition {
  ctx.budget?.spend();
  let { state, ghost } = node;
  let redeliveries = node.redeliveries;
  const results: StepResult[] = [];
  const violations: (FoundViolation & { eventOffset: number })[] = [];
  action.events.forEach((event, offset) => {
    const before = state;
    const r = offset === 0 && action.firstResult ? action.firstResult : step(before, event);
    const ghostAfter = nextGhost(ghost, event, r, before.disk, event.type === 'stop' ? observe(before).stream : null);
    coverTransition(ctx.coverage, before, event, r, offset === 0 ? full : null);
    const t = { before, event, result: r, ghostBefore: ghost, ghostAfter };
    for (const id of ctx.properties) {
      const p = PROPERTIES[id];
      if (!p.on.includes(event.type) || !p.applies(t)) continue;
      bump(ctx.reached, id);
      const message = p.check(t);
      if (message !== null) violations.push({ property: id, message, eventOffset: offset });
    }
    results.push(r);
    redeliveries += redeliveryCount(r);
    state = r.state;
    ghost = ghostAfter;
  });
  return { node: { state, ghost, crashes: node.crashes + (action.crash ? 1 : 0), redeliveries }, results, violations };
}

function redeliveryCount(r: StepResult): number {
  let n = 0;
  for (const d of r.outcome.deliveries ?? []) if (d.redelivery) n++;
  return n;
}

/**
 * Whether the bounds on starts and redeliveries allow this operation (`full`: its result
 * without a kill point). A start counts once it completes; a killed start is a crash.
 */
function withinBounds(ctx: SearchContext, node: SearchNode, event: ModelEvent, full: StepResult): boolean {
  const b = ctx.bounds;
  if (event.type === 'start' && b.maxStarts !== undefined && node.ghost.starts >= b.maxStarts) return false;
  if (b.maxRedeliveries !== undefined && node.redeliveries + redeliveryCount(full) > b.maxRedeliveries) return false;
  return true;
}

/** Every action enabled at a node: each operation, and (within the crash bound) its crashes. */
export function successorActions(ctx: SearchContext, node: SearchNode): { action: Action; full: StepResult | null }[] {
  const out: { action: Action; full: StepResult | null }[] = [];
  const canCrash = node.crashes < ctx.bounds.maxCrashes;
  for (const event of enabledActions(node.state, node.ghost, ctx.bounds, ctx.crash)) {
    const full = step(node.state, event);
    if (!withinBounds(ctx, node, event, full)) continue;
    out.push({ action: { events: [event], crash: false, firstResult: full }, full });
    if (!canCrash) continue;
    for (let k = 0; k <= full.ops.length; k++) {
      const killed = { ...event, killAfterFileOps: k } as ModelEvent;
      if (ctx.crash === 'kill') {
        out.push({ action: { events: [killed], crash: true }, full });
        continue;
      }
      const afterKill = step(node.state, killed);
      for (const keep of powerLossChoices(ctx.crash, afterKill.state.disk, ctx.bounds.reorderWindow)) {
        out.push({ action: { events: [killed, { type: 'powerLoss', keep }], crash: true, firstResult: afterKill }, full });
      }
    }
  }
  // A power loss while the server is down (after a stop or a kill).
  if (canCrash && !node.state.proc && ctx.crash !== 'kill' && node.ghost.starts > 0) {
    for (const keep of powerLossChoices(ctx.crash, node.state.disk, ctx.bounds.reorderWindow)) {
      out.push({ action: { events: [{ type: 'powerLoss', keep }], crash: true }, full: null });
    }
  }
  return out;
}
