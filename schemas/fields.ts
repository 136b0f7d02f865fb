/**
 * Field builders shared by the scenario and trace schemas: each carries its range, a message
 * for each way a value can miss it, and a description that the published JSON Schema keeps.
 */
import { z } from 'zod';
import { MAX_NAME_CHARS, MAX_PATH_CHARS, MAX_SUBJECT_CHARS, MAX_TEXT_CHARS } from './limits.js';

/** An integer from `min` to `max`. */
export function int(min: number, max: number, description: string) {
  const error = `must be an integer from ${min} to ${max}`;
  return z.int({ error }).min(min, { error }).max(max, { error }).describe(`${description} (${min} to ${max})`);
}

export function bool(description: string) {
  return z.boolean({ error: 'must be true or false' }).describe(description);
}

/** Printable text: no control characters (they would reach a terminal or a diagram). */
const PRINTABLE = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$/;
const CONTROL = { error: 'must not contain control characters' };

function string(maxChars: number, nonEmpty: boolean) {
  const s = z.string({ error: nonEmpty ? 'must be a non-empty string' : 'must be a string' });
  // The length check comes first and stops the others, so no pattern ever runs on a huge string.
  const bounded = s.max(maxChars, { error: `must be at most ${maxChars} characters`, abort: true });
  return (nonEmpty ? bounded.min(1, { error: 'must be a non-empty string' }).regex(/\S/, { error: 'must be a non-empty string' }) : bounded).regex(PRINTABLE, CONTROL);
}

export function text(description: string, maxChars = MAX_TEXT_CHARS) {
  return string(maxChars, false).describe(description);
}

export function nonEmptyText(description: string, maxChars = MAX_TEXT_CHARS) {
  return string(maxChars, true).describe(description);
}

/** A name: letters, digits and the given punctuation. */
export function name(description: string, punctuation: string) {
  const marks = [...punctuation].map((c) => `'${c}'`);
  const error = `must be a non-empty string of letters, digits, ${marks.slice(0, -1).join(', ')}${marks.length > 1 ? ' or ' : ''}${marks[marks.length - 1]}`;
  const pattern = new RegExp(`^[A-Za-z0-9${punctuation.replace(/[-\\\]^]/g, '\\$&')}]+$`);
  return z.string({ error }).max(MAX_NAME_CHARS, { error: `must be at most ${MAX_NAME_CHARS} characters`, abort: true }).regex(pattern, { error }).describe(description);
}

/** A NATS subject: non-empty tokens of printable characters without spaces, separated by '.'. */
export function subject(description: string) {
  return z
    .string({ error: 'must be a non-empty string' })
    .max(MAX_SUBJECT_CHARS, { error: `must be at most ${MAX_SUBJECT_CHARS} characters`, abort: true })
    .min(1, { error: 'must be a non-empty string' })
    .regex(PRINTABLE, CONTROL)
    .regex(/^[^\s]*$/, { error: 'must not contain spaces' })
    .regex(/^([^.]+(\.[^.]+)*)?$/, { error: "must be tokens separated by single '.' (none empty)" })
    .describe(description);
}

/**
 * A file path relative to the stream directory: '/'-separated non-empty segments, none '.' or
 * '..', no leading '/', no '\' or control character; '*' only in a glob.
 */
export function relPath(description: string, glob: boolean) {
  const kind = glob ? 'glob' : 'path';
  let s = z
    .string({ error: `must be a non-empty relative ${kind}` })
    .max(MAX_PATH_CHARS, { error: `must be at most ${MAX_PATH_CHARS} characters`, abort: true })
    .min(1, { error: `must be a non-empty relative ${kind}` })
    .regex(/^[^/]/, { error: "must be relative (no leading '/')" })
    .regex(/^(?!(?:.*\/)?\.\.(?:\/|$))/, { error: "must not contain '..' segments" })
    .regex(/^(?!(?:.*\/)?\.(?:\/|$))/, { error: "must not contain '.' segments" })
    .regex(/^(?!.*\/\/)(?!.*\/$)/, { error: "must not contain empty segments ('//' or a trailing '/')" })
    .regex(/^[^\\]*$/, { error: "must not contain '\\'" })
    .regex(PRINTABLE, CONTROL);
  if (!glob) s = s.regex(/^[^*]*$/, { error: "must not contain '*' (only a deleteFiles glob may)" });
  return s.describe(description);
}
