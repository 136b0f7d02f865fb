/**
 * The corpus against the proposed fixes: traces/corpus/'s kill counterexample (v2.10.22's
 * removal window: start, store, deliver, the ack killed after the unlink, start) rerun under
 * every fix profile with every kill point the fix's own operations allow. Expected verdicts
 * follow from each fix's definition (model/profile.ts FIXES) and the release it is built on,
 * not from the model's output:
 * - atomic-lmb-rotation(-dirsync): the new lmb and its LastSeq tombstone are written and fsynced
 *   before the old block is unlinked, so every kill point leaves a block holding LastSeq;
 * - index-before-unlink: index.db holding LastSeq is durable before any unlink;
 * - consumer-reconcile: the consumer's o.dat says delivered 1 (flushed before the ack), so the
 *   stream is moved forward to it;
 * - durable-last-seq and sync-always on v2.10.22: the unlink still comes first and no other file
 *   holds LastSeq 1 (index.db is first written at 120 s), so the unlink-only cut still resets;
 * - every fix on v2.14.5: #6778's create-then-unlink order is already there, so the kill cut
 *   cannot open the window.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIX_NAMES, FIX_PROFILE_NAMES } from '../model/profile.js';
import { loadTraceFile } from '../traces/validate.js';
import { closeCorpus, corpusRef, traceBounds } from './closure.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS } from './explore.js';

const FILE = 'kill_stream-not-behind-consumer_removal-window';

describe('the kill corpus counterexample under every proposed fix', () => {
  const trace = loadTraceFile(join(import.meta.dirname, '..', 'traces', 'corpus', `${FILE}.json`));
  const ref = corpusRef(FILE, trace)!;

  it('is read as a closure reference with the bounds its file records', () => {
    expect(ref).toMatchObject({ id: FILE, profile: 'v2.10.22', crash: 'kill', property: 'stream-not-behind-consumer', cause: 'removal-window' });
    expect(traceBounds(trace, DEFAULT_EXHAUSTIVE_BOUNDS)).toMatchObject({ blockSizeBytes: trace.config.blockSizeBytes, consumers: 1, retention: 'workqueue', syncAlways: false });
  });

  it('is closed exactly by the fixes whose definition leaves LastSeq on disk at every kill point', () => {
    const entries = closeCorpus([ref], ['v2.10.22', ...FIX_PROFILE_NAMES], DEFAULT_EXHAUSTIVE_BOUNDS);
    const verdict = (p: string) => entries.find((e) => e.profile === p)!;
    expect(verdict('v2.10.22')).toMatchObject({ verdict: 'violated', cause: 'removal-window' });
    const stillOpen = new Set(['v2.10.22+durable-last-seq', 'v2.10.22+sync-always']);
    expect(FIX_PROFILE_NAMES).toHaveLength(FIX_NAMES.length * 2);
    for (const p of FIX_PROFILE_NAMES) {
      if (stillOpen.has(p)) expect(verdict(p), p).toMatchObject({ verdict: 'violated', cause: 'removal-window' });
      else expect(verdict(p).verdict, p).toBe('holds');
    }
  }, 120_000);
});
