/**
 * docs/crash-models.md: kill and power-loss:<fs>: the file-system profiles (model/filesystems.ts)
 * and what each keeps, every disk each allows at v2.10.22's last-block removal (replayed through
 * the model) and the causes of violations (pinned-results.ts has #6881 and the pinned results).
 */
import type { ModelEvent } from '../../model/step.js';
import { initialState, step } from '../../model/step.js';
import { observe } from '../../model/observe.js';
import { FILE_SYSTEMS, FILE_SYSTEM_NAMES, type FileSystemName } from '../../model/filesystems.js';
import { CRASH_MODELS, exploredConfig, powerLossChoices, type CrashModel } from '../../properties/alphabet.js';
import { EXPLORED_PAYLOAD_BYTES, EXPLORED_SUBJECT } from '../../properties/alphabet.js';
import { CAUSES, CAUSE_DEFINITIONS } from '../../properties/causes.js';
import { describeKeep } from '../../traces/describe.js';
import { sequenceDiagram } from '../../traces/mermaid.js';
import { code, definePage, ensure, judgeRun, md, mdTable, plural, stepList } from './lib.js';

const S: ModelEvent = { type: 'store', subject: EXPLORED_SUBJECT, payloadBytes: EXPLORED_PAYLOAD_BYTES };
const D: ModelEvent = { type: 'deliver', consumer: 'C' };
/** Everything before the removal made durable on ext4 and xfs (65 s), before the 120 s timers. */
const REMOVAL: ModelEvent[] = [{ type: 'start' }, S, D, { type: 'advance', ms: 200 }, { type: 'advance', ms: 65_000 }, { type: 'ack', consumer: 'C', streamSeq: 1 }];
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
  { file: 'crash-models.md', title: 'Crash models: kill and power loss on ext4, xfs, LazyFS and strict POSIX', summary: 'the file-system profiles, every disk each allows at the last-block removal, and the causes of violations' },
  async (ctx, fig) => {
    const m = ctx.check();
    const window = m.bounds.reorderWindow;
    ensure(CRASH_MODELS.length === 5, 'the crash models changed');

    const removal = judgeRun({ config: exploredConfig(m.bounds, 'power-loss:ext4'), profile: m.profile, events: REMOVAL, title: 'removal' });
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

    return md(
      `A crash model says where a crash may fall and what of the files survives it. ${code('kill')} is a process crash: it may fall between any two file operations of any operation (${code('killAfterFileOps = k')}), and the page cache survives whole. ${code('power-loss:<fs>')} stops the process at such a point and then cuts the power, on a named file system: ${FILE_SYSTEM_NAMES.map((n) => code(`power-loss:${n}`)).join(', ')}. What survives is exactly what the file system's profile allows (${code('model/filesystems.ts')}, ${code('model/powerloss.ts')}), one search branch per distinct disk. The default check runs ${m.crashModels.map((c) => code(c)).join(' and ')}. The old names ${code('power-loss:synced')}, ${code('ordered')} and ${code('reordered')} are gone: ${code('ordered')} was a total-order prefix (ext3 data=journal), and ${code('reordered')} both allowed states no file system produces and missed ones ext4 does.`,
      `## The file-system profiles`,
      `Each operation reaches the page cache at once and is *in flight* until it is *forced*: by fsync, a journal commit, writeback or an O_SYNC write. A power loss keeps what was forced and any choice of the rest that the profile allows. The flags, from ${code('model/filesystems.ts')} (each cites its source there):`,
      mdTable(['', ...FILE_SYSTEM_NAMES.map((n) => code(n))], flagRows()),
      FILE_SYSTEM_NAMES.map((n) => `- ${code(n)}: ${FILE_SYSTEMS[n].summary}. Sources: ${FILE_SYSTEMS[n].sources.join('; ')}.`).join('\n'),
      `Rules of a power loss, on the operations in flight (${code('model/powerloss.ts')}): on ext4 and xfs the journalled operations kept are a prefix in issue order (the journal replays whole transactions, in order); a write survives only with the journalled operations on its file before it; a file's writes survive as a prefix, and the first one lost may come back at its new size reading as zeros (ext4) or with a subset of its 4 KiB pages. LazyFS keeps nothing unforced. POSIX allows any combination; the search enumerates every combination of the newest ${code(`reorderWindow = ${window}`)} after any prefix of the older ones, plus every state ext4, xfs and LazyFS allow, so ${code('posix')} always finds a superset of their violations (${code('model/powerloss.test.ts')} checks it on fixed traces by comparing the sets of surviving disks).`,
      `## What each keeps at the last-block removal`,
      `The trace: a message stored, delivered, o.dat flushed, 65 s of quiet (everything durable on ext4 and xfs), then the ack that empties the last block: ${code('removeMsgBlock')} unlinks ${code('msgs/1.blk')}, creates ${code('msgs/2.blk')} and writes the tombstone for seq 1 into it. Every disk each profile allows if the power fails right then, replayed through the model with the restart after it:`,
      stepList(removal.trace),
      fig('crash-removal', sequenceDiagram(removal.trace), 'The last-block removal whose power-loss outcomes follow'),
      ...perFs.map((p) => md(`### ${code(`power-loss:${p.fs}`)}: ${plural(p.count, 'disk')}`, p.table)),
      `A restart at LastSeq 0 is the reset: on ext4 and xfs through "unlink only" (a commit fell between the unlink and the create) and through the new block surviving empty or as zeros (its data waits for writeback); on LazyFS always; #6778's create-then-unlink order removes "unlink only" but not the empty block; an fsync of the new block before the unlink closes both on ext4 and xfs; strict POSIX also needs an fsync of ${code('msgs/')}.`,
      `## Causes`,
      `Every violation carries a cause, the first of these predicates that holds on its run (${code('properties/causes.ts')}, a pure function any search can call on a counterexample). A deletion fix is judged by ${code('removal-window')} and ${code('empty-block')}; ${code('unsynced-data')} is loss the sync policy allows (every 2 min without ${code('sync: always')}), still shown because users hit it (#5412).`,
      CAUSES.map((c) => `- ${code(c)}: ${CAUSE_DEFINITIONS[c]}.`).join('\n'),
      `The pinned results of the exhaustive search per file system, and #6881 on ext4, are on [their own page](pinned-results.md).`,
    );
  },
);

