/**
 * The disk's crash rules: which states a power loss may leave under each file-system profile
 * (filesystems.ts). `checkKeep` says whether a choice is one the profile allows (a scenario or
 * a trace may name any); `powerLossChoices` enumerates, in a fixed order and without two
 * choices leaving the same disk, the choices the search explores.
 *
 * Rules, on the in-flight operations that are not forced (forced ones always survive):
 * - J1, journal prefix (ext4, xfs): the journalled operations kept are a prefix of them in
 *   issue order; they are kept whole.
 * - J2, a file's writes follow its metadata (ext4, xfs): a write survives (whole or in part)
 *   only if every journalled operation on its file issued before it survives.
 * - J3, per-file write order (ext4, xfs, LazyFS): a file's other writes survive as a prefix in
 *   issue order, and only the first write after that prefix may survive in part. Page by page
 *   writeback of an append-only file can keep a later page without an earlier one, but the
 *   earlier page then holds zeros or old bytes, recovery (`rebuildStateLocked`) truncates the
 *   block at the first bad record, and the result is the same as keeping the prefix and
 *   zero-filling the next write; index.db and o.dat are single writes of under 4 KiB.
 * - P, partial writes: a write may survive at its new size reading as zeros only where the
 *   profile has `zeroFilledAppends` and the write made the file longer; with some but not all
 *   of its 4 KiB pages only where it has `tornPages` and the write covers two pages or more.
 * - L, LazyFS: nothing unforced survives (namespace operations were durable at issue).
 * - POSIX: only P. The search enumerates every combination when at most `reorderWindow`
 *   operations are in flight; with more, any prefix of the older ones with any combination
 *   of the newest `reorderWindow` (ALICE's exploration), together with every state J1–J3
 *   allow when create, unlink, rename, truncate and truncate-and-rewrite writes are read as
 *   journalled, and LazyFS's state: so posix's states contain those of ext4, xfs and LazyFS.
 */
import { getFileSystem, type FileSystemProfile } from './filesystems.js';
import { fatesOf, isNamespaceOp, opInode, pagesOf, survivingView, unforced, type Disk, type FileOp, type InFlightOp, type OpFate, type PowerLossKeep } from './disk.js';

export interface KeepCheck {
  readonly fates: ReadonlyMap<number, OpFate> | null;
  /** Why the choice is malformed or not allowed; null when allowed. */
  readonly error: string | null;
}

const kept = (f: OpFate | undefined) => f !== undefined && f.kind !== 'drop';

/** Whether a partial write is one the profile allows (rule P). */
function partialAllowed(fs: FileSystemProfile, o: InFlightOp, pages: readonly number[]): string | null {
  if (o.op.type !== 'write') return `#${o.id} is not a write`;
  const all = pagesOf(o.op);
  if (pages.length === 0) {
    if (!fs.zeroFilledAppends) return `${fs.name} never leaves an append reading as zeros (#${o.id})`;
    if (!o.extends) return `#${o.id} did not make its file longer, so it cannot come back as zeros`;
    return null;
  }
  if (!fs.tornPages) return `${fs.name} does not tear writes (#${o.id})`;
  if (all.length < 2) return `#${o.id} lies within one 4 KiB page and cannot be torn`;
  if (pages.length >= all.length) return `#${o.id} keeps every page: keep it whole`;
  return null;
}

/** Check a choice against the profile's rules; see the header. */
export function checkKeep(fsName: FileSystemProfile['name'], disk: Disk, keep: PowerLossKeep): KeepCheck {
  const fs = getFileSystem(fsName);
  const fates = fatesOf(disk, keep);
  if (typeof fates === 'string') return { fates: null, error: fates };
  const ops = unforced(disk);
  const fail = (e: string): KeepCheck => ({ fates: null, error: `not a state ${fs.name} can leave: ${e}` });
  for (const o of ops) {
    const f = fates.get(o.id)!;
    if (f.kind === 'partial') {
      const why = partialAllowed(fs, o, f.pages);
      if (why) return fail(why);
    }
  }
  if (fs.namespaceOps === 'immediate' || fs.truncates === 'cached') {
    // L: LazyFS's clear-cache drops every unforced write and truncate.
    const survivor = ops.find((o) => kept(fates.get(o.id)));
    if (survivor) return fail(`operation #${survivor.id} was not fsynced, and clear-cache drops it`);
    return { fates, error: null };
  }
  if (!fs.perFileWriteOrder) return { fates, error: null }; // POSIX: only P
  const why = journalRuleViolation(ops, fates, (o) => o.journal);
  return why ? fail(why) : { fates, error: null };
}

