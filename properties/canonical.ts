/**
 * The search's canonical encoding of a state: a compact text that two states share exactly
 * when nothing the model or a property can read tells them apart. It walks the state
 * generically (every field, object keys sorted, arrays in order), so a field added to the
 * model is encoded without a change here; a few naming rules turn what is not canonical as
 * stored into what is:
 *
 * - Time is relative to now. A number under a key naming a point on the model clock
 *   (`nowMs`, `atMs`, `tsMs`, `…AtMs`, `…TsMs`, `lastWriteMs`) is encoded as its offset from
 *   `nowMs`; the time inside a record checksum (`lchk`, `…Checksum`: `block/kind/seq@ts`)
 *   likewise. `nowMs` itself keeps only its phase within the second, because o.dat keeps
 *   pending times at one-second resolution (`toStoredSecondsMs`). The model is invariant
 *   under a shift of every clock value by whole seconds (no rule reads absolute time), so
 *   this merges only states that behave alike.
 * - Old is old. A past time older than its class's horizon compares the same way with now
 *   and every deadline whatever its exact age: old times are encoded by rank among the
 *   state's old times of their class (equality and order within the class are kept, since
 *   records compare checksums and recovery compares times). A class's horizon is the longest
 *   duration any rule adds to a time of that class before comparing it with now, plus a
 *   second (`timeHorizons`):
 *   - message times (a record's `tsMs`, `firstTsMs`, `lastTsMs`, a checksum's time, a
 *     pending entry's `tsMs`, which is the message's time once o.dat held it): AckWait
 *     (`checkPending`, `expired` in `deliver`) and MaxAge (`expireMsgs`,
 *     `expireMsgsOnRecover`); nothing compares them with a deadline or another class;
 *   - `lastWriteMs`: the o.dat flusher's minimum interval (`flushLoop`'s `minTime`);
 *   - every other time point (deadlines, in-flight operations' issue times): every
 *     duration of the configuration and of its file system.
 *   What an old time's exact age still changes is the varint length of timestamps in the
 *   o.dat and index.db images written later; no rule reads an image's size (they are
 *   rewritten from offset 0 and parsed whole), so it cannot change a verdict. This rule is
 *   what closes the space.
 * - Fresh names are renumbered. Inode numbers (values of `entries`, `inode` fields, keys of
 *   the per-inode tables `inodes` and `sizes`) by first use in the walk (paths are sorted, so
 *   the walk does not depend on the numbers); operation ids (`id` of an issued operation, a
 *   claim's `deps`, `opIds`) by rank among the ids of the operations the state holds: the
 *   model only compares them with those. The counters that hand out fresh names
 *   (`nextInode`, `nextOpId`) are dropped.
 * - The file system's state (model/disk.ts) is encoded like the rest: each in-flight
 *   operation's issue time is a time point (`atMs`, relative to now, so its journal-commit
 *   and writeback deadlines are too), its `journal`, `extends` and `forced` flags as they
 *   are; the deadlines themselves are durations of the file-system profile, which the
 *   horizon covers.
 * - What does not vary in a search (`config`, `profileName`) is left out; the ghost's
 *   `starts` counts only up to 2 (the properties read "restarted or not"), or up to the
 *   bound on starts when there is one.
 *
 * A key ending in `Ms` that none of these rules names is an error: a new clock field must
 * be classified (a point on the clock, or a duration kept as it is), never guessed.
 */
import { getFileSystem, isFileSystemName } from '../model/filesystems.js';

export const TIME_POINT_KEY = /^(?:nowMs|atMs|tsMs|lastWriteMs|\w+AtMs|\w+TsMs)$/;
/** Time points of the message class (see "Old is old"); a checksum's time is one too. */
export const MESSAGE_TIME_KEY = /^(?:tsMs|\w+TsMs)$/;
/** Time points of the o.dat flusher's class. */
export const FLUSH_TIME_KEYS: ReadonlySet<string> = new Set(['lastWriteMs']);
/** Durations held in a state (kept exactly). */
export const DURATION_KEYS: ReadonlySet<string> = new Set(['ms', 'indexFlushPeriodMs']);
export const CHECKSUM_KEY = /^(?:lchk|\w*Checksum)$/;
export const OP_ID_KEYS: ReadonlySet<string> = new Set(['lastOpId', 'opIds', 'deps']);
/** Tables keyed by inode number (the page cache's `sizes` beside every view's `inodes`). */
export const INODE_TABLE_KEYS: ReadonlySet<string> = new Set(['inodes', 'sizes']);
export const DROPPED_KEYS: ReadonlySet<string> = new Set(['config', 'profileName', 'nextInode', 'nextOpId']);

