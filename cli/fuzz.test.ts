/**
 * Fuzzing the command line in-process (cli/testing.ts) with fast-check: malformed and
 * adversarial scenario files, trace files and option lists. Whatever comes in, the answer is a
 * verdict (exit 0 or 1) or one line on stderr with exit 2: never exit 3 (a model bug) on input,
 * never a stack trace, never a raw control character echoed, never a run past its budget.
 * Seeded and bounded for CI.
 */
import fc from 'fast-check';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeConfig } from '../model/config.js';
import type { ModelEvent } from '../model/step.js';
import { makeTrace, recordRun, serializeTrace, type TraceFile } from '../traces/trace.js';
import { runCli, type CliRun } from './testing.js';

const SEED_SCENARIO = JSON.parse(readFileSync('scenarios/conformance/wq-lmb-removal-kill.json', 'utf8')) as unknown;
const SEED_TRACE = JSON.parse(readFileSync('traces/examples/seed-kill-6-events.json', 'utf8')) as unknown;
const tmp = mkdtempSync(join(tmpdir(), 'fsmodel-fuzz-'));
/** A hang detector, not a speed target: any accepted input runs in well under this. */
const RUN_BUDGET_MS = 30_000;
const FUZZ = { seed: 20261130, numRuns: 40, endOnFailure: true } as const;

