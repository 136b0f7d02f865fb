/**
 * docs/crash-models.md: kill and power-loss:<fs>: the file-system profiles (model/filesystems.ts)
 * and what each keeps, every disk each allows at v2.10.22's last-block removal (replayed through
 * the model), the #6881 scenario, the causes of violations, and the pinned results of the
 * exhaustive search per file system.
 */
import type { ModelEvent } from '../../model/step.js';
import { initialState, step } from '../../model/step.js';
import { observe } from '../../model/observe.js';
import { FILE_SYSTEMS, FILE_SYSTEM_NAMES, type FileSystemName } from '../../model/filesystems.js';
import { CRASH_MODELS, exploredConfig, powerLossChoices, type CrashModel } from '../../properties/alphabet.js';
import { EXPLORED_PAYLOAD_BYTES, EXPLORED_SUBJECT } from '../../properties/alphabet.js';
import { CAUSES, CAUSE_DEFINITIONS } from '../../properties/causes.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS, explore } from '../../properties/explore.js';
import { PROPERTY_IDS } from '../../properties/invariants.js';
import { describeKeep } from '../../traces/describe.js';
import { filesView, sequenceDiagram } from '../../traces/mermaid.js';
import { code, definePage, ensure, findStep, judgeRun, md, mdTable, plural, stepList } from './lib.js';

const S: ModelEvent = { type: 'store', subject: EXPLORED_SUBJECT, payloadBytes: EXPLORED_PAYLOAD_BYTES };
const D: ModelEvent = { type: 'deliver', consumer: 'C' };
/** Everything before the removal made durable on ext4 and xfs (65 s), before the 120 s timers. */
const REMOVAL: ModelEvent[] = [{ type: 'start' }, S, D, { type: 'advance', ms: 200 }, { type: 'advance', ms: 65_000 }, { type: 'ack', consumer: 'C', streamSeq: 1 }];
/** The depth of the pinned searches (see cli/check.ts: CHECK_POWER_LOSS_DEPTH). */
export const PINNED_DEPTH = 7;
export const PINNED: readonly { readonly crash: CrashModel; readonly syncAlways: boolean; readonly depth: number }[] = [
  { crash: 'power-loss:ext4', syncAlways: true, depth: PINNED_DEPTH },
  { crash: 'power-loss:xfs', syncAlways: true, depth: PINNED_DEPTH },
  { crash: 'power-loss:ext4', syncAlways: false, depth: PINNED_DEPTH - 1 },
  { crash: 'power-loss:lazyfs', syncAlways: true, depth: PINNED_DEPTH },
  { crash: 'power-loss:lazyfs', syncAlways: false, depth: PINNED_DEPTH },
];

type Files = readonly { readonly path: string; readonly bytes: number }[];
const fileList = (files: Files) => (files.length ? files.map((f) => `${f.path} ${f.bytes} B`).join(', ') : 'no files');

function flagRows(): string[][] {
  const f = (name: FileSystemName) => FILE_SYSTEMS[name];
  const row = (label: string, get: (p: (typeof FILE_SYSTEMS)[FileSystemName]) => string) => [label, ...FILE_SYSTEM_NAMES.map((n) => get(f(n)))];
  return [
    row('create, unlink, rename', (p) => ({ journal: 'journal order', immediate: 'durable at once', unordered: 'any subset' })[p.namespaceOps]),
    row('truncate', (p) => ({ journal: 'journal order', cached: 'cached until fsync', unordered: 'any subset' })[p.truncates]),
    row('journal commit (forced after)', (p) => (p.journalCommitMs === null ? '—' : `${p.journalCommitMs / 1000} s`)),
    row('data writeback (forced after)', (p) => (p.dataWritebackMs === null ? 'never (fsync only)' : `${p.dataWritebackMs / 1000} s`)),
    row('fsync of a file with new metadata', (p) => (p.fsyncCommitsJournal ? 'commits every earlier journalled op' : 'its data only')),
    row('fsync of a directory', (p) => ({ journal: 'commits the journal', entries: 'its entries', nothing: '— (already durable)' })[p.fsyncDir]),
    row('truncate then rewrite', (p) => ({ 'next-commit': 'joins the journal (auto_da_alloc)', 'best-effort': 'plain data (best-effort flush)', none: 'plain data' })[p.truncateRewriteFlush]),
    row('append read back as zeros', (p) => (p.zeroFilledAppends ? 'yes' : 'no')),
    row('torn 4 KiB pages', (p) => (p.tornPages ? 'yes' : 'no')),
    row('a file\'s writes', (p) => (p.perFileWriteOrder ? 'a prefix, after its metadata' : 'any subset')),
  ];
}

