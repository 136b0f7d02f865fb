/**
 * The search's fast, incremental 128-bit fingerprint of a state's canonical form.
 *
 * It computes the same equivalence as the canonical text (canonical.ts, same rules), without
 * building text: a state is hashed as its structure, with every clock value, inode number and
 * operation id left as a slot, plus the sequence of slot values in walk order, made canonical
 * once the whole state is known (times relative to now or ranked when old, inodes renumbered
 * by first use, operation ids ranked). The structure and slot lists of every frozen object
 * (issued operations and the records they write, which successive states share) are
 * computed once and remembered, so hashing a successor costs about what the step changed.
 *
 * `--verify-fingerprints` checks it against the text encoding: two states with one
 * fingerprint must have one canonical text.
 */
import {
  CanonicalError,
  CHECKSUM_KEY,
  CLOCK_CLASS,
  DROPPED_KEYS,
  DURATION_KEYS,
  FLUSH_CLASS,
  FLUSH_TIME_KEYS,
  horizonOf,
  INODE_TABLE_KEYS,
  MESSAGE_CLASS,
  MESSAGE_TIME_KEY,
  OP_ID_KEYS,
  PHASE_MS,
  TIME_CLASSES,
  TIME_POINT_KEY,
  type TimeHorizons,
} from './canonical.js';
import { finalizeLanes, fmix32 } from './hash128.js';

/** Counters encoded only up to a ceiling (set per search by `digestNode`). */
const CLAMPED_COUNTERS = new Map<string, number>([['starts', 2]]);

const enum Kind {
  Plain,
  Time,
  MessageTime,
  FlushTime,
  Inode,
  OpRef,
  Checksum,
  Clamped,
  Dropped,
  Table,
  Entries,
  UnclassifiedMs,
}
const kinds = new Map<string, Kind>();
function kindOf(key: string): Kind {
  let k = kinds.get(key);
  if (k === undefined) {
    if (DROPPED_KEYS.has(key)) k = Kind.Dropped;
    else if (key === 'nowMs') k = Kind.Dropped; // folded in as the phase at the end
    else if (MESSAGE_TIME_KEY.test(key)) k = Kind.MessageTime;
    else if (FLUSH_TIME_KEYS.has(key)) k = Kind.FlushTime;
    else if (TIME_POINT_KEY.test(key)) k = Kind.Time;
    else if (key === 'inode') k = Kind.Inode;
    else if (INODE_TABLE_KEYS.has(key)) k = Kind.Table;
    else if (key === 'entries') k = Kind.Entries;
    else if (OP_ID_KEYS.has(key)) k = Kind.OpRef;
    else if (CHECKSUM_KEY.test(key)) k = Kind.Checksum;
    else if (CLAMPED_COUNTERS.has(key)) k = Kind.Clamped;
    else if (key.endsWith('Ms') && !DURATION_KEYS.has(key)) k = Kind.UnclassifiedMs;
    else k = Kind.Plain;
    kinds.set(key, k);
  }
  return k;
}

// ---- 32-bit word hashing ----------------------------------------------------------------

