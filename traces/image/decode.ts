/**
 * Reading a store directory back: the stream folder's block files, index.db and each
 * consumer's o.dat, decoded into the model's own terms (block records, `IndexDbSummary`,
 * `StoredConsumerState`), plus the comparison of such a directory with the model's view of
 * its files. Works on an image this project wrote and on a directory a real server left.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { checksumOf, isBlockRecord, type BlockRecord, type IndexDbSummary, type Segment, type StoredConsumerState } from '../../model/records.js';
import { scanBlockIndex } from '../../model/state.js';
import { asModelRecord, decodeBlockFile, type DecodedBlockFile } from './blockfile.js';
import { EPOCH_UNIX_MS } from './content.js';
import { streamKey, highway64, toHex } from './hash.js';
import { decodeIndexDb, type DecodedIndexDb } from './indexdb.js';
import { decodeConsumerState, type DecodedConsumerState } from './odat.js';
import { DecodeError } from './varint.js';

export interface DecodedStore {
  /** The stream folder, absolute. */
  readonly streamDir: string;
  readonly stream: string;
  /** meta.sum matches HH64(SHA(folder name), meta.inf), as recovery requires. */
  readonly metaOk: boolean;
  /** Every file of the stream folder but the meta files (the model has none), with its size, sorted. */
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  readonly blocks: readonly ({ readonly index: number; readonly path: string } & DecodedBlockFile)[];
  /** null: no index.db. */
  readonly indexDb: DecodedIndexDb | { readonly error: string } | null;
  /** Per consumer folder: its o.dat, null when absent. */
  readonly consumers: Readonly<Record<string, DecodedConsumerState | { readonly error: string } | null>>;
}

function listRecursive(dir: string, rel = ''): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const r = rel ? `${rel}/${name}` : name;
    if (statSync(p).isDirectory()) out.push(...listRecursive(p, r));
    else out.push(r);
  }
  return out;
}

/** The one stream folder under `storeDir` (or the named one). */
export function findStreamDir(storeDir: string, account = '$G', stream?: string): string {
  const streams = join(storeDir, 'jetstream', account, 'streams');
  if (!existsSync(streams)) throw new DecodeError(`${storeDir}: no jetstream/${account}/streams folder`);
  const names = readdirSync(streams).filter((n) => !n.startsWith('.')).sort();
  if (stream !== undefined) {
    if (!names.includes(stream)) throw new DecodeError(`${storeDir}: no stream "${stream}" (found: ${names.join(', ') || 'none'})`);
    return join(streams, stream);
  }
  if (names.length !== 1) throw new DecodeError(`${storeDir}: expected one stream folder, found ${names.length} (${names.join(', ')})`);
  return join(streams, names[0]!);
}

export function readStoreDir(storeDir: string, opts: { account?: string; stream?: string; epochMs?: number } = {}): DecodedStore {
  const streamDir = findStreamDir(storeDir, opts.account ?? '$G', opts.stream);
  const files = new Map<string, Uint8Array>();
  for (const rel of listRecursive(streamDir)) files.set(rel, new Uint8Array(readFileSync(join(streamDir, rel))));
  return { ...decodeStreamFiles(streamDir.split('/').pop()!, files, opts.epochMs ?? EPOCH_UNIX_MS), streamDir };
}

/** Decode a stream folder given as its files (path relative to the folder -> bytes). */
export function decodeStreamFiles(stream: string, all: ReadonlyMap<string, Uint8Array>, epochMs: number = EPOCH_UNIX_MS): DecodedStore {
  const metaInf = all.get('meta.inf');
  const metaSum = all.get('meta.sum');
  const metaOk = metaInf !== undefined && metaSum !== undefined && Buffer.from(metaSum).toString('utf8') === toHex(highway64(streamKey(stream), metaInf));
  const isMeta = (p: string) => p === 'meta.inf' || p === 'meta.sum' || /^obs\/[^/]+\/meta\.(inf|sum)$/.test(p);
  const paths = [...all.keys()].sort();
  const files = paths.filter((p) => !isMeta(p)).map((path) => ({ path, bytes: all.get(path)!.length }));
  const blockFiles = files
    .map((f) => f.path)
    .filter((p) => /^msgs\/\d+\.blk$/.test(p))
    .map((path) => ({ path, index: scanBlockIndex(path.slice('msgs/'.length))! }))
    .sort((a, b) => a.index - b.index);
  const indexes = blockFiles.map((b) => b.index);
  const others = [...new Set([...indexes, ...Array.from({ length: Math.max(0, ...indexes) + 2 }, (_, i) => i + 1)])];
  const blocks = blockFiles.map(({ path, index }) => ({ index, path, ...decodeBlockFile(stream, index, all.get(path)!, epochMs, others) }));
  let indexDb: DecodedStore['indexDb'] = null;
  const idx = all.get('msgs/index.db');
  if (idx !== undefined) {
    try {
      indexDb = decodeIndexDb(stream, idx, epochMs);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      indexDb = { error: e.message };
    }
  }
  const consumers: Record<string, DecodedConsumerState | { error: string } | null> = {};
  const names = [...new Set(paths.filter((p) => p.startsWith('obs/')).map((p) => p.split('/')[1]!))].sort();
  for (const name of names) {
    const buf = all.get(`obs/${name}/o.dat`);
    if (buf === undefined) {
      consumers[name] = null;
      continue;
    }
    if (buf.length === 0) {
      consumers[name] = { error: 'empty' };
      continue;
    }
    try {
      consumers[name] = decodeConsumerState(buf, epochMs);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      consumers[name] = { error: e.message };
    }
  }
  return { streamDir: '', stream, metaOk, files, blocks, indexDb, consumers };
}