export const crashModelsPage = definePage(
  { file: 'crash-models.md', title: 'Crash models: kill and power loss on ext4, xfs, LazyFS and strict POSIX', summary: 'the file-system profiles, every disk each allows at the last-block removal, #6881, the causes of violations and the pinned results' },
  async (ctx, fig) => {
    const m = ctx.check();
    const window = m.bounds.reorderWindow;
    ensure(CRASH_MODELS.length === 5, 'the crash models changed');

    // Every disk each profile allows after the removal's unlink, create and tombstone write.
    const perFs = FILE_SYSTEM_NAMES.map((fs) => {
      const config = exploredConfig({ ...m.bounds, consumers: 1 }, `power-loss:${fs}`);
      let ms = initialState(config, m.profile);
      for (const e of REMOVAL) ms = step(ms, e).state;
      const choices = powerLossChoices(`power-loss:${fs}` as CrashModel, ms.disk, window);
      const rows = choices.map((keep) => {
        const lost = step(ms, { type: 'powerLoss', keep });
        const back = step(lost.state, { type: 'start' });
        const st = back.state.proc?.store.state;
        return [describeKeep(keep), fileList(observe(lost.state).files.filter((f) => f.path.endsWith('.blk'))), st ? `LastSeq ${st.lastSeq}` : '—'];
      });
      return { fs, count: choices.length, table: mdTable(['the power loss keeps', 'blocks after it', 'the restart recovers'], rows) };
    });

    // #6881 on ext4: the conformance scenario.
    const sc = ctx.scenarioTrace('scenarios/conformance/power-loss-ext4-empty-lmb.json');
    const loss = findStep(sc.trace, (st) => st.event.type === 'powerLoss');
    const after = sc.trace.steps[loss]!.observation.files;
    const back = sc.trace.steps[findStep(sc.trace, (st) => st.event.type === 'start', loss)]!.observation.stream;
    ensure(back && back.lastSeq === 0, 'the #6881 scenario does not come back at LastSeq 0');
    ensure(after.some((f) => f.path.endsWith('.blk') && f.bytes === 0) && after.filter((f) => f.path.endsWith('.blk')).length === 1, 'the #6881 scenario does not leave one empty block');

    // The pinned results: exhaustive, default bounds but depth PINNED_DEPTH, all properties.
    const props = PROPERTY_IDS.filter((p) => p !== 'consumer-keeps-delivering' && p !== 'clean-restart-identity');
    const pinned = PINNED.map(({ crash, syncAlways, depth }) => {
      const r = explore({ profile: m.profile, properties: props, crash, mode: 'exhaustive', bounds: { ...DEFAULT_EXHAUSTIVE_BOUNDS, depth, syncAlways }, seed: 0, runs: 0, stopEarly: false, byCause: true });
      return { crash, syncAlways, depth, r };
    });
    const pinnedTable = mdTable(
      ['crash model', 'sync always', 'depth', ...props.map((p) => code(p))],
      pinned.map(({ crash, syncAlways, depth, r }) => [code(crash), syncAlways ? 'yes' : 'no', String(depth), ...r.results.map((x) => (x.verdict === 'violated' ? `VIOLATED: ${x.causes.map((c) => `${c.cause} ${c.events.length}`).join(', ')}` : x.verdict))]),
    );
    const ext4Sync = pinned[0]!.r.results.find((x) => x.property === 'stream-not-behind-consumer')!;
    const zeroCauses = ext4Sync.causes.filter((c) => c.cause !== 'removal-window');
    const zeroTrace = zeroCauses[0]?.trace;

    return md(
      `A crash model says where a crash may fall and what of the files survives it. ${code('kill')} is a process crash: it may fall between any two file operations of any operation (${code('killAfterFileOps = k')}), and the page cache survives whole. ${code('power-loss:<fs>')} stops the process at such a point and then cuts the power, on a named file system: ${FILE_SYSTEM_NAMES.map((n) => code(`power-loss:${n}`)).join(', ')}. What survives is exactly what the file system's profile allows (${code('model/filesystems.ts')}, ${code('model/powerloss.ts')}), one search branch per distinct disk. The default check runs ${m.crashModels.map((c) => code(c)).join(' and ')}. The old names ${code('power-loss:synced')}, ${code('ordered')} and ${code('reordered')} are gone: ${code('ordered')} was a total-order prefix (ext3 data=journal), and ${code('reordered')} both allowed states no file system produces and missed ones ext4 does.`,
      `## The file-system profiles`,
      `Each operation reaches the page cache at once and is *in flight* until it is *forced*: by fsync, a journal commit, writeback or an O_SYNC write. A power loss keeps what was forced and any choice of the rest that the profile allows. The flags, from ${code('model/filesystems.ts')} (each cites its source there):`,
      mdTable(['', ...FILE_SYSTEM_NAMES.map((n) => code(n))], flagRows()),
      FILE_SYSTEM_NAMES.map((n) => `- ${code(n)}: ${FILE_SYSTEMS[n].summary}. Sources: ${FILE_SYSTEMS[n].sources.join('; ')}.`).join('\n'),
      `Rules of a power loss, on the operations in flight (${code('model/powerloss.ts')}): on ext4 and xfs the journalled operations kept are a prefix in issue order (the journal replays whole transactions, in order); a write survives only with the journalled operations on its file before it; a file's writes survive as a prefix, and the first one lost may come back at its new size reading as zeros (ext4) or with a subset of its 4 KiB pages. LazyFS keeps nothing unforced. POSIX allows any combination; the search enumerates every combination of the newest ${code(`reorderWindow = ${window}`)} after any prefix of the older ones, plus every state ext4, xfs and LazyFS allow, so ${code('posix')} always finds a superset of their violations (${code('model/powerloss.test.ts')} checks it on fixed traces by comparing the sets of surviving disks).`,
      `## What each keeps at the last-block removal`,
      `The trace: a message stored, delivered, o.dat flushed, 65 s of quiet (everything durable on ext4 and xfs), then the ack that empties the last block: ${code('removeMsgBlock')} unlinks ${code('msgs/1.blk')}, creates ${code('msgs/2.blk')} and writes the tombstone for seq 1 into it. Every disk each profile allows if the power fails right then, replayed through the model with the restart after it:`,
      stepList(judgeRun({ config: exploredConfig(m.bounds, 'power-loss:ext4'), profile: m.profile, events: REMOVAL, title: 'removal' }).trace),
      ...perFs.map((p) => md(`### ${code(`power-loss:${p.fs}`)}: ${plural(p.count, 'disk')}`, p.table)),
      `A restart at LastSeq 0 is the reset: on ext4 and xfs through "unlink only" (a commit fell between the unlink and the create) and through the new block surviving empty or as zeros (its data waits for writeback); on LazyFS always; #6778's create-then-unlink order removes "unlink only" but not the empty block; an fsync of the new block before the unlink closes both on ext4 and xfs; strict POSIX also needs an fsync of ${code('msgs/')}.`,
      `## nats-server #6881 on ext4`,
      `The conformance scenario ${code('power-loss-ext4-empty-lmb')} reaches #6881's state: after the power loss the only block is ${fileList(after.filter((f) => f.path.endsWith('.blk')))} and index.db is stale; the restart comes back at LastSeq ${back.lastSeq}.`,
      stepList(sc.trace),
      fig('crash-ext4-6881', sequenceDiagram(sc.trace), '#6881 on ext4: the trace'),
      fig('crash-ext4-6881-files', filesView(sc.trace), '#6881 on ext4: the files at the power loss and after the restart'),
      `## Causes`,
      `Every violation carries a cause, the first of these predicates that holds on its run (${code('properties/causes.ts')}, a pure function any search can call on a counterexample). A deletion fix is judged by ${code('removal-window')} and ${code('empty-block')}; ${code('unsynced-data')} is loss the sync policy allows (every 2 min without ${code('sync: always')}), still shown because users hit it (#5412).`,
      CAUSES.map((c) => `- ${code(c)}: ${CAUSE_DEFINITIONS[c]}.`).join('\n'),
      `## Pinned results`,
      `At ${code(m.profile)}, exhaustive, all properties, default bounds (${DEFAULT_EXHAUSTIVE_BOUNDS.maxMsgs} messages, ${DEFAULT_EXHAUSTIVE_BOUNDS.maxCrashes} crash, ${DEFAULT_EXHAUSTIVE_BOUNDS.consumers} consumer, ${DEFAULT_EXHAUSTIVE_BOUNDS.blockSizeBytes}-byte blocks) but the depth in the table (depth 9 under power loss takes longer than the check can afford; see ${code('cli/check.ts')}; ext4 without sync always at depth 6, which holds the runs it pins). Each violation lists its causes with the length of the shortest counterexample of each (${code('properties/filesystems.test.ts')} pins the same):`,
      pinnedTable,
      `What the issue expected, and what the model finds:`,
      [
        `- ${code('sync always')} under ${code('power-loss:ext4')}: expected only ${code('removal-window')} for ${code('stream-not-behind-consumer')} and ${code('no-stored-loss')} holding. The model finds ${code('removal-window')} (the same cut a kill makes, now including a cut between the tombstone write and its fsync), and also ${zeroCauses.map((c) => `${code(c.cause)} (${c.events.length} events)`).join(' and ') || 'nothing else'}: a store killed between its write and its fsync, and a power loss that keeps the appended size but not the data (ext4 with dioread_nolock, the crash-semantics page). The zero tail ends in 8 zero bytes, which is the all-zero ${code('lchk')} that index.db records for an empty last block, so ${code('recoverFullState')} accepts a stale index.db (${code('stale-index')}); or the scan truncates at the zeros, ${code('rebuildStateLocked')} returns before a tombstone-only block takes its range from its tombstone, the block is deleted as empty and the stream loses a durable, fsynced tombstone (${code('truncated-tail')}). Neither is a removal; the expectation missed zero-filled appends. Under ${code('power-loss:xfs')}, which logs the size only at I/O completion, only ${code('removal-window')} remains.`,
        `- without ${code('sync always')} under ${code('power-loss:ext4')}: the empty-block reset of #6881 (cause ${code('empty-block')}), and ${code('unsynced-data')}: the shortest counterexample keeps the o.dat rewrite and loses an unsynced message record, with no block removed.`,
        `- ${code('power-loss:lazyfs')}: the empty-block reset with and without ${code('sync always')} (with it, through the kill point between the create and the tombstone: cause ${code('removal-window')}, since the fsync would have made the tombstone durable).`,
      ].join('\n'),
      zeroTrace ? md(`The shortest non-removal counterexample under ${code('sync always')} on ext4:`, stepList(zeroTrace)) : '',
    );
  },
);