const stringHashes = new Map<string, number>();
function hashString(s: string): number {
  let h = stringHashes.get(s);
  if (h === undefined) {
    h = 0x811c9dc5 ^ s.length;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h = fmix32(h);
    if (stringHashes.size < 1_000_000) stringHashes.set(s, h);
  }
  return h;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** A 128-bit running hash of 32-bit words: four lanes, each a multiply-rotate chain. */
class Lanes {
  a = 0x6a09e667 | 0;
  b = 0xbb67ae85 | 0;
  c = 0x3c6ef372 | 0;
  d = 0xa54ff53a | 0;
  n = 0;

  word(w: number): void {
    w |= 0;
    this.n++;
    let k = Math.imul(w, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    this.a = Math.imul((this.a ^ Math.imul(k, 0x1b873593)) << 13 | (this.a ^ Math.imul(k, 0x1b873593)) >>> 19, 5) + 0xe6546b64 | 0;
    k = Math.imul(w ^ 0x9e3779b9, 0x85ebca6b);
    k = (k << 17) | (k >>> 15);
    this.b = Math.imul((this.b ^ k) << 11 | (this.b ^ k) >>> 21, 9) + 0x38b34ae5 | 0;
    k = Math.imul(w ^ 0x7f4a7c15, 0xc2b2ae35);
    k = (k << 19) | (k >>> 13);
    this.c = Math.imul((this.c ^ k) << 7 | (this.c ^ k) >>> 25, 7) + 0xa1e38b93 | 0;
    k = Math.imul(w ^ 0x165667b1, 0x27d4eb2f);
    k = (k << 13) | (k >>> 19);
    this.d = Math.imul((this.d ^ k) << 23 | (this.d ^ k) >>> 9, 11) + 0x2f7b1ef5 | 0;
  }

  number(v: number): void {
    if ((v | 0) === v) {
      this.word(1);
      this.word(v);
    } else {
      f64[0] = v;
      this.word(2);
      this.word(u32[0]!);
      this.word(u32[1]!);
    }
  }

  /** Finish into 4 words (mixing the lanes together so each depends on every word). */
  finish(out: Uint32Array | Int32Array, offset = 0): void {
    finalizeLanes(this.a ^ this.n, this.b ^ this.n, this.c, this.d, out, offset);
  }
}

// ---- Subtree digests --------------------------------------------------------------------

const T_NULL = 0x10;
const T_TRUE = 0x11;
const T_FALSE = 0x12;
const T_STR = 0x13;
const T_NUM = 0x14;
const T_ARR = 0x15;
const T_OBJ = 0x16;
const T_END = 0x17;
const T_TIME = 0x18;
const T_INODE = 0x19;
const T_OPREF = 0x1a;
const T_OPID = 0x1b;
const T_CHK = 0x1c;
const T_TABLE = 0x1d;

/** Slot kinds in a slot list: [kind, value] pairs. A time's slot kind is S_TIME plus its class. */
const S_TIME = 1;
const S_INODE = S_TIME + TIME_CLASSES;
const S_OPREF = S_INODE + 1;
const S_OPID = S_OPREF + 1;
const S_MESSAGE_TIME = S_TIME + MESSAGE_CLASS;

interface Table {
  /** raw inode number -> the digest of its content, and its slots. */
  readonly rows: { readonly raw: number; readonly digest: Int32Array; readonly slots: number[]; readonly tables: Table[] }[];
}

/** A subtree: its structure's 128-bit digest, its slots in walk order, its inode tables. */
interface Sub {
  readonly digest: Int32Array;
  readonly slots: number[];
  readonly tables: Table[];
}

const EMPTY: number[] = [];
const memo = new WeakMap<object, Sub>();

function sortedKeys(o: object): string[] {
  const keys = Object.keys(o);
  if (keys.length < 2) return keys;
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return keys.sort();
  return keys;
}

function checksumTime(s: string): { prefix: string; time: number | null } {
  const at = s.lastIndexOf('@');
  if (at < 0) return { prefix: s, time: null };
  const t = s.slice(at + 1);
  if (t === 'null' || t === '') return { prefix: s, time: null };
  return { prefix: s.slice(0, at), time: Number(t) };
}

/** Digest a value under `key` into `h`, appending its slots and tables. */
function walk(v: unknown, key: string, kind: Kind, h: Lanes, slots: number[], tables: Table[]): void {
  if (v === null || v === undefined) {
    h.word(T_NULL);
    return;
  }
  switch (typeof v) {
    case 'number':
      switch (kind) {
        case Kind.Time:
        case Kind.MessageTime:
        case Kind.FlushTime:
          h.word(T_TIME);
          slots.push(S_TIME + (kind === Kind.MessageTime ? MESSAGE_CLASS : kind === Kind.FlushTime ? FLUSH_CLASS : CLOCK_CLASS), v);
          return;
        case Kind.Inode:
        case Kind.Entries:
          h.word(T_INODE);
          slots.push(S_INODE, v);
          return;
        case Kind.OpRef:
          h.word(T_OPREF);
          slots.push(S_OPREF, v);
          return;
        case Kind.Clamped:
          h.word(T_NUM);
          h.number(Math.min(v, CLAMPED_COUNTERS.get(key)!));
          return;
        case Kind.UnclassifiedMs:
          throw new CanonicalError(`unclassified clock field "${key}": name it a time point or a duration in properties/canonical.ts`);
        default:
          h.word(T_NUM);
          h.number(v);
          return;
      }
    case 'string':
      if (kind === Kind.Checksum) {
        const { prefix, time } = checksumTime(v);
        h.word(T_CHK);
        h.word(hashString(prefix));
        if (time !== null) {
          h.word(T_TIME);
          slots.push(S_MESSAGE_TIME, time);
        } else h.word(T_NULL);
        return;
      }
      h.word(T_STR);
      h.word(hashString(v));
      return;
    case 'boolean':
      h.word(v ? T_TRUE : T_FALSE);
      return;
    case 'object':
      break;
    default:
      throw new CanonicalError(`cannot encode a ${typeof v} under "${key}"`);
  }
  const sub = digestObject(v as object, key, kind);
  h.word(sub.digest[0]!);
  h.word(sub.digest[1]!);
  h.word(sub.digest[2]!);
  h.word(sub.digest[3]!);
  if (sub.slots.length > 0) for (const s of sub.slots) slots.push(s);
  if (sub.tables.length > 0) for (const t of sub.tables) tables.push(t);
}

function digestObject(o: object, key: string, kind: Kind): Sub {
  const frozen = kind === Kind.Plain && Object.isFrozen(o);
  if (frozen) {
    const m = memo.get(o);
    if (m) return m;
  }
  const h = new Lanes();
  const slots: number[] = [];
  const tables: Table[] = [];
  if (Array.isArray(o)) {
    h.word(T_ARR);
    h.word(o.length);
    for (let i = 0; i < o.length; i++) walk(o[i], key, kind === Kind.Entries ? Kind.Plain : kind, h, slots, tables);
  } else if (kind === Kind.Table) {
    // An inode table: rows are placed once inodes are renumbered (at the end).
    const rows: Table['rows'][number][] = [];
    const rec = o as Record<string, unknown>;
    for (const k of Object.keys(rec)) {
      const rh = new Lanes();
      const rslots: number[] = [];
      const rtables: Table[] = [];
      walk(rec[k], 'inodes', Kind.Plain, rh, rslots, rtables);
      const digest = new Int32Array(4);
      rh.finish(digest);
      rows.push({ raw: Number(k), digest, slots: rslots, tables: rtables });
    }
    h.word(T_TABLE);
    tables.push({ rows });
  } else {
    const rec = o as Record<string, unknown>;
    const isIssuedOp = typeof rec.id === 'number' && 'op' in rec;
    h.word(T_OBJ);
    for (const k of sortedKeys(rec)) {
      const x = rec[k];
      if (x === undefined) continue;
      const kk = kind === Kind.Entries ? Kind.Entries : kindOf(k);
      if (kk === Kind.Dropped) continue;
      h.word(hashString(k));
      if (k === 'id' && isIssuedOp) {
        h.word(T_OPID);
        slots.push(S_OPID, x as number);
      } else walk(x, k, kk, h, slots, tables);
    }
    h.word(T_END);
  }
  const digest = new Int32Array(4);
  h.finish(digest);
  const sub: Sub = { digest, slots: slots.length ? slots : EMPTY, tables };
  if (frozen) memo.set(o, sub);
  return sub;
}

/** The node's 128-bit fingerprint, written into `out` (4 words). */
export function digestNode(node: object, nowMs: number, horizons: TimeHorizons, startsCeiling: number, out: Uint32Array): void {
  CLAMPED_COUNTERS.set('starts', startsCeiling);
  const root = digestObject(node, '', Kind.Plain);
  // Inodes: numbered by first use among the slots, then the rows of every table in that order.
  const inodeNames = new Map<number, number>();
  const liveOps: number[] = [];
  const times: number[][] = Array.from({ length: TIME_CLASSES }, () => []);
  const scan = (slots: readonly number[]) => {
    for (let i = 0; i < slots.length; i += 2) {
      const s = slots[i]!;
      const v = slots[i + 1]!;
      if (s === S_INODE) {
        if (!inodeNames.has(v)) inodeNames.set(v, inodeNames.size + 1);
      } else if (s === S_OPID) liveOps.push(v);
      else if (s < S_INODE) times[s - S_TIME]!.push(v);
    }
  };
  scan(root.slots);
  const orderedTables = root.tables.map((t) =>
    [...t.rows].sort((x, y) => (inodeNames.get(x.raw) ?? Number.MAX_SAFE_INTEGER) - (inodeNames.get(y.raw) ?? Number.MAX_SAFE_INTEGER) || x.raw - y.raw),
  );
  const nested = (rows: Table['rows']) => {
    for (const r of rows) {
      scan(r.slots);
      for (const t of r.tables) nested(t.rows);
    }
  };
  for (const rows of orderedTables) nested(rows);
  liveOps.sort((a, b) => a - b);
  // Old times: ranked within their class (canonical.ts, "Old is old").
  const oldRank = times.map((ts, c) => {
    const oldest = nowMs - horizonOf(horizons, c);
    const old = [...new Set(ts.filter((t) => t < oldest))].sort((a, b) => a - b);
    return new Map(old.map((t, i) => [t, i + 1]));
  });
  const opRank = (id: number) => {
    let lo = 0;
    let hi = liveOps.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (liveOps[mid]! <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const h = new Lanes();
  h.word(root.digest[0]!);
  h.word(root.digest[1]!);
  h.word(root.digest[2]!);
  h.word(root.digest[3]!);
  h.word(((nowMs % PHASE_MS) + PHASE_MS) % PHASE_MS);
  const fold = (slots: readonly number[]) => {
    for (let i = 0; i < slots.length; i += 2) {
      const s = slots[i]!;
      const v = slots[i + 1]!;
      h.word(s);
      if (s < S_INODE) {
        const r = oldRank[s - S_TIME]!.get(v);
        if (r !== undefined) {
          h.word(1);
          h.word(r);
        } else {
          h.word(0);
          h.number(v - nowMs);
        }
      } else if (s === S_INODE) {
        const n = inodeNames.get(v);
        h.number(n ?? -v);
      } else h.word(opRank(v));
    }
  };
  fold(root.slots);
  const foldTable = (rows: Table['rows']) => {
    h.word(T_TABLE);
    h.word(rows.length);
    for (const r of rows) {
      const n = inodeNames.get(r.raw);
      h.number(n ?? -r.raw);
      h.word(r.digest[0]!);
      h.word(r.digest[1]!);
      h.word(r.digest[2]!);
      h.word(r.digest[3]!);
      fold(r.slots);
      for (const t of r.tables) foldTable([...t.rows].sort((x, y) => (inodeNames.get(x.raw) ?? Number.MAX_SAFE_INTEGER) - (inodeNames.get(y.raw) ?? Number.MAX_SAFE_INTEGER) || x.raw - y.raw));
    }
  };
  for (const rows of orderedTables) foldTable(rows);
  h.finish(out);
}

/**
 * A search node's fingerprint from its core's (`digestNode` of the node with its budget
 * counters zeroed) and its counters: the same state with other counters is another node, and
 * the search can look up the same core under any counters (budget subsumption, exhaustive.ts).
 */
export function withCounters(core: Uint32Array, counters: readonly number[], out: Uint32Array): void {
  const h = new Lanes();
  for (let i = 0; i < 4; i++) h.word(core[i]!);
  h.word(counters.length);
  for (const c of counters) h.word(c);
  h.finish(out);
}