/** J1–J3 with `isJournal` naming the journalled operations; null when they hold. */
function journalRuleViolation(ops: readonly InFlightOp[], fates: ReadonlyMap<number, OpFate>, isJournal: (o: InFlightOp) => boolean): string | null {
  let droppedJournal: InFlightOp | null = null;
  for (const o of ops) {
    if (!isJournal(o)) continue;
    const f = fates.get(o.id)!;
    if (f.kind === 'partial') return `#${o.id} is journalled and survives whole or not at all`;
    if (f.kind === 'drop') droppedJournal ??= o;
    else if (droppedJournal) return `journalled #${o.id} kept while the earlier journalled #${droppedJournal.id} is lost (the journal keeps a prefix)`;
  }
  const lostFrom = new Map<number, InFlightOp>(); // inode -> first of its other writes not kept whole
  for (const o of ops) {
    if (isJournal(o)) continue;
    const inode = opInode(o.op as FileOp);
    if (inode === null) continue;
    const f = fates.get(o.id)!;
    if (f.kind === 'drop') {
      if (!lostFrom.has(inode)) lostFrom.set(inode, o);
      continue;
    }
    const missing = ops.find((j) => isJournal(j) && j.id < o.id && opInode(j.op as FileOp) === inode && fates.get(j.id)!.kind === 'drop');
    if (missing) return `#${o.id} survives without #${missing.id}, the journalled change to its file before it`;
    const gap = lostFrom.get(inode);
    if (gap) return `#${o.id} survives while #${gap.id}, an earlier write to the same file, does not (a file's writes survive as a prefix)`;
    if (f.kind === 'partial') lostFrom.set(inode, o);
  }
  return null;
}

// ---- Enumeration --------------------------------------------------------------------------

type Fates = Map<number, OpFate>;

/** The partial variants rule P allows for a write. */
function partialVariants(fs: FileSystemProfile, o: InFlightOp): OpFate[] {
  if (o.op.type !== 'write') return [];
  const out: OpFate[] = [];
  if (fs.zeroFilledAppends && o.extends) out.push({ kind: 'partial', pages: [] });
  const pages = pagesOf(o.op);
  if (fs.tornPages && pages.length >= 2) {
    for (let mask = 1; mask < (1 << pages.length) - 1; mask++) out.push({ kind: 'partial', pages: pages.filter((_, i) => (mask >> i) & 1) });
  }
  return out;
}

function product(options: readonly Fates[][]): Fates[] {
  let acc: Fates[] = [new Map()];
  for (const opts of options) {
    const next: Fates[] = [];
    for (const a of acc) for (const b of opts) next.push(new Map([...a, ...b]));
    acc = next;
  }
  return acc;
}

/** Every fate assignment J1–J3 and P allow, with `isJournal` naming the journalled operations. */
function journalChoices(fs: FileSystemProfile, ops: readonly InFlightOp[], isJournal: (o: InFlightOp) => boolean): Fates[] {
  const journal = ops.filter(isJournal);
  const others = ops.filter((o) => !isJournal(o));
  const inodes: number[] = [];
  for (const o of others) {
    const i = opInode(o.op as FileOp);
    if (i !== null && !inodes.includes(i)) inodes.push(i);
  }
  const out: Fates[] = [];
  for (let j = 0; j <= journal.length; j++) {
    const base: Fates = new Map();
    journal.forEach((o, i) => base.set(o.id, { kind: i < j ? 'keep' : 'drop' }));
    const metadataKept = (w: InFlightOp) => journal.every((o, i) => i < j || o.id > w.id || opInode(o.op as FileOp) !== opInode(w.op as FileOp));
    const perInode = inodes.map((inode) => {
      const ws = others.filter((o) => opInode(o.op as FileOp) === inode);
      const opts: Fates[] = [];
      for (let k = 0; k <= ws.length; k++) {
        if (k > 0 && !metadataKept(ws[k - 1]!)) break;
        const prefix: Fates = new Map(ws.map((w, i) => [w.id, { kind: i < k ? 'keep' : 'drop' }] as const));
        opts.push(prefix);
        const next = ws[k];
        if (next && metadataKept(next)) for (const v of partialVariants(fs, next)) opts.push(new Map([...prefix, [next.id, v]]));
      }
      return opts;
    });
    for (const f of product(perInode)) out.push(new Map([...base, ...f]));
  }
  // Operations on no inode (none today) are dropped.
  for (const f of out) for (const o of ops) if (!f.has(o.id)) f.set(o.id, { kind: 'drop' });
  return out;
}

