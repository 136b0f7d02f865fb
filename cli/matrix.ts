/**
 * `check` (npm start): the verdict matrix. For every profile (releases and proposed fixes) and
 * crash model, one exhaustive search checks every property at once (properties/matrix.ts);
 * then the cost of each profile on the standard WorkQueue workload, and which profiles close
 * which counterexample. Prints tables, or with `--json` the contract of issue 10:
 * `{ rows: [{ profile, property, crash, verdict, causes: [{ cause, length, trace }],
 * statesExplored, complete, bounds }], costs: [{ profile, fsyncsPer1000, fileOpsPer1000,
 * dirFsyncsPer1000, bytesPer1000 }], closure: [{ trace, profile, verdict }] }`, exactly, where
 * `trace` is the path of the counterexample's trace file (written under --out). The cause a
 * profile still violates a closed counterexample with is in the text output and docs/matrix.md.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_PROFILE_NAMES, getProfile } from '../model/profile.js';
import { isCrashModel, type CrashModel, type ExploreBounds } from '../properties/alphabet.js';
import { CAUSE_DEFINITIONS, CAUSES, REMOVAL_CAUSES } from '../properties/causes.js';
import { PROPERTY_IDS } from '../properties/invariants.js';
import { counterexampleId, FIXPOINT_BOUNDS, searchBounds, MATRIX_BOUNDS, MATRIX_CRASH_MODELS, MATRIX_PROFILES, QUICK_BOUNDS, QUICK_CRASH_MODELS, QUICK_PROFILES, runMatrix, type MatrixResult, type MatrixRow } from '../properties/matrix.js';
import { serializeTrace } from '../traces/trace.js';
import { parseArgs, UsageError } from './args.js';
import { replayCommand, writeTrace } from './explore.js';
import { Progress } from './progress.js';
import type { Retention } from '../model/config.js';

export const MATRIX_OUT_DIR = 'out/check';

export const MATRIX_FLAGS = {
  profiles: { kind: 'string', help: `comma-separated profiles (default: all ${ALL_PROFILE_NAMES.length}, releases and proposed fixes)` },
  profile: { kind: 'string', help: 'one profile (the same as --profiles P)' },
  crashes: { kind: 'string', help: `comma-separated crash models (default: ${MATRIX_CRASH_MODELS.join(',')})` },
  quick: { kind: 'boolean', help: `smaller bounds, and unless given: profiles ${QUICK_PROFILES.join(',')}, crash ${QUICK_CRASH_MODELS.join(',')} (CI)` },
  'no-closure': { kind: 'boolean', help: 'skip rerunning each counterexample under the other profiles' },
  out: { kind: 'string', help: `folder for counterexample traces (default ${MATRIX_OUT_DIR})`, default: MATRIX_OUT_DIR },
  json: { kind: 'boolean', help: 'print the matrix, costs and closure as JSON' },
  'sync-always': { kind: 'boolean', help: 'the stream runs with jetstream { sync: always }' },
  retention: { kind: 'string', help: "the explored stream's retention (default workqueue)", choices: ['workqueue', 'interest', 'limits'] },
} as const;

export const MATRIX_USAGE = 'check [--profiles a,b] [--crashes c,d] [--quick] [--no-closure] [--out DIR] [--json] [--sync-always] [--retention R]';

function list(flag: string, value: string): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new UsageError(`option --${flag}: empty name in "${value}"`);
  if (new Set(items).size !== items.length) throw new UsageError(`option --${flag}: a name is repeated in "${value}"`);
  return items;
}

/** The request the flags describe (exported for tests). */
export function matrixOptions(argv: readonly string[]): { profiles: string[]; crashes: CrashModel[]; bounds: ExploreBounds; closure: boolean; out: string; json: boolean; quick: boolean } {
  const { flags, positional } = parseArgs(argv, MATRIX_FLAGS);
  if (positional.length > 0) throw new UsageError(`check takes no positional argument, got "${positional[0]}"`);
  if (flags.profile !== undefined && flags.profiles !== undefined) throw new UsageError('give --profile or --profiles, not both');
  const names = flags.profiles !== undefined ? list('profiles', flags.profiles) : flags.profile !== undefined ? [flags.profile] : flags.quick ? [...QUICK_PROFILES] : [...MATRIX_PROFILES];
  for (const p of names) {
    try {
      getProfile(p);
    } catch (e) {
      throw new UsageError(`option --profiles: ${(e as Error).message}`);
    }
  }
  const crashNames = flags.crashes !== undefined ? list('crashes', flags.crashes) : flags.quick ? [...QUICK_CRASH_MODELS] : [...MATRIX_CRASH_MODELS];
  const crashes = crashNames.map((c) => {
    if (!isCrashModel(c)) throw new UsageError(`option --crashes: unknown crash model "${c}"`);
    return c;
  });
  const base = flags.quick ? QUICK_BOUNDS : MATRIX_BOUNDS;
  const bounds: ExploreBounds = { ...base, ...(flags['sync-always'] ? { syncAlways: true } : {}), ...(flags.retention ? { retention: flags.retention as Retention } : {}) };
  return { profiles: names, crashes, bounds, closure: !flags['no-closure'], out: flags.out!, json: flags.json, quick: flags.quick };
}

