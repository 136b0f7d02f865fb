/**
 * The command line's input and output: text to stdout (a closed pipe ends it quietly), files
 * written where the user said (every failure one line naming the option and the path), and
 * the browser to render with.
 */
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ioProblem } from '../schemas/read.js';
import { printable } from '../schemas/issues.js';
import { UsageError } from './args.js';

let stdoutClosed = false;

/** Once the reader of stdout has gone (EPIPE), further output is dropped. */
export function markStdoutClosed(): void {
  stdoutClosed = true;
}

export function isStdoutClosed(): boolean {
  return stdoutClosed;
}

/** Reset between in-process runs (tests). */
export function resetStdout(): void {
  stdoutClosed = false;
}

/** Write text (plus a final newline) to stdout, unless its reader has gone. */
export function writeStdout(text: string): void {
  if (stdoutClosed) return;
  try {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'EPIPE') stdoutClosed = true;
    else throw e;
  }
}

/** An output path as a user wrote it, printable in one line. */
function shown(path: string): string {
  return printable(path);
}

/**
 * Write a file the user named with `option` (e.g. "--out"). Its folder must exist, unless the
 * path is one of the project's defaults (`createDir`). A path that is a directory, a missing or
 * unwritable folder, a full disk: one UsageError line, exit 2.
 */
export function writeOutputFile(option: string, path: string, data: string | Uint8Array, createDir = false): void {
  try {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (createDir) mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  } catch (e) {
    throw new UsageError(`${option} ${shown(path)}: cannot write: ${ioProblem(e)}`);
  }
}

/** Check before a long run that a file can later be written there (so the run is not wasted). */
export function checkOutputPath(option: string, path: string): void {
  if (path === '') throw new UsageError(`${option}: needs a file path`);
  const st = statSync(path, { throwIfNoEntry: false });
  if (st?.isDirectory()) throw new UsageError(`${option} ${shown(path)}: cannot write: is a directory`);
  const dir = statSync(dirname(path), { throwIfNoEntry: false });
  if (!dir) throw new UsageError(`${option} ${shown(path)}: cannot write: no such directory ${shown(dirname(path))}`);
  if (!dir.isDirectory()) throw new UsageError(`${option} ${shown(path)}: cannot write: ${shown(dirname(path))} is not a directory`);
}

/** Create an output folder the user named with `option`; one line when it cannot be. */
export function makeOutputDir(option: string, path: string): void {
  try {
    const st = statSync(path, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new UsageError(`${option} ${shown(path)}: cannot create the folder: ${ioProblem(e)}`);
  }
}
