/**
 * The command line as a user meets it: bad input of every kind gets one line on stderr and
 * exit code 2, never a stack trace; good input prints what the README promises.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type CliRun } from './testing.js';

const SEED = 'scenarios/conformance/wq-lmb-removal-kill.json';
const CORPUS = 'traces/examples/seed-kill-6-events.json'; // the 6-event seed trace, fixed whatever npm start finds now
const tmp = mkdtempSync(join(tmpdir(), 'fsmodel-cli-'));

/** The command line, in-process (cli/testing.ts). */
const cli = (...args: string[]) => runCli(args);

function expectOneLineError(r: CliRun, pattern: RegExp) {
  expect(r.code).toBe(2);
  expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(pattern);
}

function writeJson(name: string, value: unknown): string {
  const f = join(tmp, name);
  writeFileSync(f, typeof value === 'string' ? value : JSON.stringify(value));
  return f;
}

describe('scenario command', () => {
  it('prints the filestore-scenario/1 output with --json', async () => {
    const r = await cli('scenario', SEED, '--profile', 'v2.10.22', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out).toMatchObject({ scenario: 'wq-lmb-removal-kill', profile: 'v2.10.22' });
    expect(out.snapshots[0].stream).toMatchObject({ lastSeq: 0, msgs: 0 });
  });

  it('rejects a missing file, a bad scenario and an unknown profile', async () => {
    expectOneLineError(await cli('scenario', join(tmp, 'nope.json')), /cannot read file/);
    const bad = JSON.parse(readFileSync(SEED, 'utf8'));
    bad.steps[3].op = 'explode';
    expectOneLineError(await cli('scenario', writeJson('bad-op.json', bad)), /step 4: unknown op "explode"/);
    expectOneLineError(await cli('scenario', SEED, '--profile', 'v9.9.9'), /unknown profile "v9.9.9"/);
    const killTooFar = JSON.parse(readFileSync(SEED, 'utf8'));
    killTooFar.steps[9].killAfterFileOps = 7;
    expectOneLineError(await cli('scenario', writeJson('kill-too-far.json', killTooFar)), /step 10: killAfterFileOps is 7 but the step performs only 3 file operations/);
  });
});