/** A valid trace of `n` steps, most of them one-second advances (similar steps, which a fold draws as one). */
function longTrace(n: number): TraceFile {
  const config = makeConfig({ retention: 'workqueue', blockSizeBytes: 1024, consumers: ['C'] });
  const events: ModelEvent[] = [{ type: 'start' }, { type: 'store', subject: 'foo', payloadBytes: 10 }, { type: 'deliver', consumer: 'C' }];
  while (events.length < n) events.push({ type: 'advance', ms: 1_000 });
  return makeTrace({ config, profile: 'v2.10.22', origin: { kind: 'manual' }, title: `${n} steps`, violation: null, steps: recordRun(config, 'v2.10.22', events).steps });
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Numbers and strings from the classes that broke the command line before. */
const nastyNumber = fc.constantFrom(0, -1, 1.5, 2 ** 53, 2 ** 53 + 2, 1e15, 1e300, 86_400_000 * 30, 99999999999999999999, Number.MAX_SAFE_INTEGER);
const nastyString = fc.oneof(
  fc.constantFrom('', ' ', '../x', '/etc/passwd', 'msgs//1.blk', 'a\u001b[2Jb', '\u0000', '\u202etxt', 'x'.repeat(5000), '__proto__', 'toString', 'constructor'),
  fc.string({ maxLength: 20 }),
);
const deepArray = fc.integer({ min: 1, max: 1_000 }).map((n) => JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`) as Json);
const value: fc.Arbitrary<Json> = fc.oneof(nastyNumber, nastyString, fc.boolean(), fc.constant(null), deepArray, fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>);

/** Every path into a JSON value (objects by key, arrays by index), for mutations. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (prefix.length > 12) return out;
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

type Mutation = { kind: 'set' | 'delete' | 'add'; at: number; key: string; value: Json };

function mutate(doc: unknown, muts: readonly Mutation[]): unknown {
  const copy = structuredClone(doc) as Json;
  for (const m of muts) {
    const all = paths(copy);
    const path = all[m.at % all.length]!;
    if (path.length === 0) {
      if (m.kind === 'set') return m.value;
      continue;
    }
    const parent = path.slice(0, -1).reduce<Json>((o, k) => (o as Record<string | number, Json>)[k]!, copy) as Record<string | number, Json>;
    const last = path[path.length - 1]!;
    if (m.kind === 'set') parent[last] = m.value;
    else if (m.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (!Array.isArray(parent)) parent[m.key] = m.value;
  }
  return copy;
}

const mutations = fc.array(fc.record({ kind: fc.constantFrom('set', 'delete', 'add') as fc.Arbitrary<Mutation['kind']>, at: fc.nat(), key: fc.constantFrom('extra', '__proto__', 'op', 'type', 'count', 'ms', 'to', 'step'), value }), { minLength: 1, maxLength: 3 });

/** A file's text: a mutated document, or raw junk. */
const fileText = (doc: unknown) =>
  fc.oneof(
    { weight: 6, arbitrary: mutations.map((m) => JSON.stringify(mutate(doc, m))) },
    // A value nested 20,000 deep (40 KB) where a number belongs: built as text, as no JSON tool here would build it.
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) => JSON.stringify(doc).replace(/:(\d+)/, `:${'['.repeat(n)}${']'.repeat(n)}`)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')) },
  );

let counter = 0;
function writeInput(text: string): string {
  const f = join(tmp, `in-${counter++}.json`);
  writeFileSync(f, text, 'latin1');
  return f;
}

/** What every answer must be. */
function expectAnswer(r: CliRun, ms: number, what: string): void {
  expect(ms, `${what}: ran past the budget`).toBeLessThan(RUN_BUDGET_MS);
  expect([0, 1, 2], `${what}: exit ${r.code}, stderr ${JSON.stringify(r.err)}`).toContain(r.code);
  expect(r.err, `${what}: a stack trace`).not.toMatch(/\n\s+at |Error:\s*$|\bat .*\.ts:\d+/);
  expect(r.err.replace(/\n$/, ''), `${what}: a raw control character on stderr`).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  if (r.code === 2) {
    expect(r.err.endsWith('\n') && r.err.slice(0, -1).split('\n'), `${what}: not one line`).toHaveLength(1);
    expect(r.err, what).toMatch(/^error: /);
  } else {
    expect(r.err, `${what}: stderr on success`).toBe('');
  }
}

async function timed(args: string[]): Promise<[CliRun, number]> {
  const start = performance.now();
  const r = await runCli(args);
  return [r, performance.now() - start];
}

describe('fuzzing the command line (seeded, bounded)', () => {
  it('malformed scenario files: scenario and trace answer in one line', async () => {
    await fc.assert(
      fc.asyncProperty(fileText(SEED_SCENARIO), async (text) => {
        const f = writeInput(text);
        const [a, ms] = await timed(['scenario', f]);
        expectAnswer(a, ms, `scenario ${text.slice(0, 200)}`);
        const [b, ms2] = await timed(['trace', f, '--out', join(tmp, 'fuzz-trace.json')]);
        expectAnswer(b, ms2, `trace ${text.slice(0, 200)}`);
      }),
      FUZZ,
    );
  }, 600_000);

  it('malformed trace files: replay and diagram answer in one line', async () => {
    await fc.assert(
      fc.asyncProperty(fileText(SEED_TRACE), async (text) => {
        const f = writeInput(text);
        const [a, ms] = await timed(['replay', f]);
        expectAnswer(a, ms, `replay ${text.slice(0, 200)}`);
        const [b, ms2] = await timed(['diagram', f, '--format', 'mmd', '--out', join(tmp, 'fuzz.mmd')]);
        expectAnswer(b, ms2, `diagram ${text.slice(0, 200)}`);
      }),
      FUZZ,
    );
  }, 600_000);

  it('option lists: every command answers in one line or a bounded verdict', async () => {
    const flag = fc.constantFrom('--profile', '--property', '--crash', '--mode', '--seed', '--runs', '--path', '--depth', '--max-msgs', '--max-crashes', '--consumers', '--block-size-bytes', '--reorder-window', '--out', '--itf', '--json', '--fold', '--view', '--format', '--max-states', '--max-seconds', '--sync-always', '--retention', '-h', '--bogus', '--');
    const arg = fc.oneof(flag, fc.constantFrom('0', '1', '64', '-1', '99999999999999999999', '1e3', 'garbage', 'kill', 'power-loss:ext4', 'power-loss:posix', 'random', 'limits', 'interest', 'exhaustive', 'no-stored-loss', 'v2.10.22', '/tmp', '/missing/x.json', 'files', 'svg'), nastyString);
    const command = fc.constantFrom('explore', 'check', 'replay', 'diagram', 'scenario', 'scenarios', 'trace', 'nope', '');
    await fc.assert(
      fc.asyncProperty(command, fc.array(arg, { maxLength: 8 }), async (cmd, args) => {
        // Keep every search small and every file out of the repository; the last value of a flag wins.
        const tail = cmd === 'explore' || cmd === 'check' ? ['--max-states', '200', '--out', join(tmp, cmd === 'check' ? 'check-out' : 'ce.json')] : [];
        const files = cmd === 'replay' || cmd === 'diagram' ? ['traces/examples/seed-kill-6-events.json'] : cmd === 'scenario' || cmd === 'trace' ? ['scenarios/conformance/wq-lmb-removal-kill.json'] : [];
        const outFile = cmd === 'diagram' ? ['--format', 'mmd', '--out', join(tmp, 'o.mmd')] : cmd === 'trace' ? ['--out', join(tmp, 't.json')] : [];
        const argv = cmd === '' ? args : [cmd, ...files, ...args, ...outFile, ...tail];
        const [r, ms] = await timed(argv.filter((a) => !(cmd === 'diagram' && a === 'svg')));
        expectAnswer(r, ms, argv.join(' '));
      }),
      { ...FUZZ, numRuns: 60 },
    );
  }, 600_000);
});

describe('the classes of bad input the issue lists, each one line and exit 2', () => {
  const cases: [string, string[], RegExp][] = [
    ['a 30-day advance at syncIntervalMs 1000', ['scenario', '@advance'], /step 4: ms: fires up to \d+ timers \(sync every 1000 ms, index.db every 120000 ms\)/],
    ['an output path that is a directory', ['replay', 'traces/examples/seed-kill-6-events.json', '--itf', tmp], /--itf .*: cannot write: is a directory/],
    ['an output path in a missing directory', ['replay', 'traces/examples/seed-kill-6-events.json', '--itf', '/missing/x.json'], /--itf \/missing\/x\.json: cannot write: no such directory \/missing/],
    ['a fast-check path that is not one', ['explore', '--property', 'no-stored-loss', '--mode', 'random', '--path', 'garbage'], /option --path: must be a fast-check path/],
    ['a path too large for an integer', ['explore', '--property', 'no-stored-loss', '--mode', 'random', '--path', '99999999999999999999'], /option --path: must be a fast-check path/],
    ['--reorder-window with --crash kill', ['explore', '--property', 'no-stored-loss', '--crash', 'kill', '--reorder-window', '3'], /--reorder-window applies to --crash power-loss:posix only/],
    ['--fold with the files view', ['diagram', 'traces/examples/seed-kill-6-events.json', '--view', 'files', '--fold', '2', '--out', join(tmp, 'f.mmd')], /--fold applies to --view sequence only/],
    ['a trace naming an unknown property', ['replay', '@unknown-property'], /violation\.property: must be a known property/],
    ['explore --out a directory', ['explore', '--property', 'no-stored-loss', '--out', tmp], /--out .*: cannot write: is a directory/],
    ['remove from 1 to 2^53', ['scenario', '@remove-2^53'], /step 4: to: must be an integer from 1 to 10000, got 9007199254740992/],
    ['store count 1e15 in a trace', ['replay', '@count-1e15'], /step 2: event\.count: must be an integer from 1 to 10000, got 1000000000000000/],
    ['1e999 where a number belongs', ['scenario', '@1e999'], /step 2: payloadBytes: must be an integer from 0 to 67108864, got a number too large to represent/],
    ['a 20 KB nested array where a number belongs', ['scenario', '@nested'], /step 2: payloadBytes: must be an integer from 0 to 67108864, got a list of 1 item/],
    ['control bytes in a name, escaped on the way out', ['scenario', '@control'], /name: must be .*, got "evil\\u001b\[2J\\u0007name"/],
    ['diagram --fold 0 on a 3000-step trace: refused before rendering, with the fold that fits', ['diagram', '@3000-steps', '--fold', '0', '--out', join(tmp, 'big.png')], /the sequence diagram at --fold 0 is \d+ characters, more than Mermaid's limit of 50000; use --fold 3 \(\d+ characters\)/],
    ['--runs past its range', ['explore', '--property', 'no-stored-loss', '--mode', 'random', '--runs', '10000001'], /option --runs/],
    ['--runs with --mode exhaustive', ['explore', '--property', 'no-stored-loss', '--runs', '5'], /option --runs applies to --mode random only/],
    ['a missing trace file', ['replay', '/missing/x.json'], /\/missing\/x\.json: cannot read file: no such file or directory/],
    ['a scenario where a trace belongs', ['replay', 'scenarios/conformance/wq-lmb-removal-kill.json'], /is a scenario \(filestore-scenario\/1\), not a trace: `trace .* --out T\.json` turns it into one/],
    ['a trace where a scenario belongs', ['scenario', 'traces/examples/seed-kill-6-events.json'], /is a trace \(filestore-trace\/2\), not a scenario/],
    ['a trace file that is a directory', ['diagram', tmp, '--out', join(tmp, 'x.mmd')], /cannot read file: .*directory/],
  ];
  for (const [name, argv, pattern] of cases) {
    it(name, async () => {
      const args = argv.map((a) => {
        if (a === '@advance') {
          const s = structuredClone(SEED_SCENARIO) as { stream: Record<string, unknown>; steps: unknown[] };
          s.stream.syncIntervalMs = 1000;
          s.steps.splice(3, 0, { op: 'advance', ms: 30 * 86_400_000 });
          return writeInput(JSON.stringify(s));
        }
        if (a === '@unknown-property') return writeInput(JSON.stringify({ ...(SEED_TRACE as object), violation: { property: 'made-up', message: 'x', step: 1 } }));
        if (a === '@remove-2^53') {
          const s = structuredClone(SEED_SCENARIO) as { steps: unknown[] };
          s.steps.splice(3, 0, { op: 'remove', from: 1, to: 2 ** 53 });
          return writeInput(JSON.stringify(s));
        }
        if (a === '@count-1e15') {
          const t = structuredClone(SEED_TRACE) as { steps: { event: Record<string, unknown> }[] };
          t.steps[1]!.event.count = 1e15;
          return writeInput(JSON.stringify(t));
        }
        const seedText = JSON.stringify(SEED_SCENARIO);
        if (a === '@1e999') return writeInput(seedText.replace('"payloadBytes":10', '"payloadBytes":1e999'));
        if (a === '@nested') return writeInput(seedText.replace('"payloadBytes":10', `"payloadBytes":${'['.repeat(10_000)}${']'.repeat(10_000)}`));
        if (a === '@control') return writeInput(JSON.stringify({ ...(SEED_SCENARIO as object), name: 'evil\u001b[2J\u0007name' }));
        if (a === '@3000-steps') return writeInput(serializeTrace(longTrace(3_000)));
        return a;
      });
      const [r, ms] = await timed(args);
      expectAnswer(r, ms, name);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(pattern);
    });
  }

  it('--runs 10000000 ends within its budget with the verdict "unknown"', async () => {
    const r = await runCli(['explore', '--property', 'no-stored-loss', '--mode', 'random', '--runs', '10000000', '--max-states', '300', '--out', join(tmp, 'r.json')]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('verdict: unknown: budget exhausted after 300 states (--max-states 300)');
  });

  it('a --path replays that one run, and says so', async () => {
    const r = await runCli(['explore', '--property', 'no-stored-loss', '--mode', 'random', '--path', '0', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.stats.runs).toBe(1);
    expect(j.verdict).not.toBe('vacuous');
  });

  it('explore with a budget ends with "unknown", not silently and not never', async () => {
    const r = await runCli(['explore', '--property', 'no-stored-loss', '--depth', '64', '--max-states', '400']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('verdict: unknown: budget exhausted after 400 states (--max-states 400)');
  });
});
