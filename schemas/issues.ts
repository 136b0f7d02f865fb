/**
 * Turning a schema's complaint into the one line a user reads: the file, the step (1-based,
 * as everywhere in this project), the field and the problem, with the offending value shown
 * short and with every control character escaped, so no input can write to the terminal.
 */
import type { z } from 'zod';

/** A value as it appears in a message: short, printable, never walked recursively. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'a number too large to represent';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return printable(JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value));
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return 'an empty object';
    const shown = keys.slice(0, 4).map((k) => printable(k.length > 20 ? `${k.slice(0, 17)}...` : k));
    return `an object with key${keys.length === 1 ? '' : 's'} ${shown.join(', ')}${keys.length > 4 ? `, ... (${keys.length} keys)` : ''}`;
  }
  return typeof value;
}

/**
 * Escapes what a terminal would act on or hide: C0 and C1 controls, DEL, line and paragraph
 * separators, and the bidirectional overrides.
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Where an issue lies: the 0-based step index (inside `steps`) and the field path within it. */
export interface IssuePlace {
  readonly step: number | null;
  readonly field: string;
}

/** `['stream', 'syncIntervalMs']` → `stream.syncIntervalMs`; `['consumers', 0, 'name']` → `consumers[0].name`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : `${out ? '.' : ''}${String(k)}`;
  return out;
}

/** Splits `['steps', 3, 'count']` into step 3 and field `count`. */
export function placeOf(path: readonly PropertyKey[]): IssuePlace {
  if (path[0] === 'steps' && typeof path[1] === 'number') return { step: path[1], field: fieldPath(path.slice(2)) };
  return { step: null, field: fieldPath(path) };
}

/** "step 4: " for the 0-based index 3; "" for none. */
export function stepPrefix(step: number | null): string {
  return step === null ? '' : `step ${step + 1}: `;
}

/** The problem of one issue, without the place: e.g. `must be an integer from 1 to 10000, got 0`. */
export function issueProblem(issue: z.core.$ZodIssue, field: string): string {
  const hasInput = 'input' in issue;
  const input = (issue as { input?: unknown }).input;
  if (isMissing(issue)) return `missing field "${lastKey(issue.path)}"`;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0]!;
      return `unknown field ${show(key)}${field ? ` in ${field}` : ''}`;
    }
    case 'invalid_union': {
      const u = issue as unknown as { discriminator?: string; options?: unknown[] };
      if (u.discriminator !== undefined) {
        const known = (u.options ?? []).map((o) => String(o)).join(', ');
        const got = input && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>)[u.discriminator] : undefined;
        if (got === undefined) return `missing field "${u.discriminator}"`;
        return `unknown ${u.discriminator} ${show(got)} (known: ${known})`;
      }
      return `${issue.message}, got ${show(input)}`;
    }
    case 'invalid_type':
      return `${issue.message}, got ${show(input)}`;
    case 'custom':
      return issue.message;
    default:
      return hasInput ? `${issue.message}, got ${show(input)}` : issue.message;
  }
}

/** A required field that is absent: the schema met `undefined` where it wanted a value. */
function isMissing(issue: z.core.$ZodIssue): boolean {
  return issue.code !== 'invalid_union' && issue.code !== 'custom' && 'input' in issue && issue.input === undefined;
}

function lastKey(path: readonly PropertyKey[]): string {
  for (let i = path.length - 1; i >= 0; i--) if (typeof path[i] === 'string') return String(path[i]);
  return '';
}

/** The first issue, in document order: by step, an unknown field before the rest, then as the schema met them. */
export function firstIssue(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue {
  // A file of another format is that, whatever else it holds: say so first.
  const format = issues.find((i) => i.path.length === 1 && i.path[0] === 'format');
  if (format) return format;
  const rank = (i: z.core.$ZodIssue) => (i.path[0] === 'steps' && typeof i.path[1] === 'number' ? i.path[1] : -1) * 2 + (i.code === 'unrecognized_keys' ? 0 : 1);
  return [...issues].sort((a, b) => rank(a) - rank(b))[0]!;
}

/**
 * A union without a discriminator (a power loss's `keep`) fails as a whole; when the value has
 * the shape of exactly one option (no unknown or missing key, not the wrong type outright), the
 * problem is that option's, named at its own field (`keep.subset: must be a list ...`).
 */
function narrowUnion(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== 'invalid_union' || (issue as { discriminator?: string }).discriminator !== undefined) return issue;
  const options = (issue as { errors?: z.core.$ZodIssue[][] }).errors ?? [];
  const fits = options.filter((errs) => errs.length > 0 && errs.every((e) => e.code !== 'unrecognized_keys' && e.path.length > 0 && !isMissing(e)));
  if (fits.length !== 1) return issue;
  const inner = firstIssue(fits[0]!);
  return narrowUnion({ ...inner, path: [...issue.path, ...inner.path] } as z.core.$ZodIssue);
}

/** One line for the first issue: `step 4: count: must be ..., got 0` (no file). */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): { step: number | null; text: string } {
  const issue = narrowUnion(firstIssue(issues));
  // A missing field, an unknown one or an unknown op names the object; every other problem names the field.
  const missing = isMissing(issue);
  const discriminator = issue.code === 'invalid_union' && (issue as { discriminator?: string }).discriminator !== undefined;
  const objectPath = missing || discriminator ? issue.path.slice(0, -1) : issue.path;
  const place = placeOf(objectPath);
  const stepOp = (issue as { input?: unknown }).input;
  const op = issue.code === 'unrecognized_keys' && place.step !== null && place.field === '' && stepOp && typeof stepOp === 'object' ? (stepOp as Record<string, unknown>).op : undefined;
  const problem = issueProblem(issue, place.step !== null && place.field === '' ? '' : place.field);
  if (issue.code === 'unrecognized_keys') return { step: place.step, text: typeof op === 'string' ? `${problem} in "${printable(op)}" step` : problem };
  if (missing || discriminator) return { step: place.step, text: `${problem}${place.field ? ` in ${place.field}` : ''}` };
  if (place.field) return { step: place.step, text: `${place.field}: ${problem}` };
  return { step: place.step, text: place.step === null ? `top level: ${problem}` : problem };
}
