/**
 * The Mermaid views of a trace: the seed bug's sequence diagram (participants, the cut
 * removal, the crash block with what never happened, the recovery warning and the violation),
 * a golden copy of it (UPDATE_GOLDEN=1 rewrites traces/golden/seed.mmd), folding of long runs,
 * escaping, power loss, and the files view.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../model/config.js';
import { DEFAULT_PROFILE } from '../model/profile.js';
import type { ModelEvent } from '../model/step.js';
import { loadScenarioFile } from '../scenarios/parse.js';
import { runScenario, scenarioConfig } from '../scenarios/run.js';
import { escapeLabel, filesView, sequenceDiagram } from './mermaid.js';
import { makeTrace, recordRun, traceStep, type TraceFile } from './trace.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SEED_SCENARIO = join(HERE, '..', 'scenarios', 'conformance', 'wq-lmb-removal-kill.json');
const GOLDEN = join(HERE, 'golden', 'seed.mmd');

/** The seed bug as a trace, with the violation the property checker reports after the restart. */
function seedTrace(): TraceFile {
  const scenario = loadScenarioFile(SEED_SCENARIO);
  const run = runScenario(scenario, DEFAULT_PROFILE, 'scenarios/conformance/wq-lmb-removal-kill.json');
  const steps = run.steps.flatMap((s) => s.events.map((e, i) => traceStep(e, s.results[i]!)));
  const starts = steps.flatMap((s, i) => (s.event.type === 'start' ? [i] : []));
  expect(starts.length).toBe(2);
  return makeTrace({
    config: scenarioConfig(scenario),
    profile: DEFAULT_PROFILE,
    origin: { kind: 'scenario', name: scenario.name, source: scenario.source },
    title: scenario.name,
    violation: { property: 'stream-not-behind-consumer', message: "consumer C delivered stream seq 2 but the stream's last seq is 0", step: starts[1]! },
    steps,
  });
}

function manualTrace(retention: 'limits' | 'workqueue', consumers: string[], events: ModelEvent[]): TraceFile {
  const config = makeConfig({ retention, blockSizeBytes: 1 << 20, consumers });
  const { steps } = recordRun(config, DEFAULT_PROFILE, events);
  return makeTrace({ config, profile: DEFAULT_PROFILE, origin: { kind: 'manual' }, title: 'manual', violation: null, steps });
}

