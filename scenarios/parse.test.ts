import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, parseScenario } from './parse.js';
import { SCENARIO_FORMAT, ScenarioError } from './types.js';

const EXAMPLE = fileURLToPath(new URL('./conformance/wq-lmb-removal-kill.json', import.meta.url));
const FILE = 'test.json';

type Json = Record<string, unknown>;

/** A scenario as raw JSON, typed just enough to mutate it in tests. */
interface Raw extends Json {
  stream: Json;
  consumers: Json[];
  steps: unknown[];
}

/** A small valid scenario. Steps: 0 start, 1 store, 2 deliver, 3 ack, 4 stop, 5 deleteFile, 6 start, 7 snapshot. */
function base(): Raw {
  return {
    format: SCENARIO_FORMAT,
    name: 'tiny',
    source: 'parse.test.ts',
    stream: { retention: 'workqueue', blockSizeBytes: 1024 },
    consumers: [{ name: 'C' }],
    steps: [
      { op: 'start' },
      { op: 'store', subject: 'foo', payloadBytes: 10 },
      { op: 'deliver', consumer: 'C' },
      { op: 'ack', consumer: 'C', streamSeq: 1 },
      { op: 'stop' },
      { op: 'deleteFile', path: 'msgs/index.db' },
      { op: 'start' },
      { op: 'snapshot', label: 'end' },
    ],
  };
}

function step(raw: Raw, index: number): Json {
  const s = raw.steps[index];
  if (typeof s !== 'object' || s === null) throw new Error(`step ${index} is not an object`);
  return s as Json;
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error, got none');
}

/**
 * Asserts that `fn` throws a one-line ScenarioError at exactly this step and with this problem.
 * Cases give the 0-based index into `steps`; errors name the step counted from 1.
 */
function expectScenarioError(fn: () => unknown, stepIndex: number | null, problem: string, file = FILE): void {
  const err = caught(fn);
  expect(err).toBeInstanceOf(ScenarioError);
  if (!(err instanceof ScenarioError)) return;
  const step = stepIndex === null ? null : stepIndex + 1;
  expect({ file: err.file, step: err.step, problem: err.problem }).toEqual({ file, step, problem });
  expect(err.message).toBe(`${file}: ${step === null ? '' : `step ${step}: `}${problem}`);
  expect(err.message).not.toMatch(/[\r\n]/);
}

describe('parseScenario: the conformance example', () => {
  const text = readFileSync(EXAMPLE, 'utf8');

  it('parses wq-lmb-removal-kill.json to the expected scenario', () => {
    const s = parseScenario(text, EXAMPLE);
    expect(s.format).toBe('filestore-scenario/1');
    expect(s.name).toBe('wq-lmb-removal-kill');
    expect(s.stream).toEqual({ retention: 'workqueue', blockSizeBytes: 1024 });
    expect(s.consumers).toEqual([{ name: 'C' }]);
    expect(s.steps).toHaveLength(12);
    expect(s.steps[0]).toEqual({ op: 'start' });
    expect(s.steps[1]).toEqual({ op: 'store', subject: 'foo', payloadBytes: 10 });
    expect(s.steps[5]).toEqual({ op: 'advance', ms: 120000 });
    expect(s.steps[9]).toEqual({ op: 'ack', consumer: 'C', streamSeq: 2, killAfterFileOps: 1 });
    expect(s.steps[10]).toEqual({ op: 'start' });
    expect(s.steps[11]).toEqual({ op: 'snapshot', label: 'after-restart' });
  });

  it('returns exactly the file content (nothing added, nothing dropped)', () => {
    expect(parseScenario(text, EXAMPLE)).toStrictEqual(JSON.parse(text));
  });

  it('loadScenarioFile reads the same scenario', () => {
    expect(loadScenarioFile(EXAMPLE)).toStrictEqual(parseScenario(text, EXAMPLE));
  });
});