export function traceFile(outDir: string, row: Pick<MatrixRow, 'profile' | 'crash' | 'property'>, cause: string): string {
  return join(outDir, `${counterexampleId(row, cause as never)}.json`);
}

/** The JSON document of `check --json` (the issue's contract). */
export function matrixJson(m: MatrixResult, outDir: string) {
  return {
    rows: m.rows.map((r) => ({
      profile: r.profile,
      property: r.property,
      crash: r.crash,
      verdict: r.verdict,
      causes: r.causes.map((c) => ({ cause: c.cause, length: c.length, trace: traceFile(outDir, r, c.cause) })),
      statesExplored: r.statesExplored,
      complete: r.complete,
      bounds: r.bounds,
    })),
    costs: m.costs.map((c) => ({ profile: c.profile, fsyncsPer1000: c.fsyncsPer1000, fileOpsPer1000: c.fileOpsPer1000, dirFsyncsPer1000: c.dirFsyncsPer1000, bytesPer1000: c.bytesPer1000 })),
    closure: m.closure.map((c) => ({ trace: join(outDir, `${c.trace}.json`), profile: c.profile, verdict: c.verdict })),
  };
}

function renderTable(head: readonly string[], body: readonly (readonly string[])[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)];
}

export function verdictCell(r: MatrixRow): string {
  if (r.verdict !== 'violated') return r.verdict;
  return `VIOLATED ${r.causes.map((c) => `${c.cause} ${c.length}`).join(', ')}`;
}

export function boundsText(b: ExploreBounds): string {
  const starts = b.maxStarts !== undefined ? `, ≤ ${b.maxStarts} start${b.maxStarts === 1 ? '' : 's'}` : '';
  const redeliveries = b.maxRedeliveries !== undefined ? `, ≤ ${b.maxRedeliveries} redeliver${b.maxRedeliveries === 1 ? 'y' : 'ies'}` : '';
  return `${b.depth === null ? 'to the fixpoint' : `depth ≤ ${b.depth} actions`}, ≤ ${b.maxMsgs} msg${b.maxMsgs === 1 ? '' : 's'}, ≤ ${b.maxCrashes} crash${b.maxCrashes === 1 ? '' : 'es'}${starts}${redeliveries}, ${b.consumers} consumer, ${b.blockSizeBytes}-byte blocks, ${b.retention ?? 'workqueue'} retention${b.syncAlways ? ', sync always' : ''}`;
}

/** The bounds of one crash model's searches: one text, or each text with its profiles when they differ (a kill search runs to its fixpoint only where the space closes). */
export function crashBoundsText(m: Pick<MatrixResult, 'rows'>, crash: string): string {
  const groups = new Map<string, string[]>();
  for (const r of m.rows) {
    if (r.crash !== crash) continue;
    const text = boundsText(r.bounds);
    const profiles = groups.get(text) ?? [];
    if (!profiles.includes(r.profile)) profiles.push(r.profile);
    groups.set(text, profiles);
  }
  if (groups.size === 1) return [...groups.keys()][0]!;
  return [...groups].map(([text, profiles]) => `${text} for ${profiles.join(', ')}`).join('; ');
}

/** The verdict tables (one per crash model), in text. */
export function verdictTables(m: MatrixResult): string[] {
  const out: string[] = [];
  const crashes = [...new Set(m.rows.map((r) => r.crash))];
  const profiles = [...new Set(m.rows.map((r) => r.profile))];
  for (const crash of crashes) {
    out.push('', `crash model ${crash} (${crashBoundsText(m, crash)}):`, '');
    const body = profiles.map((p) => [p, ...PROPERTY_IDS.map((prop) => verdictCell(m.rows.find((r) => r.profile === p && r.crash === crash && r.property === prop)!))]);
    out.push(...renderTable(['profile', ...PROPERTY_IDS], body));
    const runs = m.runs.filter((r) => r.crash === crash);
    const states = runs.map((r) => r.statesExplored);
    const incomplete = runs.filter((r) => !r.complete).map((r) => r.profile);
    out.push('', `${runs.length} searches, ${Math.min(...states)}–${Math.max(...states)} states each, ${incomplete.length === 0 ? 'every one complete within its bounds' : `${runs.length - incomplete.length} complete, ${incomplete.length} not complete (stopped at the depth cap): ${incomplete.join(', ')}`}`);
  }
  return out;
}