// ---- The model's view and a decoded directory, in one comparable form --------------------

/** What one file says, in terms both sides can produce. */
export type FileSummary =
  | { readonly kind: 'block'; readonly records: readonly BlockRecord[]; readonly unparsedBytes: number }
  | { readonly kind: 'indexdb'; readonly summary: IndexDbSummary | null }
  | { readonly kind: 'odat'; readonly state: StoredConsumerState | null; readonly error?: string }
  | { readonly kind: 'other'; readonly bytes: number };

/** How the model's content of a file reads, the way the server's decoders would read its bytes. */
export function summarizeModelFile(path: string, content: readonly Segment[], checksumHex: (identity: string) => string): FileSummary {
  if (/^msgs\/\d+\.blk$/.test(path)) {
    const records: BlockRecord[] = [];
    let i = 0;
    while (i < content.length && isBlockRecord(content[i]!)) records.push(content[i++] as BlockRecord);
    return { kind: 'block', records, unparsedBytes: content.slice(i).reduce((n, s) => n + s.bytes, 0) };
  }
  if (path === 'msgs/index.db') {
    const only = content.length === 1 && content[0]!.kind === 'indexdb' ? content[0] : null;
    return { kind: 'indexdb', summary: only ? { ...only.summary, lmbLastChecksum: checksumHex(only.summary.lmbLastChecksum) } : null };
  }
  if (path.endsWith('/o.dat')) {
    const head = content[0];
    // An o.dat truncated for its rewrite, the rewrite not yet durable: empty in both views.
    if (!head) return { kind: 'odat', state: null, error: 'empty' };
    return { kind: 'odat', state: head.kind === 'odat' ? head.state : null };
  }
  return { kind: 'other', bytes: content.reduce((n, s) => n + s.bytes, 0) };
}

export function summarizeDecodedFile(store: DecodedStore, path: string): FileSummary {
  const block = store.blocks.find((b) => b.path === path);
  if (block) return { kind: 'block', records: block.records.map(asModelRecord), unparsedBytes: block.badTailBytes };
  if (path === 'msgs/index.db') return { kind: 'indexdb', summary: store.indexDb && 'summary' in store.indexDb && store.indexDb.checksumOk ? store.indexDb.summary : null };
  const m = /^obs\/(.+)\/o\.dat$/.exec(path);
  if (m) {
    const c = store.consumers[m[1]!];
    return c && 'state' in c ? { kind: 'odat', state: c.state } : { kind: 'odat', state: null, error: c ? c.error : 'absent' };
  }
  return { kind: 'other', bytes: store.files.find((f) => f.path === path)?.bytes ?? 0 };
}

export interface CompareOptions {
  /** Leave out every time (record ts, index.db times and lchk, o.dat pending times). */
  readonly ignoreTimes?: boolean;
}

function withoutTimes(s: FileSummary): FileSummary {
  switch (s.kind) {
    case 'block':
      return { ...s, records: s.records.map((r) => ({ ...r, tsMs: 0 })) };
    case 'indexdb':
      return s.summary ? { ...s, summary: { ...s.summary, firstTsMs: 0, lastTsMs: 0, lmbLastChecksum: '', blocks: s.summary.blocks.map((b) => ({ ...b, firstTsMs: 0, lastTsMs: 0 })) } } : s;
    case 'odat':
      return s.state ? { ...s, state: { ...s.state, pending: s.state.pending.map((p) => ({ ...p, tsMs: 0 })) } } : s;
    default:
      return s;
  }
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}

/** Differences between the model's files and a decoded directory, one line each; [] when they agree. */
export function compareWithModel(modelFiles: ReadonlyMap<string, readonly Segment[]>, store: DecodedStore, checksumHex: (identity: string) => string, opts: CompareOptions = {}): string[] {
  const diffs: string[] = [];
  const modelPaths = [...modelFiles.keys()].sort();
  const realPaths = store.files.map((f) => f.path);
  for (const p of modelPaths) if (!realPaths.includes(p)) diffs.push(`${p}: in the model, not on disk`);
  for (const p of realPaths) if (!modelFiles.has(p)) diffs.push(`${p}: on disk, not in the model`);
  for (const p of modelPaths.filter((x) => realPaths.includes(x))) {
    let a = summarizeModelFile(p, modelFiles.get(p)!, checksumHex);
    let b = summarizeDecodedFile(store, p);
    if (opts.ignoreTimes) {
      a = withoutTimes(a);
      b = withoutTimes(b);
    }
    if (stable(a) !== stable(b)) diffs.push(`${p}: model ${describe(a)}, disk ${describe(b)}`);
  }
  return diffs;
}

function describe(s: FileSummary): string {
  switch (s.kind) {
    case 'block':
      return `[${s.records.map((r) => `${r.kind} ${r.seq}${r.kind === 'msg' ? ` ${r.subject} ${r.bytes}B` : ''}${r.tsMs ? ` @${r.tsMs}` : ''} (key ${r.blockIndex})`).join(', ')}]${s.unparsedBytes ? ` + ${s.unparsedBytes} unparsed bytes` : ''}`;
    case 'indexdb':
      return s.summary ? stable(s.summary) : 'unreadable';
    case 'odat':
      return s.state ? stable(s.state) : `unreadable (${s.error ?? 'not an o.dat image'})`;
    default:
      return `${s.bytes} bytes`;
  }
}

/** The model's checksum identity of a record, for callers that map identities to bytes. */
export { checksumOf };
