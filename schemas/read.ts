/**
 * Reading an input file as a user names it: bounded in size, decoded as UTF-8, parsed as JSON;
 * each failure is one line (never a stack trace, never the raw bytes of the file).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export type ReadResult = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly problem: string };
export type JsonResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string };

/** Joins the lines of a message into one line (line breaks and the spaces around them become one space). */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ').trim();
}

/** An operating-system error in words: "no such file or directory", "is a directory", ... */
export function ioProblem(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const words: Record<string, string> = {
    ENOENT: 'no such file or directory',
    EISDIR: 'is a directory',
    ENOTDIR: 'a part of the path is not a directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on device',
    EEXIST: 'already exists',
    ENAMETOOLONG: 'name too long',
    ELOOP: 'too many symbolic links',
    EMFILE: 'too many open files',
    EIO: 'input/output error',
  };
  if (typeof code === 'string' && Object.hasOwn(words, code)) return words[code]!;
  return oneLine(err instanceof Error ? err.message : String(err));
}

/** Reads a regular file of at most `maxBytes`. */
export function readInputFile(path: string, maxBytes: number): ReadResult {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    return { ok: false, problem: `cannot read file: ${ioProblem(err)}` };
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return { ok: false, problem: 'cannot read file: is a directory' };
    if (!st.isFile()) return { ok: false, problem: 'cannot read file: not a regular file' };
    if (st.size > maxBytes) return { ok: false, problem: `file too large: ${st.size} bytes, at most ${maxBytes} are read` };
    const buf = Buffer.alloc(st.size);
    let done = 0;
    while (done < st.size) {
      const n = readSync(fd, buf, done, st.size - done, done);
      if (n === 0) break;
      done += n;
    }
    const text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, done));
    return { ok: true, text };
  } catch (err) {
    if (err instanceof TypeError) return { ok: false, problem: 'not valid UTF-8 text' };
    return { ok: false, problem: `cannot read file: ${ioProblem(err)}` };
  } finally {
    closeSync(fd);
  }
}

/** Parses JSON text; a syntax error (or nesting too deep for the parser) is one line. */
export function parseJsonText(text: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    if (err instanceof RangeError) return { ok: false, problem: 'not valid JSON: nested too deeply' };
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, problem: `not valid JSON: ${oneLine(message).replace(/[^\x20-\x7e]/g, '?').slice(0, 200)}` };
  }
}