describe('parseScenario: valid inputs', () => {
  it('defaults consumers to [] and keeps optional fields absent', () => {
    const raw = base();
    delete (raw as Json).consumers;
    raw.steps = [{ op: 'start' }, { op: 'store', subject: 'a', payloadBytes: 0 }, { op: 'skip' }];
    const s = parseScenario(JSON.stringify(raw), FILE);
    expect(s.consumers).toEqual([]);
    expect(s.stream).toStrictEqual({ retention: 'workqueue', blockSizeBytes: 1024 });
    expect(s.steps[1]).toStrictEqual({ op: 'store', subject: 'a', payloadBytes: 0 });
    expect(s.steps[2]).toStrictEqual({ op: 'skip' });
  });

  it('accepts every file system and every power-loss choice (issue 7), unchanged', () => {
    for (const fileSystem of ['ext4', 'xfs', 'lazyfs', 'posix']) {
      for (const keep of ['synced', 'all', { prefix: 0 }, { prefix: 3 }, { subset: [] }, { subset: [1, 2] }, { subset: [1], partial: [{ opId: 2, pages: [] }, { opId: 3, pages: [0, 1] }] }]) {
        const raw = base();
        raw.stream.fileSystem = fileSystem;
        raw.steps[4] = { op: 'powerLoss', keep };
        const s = parseScenario(JSON.stringify(raw), FILE);
        expect(s.stream.fileSystem).toBe(fileSystem);
        expect(s.steps[4]).toStrictEqual({ op: 'powerLoss', keep });
      }
    }
  });

  it('accepts every op and every optional field, and returns them unchanged', () => {
    const raw: Raw = {
      format: SCENARIO_FORMAT,
      name: 'all_ops.v1',
      source: 'every op',
      stream: {
        retention: 'interest',
        blockSizeBytes: 64,
        maxAgeMs: 0,
        maxMsgsPerSubject: 3,
        syncAlways: true,
        syncIntervalMs: 86_400_000,
      },
      consumers: [{ name: 'C' }, { name: 'd_2-x' }],
      steps: [
        { op: 'start' },
        { op: 'store', subject: 'foo', payloadBytes: 67108864, headersBytes: 0, count: 9998, killAfterFileOps: 3 },
        { op: 'advance', ms: 5 },
        { op: 'snapshot', label: 'down' },
        { op: 'deleteFiles', glob: 'msgs/*.blk' },
        { op: 'copyFile', from: 'msgs/index.db', to: 'saved.db' },
        { op: 'renameFile', from: 'saved.db', to: 'msgs/index.db' },
        { op: 'truncateFile', path: 'obs/C/o.dat', bytes: 0 },
        { op: 'start', killAfterFileOps: 0 },
        { op: 'start' },
        { op: 'skip', count: 2 },
        { op: 'remove', seq: 1 },
        { op: 'remove', from: 2, to: 2 },
        { op: 'newBlock', killAfterFileOps: 1 },
        { op: 'start' },
        { op: 'deliver', consumer: 'd_2-x', count: 2 },
        { op: 'ack', consumer: 'C', streamSeq: 10000 },
        { op: 'advance', ms: 3_600_000, killAfterFileOps: 2 },
        { op: 'start' },
        { op: 'kill' },
        { op: 'start' },
        { op: 'powerLoss', keep: 'synced' },
        { op: 'start' },
        { op: 'powerLoss', keep: 'all' },
        { op: 'start' },
        { op: 'stop', killAfterFileOps: 4 },
        { op: 'start' },
        { op: 'stop' },
      ],
    };
    expect(parseScenario(JSON.stringify(raw), FILE)).toStrictEqual(raw);
  });
});

interface BadCase {
  name: string;
  /** Mutates the small valid scenario; or `text` gives the whole file. */
  mutate?: (raw: Raw) => void;
  text?: string;
  step: number | null;
  problem: string;
}