/** How a key's value is encoded; classified once per key name. */
const enum Kind {
  Plain,
  Now,
  Time,
  MessageTime,
  FlushTime,
  Inode,
  OpId,
  Checksum,
  Clamped,
  UnclassifiedMs,
}
const kinds = new Map<string, Kind>();
function kindOf(key: string): Kind {
  let k = kinds.get(key);
  if (k === undefined) {
    if (key === 'nowMs') k = Kind.Now;
    else if (MESSAGE_TIME_KEY.test(key)) k = Kind.MessageTime;
    else if (FLUSH_TIME_KEYS.has(key)) k = Kind.FlushTime;
    else if (TIME_POINT_KEY.test(key)) k = Kind.Time;
    else if (key === 'inode' || key === 'entries') k = Kind.Inode;
    else if (key === 'id#op' || OP_ID_KEYS.has(key)) k = Kind.OpId;
    else if (CHECKSUM_KEY.test(key)) k = Kind.Checksum;
    else if (key === 'starts') k = Kind.Clamped;
    else if (key.endsWith('Ms') && !DURATION_KEYS.has(key)) k = Kind.UnclassifiedMs;
    else k = Kind.Plain;
    kinds.set(key, k);
  }
  return k;
}

function timeClassOf(kind: Kind): number {
  return kind === Kind.MessageTime ? MESSAGE_CLASS : kind === Kind.FlushTime ? FLUSH_CLASS : CLOCK_CLASS;
}

/** Second resolution: the phase of the clock within a second is part of the state. */
export const PHASE_MS = 1000;

export class CanonicalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CanonicalError';
  }
}

/** The horizon of each class of time points (see "Old is old" above). */
export interface TimeHorizons {
  /** Deadlines and in-flight operations' issue times: `timeHorizonMs`. */
  readonly clockMs: number;
  /** Message times: AckWait or MaxAge, the longer, plus a second. */
  readonly messageMs: number;
  /** `lastWriteMs`: the o.dat flusher's minimum interval plus a second. */
  readonly flushMs: number;
}

/** Time classes, as slots and ranks index them. */
export const TIME_CLASSES = 3;
export const CLOCK_CLASS = 0;
export const MESSAGE_CLASS = 1;
export const FLUSH_CLASS = 2;

export function horizonOf(h: TimeHorizons, timeClass: number): number {
  return timeClass === MESSAGE_CLASS ? h.messageMs : timeClass === FLUSH_CLASS ? h.flushMs : h.clockMs;
}

/**
 * Each class's horizon for a store configuration. The durations are read by name: a rule
 * that compares a message time or `lastWriteMs` with now through another duration must be
 * added here, or old times of that class would merge states that rule tells apart.
 */
export function timeHorizons(config: { readonly ackWaitMs: number; readonly maxAgeMs: number; readonly consumerFlushMinIntervalMs: number }): TimeHorizons {
  const clockMs = timeHorizonMs(config);
  return {
    clockMs,
    messageMs: Math.min(clockMs, Math.max(config.ackWaitMs, config.maxAgeMs) + PHASE_MS),
    flushMs: Math.min(clockMs, config.consumerFlushMinIntervalMs + PHASE_MS),
  };
}

/** Every class with one horizon (tests, and encoders of values that are not store states). */
export function uniformHorizons(ms: number): TimeHorizons {
  return { clockMs: ms, messageMs: ms, flushMs: ms };
}

/**
 * The clock class's horizon: every duration of the configuration and of its file system (the
 * journal commit and data writeback deadlines), plus a second.
 */
