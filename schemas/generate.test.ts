/** The published JSON Schemas are generated from the zod definitions and kept current. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishedSchemas, SCHEMAS_DIR } from './generate.js';

describe('published JSON Schemas', () => {
  for (const { file, text } of publishedSchemas()) {
    it(`schemas/${file} is what the schema generates (npm run schemas rewrites it)`, () => {
      expect(readFileSync(join(SCHEMAS_DIR, file), 'utf8')).toBe(text);
    });
  }

  it('states the ranges that the reader enforces', () => {
    const scenario = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'scenario.schema.json'), 'utf8'));
    expect(scenario.properties.stream.properties.blockSizeBytes).toMatchObject({ type: 'integer', minimum: 64, maximum: 67108864 });
    expect(scenario.properties.stream.additionalProperties).toBe(false);
    const trace = JSON.parse(readFileSync(join(SCHEMAS_DIR, 'trace.schema.json'), 'utf8'));
    expect(trace.properties.format).toMatchObject({ const: 'filestore-trace/2' });
  });
});
