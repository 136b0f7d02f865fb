/**
 * The regression corpus: every counterexample `npm start` finds is kept in traces/corpus/
 * (refresh with `npm run corpus`). Each must replay with the same observations and still
 * break what it broke, at the same step.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replayTrace } from './replay.js';
import { loadTraceFile } from './validate.js';

const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
const files = readdirSync(CORPUS_DIR).filter((f) => f.endsWith('.json')).sort();

describe('counterexample corpus', () => {
  it('holds the default check\'s counterexamples under both crash models', () => {
    expect(files).toContain('kill_stream-not-behind-consumer_removal-window.json');
    expect(files).toContain('power-loss-ext4_stream-not-behind-consumer_removal-window.json');
    expect(files).toContain('power-loss-ext4_stream-not-behind-consumer_empty-block.json');
  });

  for (const f of files) {
    it(f, () => {
      const trace = loadTraceFile(join(CORPUS_DIR, f));
      expect(trace.violation, 'a corpus trace names the property it breaks').not.toBeNull();
      const r = replayTrace(trace);
      expect(r.divergence).toBeNull();
      expect(r.violation).toMatchObject({ property: trace.violation!.property, stillViolated: true, step: trace.violation!.step, message: trace.violation!.message });
    });
  }
});
