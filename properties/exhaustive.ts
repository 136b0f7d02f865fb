/**
 * Exhaustive bounded exploration: breadth-first over the operation alphabet and its crashes,
 * within the bounds, deduplicating states by canonical fingerprint. Breadth-first order makes
 * the first violation found for a property a shortest one (fewest actions); the expansion
 * order is fixed, so the same bounds always give the same counterexample.
 */
import type { ModelEvent } from '../model/step.js';
import { fingerprint } from './fingerprint.js';
import type { PropertyId } from './invariants.js';
import { exploredConfig } from './alphabet.js';
import { classifyRun, type Cause } from './causes.js';
import { rootNode, runAction, successorActions, type SearchContext, type SearchNode } from './runner.js';

export interface Counterexample {
  readonly property: PropertyId;
  readonly message: string;
  readonly events: readonly ModelEvent[];
  /** Index into `events` of the event after which the property failed. */
  readonly failedAt: number;
  /** Why it failed (properties/causes.ts); absent until classified. */
  readonly cause?: Cause;
}

export interface ExhaustiveResult {
  readonly counterexamples: Partial<Record<PropertyId, Counterexample>>;
  /** With `byCause`: for each property, the shortest counterexample of each cause found. */
  readonly byCause: Partial<Record<PropertyId, Partial<Record<Cause, Counterexample>>>>;
  readonly statesGenerated: number;
  readonly distinctStates: number;
  readonly depthReached: number;
  /** True when the whole bounded space was explored (no early stop). */
  readonly complete: boolean;
}

interface Entry {
  readonly node: SearchNode;
  /** Events from the root to this node. */
  readonly path: readonly ModelEvent[];
}

export interface ExhaustiveOptions {
  /** Stop as soon as every selected property has a counterexample. */
  readonly stopWhenAllViolated: boolean;
  /** Classify every violation and keep the shortest of each cause (the check's verdict table needs them). */
  readonly byCause?: boolean;
  /** Called after each depth level (for progress lines). */
  readonly onLevel?: (depth: number, frontier: number, distinct: number) => void;
}

export function exploreExhaustive(ctx: SearchContext, opts: ExhaustiveOptions): ExhaustiveResult {
  const counterexamples: Partial<Record<PropertyId, Counterexample>> = {};
  const byCause: Partial<Record<PropertyId, Partial<Record<Cause, Counterexample>>>> = {};
  const config = ctx.config ?? exploredConfig(ctx.bounds, ctx.crash);
  const root = rootNode(ctx);
  const seen = new Set<string>([fingerprint(root.state, root.ghost, root.crashes)]);
  let frontier: Entry[] = [{ node: root, path: [] }];
  let statesGenerated = 1;
  let depthReached = 0;
  const allFound = () => ctx.properties.every((p) => counterexamples[p] !== undefined);

  for (let depth = 1; depth <= ctx.bounds.depth && frontier.length > 0; depth++) {
    const next: Entry[] = [];
    for (const entry of frontier) {
      for (const { action, full } of successorActions(ctx, entry.node)) {
        const t = runAction(ctx, entry.node, action, full);
        statesGenerated++;
        const path = [...entry.path, ...action.events];
        for (const v of t.violations) {
          const failedAt = entry.path.length + v.eventOffset;
          if (opts.byCause) {
            const cause = classifyRun(config, ctx.profile, path, failedAt);
            const mine = (byCause[v.property] ??= {});
            if (!mine[cause]) mine[cause] = { property: v.property, message: v.message, events: path, failedAt, cause };
            if (!counterexamples[v.property]) counterexamples[v.property] = mine[cause];
            continue;
          }
          if (counterexamples[v.property]) continue;
          counterexamples[v.property] = { property: v.property, message: v.message, events: path, failedAt };
        }
        if (opts.stopWhenAllViolated && allFound()) {
          return { counterexamples, byCause, statesGenerated, distinctStates: seen.size, depthReached: depth, complete: false };
        }
        const fp = fingerprint(t.node.state, t.node.ghost, t.node.crashes);
        if (seen.has(fp)) continue;
        seen.add(fp);
        next.push({ node: t.node, path });
      }
    }
    depthReached = depth;
    opts.onLevel?.(depth, next.length, seen.size);
    frontier = next;
  }
  return { counterexamples, byCause, statesGenerated, distinctStates: seen.size, depthReached, complete: true };
}
