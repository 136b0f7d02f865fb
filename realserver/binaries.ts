/**
 * Where the real nats-server binary for a profile comes from, in this order:
 * 1. `--server PATH` (a patched build, or one the user has);
 * 2. the environment variable `NATS_SERVER_BIN`;
 * 3. the cache outside the clone: `$NATS_FILESTORE_MODEL_CACHE/bin/<version>/nats-server`
 *    (default `${XDG_CACHE_HOME:-~/.cache}/nats-filestore-model`), which `realserver/build.sh`
 *    fills with `go install github.com/nats-io/nats-server/v2@<version>`.
 * A profile that is not a release (a proposed fix) has no binary to build: it needs a patched
 * build passed with --server.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROFILES } from '../model/profile.js';

export class ServerSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerSetupError';
  }
}

export const BUILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'build.sh');

export function cacheDir(): string {
  const env = process.env;
  return env.NATS_FILESTORE_MODEL_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'nats-filestore-model');
}

/** A profile named like a release tag (vMAJOR.MINOR.PATCH) has a binary to build. */
export function isReleaseProfile(name: string): boolean {
  return /^v\d+\.\d+\.\d+$/.test(name);
}

/** The release profiles of the profile table, in version order. */
export function releaseProfiles(): string[] {
  const key = (v: string) => v.slice(1).split('.').map(Number);
  return Object.keys(PROFILES)
    .filter(isReleaseProfile)
    .sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
    });
}

export function cachedBinaryPath(version: string): string {
  return join(cacheDir(), 'bin', version, 'nats-server');
}

export interface ResolvedBinary {
  readonly path: string;
  /** The version the binary reports (`nats-server: vX.Y.Z`). */
  readonly version: string;
  readonly source: '--server' | 'NATS_SERVER_BIN' | 'cache';
}

/** Run `BIN --version`; a binary that does not answer like nats-server is refused. */
export function binaryVersion(path: string): string {
  if (!existsSync(path)) throw new ServerSetupError(`${path}: no such file`);
  if (!statSync(path).isFile()) throw new ServerSetupError(`${path}: not a file`);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new ServerSetupError(`${path}: not executable`);
  }
  let out: string;
  try {
    out = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    throw new ServerSetupError(`${path} is not a nats-server binary (\`--version\` failed)`);
  }
  const m = /^nats-server: (v\d+\.\d+\.\d+\S*)/m.exec(out);
  if (!m) throw new ServerSetupError(`${path} is not a nats-server binary (\`--version\` printed "${out.trim().slice(0, 60)}")`);
  return m[1]!;
}

/** The binary to run for `profile`; `explicit` is --server's value. */
export function resolveBinary(profile: string, explicit?: string): ResolvedBinary {
  if (explicit !== undefined) return { path: explicit, version: binaryVersion(explicit), source: '--server' };
  const env = process.env.NATS_SERVER_BIN;
  if (env) return { path: env, version: binaryVersion(env), source: 'NATS_SERVER_BIN' };
  if (!isReleaseProfile(profile)) throw new ServerSetupError(`profile ${profile} is not a release: pass a patched nats-server build with --server PATH`);
  const path = cachedBinaryPath(profile);
  if (!existsSync(path)) throw new ServerSetupError(`no nats-server ${profile} at ${path}: run realserver/build.sh ${profile} (needs Go), or pass --server PATH`);
  return { path, version: binaryVersion(path), source: 'cache' };
}