const badCases: BadCase[] = [
  // The kinds of bad input the format names.
  { name: 'not JSON', text: '{"format":', step: null, problem: 'not valid JSON: Unexpected end of JSON input' },
  { name: 'wrong format', mutate: (r) => (r.format = 'x'), step: null, problem: 'format: must be "filestore-scenario/1", got "x"' },
  { name: 'unknown top-level field', mutate: (r) => (r.extra = 1), step: null, problem: 'unknown field "extra"' },
  { name: 'unknown stream field', mutate: (r) => (r.stream.maxBytes = 5), step: null, problem: 'unknown field "maxBytes" in stream' },
  {
    name: 'missing required stream field',
    mutate: (r) => delete r.stream.retention,
    step: null,
    problem: 'missing field "retention" in stream',
  },
  {
    name: 'out-of-range blockSizeBytes',
    mutate: (r) => (r.stream.blockSizeBytes = -5),
    step: null,
    problem: 'stream.blockSizeBytes: must be an integer from 64 to 67108864, got -5',
  },
  { name: 'unknown op', mutate: (r) => (r.steps[1] = { op: 'publish' }), step: 1, problem: 'unknown op "publish" (known: start, store, skip, remove, newBlock, deliver, ack, advance, stop, kill, powerLoss, deleteFile, deleteFiles, copyFile, renameFile, truncateFile, snapshot)' },
  {
    name: 'unknown step field',
    mutate: (r) => {
      const s = step(r, 1);
      s.payload = s.payloadBytes;
      delete s.payloadBytes;
    },
    step: 1,
    problem: 'unknown field "payload" in "store" step',
  },
  {
    name: 'missing step field',
    mutate: (r) => delete step(r, 1).subject,
    step: 1,
    problem: 'missing field "subject"',
  },
  {
    name: 'killAfterFileOps on a file step',
    mutate: (r) => (step(r, 5).killAfterFileOps = 1),
    step: 5,
    problem:
      'unknown field "killAfterFileOps" in "deleteFile" step',
  },
  { name: 'first step not start', mutate: (r) => r.steps.shift(), step: 0, problem: 'the first step must be "start"' },
  {
    name: 'consumer not declared',
    mutate: (r) => (step(r, 2).consumer = 'D'),
    step: 2,
    problem: 'consumer: "D" is not a declared consumer',
  },
  {
    name: 'file step while up',
    mutate: (r) => r.steps.splice(4, 0, { op: 'deleteFile', path: 'msgs/1.blk' }),
    step: 4,
    problem: '"deleteFile" is only valid while the store is down (after stop, kill or powerLoss)',
  },
  {
    name: 'start while up',
    mutate: (r) => r.steps.splice(2, 0, { op: 'start' }),
    step: 2,
    problem: '"start" is only valid while the store is down (after stop, kill or powerLoss)',
  },
  {
    name: 'remove with both seq and from/to',
    mutate: (r) => r.steps.splice(4, 0, { op: 'remove', seq: 1, from: 1, to: 2 }),
    step: 4,
    problem: '"remove" takes either "seq" or "from" and "to", not both',
  },
  {
    name: "'..' in a path",
    mutate: (r) => (step(r, 5).path = 'msgs/../x'),
    step: 5,
    problem: `path: must not contain '..' segments, got "msgs/../x"`,
  },
  {
    name: 'duplicate consumer name',
    mutate: (r) => r.consumers.push({ name: 'C' }),
    step: null,
    problem: 'consumers[1].name: duplicate consumer name "C"',
  },

  // Further rules.
  { name: 'top level not an object', text: '[1]', step: null, problem: 'top level: must be a JSON object, got a list of 1 item' },
  { name: 'missing format', mutate: (r) => delete r.format, step: null, problem: 'missing field "format"' },
  { name: 'missing steps', mutate: (r) => delete (r as Json).steps, step: null, problem: 'missing field "steps"' },
  { name: 'empty steps', mutate: (r) => (r.steps = []), step: null, problem: 'steps: must be a non-empty list of steps, got a list of 0 items' },
  {
    name: 'bad scenario name',
    mutate: (r) => (r.name = 'a b'),
    step: null,
    problem: `name: must be a non-empty string of letters, digits, '-', '_' or '.', got "a b"`,
  },
  { name: 'blank source', mutate: (r) => (r.source = ' '), step: null, problem: 'source: must be a non-empty string, got " "' },
  {
    name: 'unknown retention',
    mutate: (r) => (r.stream.retention = 'forever'),
    step: null,
    problem: 'stream.retention: must be "limits", "workqueue" or "interest", got "forever"',
  },
  {
    name: 'fractional blockSizeBytes',
    mutate: (r) => (r.stream.blockSizeBytes = 1024.5),
    step: null,
    problem: 'stream.blockSizeBytes: must be an integer from 64 to 67108864, got 1024.5',
  },
  {
    name: 'syncIntervalMs of 0',
    mutate: (r) => (r.stream.syncIntervalMs = 0),
    step: null,
    problem: 'stream.syncIntervalMs: must be an integer from 1 to 86400000, got 0',
  },
  {
    name: 'negative maxAgeMs',
    mutate: (r) => (r.stream.maxAgeMs = -1),
    step: null,
    problem: 'stream.maxAgeMs: must be an integer from 0 to 315360000000, got -1',
  },
  {
    name: 'syncAlways not a boolean',
    mutate: (r) => (r.stream.syncAlways = 'yes'),
    step: null,
    problem: 'stream.syncAlways: must be true or false, got "yes"',
  },
  {
    name: 'bad consumer name',
    mutate: (r) => (r.consumers = [{ name: 'a.b' }]),
    step: null,
    problem: `consumers[0].name: must be a non-empty string of letters, digits, '_' or '-', got "a.b"`,
  },
  {
    name: 'unknown consumer field',
    mutate: (r) => (r.consumers = [{ name: 'C', ackWait: 1 }]),
    step: null,
    problem: 'unknown field "ackWait" in consumers[0]',
  },
  { name: 'step not an object', mutate: (r) => (r.steps[1] = 5), step: 1, problem: 'must be a JSON object, got 5' },
  { name: 'step without op', mutate: (r) => delete step(r, 1).op, step: 1, problem: 'missing field "op"' },
  { name: 'op from Object.prototype', mutate: (r) => (r.steps[1] = { op: 'toString' }), step: 1, problem: 'unknown op "toString" (known: start, store, skip, remove, newBlock, deliver, ack, advance, stop, kill, powerLoss, deleteFile, deleteFiles, copyFile, renameFile, truncateFile, snapshot)' },
  {
    name: '__proto__ as a step field',
    text: '{"format":"filestore-scenario/1","name":"n","source":"s","stream":{"retention":"limits","blockSizeBytes":64},"steps":[{"op":"start","__proto__":1}]}',
    step: 0,
    problem: 'unknown field "__proto__" in "start" step',
  },
  {
    name: 'count of 0',
    mutate: (r) => (step(r, 1).count = 0),
    step: 1,
    problem: 'count: must be an integer from 1 to 10000, got 0',
  },
  {
    name: 'streamSeq beyond 2^53-1',
    mutate: (r) => (step(r, 3).streamSeq = 2 ** 53),
    step: 3,
    problem: 'streamSeq: must be an integer from 1 to 9007199254740990, got 9007199254740992',
  },
  {
    name: 'negative killAfterFileOps',
    mutate: (r) => (step(r, 1).killAfterFileOps = -1),
    step: 1,
    problem: 'killAfterFileOps: must be an integer from 0 to 1000000, got -1',
  },
  {
    name: 'killAfterFileOps on snapshot',
    mutate: (r) => (step(r, 7).killAfterFileOps = 0),
    step: 7,
    problem:
      'unknown field "killAfterFileOps" in "snapshot" step',
  },
  {
    name: 'store while down',
    mutate: (r) => r.steps.splice(5, 0, { op: 'store', subject: 'foo', payloadBytes: 1 }),
    step: 5,
    problem: '"store" is only valid while the store is running (after start)',
  },
  {
    name: 'stop while down',
    mutate: (r) => r.steps.splice(5, 0, { op: 'stop' }),
    step: 5,
    problem: '"stop" is only valid while the store is running (after start)',
  },
  {
    name: 'step after a kill point runs on a dead store',
    mutate: (r) => (step(r, 3).killAfterFileOps = 1),
    step: 4,
    problem: '"stop" is only valid while the store is running (after start)',
  },
  {
    name: 'kill point on advance while down',
    mutate: (r) => r.steps.splice(5, 0, { op: 'advance', ms: 1, killAfterFileOps: 0 }),
    step: 5,
    problem: '"killAfterFileOps" on "advance" is only valid while the store is running (after start)',
  },
  {
    name: 'remove with from but no to',
    mutate: (r) => r.steps.splice(4, 0, { op: 'remove', from: 1 }),
    step: 4,
    problem: 'missing field "to" in "remove" step',
  },
  {
    name: 'remove with nothing',
    mutate: (r) => r.steps.splice(4, 0, { op: 'remove' }),
    step: 4,
    problem: 'missing field "seq" (or "from" and "to") in "remove" step',
  },
  {
    name: 'remove with from > to',
    mutate: (r) => r.steps.splice(4, 0, { op: 'remove', from: 3, to: 2 }),
    step: 4,
    problem: 'from: must be <= to (2), got 3',
  },
  {
    name: 'bad powerLoss keep',
    mutate: (r) => (r.steps[4] = { op: 'powerLoss', keep: 'some' }),
    step: 4,
    problem: 'keep: must be "synced", "all", { "prefix": N } or { "subset": [operation ids], "partial"?: [{ "opId": N, "pages": [N] }] }, got "some"',
  },
  {
    name: 'absolute path',
    mutate: (r) => (step(r, 5).path = '/etc/passwd'),
    step: 5,
    problem: `path: must be relative (no leading '/'), got "/etc/passwd"`,
  },
  {
    name: 'empty path segment',
    mutate: (r) => (step(r, 5).path = 'msgs//1.blk'),
    step: 5,
    problem: `path: must not contain empty segments ('//' or a trailing '/'), got "msgs//1.blk"`,
  },
  {
    name: "'*' in a path",
    mutate: (r) => (step(r, 5).path = 'msgs/*.blk'),
    step: 5,
    problem: `path: must not contain '*' (only a deleteFiles glob may), got "msgs/*.blk"`,
  },
  {
    name: "'..' in a glob",
    mutate: (r) => (r.steps[5] = { op: 'deleteFiles', glob: '../*' }),
    step: 5,
    problem: `glob: must not contain '..' segments, got "../*"`,
  },
  {
    name: "'..' in copyFile.to",
    mutate: (r) => (r.steps[5] = { op: 'copyFile', from: 'msgs/index.db', to: '..' }),
    step: 5,
    problem: `to: must not contain '..' segments, got ".."`,
  },
  {
    name: 'an advance that would fire too many timers (30 days at syncIntervalMs 1000)',
    mutate: (r) => {
      r.stream.syncIntervalMs = 1000;
      r.steps.splice(4, 0, { op: 'advance', ms: 30 * 86_400_000 });
    },
    step: 4,
    // 30 days: sync 2592000000/1000 + 1, index.db 2592000000/120000 + 1, C's o.dat flush and checkPending once each.
    problem: 'ms: fires up to 2613604 timers (sync every 1000 ms, index.db every 120000 ms), 2613604 in all; a file may fire at most 100000 (advance less, or raise syncIntervalMs)',
  },
  {
    name: 'more messages than the work budget',
    mutate: (r) => (r.steps[1] = { op: 'store', subject: 'foo', payloadBytes: 1, count: 10000 }) && r.steps.splice(2, 0, { op: 'skip' }),
    step: 2,
    problem: 'count: takes the messages stored or skipped to 10001; a file may store or skip at most 10000',
  },
  {
    name: 'a remove range beyond any sequence',
    mutate: (r) => (r.steps[3] = { op: 'remove', from: 1, to: 2 ** 53 }),
    step: 3,
    problem: 'to: must be an integer from 1 to 10000, got 9007199254740992',
  },
  {
    name: 'a number too large for a double',
    text: JSON.stringify(base()).replace('"payloadBytes":10', '"payloadBytes":1e999'),
    step: 1,
    problem: 'payloadBytes: must be an integer from 0 to 67108864, got a number too large to represent',
  },
  {
    name: 'control characters in a label are escaped, not echoed',
    mutate: (r) => (step(r, 7).label = 'a\u001b[2Jb'),
    step: 7,
    problem: 'label: must not contain control characters, got "a\\u001b[2Jb"',
  },
  {
    name: 'a deeply nested value where a number belongs',
    text: JSON.stringify(base()).replace('"payloadBytes":10', `"payloadBytes":${'['.repeat(5000)}${']'.repeat(5000)}`),
    step: 1,
    problem: 'payloadBytes: must be an integer from 0 to 67108864, got a list of 1 item',
  },
  {
    name: 'unknown file system',
    mutate: (r) => (r.stream.fileSystem = 'btrfs'),
    step: null,
    problem: 'stream.fileSystem: must be "ext4", "xfs", "lazyfs" or "posix", got "btrfs"',
  },
  {
    name: 'power-loss prefix past its range',
    mutate: (r) => (r.steps[4] = { op: 'powerLoss', keep: { prefix: 1e7 + 1 } }),
    step: 4,
    problem: 'keep.prefix: must be an integer from 0 to 10000000, got 10000001',
  },
  {
    name: 'power-loss subset that is not a list',
    mutate: (r) => (r.steps[4] = { op: 'powerLoss', keep: { subset: 3 } }),
    step: 4,
    problem: 'keep.subset: must be a list of operation ids, got 3',
  },
  {
    name: 'power-loss torn write with a page past the largest file',
    mutate: (r) => (r.steps[4] = { op: 'powerLoss', keep: { subset: [], partial: [{ opId: 2, pages: [2 ** 28 + 1] }] } }),
    step: 4,
    problem: 'keep.partial[0].pages[0]: must be an integer from 0 to 268435456, got 268435457',
  },
  {
    name: 'power-loss choice with an unknown key',
    mutate: (r) => (r.steps[4] = { op: 'powerLoss', keep: { prefix: 1, subset: [] } }),
    step: 4,
    problem: 'keep: must be "synced", "all", { "prefix": N } or { "subset": [operation ids], "partial"?: [{ "opId": N, "pages": [N] }] }, got an object with keys prefix, subset',
  },
  {
    name: 'empty snapshot label',
    mutate: (r) => (step(r, 7).label = ''),
    step: 7,
    problem: 'label: must be a non-empty string, got ""',
  },
];

