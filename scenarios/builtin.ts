/**
 * The project's own scenario files: scenarios/conformance/<name>.json, each with its
 * hand-derived v2.10.22 expectations in <name>.expect.json beside it.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONFORMANCE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'conformance');

/** Paths of the built-in scenario files, sorted by name. */
export function builtinScenarioFiles(): string[] {
  return readdirSync(CONFORMANCE_DIR)
    .filter((f) => f.endsWith('.json') && !f.endsWith('.expect.json'))
    .sort()
    .map((f) => join(CONFORMANCE_DIR, f));
}