describe('explore command', () => {
  it('reports a violation as one JSON object with a replayable counterexample', async () => {
    const out = join(tmp, 'ce.json');
    const r = await cli('explore', '--property', 'stream-not-behind-consumer', '--crash', 'kill', '--mode', 'exhaustive', '--json', '--out', out);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    // Stopped at the first violation: the search did not exhaust its bounds.
    expect(j).toMatchObject({ profile: 'v2.10.22', property: 'stream-not-behind-consumer', crash: 'kill', fileSystem: 'ext4', mode: 'exhaustive', verdict: 'violated', complete: false });
    expect(Object.keys(j.stats).sort()).toEqual(['complete', 'depth', 'distinctStates', 'maxDepth', 'runs', 'seconds', 'statesGenerated', 'subsumedStates', 'transitions', 'visitedBytes', 'workers']);
    expect(j.stats.complete).toBe(false);
    // 5 events: the o.dat flusher kicked by UpdateAcks lands between the unlink and the create (section 8); the kill cuts the removal.
    expect(j.counterexample).toMatchObject({ seed: null, length: 5, cause: 'removal-window', file: out, replay: `npx tsx cli/main.ts replay ${out}` });
    expect(JSON.parse(readFileSync(out, 'utf8')).violation).toMatchObject({ property: 'stream-not-behind-consumer', cause: 'removal-window' });
    expect((await cli('replay', out)).code).toBe(0);
  });

  it('reports complete: true only at the fixpoint, complete: false at a depth bound, and takes --sync-always and --retention', async () => {
    const common = ['explore', '--property', 'no-stored-loss', '--crash', 'power-loss:xfs', '--sync-always', '--retention', 'limits', '--max-msgs', '0', '--json', '--out', join(tmp, 'x.json')];
    const r = await cli(...common);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ crash: 'power-loss:xfs', fileSystem: 'xfs', verdict: 'vacuous', complete: true, bounds: { syncAlways: true, retention: 'limits', depth: null } });
    const capped = JSON.parse((await cli(...common, '--depth', '2')).out);
    expect(capped).toMatchObject({ complete: false, bounds: { depth: 2 } });
  });

  it('without --property: every property in one search to the fixpoint, each cause classified, the same with 1 or 2 workers', async () => {
    const args = ['explore', '--crash', 'kill', '--max-msgs', '1', '--max-crashes', '1', '--max-starts', '2', '--json'];
    const one = await cli(...args, '--workers', '1');
    const two = await cli(...args, '--workers', '2');
    expect(one.code).toBe(0);
    const a = JSON.parse(one.out);
    const b = JSON.parse(two.out);
    expect(a.stats).toMatchObject({ complete: true, workers: 1 });
    expect(a.properties.map((p: { property: string }) => p.property)).toEqual(['stream-not-behind-consumer', 'no-sequence-reuse', 'no-acked-redelivery', 'no-stored-loss', 'consumer-keeps-delivering', 'clean-restart-identity']);
    // The seed bug: a kill inside the block removal (5 events), so its cause is removal-window.
    expect(a.properties[0]).toMatchObject({ verdict: 'violated', shortest: 5, cause: 'removal-window' });
    expect(a.properties[0].causes[0]).toMatchObject({ cause: 'removal-window', length: 5 });
    const strip = (j: { stats: Record<string, unknown> }) => JSON.stringify({ ...j, stats: { ...j.stats, seconds: null, workers: null } });
    expect(strip(b)).toBe(strip(a));
  });

  it('refuses a second unfiltered consumer on a workqueue stream with the server\'s reason', async () => {
    expectOneLineError(await cli('explore', '--property', 'no-stored-loss', '--consumers', '2'), /multiple non-filtered consumers not allowed on workqueue stream/);
    expect((await cli('explore', '--property', 'no-stored-loss', '--consumers', '2', '--retention', 'interest', '--depth', '2', '--json')).code).toBe(0);
  });

  it('rejects bad options by name', async () => {
    expectOneLineError(await cli('explore', '--property', 'nope'), /option --property: "nope" is not one of/);
    expectOneLineError(await cli('explore', '--property', 'no-stored-loss', '--depth', '0'), /option --depth: 0 is out of range/);
    expectOneLineError(await cli('explore', '--property', 'no-stored-loss', '--crash', 'meteor'), /option --crash/);
    expectOneLineError(await cli('explore', '--property', 'no-stored-loss', '--crash', 'power-loss:ordered'), /option --crash: "power-loss:ordered" is not one of kill, power-loss:ext4/);
    expectOneLineError(await cli('explore', '--property', 'no-stored-loss', '--retention', 'forever'), /option --retention/);
    expectOneLineError(await cli('explore', '--property', 'no-stored-loss', '--bogus'), /unknown option --bogus/);
    expectOneLineError(await cli('explore', '--mode', 'random', '--crash', 'kill'), /option --property is required with --mode random/);
    expectOneLineError(await cli('explore', '--mode', 'random', '--property', 'no-stored-loss', '--workers', '2'), /--workers applies to --mode exhaustive only/);
    expectOneLineError(await cli('explore', '--property', 'no-stored-loss', '--runs', '5'), /--runs applies to --mode random only/);
  });
});

describe('replay command', () => {
  const good = JSON.parse(readFileSync(CORPUS, 'utf8'));

  it('replays a stored trace and exports ITF', async () => {
    const itf = join(tmp, 'trace.itf.json');
    const r = await cli('replay', CORPUS, '--itf', itf);
    expect(r.code).toBe(0);
    expect(r.out).toContain('observations: identical to the recorded ones');
    expect(r.out).toContain('violation: stream-not-behind-consumer still fails, after step 6');
    expect(r.out).toContain('   6. start   <- recorded violation'); // the same numbering as the violation line and the file's violation.step
    const j = JSON.parse(readFileSync(itf, 'utf8'));
    expect(j['#meta'].format).toBe('ITF');
    expect(j.states).toHaveLength(good.steps.length + 1);
    expect(j.states[6].stream).toMatchObject({ tag: 'Up', value: { lastSeq: { '#bigint': '0' } } });
  });

  it('rejects what is not JSON, a wrong version, an unknown event, and a replay that diverges', async () => {
    expectOneLineError(await cli('replay', writeJson('not-json.json', '{"format": ')), /not valid JSON/);
    expectOneLineError(await cli('replay', writeJson('v0.json', { ...good, format: 'filestore-trace/0' })), /format: must be "filestore-trace\/2" \(re-create older traces with the command that made them\), got "filestore-trace\/0"/);
    const unknown = structuredClone(good);
    unknown.steps[2].event = { type: 'explode' };
    expectOneLineError(await cli('replay', writeJson('unknown-event.json', unknown)), /step 3: unknown type "explode" \(known: start, store, .*\) in event/);
    const diverged = structuredClone(good);
    diverged.steps[3].observation.stream.lastSeq = 42;
    expectOneLineError(await cli('replay', writeJson('diverged.json', diverged)), /replay diverges at step 4 \(advance 0 ms\): observation\.stream\.lastSeq was 42, now 1/);
  });
});

