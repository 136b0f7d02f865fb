/**
 * Running a real nats-server on a store directory: bound to 127.0.0.1 on a port the server
 * picks (`-p -1`, read back from its log, so there is no race for a free port), with
 * JetStream on the given store directory, logging to a pipe we keep. Every server started
 * here is registered and killed on process exit, on SIGINT/SIGTERM and on error, so nothing
 * is left running; temporary directories registered here are removed at the same moments.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerSetupError } from './binaries.js';

export const DEFAULT_START_TIMEOUT_MS = 15_000;

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let hooked = false;

function cleanupNow(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  children.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', cleanupNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      cleanupNow();
      process.stderr.write(`\ninterrupted (${sig}): servers stopped, temporary directories removed\n`);
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

/** A temporary directory removed at exit (or earlier by `removeTempDir`). */
export function makeTempDir(prefix: string): string {
  hookExit();
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}

export function removeTempDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
  tempDirs.delete(d);
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Everything the server has logged so far. */
  log(): string;
  /** SIGKILL (keeps the page cache, as a crash does) and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM, a clean shutdown; SIGKILL if it has not exited in `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  readonly binary: string;
  /** The server's store_dir (it keeps jetstream/ below it). */
  readonly storeDir: string;
  readonly timeoutMs?: number;
  readonly serverName?: string;
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  hookExit();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const args = ['-a', '127.0.0.1', '-p', '-1', '-js', '-sd', opts.storeDir, '-n', opts.serverName ?? 'model-confirm'];
  const child = spawn(opts.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => children.delete(child));
  const killAndWait = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => done(new ServerSetupError(`nats-server did not start within ${timeoutMs} ms (${lastLine(out)})`)), timeoutMs);
    const onData = () => {
      const m = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m && /Server is ready/.test(out)) done(null, Number(m[1]));
    };
    const onExit = () => done(new ServerSetupError(`nats-server exited at start (${lastLine(out)})`));
    const onError = (e: Error) => done(new ServerSetupError(`cannot run ${opts.binary}: ${e.message}`));
    function done(err: Error | null, p?: number) {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      if (err) reject(err);
      else resolve(p!);
    }
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  }).catch(async (e: unknown) => {
    await killAndWait('SIGKILL');
    throw e;
  });

  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    log: () => out,
    kill: () => killAndWait('SIGKILL'),
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

function lastLine(out: string): string {
  const lines = out.trim().split('\n');
  return lines.length && lines[lines.length - 1] ? `last log line: ${lines[lines.length - 1]!.trim().slice(0, 160)}` : 'no output';
}

/** Warnings and errors the server logged, without the timestamp prefix. */
export function warningLines(log: string): string[] {
  return log
    .split('\n')
    .map((l) => /\[(WRN|ERR)\] (.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `[${m[1]}] ${m[2]!.trim()}`);
}
