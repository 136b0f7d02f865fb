/**
 * Replaying a trace: re-run its events from a fresh store and compare what each step did
 * with what the trace recorded; name the first step that diverges. Also re-judge the
 * property the trace claims to break. This is how a trace stored by an older model (or
 * replayed under another profile) is checked.
 */
import { canonicalJson } from '../properties/fingerprint.js';
import { isPropertyId } from '../properties/invariants.js';
import { playEvents } from '../properties/random.js';
import type { SearchContext } from '../properties/runner.js';
import { EventError, initialState, step } from '../model/step.js';
import { traceStep, type TraceFile, type TraceStep } from './trace.js';

/** What is compared, in this order. */
export const COMPARED_FIELDS = ['ops', 'log', 'logAfterOps', 'timers', 'killed', 'completed', 'outcome', 'observation'] as const;

export interface Divergence {
  /** The first step that differs, counted from 1. */
  readonly step: number;
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
}

export interface ReplayResult {
  readonly profile: string;
  readonly steps: readonly TraceStep[];
  readonly divergence: Divergence | null;
  /** Whether the trace's property still fails, and where (null when the trace claims none). */
  readonly violation: { readonly property: string; readonly stillViolated: boolean; readonly step: number | null; readonly message: string | null } | null;
}

function short(value: unknown): string {
  if (value === undefined) return '(absent)';
  const s = canonicalJson(value);
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** The first differing path inside two JSON values, for a precise message. */
function firstDifference(a: unknown, b: unknown, path: string): { path: string; a: unknown; b: unknown } | null {
  if (canonicalJson(a) === canonicalJson(b)) return null;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
  } else if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
      if (d) return d;
    }
  }
  return { path, a, b };
}

export function replayTrace(trace: TraceFile, profileOverride?: string): ReplayResult {
  const profile = profileOverride ?? trace.profile;
  let state = initialState(trace.config, profile);
  const steps: TraceStep[] = [];
  let divergence: Divergence | null = null;
  for (let i = 0; i < trace.steps.length; i++) {
    const recorded = trace.steps[i]!;
    let fresh: TraceStep;
    try {
      const r = step(state, recorded.event);
      fresh = traceStep(recorded.event, r);
      state = r.state;
    } catch (e) {
      if (!(e instanceof EventError)) throw e;
      divergence ??= { step: i + 1, field: 'event', expected: 'the event runs', actual: `the event is not valid here: ${e.message}` };
      break;
    }
    steps.push(fresh);
    if (divergence) continue;
    for (const field of COMPARED_FIELDS) {
      const d = firstDifference((recorded as unknown as Record<string, unknown>)[field], (fresh as unknown as Record<string, unknown>)[field], field);
      if (d) {
        divergence = { step: i + 1, field: d.path, expected: short(d.a), actual: short(d.b) };
        break;
      }
    }
  }

  let violation: ReplayResult['violation'] = null;
  if (trace.violation) {
    const property = trace.violation.property;
    if (!isPropertyId(property)) {
      violation = { property, stillViolated: false, step: null, message: `unknown property "${property}"` };
    } else {
      const ctx: SearchContext = { profile, crash: 'kill', bounds: { depth: trace.steps.length, maxMsgs: Infinity, maxCrashes: Infinity, consumers: trace.config.consumers.length, blockSizeBytes: trace.config.blockSizeBytes, reorderWindow: 0 }, properties: [property], coverage: {}, reached: {} };
      const v = playEvents({ ...ctx, config: trace.config }, trace.steps.map((s) => s.event), false);
      violation = { property, stillViolated: v !== null, step: v ? v.failedAt + 1 : null, message: v?.message ?? null };
    }
  }
  return { profile, steps, divergence, violation };
}