export function costTable(m: MatrixResult): string[] {
  const body = m.costs.map((c) => [c.profile, String(c.fsyncsPer1000), String(c.fileOpsPer1000), String(c.dirFsyncsPer1000), String(c.bytesPer1000), `${c.perLastBlockRemoval.fileOps} ops, ${c.perLastBlockRemoval.fsyncs} fsync${c.perLastBlockRemoval.fsyncs === 1 ? '' : 's'}, ${c.perLastBlockRemoval.dirFsyncs} dir fsync${c.perLastBlockRemoval.dirFsyncs === 1 ? '' : 's'}`]);
  return renderTable(['profile', 'fsyncs/1000', 'file ops/1000', 'dir fsyncs/1000', 'bytes/1000', 'per last-block removal'], body);
}

export function closureLines(m: MatrixResult): string[] {
  const out: string[] = [];
  const ids = [...new Set(m.closure.map((c) => c.trace))];
  for (const id of ids) {
    const entries = m.closure.filter((c) => c.trace === id);
    const closed = entries.filter((c) => c.verdict === 'holds').map((c) => c.profile);
    const open = entries.filter((c) => c.verdict === 'violated').map((c) => `${c.profile} (${c.cause})`);
    const vacuous = entries.filter((c) => c.verdict === 'vacuous').map((c) => c.profile);
    out.push(`  ${id}`, `    closed by: ${closed.length ? closed.join(', ') : 'none'}`, `    still violated by: ${open.length ? open.join(', ') : 'none'}`);
    if (vacuous.length) out.push(`    does not apply to (no run completes its workload): ${vacuous.join(', ')}`);
  }
  return out;
}

export function matrixText(m: MatrixResult, bounds: ExploreBounds, outDir: string): string {
  const out = [
    `verdict matrix: ${new Set(m.rows.map((r) => r.profile)).size} profiles × ${PROPERTY_IDS.length} properties × ${new Set(m.rows.map((r) => r.crash)).size} crash models, one exhaustive all-properties search per profile and crash model`,
    `bounds: ${boundsText({ ...bounds, depth: null }).replace(/^to the fixpoint, /, '')}; under kill a profile with deterministic timers runs to its fixpoint (≤ ${FIXPOINT_BOUNDS.maxStarts} starts, ≤ ${FIXPOINT_BOUNDS.maxRedeliveries} redelivery) and one with timer jitter (its space does not close) to depth ${bounds.depth}; a power loss to depth ${searchBounds(bounds, 'power-loss:ext4', 'v2.10.22').depth}; a search is complete when it explored every state within its bounds (it proves nothing beyond them)`,
    `a violation lists each cause with its shortest counterexample (events); ${REMOVAL_CAUSES.join(' and ')} count against the removal protocol, unsynced-data is loss the sync policy allows`,
    ...verdictTables(m),
    '',
    'cost on the standard WorkQueue workload (publish, deliver, ack, 1 s of timers; 1000 times), counted from the model\'s file operations:',
    '',
    ...costTable(m),
  ];
  if (m.closure.length > 0) out.push('', 'closure: each counterexample\'s client workload rerun under every other profile, with every crash choice that profile allows at the same points:', ...closureLines(m));
  const violated = m.rows.filter((r) => r.causes.length > 0);
  if (violated.length > 0) {
    out.push('', 'replay a counterexample:');
    for (const r of violated) for (const c of r.causes) out.push(`  ${replayCommand(traceFile(outDir, r, c.cause))}`);
  }
  out.push('', 'causes:', ...CAUSES.map((c) => `  ${c}: ${CAUSE_DEFINITIONS[c]}`));
  return out.join('\n');
}

export function runMatrixCommand(argv: readonly string[]): number {
  const o = matrixOptions(argv);
  try {
    mkdirSync(o.out, { recursive: true }); // an unwritable --out fails before the searches, not after
    accessSync(o.out, constants.W_OK);
  } catch (e) {
    throw new UsageError(`option --out: cannot write traces under "${o.out}": ${(e as Error).message.split('\n')[0]}`);
  }
  const progress = new Progress(o.json);
  const m = runMatrix({ profiles: o.profiles, crashes: o.crashes, bounds: o.bounds, closure: o.closure, onProgress: (t) => progress.update(t) });
  progress.done();
  try {
    for (const r of m.rows) for (const c of r.causes) writeTrace(traceFile(o.out, r, c.cause), serializeTrace(c.trace));
  } catch (e) {
    throw new UsageError(`option --out: cannot write traces under "${o.out}": ${(e as Error).message.split('\n')[0]}`);
  }
  process.stdout.write(o.json ? `${JSON.stringify(matrixJson(m, o.out), null, 2)}\n` : `${matrixText(m, o.bounds, o.out)}\n`);
  return 0;
}