export function timeHorizonMs(config: object): number {
  let max = 0;
  const durations = (o: object) => {
    for (const [k, v] of Object.entries(o)) if (k.endsWith('Ms') && typeof v === 'number' && v > max) max = v;
  };
  durations(config);
  const fs = (config as { fileSystem?: unknown }).fileSystem;
  if (typeof fs === 'string' && isFileSystemName(fs)) durations(getFileSystem(fs));
  return max + PHASE_MS;
}

/** Sorted key lists, by the object's key list as built (objects of one shape share one). */
const sortedBySignature = new Map<string, string[]>();
function sortedKeys(o: object): string[] {
  const keys = Object.keys(o);
  if (keys.length < 2) return keys;
  const sig = keys.join('\u0001');
  let sorted = sortedBySignature.get(sig);
  if (sorted === undefined) {
    sorted = [...keys].sort();
    if (sortedBySignature.size < 100_000) sortedBySignature.set(sig, sorted);
  }
  return sorted;
}

function checksumTime(s: string): number | null {
  const at = s.lastIndexOf('@');
  if (at < 0) return null;
  const t = s.slice(at + 1);
  return t === 'null' || t === '' ? null : Number(t);
}

/** What the first pass learns: inode numbering, live operation ids, old times. */
interface Names {
  readonly inodes: Map<number, number>;
  readonly opIds: number[];
  /** Per time class. */
  readonly oldTimes: Set<number>[];
}

export class CanonicalEncoder {
  private nowMs = 0;
  private names: Names = { inodes: new Map(), opIds: [], oldTimes: [] };
  private oldRank: Map<number, number>[] = [];
  private readonly horizons: TimeHorizons;
  private out = '';

  private readonly clamped: Readonly<Record<string, number>>;

  /**
   * `horizons`: each time class's (a number: one horizon for every class). `startsCeiling`:
   * the ghost's `starts` is encoded up to this (2: "restarted or not").
   */
  constructor(horizons: TimeHorizons | number, startsCeiling = 2) {
    this.horizons = typeof horizons === 'number' ? uniformHorizons(horizons) : horizons;
    this.clamped = { starts: startsCeiling };
  }

  /** The canonical text of a value whose clock reads `nowMs`. */
  encode(value: unknown, nowMs: number): string {
    this.nowMs = nowMs;
    this.names = { inodes: new Map(), opIds: [], oldTimes: Array.from({ length: TIME_CLASSES }, () => new Set<number>()) };
    this.collect(value, '', false);
    this.names.opIds.sort((a, b) => a - b);
    this.oldRank = this.names.oldTimes.map((old) => new Map([...old].sort((a, b) => a - b).map((t, i) => [t, i + 1])));
    this.out = '';
    this.emit(value, '');
    return this.out;
  }

  private isOld(t: number, timeClass: number): boolean {
    return this.nowMs - t > horizonOf(this.horizons, timeClass);
  }

  private collect(v: unknown, key: string, inEntries: boolean): void {
    if (v === null || typeof v !== 'object') {
      if (typeof v === 'number') {
        const kind = inEntries ? Kind.Inode : kindOf(key);
        if (kind === Kind.Inode) {
          if (!this.names.inodes.has(v)) this.names.inodes.set(v, this.names.inodes.size + 1);
        } else if (kind === Kind.Time || kind === Kind.MessageTime || kind === Kind.FlushTime) {
          const c = timeClassOf(kind);
          if (this.isOld(v, c)) this.names.oldTimes[c]!.add(v);
        }
      } else if (typeof v === 'string' && kindOf(key) === Kind.Checksum) {
        const t = checksumTime(v);
        if (t !== null && this.isOld(t, MESSAGE_CLASS)) this.names.oldTimes[MESSAGE_CLASS]!.add(t);
      }
      return;
    }
    if (Array.isArray(v)) {
      for (const x of v) this.collect(x, key, false);
      return;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.id === 'number' && 'op' in o) this.names.opIds.push(o.id);
    for (const k of sortedKeys(o)) {
      if (DROPPED_KEYS.has(k) || INODE_TABLE_KEYS.has(k)) continue; // numbered by their references
      this.collect(o[k], k, key === 'entries');
    }
    // Inodes no reference reached (none, once collectGarbage ran) keep raw names, after the rest.
    for (const t of INODE_TABLE_KEYS) {
      const table = o[t];
      if (table && typeof table === 'object') for (const k of Object.keys(table)) this.collect((table as Record<string, unknown>)[k], t, false);
    }
  }

