/**
 * `image` and `confirm` as a user meets them, on a machine without Go or nats-server: bad
 * input (a file of another format, an output directory in use, a binary that is not
 * nats-server, a server that never becomes ready) gets one line and exit 2; an image is written.
 */
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const SEED = 'traces/examples/seed-kill-6-events.json';
const tmp = mkdtempSync(join(tmpdir(), 'fsmodel-real-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Run the CLI without blocking the test worker's event loop (vitest's RPC must be answered). */
function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(TSX, ['cli/main.ts', ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true', NATS_SERVER_BIN: '', NATS_FILESTORE_MODEL_CACHE: join(tmp, 'no-cache'), ...env }, timeout: 60_000 }, (e, out, err) => {
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, out, err });
    });
  });
}

function expectOneLineError(r: Awaited<ReturnType<typeof cli>>, pattern: RegExp) {
  expect(r.code).toBe(2);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.err.trim().split('\n')).toHaveLength(1);
  expect(r.err).toMatch(pattern);
}

function script(name: string, body: string): string {
  const f = join(tmp, name);
  writeFileSync(f, `#!/bin/sh\n${body}\n`);
  chmodSync(f, 0o755);
  return f;
}

describe('image', () => {
  it('writes the seed bug\'s crash image as a store directory', async () => {
    const out = join(tmp, 'img');
    const r = await cli(['image', SEED, '--out', out, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.step).toBe(5);
    expect(j.files.map((f: { path: string }) => f.path)).toContain('jetstream/$G/streams/TEST/obs/C/o.dat');
    expect(readdirSync(join(out, 'jetstream/$G/streams/TEST')).sort()).toEqual(['meta.inf', 'meta.sum', 'msgs', 'obs']);
  });

  it('refuses an output directory that is not empty, and a file of another format', async () => {
    const used = join(tmp, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'keep'), 'x');
    expectOneLineError(await cli(['image', SEED, '--out', used]), /exists and is not empty/);
    expect(existsSync(join(used, 'jetstream'))).toBe(false);
    expectOneLineError(await cli(['image', 'scenarios/conformance/wq-lmb-removal-kill.json', '--out', join(tmp, 'o1')]), /is a scenario \(filestore-scenario\/1\), not a trace/);
  });
});

describe('confirm refuses, with one line and exit 2', () => {
  it('no binary for the profile', async () => {
    expectOneLineError(await cli(['confirm', SEED]), /no nats-server v2\.10\.22 at .*realserver\/build\.sh v2\.10\.22.*--server PATH/);
  });

  it('a binary that is not nats-server', async () => {
    expectOneLineError(await cli(['confirm', SEED], { NATS_SERVER_BIN: script('not-nats', 'echo hello') }), /is not a nats-server binary/);
  });

  it('a server that does not become ready in time, and one that exits at start; nothing is left behind', async () => {
    const hang = script('hangs', 'if [ "$1" = "--version" ]; then echo "nats-server: v2.10.22"; exit 0; fi\nexec sleep 30');
    const r = await cli(['confirm', SEED, '--server', hang, '--timeout-ms', '500']);
    expectOneLineError(r, /did not start within 500 ms/);
    expect(spawnSync('pgrep', ['-f', `${hang}`]).status).toBe(1); // no process left running
    const dies = script('dies', 'if [ "$1" = "--version" ]; then echo "nats-server: v2.10.22"; exit 0; fi\necho "[FTL] cannot start" >&2; exit 1');
    expectOneLineError(await cli(['confirm', SEED, '--server', dies]), /exited at start \(last log line: \[FTL\] cannot start\)/);
    expect(readdirSync(tmpdir()).filter((d) => d.startsWith('nats-confirm-'))).toEqual([]);
  });

  it('a proposed-fix profile without --server says to pass a patched build; a missing file is named', async () => {
    const { resolveBinary } = await import('../realserver/binaries.js');
    expect(() => resolveBinary('fix-create-then-unlink')).toThrow(/not a release: pass a patched nats-server build with --server PATH/);
    expect(() => resolveBinary('v2.10.22', join(tmp, 'missing'))).toThrow(/no such file/);
  });
});