describe('sequenceDiagram: the seed bug (kill between unlinking msgs/2.blk and creating its replacement)', () => {
  const trace = seedTrace();
  const mmd = sequenceDiagram(trace);

  it('declares the participants with short ids', () => {
    expect(mmd).toMatch(/^sequenceDiagram$/m);
    for (const p of ['participant P as Publisher', 'participant C_C as Consumer C', 'participant FS as FileStore', 'participant PC as OS page cache', 'participant D as Disk']) {
      expect(mmd).toContain(p);
    }
  });

  it('draws the events and the file operations with the Go functions that issued them', () => {
    expect(mmd).toContain('P->>FS: [6] store foo (seq 2)');
    expect(mmd).toContain('FS->>C_C: [7] deliver seq 2');
    expect(mmd).toContain('C_C->>FS: [9] ack 2');
    expect(mmd).toContain('FS->>PC: unlink msgs/2.blk (removeMsgBlock)');
    expect(mmd).toContain('PC->>D: fsync msgs/2.blk (syncBlocks)');
    expect(mmd).toContain('FS->>PC: write msgs/2.blk @30: msg seq 2 #quot;foo#quot;, 43 B (storeRawMsg)');
    expect(mmd).toContain('Note over FS,PC: t=120000 ms: sync timer, index.db flush');
  });

  it('draws the crash: a red block, how many operations ran, and the ones that never happened', () => {
    const crash = mmd.slice(mmd.indexOf('rect rgb(255, 220, 220)'));
    expect(crash).not.toBe(mmd.slice(-1));
    expect(crash).toMatch(/^rect rgb\(255, 220, 220\)\n\s+Note over FS,D: 💥 process killed after 1 of 3 file operations of this step/);
    expect(crash).toContain('the last operation issued: unlink msgs/2.blk (removeMsgBlock)');
    expect(crash).toContain('FS--xPC: never happened: create msgs/3.blk (newMsgBlockForWrite)');
    expect(crash).toContain('FS--xPC: never happened: write msgs/3.blk @0: tombstone seq 2, 30 B (writeTombstone)');
    // The crash block closes before the recovery starts.
    expect(crash.indexOf('\n  end\n')).toBeLessThan(crash.indexOf('[10] start'));
  });

  it('draws the recovery: what it found, its warnings as notes, and the state it came back with', () => {
    expect(mmd).toContain('[10] start: recovery after the crash');
    expect(mmd).toContain('the store finds: msgs/index.db 42 B, obs/C/o.dat 16 B, and no msg block file');
    expect(mmd).toContain('Note over FS,PC: ⚠ Filestore [TEST] Stream state detected prior state, could not locate msg block 2');
    expect(mmd).toContain('recovered stream: 0 msgs, seq 0..0 (before the crash: 1 msg, seq 2..2)<br/>consumer C: delivered 2, ack floor 1');
  });

  it('ends with the violation over all participants', () => {
    expect(mmd.trimEnd()).toMatch(/rect rgb\(255, 240, 200\)\n\s+Note over P,D: ✗ stream-not-behind-consumer: consumer C delivered stream seq 2 but the stream's last seq is 0<br\/>\(after step 10\)\n\s+end$/);
  });

  it('is deterministic and free of Mermaid-hostile characters in labels', () => {
    expect(sequenceDiagram(seedTrace())).toBe(mmd);
    for (const line of mmd.split('\n')) {
      const label = line.includes(': ') ? line.slice(line.indexOf(': ') + 2) : '';
      expect(label.replace(/<br\/>/g, '').replace(/#[A-Za-z0-9]+;/g, ''), line).not.toMatch(/[;#<>]/);
    }
  });

  it('matches the golden file traces/golden/seed.mmd (UPDATE_GOLDEN=1 rewrites it)', () => {
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(dirname(GOLDEN), { recursive: true });
      writeFileSync(GOLDEN, mmd);
    }
    expect(existsSync(GOLDEN), `${GOLDEN} is missing: run UPDATE_GOLDEN=1 npx vitest run traces`).toBe(true);
    expect(mmd).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('without replay still draws the crash, without the operations it cannot know', () => {
    const plain = sequenceDiagram(trace, { replay: false });
    expect(plain).toContain('💥 process killed after 1 file operations of this step');
    expect(plain).not.toContain('never happened');
  });
});

describe('sequenceDiagram: folding', () => {
  const stores = (n: number): ModelEvent[] => Array.from({ length: n }, () => ({ type: 'store', subject: 'foo', payloadBytes: 10 }) as const);

  it('folds 20 stores into the first one and a note', () => {
    const trace = manualTrace('limits', [], [{ type: 'start' }, ...stores(20)]);
    const mmd = sequenceDiagram(trace);
    expect(mmd).toContain('P->>FS: [1] store foo (seq 1)');
    expect(mmd).toContain('… ×19 similar steps folded (steps 2–20)<br/>seq 2–20 · 19 writes<br/>then t=0 ms: stream 20 msgs, seq 1..20');
    expect(mmd).not.toContain('[2] store');
    expect(mmd.match(/P->>FS/g)?.length).toBe(1);
  });

  it('folds only runs longer than the threshold, and not at all with threshold 0', () => {
    const three = sequenceDiagram(manualTrace('limits', [], [{ type: 'start' }, ...stores(3)]));
    expect(three).not.toContain('folded');
    expect(three.match(/P->>FS/g)?.length).toBe(3);
    const four = sequenceDiagram(manualTrace('limits', [], [{ type: 'start' }, ...stores(4)]));
    expect(four).toContain('… ×3 similar steps folded (steps 2–4)');
    const trace = manualTrace('limits', [], [{ type: 'start' }, ...stores(20)]);
    expect(sequenceDiagram(trace, { foldThreshold: 0 }).match(/P->>FS/g)?.length).toBe(20);
    expect(sequenceDiagram(trace, { foldThreshold: 25 }).match(/P->>FS/g)?.length).toBe(20);
  });

  it('never folds a crash, a restart or a step that logged', () => {
    const trace = manualTrace('limits', [], [{ type: 'start' }, ...stores(6), { type: 'store', subject: 'foo', payloadBytes: 10, killAfterFileOps: 0 }, { type: 'start' }]);
    const mmd = sequenceDiagram(trace);
    expect(mmd).toContain('… ×5 similar steps folded (steps 2–6)');
    expect(mmd).toContain('P->>FS: [7] store foo');
    expect(mmd).toContain('💥 process killed after 0 of 1 file operations of this step');
    expect(mmd).toContain('FS--xPC: never happened: write msgs/1.blk @258: msg seq 7');
  });
});

describe('sequenceDiagram: other crashes and labels', () => {
  it('escapes ; # < > and quotes in labels, in one pass', () => {
    expect(escapeLabel('a;b#c<d>e"f')).toBe('a#59;b#35;c#lt;d#gt;e#quot;f');
    expect(escapeLabel('#59;')).toBe('#35;59#59;');
    expect(escapeLabel('two\nlines')).toBe('two lines');
  });

  it('escapes subjects and consumer names in the diagram', () => {
    const trace = manualTrace('limits', ['my-c'], [{ type: 'start' }, { type: 'store', subject: 'a;b#<c>', payloadBytes: 1 }, { type: 'deliver', consumer: 'my-c' }]);
    const mmd = sequenceDiagram(trace);
    expect(mmd).toContain('participant C_my_c as Consumer my-c');
    expect(mmd).toContain('P->>FS: [1] store a#59;b#35;#lt;c#gt; (seq 1)');
    expect(mmd).toContain('FS->>C_my_c: [2] deliver seq 1');
  });

  it('draws a power loss with what was kept and what was lost', () => {
    const trace = manualTrace('limits', [], [
      { type: 'start' },
      { type: 'store', subject: 'foo', payloadBytes: 10 },
      { type: 'advance', ms: 120_000 },
      { type: 'store', subject: 'foo', payloadBytes: 10 },
      { type: 'powerLoss', keep: { kind: 'synced' } },
    ]);
    const mmd = sequenceDiagram(trace);
    expect(mmd).toMatch(/rect rgb\(255, 220, 220\)\n\s+Note over FS,D: ⚡ \[4\] power lost \(t=120000 ms\): the disk keeps only what the file system forced/);
    expect(mmd).toContain('rolled back: msgs/1.blk 86 B → 43 B');
    expect(mmd).toContain('lost: msgs/index.db (');
  });

  it("draws an operator's file edit while the server is down", () => {
    const trace = manualTrace('limits', [], [{ type: 'start' }, { type: 'store', subject: 'foo', payloadBytes: 10 }, { type: 'kill' }, { type: 'deleteFile', path: 'msgs/1.blk' }, { type: 'start' }]);
    const mmd = sequenceDiagram(trace);
    expect(mmd).toContain('Note over FS,D: ✎ [3] operator, server down: delete msgs/1.blk (made durable)<br/>unlink msgs/1.blk (operator)');
    expect(mmd).toContain('the store finds: no files');
  });

  it('says so when the kill point lies past the last operation of the step', () => {
    const trace = manualTrace('limits', [], [{ type: 'start' }, { type: 'store', subject: 'foo', payloadBytes: 10, killAfterFileOps: 5 }]);
    const mmd = sequenceDiagram(trace);
    expect(mmd).toContain('💥 process killed after 1 of 1 file operations of this step');
    expect(mmd).toContain('every operation of the step was issued');
    expect(mmd).not.toContain('never happened');
  });

  it('draws a kill between steps and a clean stop', () => {
    const trace = manualTrace('limits', [], [{ type: 'start' }, { type: 'kill' }, { type: 'start' }, { type: 'stop' }]);
    const mmd = sequenceDiagram(trace);
    expect(mmd).toContain('💥 [1] process killed between steps');
    expect(mmd).toContain('[2] start: recovery after the crash');
    expect(mmd).toContain('■ [3] stop: clean shutdown');
  });
});

describe('filesView', () => {
  it('shows the files at the crash and after recovery, page cache against disk', () => {
    const fv = filesView(seedTrace());
    expect(fv).toMatch(/^flowchart LR\n/);
    expect(fv).toContain('subgraph s9_0["at the crash (step 9: ack, t=120400 ms)"]');
    expect(fv).toContain('subgraph s10_1["after recovery (step 10: start, t=120400 ms)"]');
    expect(fv).toContain('s9_0_f0["<b>msgs/2.blk</b><br/>page cache: —<br/>disk: 30 B<br/>⚠ unlinked, not durably: returns on power loss<br/>vanished since step 8 (was 73 B)"]:::unlinked');
    expect(fv).toContain('<b>msgs/index.db</b><br/>page cache: 42 B<br/>disk: —<br/>⚠ not durable: a power loss loses it"]:::cacheOnly');
    expect(fv).toContain('<b>obs/C/o.dat</b><br/>page cache: 16 B<br/>disk: 8 B<br/>⚠ not durable: a power loss rolls it back to 8 B"]:::newer');
    expect(fv).toContain('<b>msgs/3.blk</b><br/>page cache: 0 B<br/>disk: —<br/>⚠ not durable: a power loss loses it<br/>new since step 9"]:::cacheOnly');
    expect(fv).toContain('s9_0_f1 -.-> s10_1_f2');
  });

  it('takes the steps to show, and marks files that vanished', () => {
    const trace = manualTrace('limits', [], [{ type: 'start' }, { type: 'store', subject: 'foo', payloadBytes: 10 }, { type: 'powerLoss', keep: { kind: 'synced' } }]);
    const fv = filesView(trace, [1, 2]);
    expect(fv).toContain('after step 1: store');
    expect(fv).toContain('after the power loss (step 2');
    expect(fv).toMatch(/<b>msgs\/1\.blk<\/b><br\/>page cache: —<br\/>disk: —<br\/>✗ gone, from the page cache and the disk<br\/>vanished since step 1 \(was 43 B\)"\]:::vanished/);
    expect(fv).toContain('classDef vanished');
  });
});