describe('diagram command', () => {
  it('writes Mermaid text, and rejects a bad trace in one line', async () => {
    const out = join(tmp, 'seed.mmd');
    expect((await cli('diagram', CORPUS, '--format', 'mmd', '--out', out)).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^sequenceDiagram/m);
    expectOneLineError(await cli('diagram', writeJson('bad.json', '[]'), '--out', out), /top level: must be a JSON object, got a list of 0 items/);
  });
});

describe('workflow', () => {
  it('scenarios reports every built-in scenario as matching its expectations', async () => {
    const r = await cli('scenarios');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^match {4}wq-lmb-removal-kill$/m);
    expect(r.out).toMatch(/(\d+) scenarios at v2\.10\.22: \1 match their expectations, 0 do not/);
  });

  it('scenario compares with FILE.expect.json and exits 1 on a mismatch, naming the field', async () => {
    const file = writeJson('seed-copy.json', JSON.parse(readFileSync(SEED, 'utf8')));
    const want = JSON.parse(readFileSync(SEED.replace(/\.json$/, '.expect.json'), 'utf8'));
    want.snapshots['after-restart'].stream.lastSeq = 2; // what a fixed server would keep
    writeJson('seed-copy.expect.json', want);
    const r = await cli('scenario', file);
    expect(r.code).toBe(1);
    expect(r.out).toContain('expectations: MISMATCH\n  after-restart: stream.lastSeq: expected 2, got 0');
  });

  it('trace turns a scenario into a trace that replay and diagram accept', async () => {
    const out = join(tmp, 'seed-trace.json');
    const r = await cli('trace', SEED, '--out', out);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`wrote ${out}: 11 steps, stream-not-behind-consumer breaks after step 11\n`);
    const replay = await cli('replay', out);
    expect(replay.code).toBe(0);
    expect(replay.out).toContain('violation: stream-not-behind-consumer still fails, after step 11');
    expect((await cli('diagram', out, '--out', join(tmp, 'seed-trace.mmd'))).code).toBe(0);
  });

  it('a closed stdout ends the output quietly (scenarios --json | head -1)', async () => {
    const r = spawnSync('bash', ['-c', 'npx tsx cli/main.ts scenarios --json | head -1'], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
    expect(r.stdout).toBe('[\n');
    expect(r.stderr).toBe('');
  });
});

describe('profiles command', () => {
  const NAMES = ['v2.10.22', 'v2.10.23', 'v2.10.26', 'v2.10.28', 'v2.11.4', 'v2.11.11', 'v2.12.5', 'v2.14.0', 'v2.14.5'];

  it('--json lists the nine profiles with their flags, the PRs behind them and what is out of scope', async () => {
    const r = await cli('profiles', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { flags: { flag: string; prs: string[] }[]; profiles: { name: string; flags: Record<string, unknown>; prs: string[]; changes: { flag: string; to: unknown; prs: string[] }[]; outOfScope: string[] }[] };
    expect(j.profiles.map((p) => p.name)).toEqual(NAMES);
    for (const p of j.profiles) {
      expect(Object.keys(p.flags).sort()).toEqual(j.flags.map((f) => f.flag).sort());
      expect(p.outOfScope.length).toBeGreaterThan(0);
    }
    for (const f of j.flags) for (const pr of f.prs) expect(pr).toMatch(/^#\d+$/);
    const byName = Object.fromEntries(j.profiles.map((p) => [p.name, p]));
    // Release facts from the reference's fix history (§6), checked against the tags' source.
    expect(byName['v2.10.22']!.prs).toEqual([]);
    expect(byName['v2.10.28']!.changes).toContainEqual({ flag: 'lmbRemovalOrder', from: 'unlinkThenCreate', to: 'createThenUnlink', prs: ['#6778'] });
    expect(byName['v2.11.4']!.changes).toContainEqual({ flag: 'priorLastSeqReuse', from: 'onlyWithLostData', to: 'always', prs: ['#6882'] });
    expect(byName['v2.12.5']!.changes).toContainEqual({ flag: 'priorLastSeqReuse', from: 'always', to: 'alwaysWithTombstone', prs: ['#7782'] });
    expect(byName['v2.14.0']!.prs).toContain('#7692');
    expect(byName['v2.14.5']!.changes).toEqual([]);
  });

  it('prints a readable listing, and --profile accepts every name', async () => {
    const r = await cli('profiles');
    expect(r.code).toBe(0);
    for (const n of NAMES) expect(r.out).toContain(`${n}: `);
    const seed = 'scenarios/conformance/wq-lmb-removal-kill.json';
    for (const n of NAMES) expect((await cli('scenario', seed, '--profile', n, '--json')).code, n).toBe(0);
    expectOneLineError(await cli('profiles', 'extra'), /profiles takes no argument/);
  });
});