/** POSIX within the window: every combination of fates of the newest `window`, after any prefix of the older ones. */
function windowChoices(fs: FileSystemProfile, ops: readonly InFlightOp[], window: number): Fates[] {
  const w = Math.min(window, ops.length);
  const older = ops.slice(0, ops.length - w);
  const newest = ops.slice(ops.length - w);
  const perOp = newest.map((o) => [{ kind: 'drop' } as OpFate, { kind: 'keep' } as OpFate, ...partialVariants(fs, o)].map((f) => new Map([[o.id, f]]) as Fates));
  const tails = product(perOp);
  const out: Fates[] = [];
  const prefixCounts = w === ops.length ? [0] : Array.from({ length: older.length + 1 }, (_, c) => c);
  for (const c of prefixCounts) {
    const head: Fates = new Map(older.map((o, i) => [o.id, { kind: i < c ? 'keep' : 'drop' }] as const));
    for (const t of tails) out.push(new Map([...head, ...t]));
  }
  return out;
}

/** Read as journalled on a file system that journals them (posix's superset of ext4 and xfs). */
function asIfJournalled(ops: readonly InFlightOp[]): (o: InFlightOp) => boolean {
  return (o) => {
    if (isNamespaceOp(o.op) || o.op.type === 'truncate') return true;
    if (o.op.type !== 'write') return false;
    // A rewrite after a truncate to 0 of the same file (auto_da_alloc).
    const before = ops.filter((x) => x.id < o.id && opInode(x.op as FileOp) === opInode(o.op as FileOp));
    let t = before.length - 1;
    while (t >= 0 && before[t]!.op.type === 'write') t--;
    const last = t >= 0 ? before[t]!.op : null;
    return last !== null && last.type === 'truncate' && last.sizeBytes === 0;
  };
}

/** A canonical text of a surviving view, for deduplication: entries by path with their content. */
export function viewKey(disk: Disk, fates: ReadonlyMap<number, OpFate>): string {
  const v = survivingView(disk, fates);
  return JSON.stringify(Object.keys(v.entries).sort().map((p) => [p, v.inodes[v.entries[p]!] ?? []]));
}

function toKeep(ops: readonly InFlightOp[], fates: ReadonlyMap<number, OpFate>): PowerLossKeep {
  const keptIds = ops.filter((o) => fates.get(o.id)?.kind === 'keep').map((o) => o.id);
  const partial = ops.flatMap((o) => {
    const f = fates.get(o.id);
    return f?.kind === 'partial' ? [{ opId: o.id, pages: f.pages }] : [];
  });
  if (partial.length === 0) {
    if (keptIds.length === 0) return { kind: 'synced' };
    if (keptIds.length === ops.length) return { kind: 'all' };
    if (keptIds.every((id, i) => ops[i]!.id === id)) return { kind: 'prefix', count: keptIds.length };
    return { kind: 'subset', opIds: keptIds };
  }
  return { kind: 'subset', opIds: keptIds, partial };
}

/**
 * The power-loss choices the search explores on this disk under a profile: each leaves a
 * different disk, in a fixed order (fewest operations kept first, within the enumeration's order).
 */
export function powerLossChoices(fsName: FileSystemProfile['name'], disk: Disk, reorderWindow: number): PowerLossKeep[] {
  const fs = getFileSystem(fsName);
  const ops = unforced(disk);
  let candidates: Fates[];
  if (fs.namespaceOps === 'immediate' || fs.truncates === 'cached') {
    candidates = [new Map(ops.map((o) => [o.id, { kind: 'drop' }] as const))];
  } else if (fs.perFileWriteOrder) {
    candidates = journalChoices(fs, ops, (o) => o.journal);
  } else {
    candidates = windowChoices(fs, ops, reorderWindow);
    if (ops.length > reorderWindow) {
      candidates.push(...journalChoices(getFileSystem('ext4'), ops, asIfJournalled(ops)));
      candidates.push(new Map(ops.map((o) => [o.id, { kind: isNamespaceOp(o.op) ? 'keep' : 'drop' }] as const)));
    }
  }
  const seen = new Set<string>();
  const out: PowerLossKeep[] = [];
  for (const f of candidates) {
    const key = viewKey(disk, f);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(toKeep(ops, f));
  }
  return out;
}