  /** Rank of an operation id among the live ones: how many are at most it. */
  private opRank(id: number): number {
    const ids = this.names.opIds;
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ids[mid]! <= id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private time(t: number, timeClass: number): string {
    if (this.isOld(t, timeClass)) return `o${this.oldRank[timeClass]!.get(t)}`;
    return String(t - this.nowMs);
  }

  private inode(n: number): string {
    const r = this.names.inodes.get(n);
    return r === undefined ? `i?${n}` : `i${r}`;
  }

  private emit(v: unknown, key: string): void {
    if (v === null || v === undefined) {
      this.out += '_';
      return;
    }
    switch (typeof v) {
      case 'number':
        switch (kindOf(key)) {
          case Kind.Plain:
          case Kind.Checksum:
            this.out += String(v);
            return;
          case Kind.Now:
            this.out += `p${((v % PHASE_MS) + PHASE_MS) % PHASE_MS}`;
            return;
          case Kind.Time:
          case Kind.MessageTime:
          case Kind.FlushTime:
            this.out += this.time(v, timeClassOf(kindOf(key)));
            return;
          case Kind.Inode:
            this.out += this.inode(v);
            return;
          case Kind.OpId:
            this.out += `r${this.opRank(v)}`;
            return;
          case Kind.Clamped:
            this.out += String(Math.min(v, this.clamped[key] ?? v));
            return;
          case Kind.UnclassifiedMs:
            throw new CanonicalError(`unclassified clock field "${key}": name it a time point or a duration in properties/canonical.ts`);
        }
        return;
      case 'string':
        if (kindOf(key) === Kind.Checksum) {
          const at = v.lastIndexOf('@');
          const t = checksumTime(v);
          this.out += JSON.stringify(t === null || at < 0 ? v : `${v.slice(0, at)}@${this.time(t, MESSAGE_CLASS)}`);
        } else this.out += JSON.stringify(v);
        return;
      case 'boolean':
        this.out += v ? 'T' : 'F';
        return;
      case 'object':
        break;
      default:
        throw new CanonicalError(`cannot encode a ${typeof v} under "${key}"`);
    }
    if (Array.isArray(v)) {
      this.out += '[';
      for (let i = 0; i < v.length; i++) {
        if (i > 0) this.out += ',';
        this.emit(v[i], key);
      }
      this.out += ']';
      return;
    }
    const o = v as Record<string, unknown>;
    const isIssuedOp = typeof o.id === 'number' && 'op' in o;
    this.out += '{';
    let first = true;
    for (const k of sortedKeys(o)) {
      const x = o[k];
      if (x === undefined || DROPPED_KEYS.has(k)) continue;
      if (!first) this.out += ',';
      first = false;
      this.out += `${k}:`;
      if (INODE_TABLE_KEYS.has(k) && x !== null && typeof x === 'object') this.emitInodes(x as Record<string, unknown>);
      else if (key === 'entries') this.emit(x, 'entries');
      else this.emit(x, k === 'id' && isIssuedOp ? 'id#op' : k);
    }
    this.out += '}';
  }

  /** An `inodes` table, keyed by canonical inode names, in their order. */
  private emitInodes(table: Record<string, unknown>): void {
    const rows = Object.keys(table).map((k) => {
      const r = this.names.inodes.get(Number(k));
      return { name: r === undefined ? `i?${k}` : `i${r}`, order: r ?? Number.MAX_SAFE_INTEGER, raw: Number(k), value: table[k] };
    });
    rows.sort((a, b) => a.order - b.order || a.raw - b.raw);
    this.out += '{';
    rows.forEach((r, i) => {
      if (i > 0) this.out += ',';
      this.out += `${r.name}:`;
      this.emit(r.value, 'inodes');
    });
    this.out += '}';
  }
}