describe('parseScenario: bad input is one ScenarioError line', () => {
  it.each(badCases)('$name', ({ mutate, text, step: stepIndex, problem }) => {
    let input = text;
    if (input === undefined) {
      const raw = base();
      mutate?.(raw);
      input = JSON.stringify(raw, null, 2);
    }
    const json = input;
    expectScenarioError(() => parseScenario(json, FILE), stepIndex, problem);
  });

  it('joins a multi-line JSON.parse message into one line', () => {
    const err = caught(() => parseScenario('{\n  "format": x\n}', FILE));
    expect(err).toBeInstanceOf(ScenarioError);
    if (!(err instanceof ScenarioError)) return;
    expect(err.problem).toMatch(/^not valid JSON: /);
    expect(err.message).not.toMatch(/[\r\n]/);
  });

  it('loadScenarioFile reports a missing file as a ScenarioError', () => {
    const missing = fileURLToPath(new URL('./conformance/no-such-file.json', import.meta.url));
    const err = caught(() => loadScenarioFile(missing));
    expect(err).toBeInstanceOf(ScenarioError);
    if (!(err instanceof ScenarioError)) return;
    expect(err.file).toBe(missing);
    expect(err.step).toBeNull();
    expect(err.problem).toMatch(/^cannot read file: no such file or directory$/);
    expect(err.message).not.toMatch(/[\r\n]/);
  });
});
