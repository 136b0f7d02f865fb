/**
 * The published JSON Schemas (schemas/scenario.schema.json, schemas/trace.schema.json), made
 * from the one zod definition of each format so editors can check files as they are written.
 * `npm run schemas` rewrites them; `--check` (and schemas/generate.test.ts) fails when stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SCENARIO_FORMAT, scenarioSchema } from './scenario.js';
import { TRACE_FORMAT, traceSchema } from './trace.js';

export const SCHEMAS_DIR = dirname(fileURLToPath(import.meta.url));

function publish(schema: z.ZodType, id: string, title: string, description: string): string {
  // Output types: what a valid file holds once read (defaults such as consumers: [] applied as optional).
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' });
  return `${JSON.stringify({ $id: id, title, description, ...json }, null, 2)}\n`;
}

/** Every published schema: file name and text. */
export function publishedSchemas(): { file: string; text: string }[] {
  return [
    {
      file: 'scenario.schema.json',
      text: publish(scenarioSchema, 'scenario.schema.json', SCENARIO_FORMAT, 'A scenario file for the NATS filestore model: a fixed script of operations on one stream, replayed by `scenario FILE`. Checks beyond this schema (the first step is start, steps valid for a running or stopped store, declared consumers, the work budget) are made by the model\'s reader; see scenarios/FORMAT.md.'),
    },
    {
      file: 'trace.schema.json',
      text: publish(traceSchema, 'trace.schema.json', TRACE_FORMAT, 'A trace file of the NATS filestore model: a recorded run that `replay` and `diagram` read. Checks beyond this schema (violation.step within the steps, one logAfterOps per log line, the work budget) are made by the model\'s reader; see docs/trace-format.md.'),
    },
  ];
}

function main(check: boolean): number {
  let stale = 0;
  for (const { file, text } of publishedSchemas()) {
    const path = join(SCHEMAS_DIR, file);
    let old = '';
    try {
      old = readFileSync(path, 'utf8');
    } catch {
      old = '';
    }
    if (old === text) continue;
    if (check) {
      process.stderr.write(`schemas/${file} is out of date: run npm run schemas\n`);
      stale++;
    } else {
      writeFileSync(path, text);
      process.stdout.write(`wrote schemas/${file}\n`);
    }
  }
  return stale > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.includes('--check'));
