/**
 * docs/pinned-results.md: #6881 on ext4 (a conformance scenario) and the pinned results of the
 * exhaustive search per file system (the same runs properties/filesystems.test.ts pins).
 */
import { DEFAULT_EXHAUSTIVE_BOUNDS, explore } from '../../properties/explore.js';
import { PROPERTY_IDS } from '../../properties/invariants.js';
import type { CrashModel } from '../../properties/alphabet.js';
import { filesView, sequenceDiagram } from '../../traces/mermaid.js';
import { code, definePage, ensure, findStep, md, mdTable, stepList } from './lib.js';

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

export const pinnedResultsPage = definePage(
  { file: 'pinned-results.md', title: 'Pinned results per file system, and #6881 on ext4', summary: 'what the exhaustive search finds under each file system with and without sync always, by cause' },
  async (ctx, fig) => {
    const m = ctx.check();
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
      `How the [crash models](crash-models.md) judge v2.10.22, file system by file system.`,
      `## nats-server #6881 on ext4`,
      `The conformance scenario ${code('power-loss-ext4-empty-lmb')} reaches #6881's state: after the power loss the only block is ${fileList(after.filter((f) => f.path.endsWith('.blk')))} and index.db is stale; the restart comes back at LastSeq ${back.lastSeq}.`,
      stepList(sc.trace),
      fig('crash-ext4-6881', sequenceDiagram(sc.trace), '#6881 on ext4: the trace'),
      fig('crash-ext4-6881-files', filesView(sc.trace), '#6881 on ext4: the files at the power loss and after the restart'),
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
