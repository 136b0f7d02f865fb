/**
 * docs/forward-or-back.md: a consumer found ahead of the stream at start. Is it safer to move
 * the consumer back to the stream (#7692, v2.14.0 `addConsumerWithAssignment` →
 * `reconcileStateWithStream`) or the stream forward to the consumer (the proposed fix
 * consumer-reconcile, model/streamadvance.ts)? Decided by rerunning one workload under both,
 * with every crash choice each profile's own file operations allow, and showing the trace that
 * decides it. Every sentence that states a result is guarded by an `ensure` on the runs.
 */
import { rerunWorkload, type RerunVerdict } from '../../properties/closure.js';
import { exploredConfig } from '../../properties/alphabet.js';
import { STALE_INDEX_EMPTY_BLOCK_WORKLOAD } from '../../properties/fixworkloads.js';
import { PROPERTY_IDS, type PropertyId } from '../../properties/invariants.js';
import { MATRIX_BOUNDS } from '../../properties/matrix.js';
import { sequenceDiagram } from '../../traces/mermaid.js';
import { describeEvent } from '../../traces/describe.js';
import { code, definePage, ensure, judgeRun, md, mdTable, stepList } from './lib.js';

const CRASH = 'power-loss:ext4' as const;
/** The workload stores 3 messages at most (2 before the crash, 1 after). */
const BOUNDS = { ...MATRIX_BOUNDS, maxMsgs: 3 };
const BACK = 'v2.14.5';
const FORWARD = 'v2.14.5+consumer-reconcile';
/** Neither: a release before #7692. */
const NEITHER = 'v2.10.28';

function cell(v: RerunVerdict): string {
  return v.verdict === 'violated' ? `**VIOLATED**: ${v.causes.join(', ')}` : v.verdict;
}

export const forwardOrBackPage = definePage(
  { file: 'forward-or-back.md', title: 'A consumer ahead of the stream: move the consumer back (#7692) or the stream forward?', summary: 'the workload and trace that decide between #7692 and the consumer-reconcile fix' },
  async (_ctx, fig) => {
    const profiles = [NEITHER, BACK, FORWARD, 'v2.10.22+consumer-reconcile'];
    const runs = Object.fromEntries(profiles.map((p) => [p, rerunWorkload(STALE_INDEX_EMPTY_BLOCK_WORKLOAD, p, CRASH, BOUNDS)])) as Record<string, Record<PropertyId, RerunVerdict>>;
    const back = runs[BACK]!;
    const fwd = runs[FORWARD]!;
    ensure(runs[NEITHER]!['stream-not-behind-consumer'].verdict === 'violated', `${NEITHER} no longer leaves the consumer ahead on the deciding workload`);
    ensure(back['stream-not-behind-consumer'].verdict === 'holds', `${BACK}: #7692 no longer keeps stream-not-behind-consumer on the deciding workload`);
    ensure(back['no-sequence-reuse'].verdict === 'violated' && back['no-sequence-reuse'].witness, `${BACK}: #7692 no longer reuses a sequence on the deciding workload`);
    for (const p of ['stream-not-behind-consumer', 'no-sequence-reuse'] as const) ensure(fwd[p].verdict === 'holds', `${FORWARD} does not hold ${p} on the deciding workload (${fwd[p].cause})`);

    const config = exploredConfig(BOUNDS, CRASH);
    const w = back['no-sequence-reuse'].witness;
    const events = w.events.slice(0, w.failedAt + 1);
    const backRun = judgeRun({ config, profile: BACK, events, title: `${BACK}: #7692 moves the consumer back, and a sequence is reused` });
    // The fix changes only what start does, so the same cut (kill point and disk kept) exists under it.
    const fwdRun = judgeRun({ config, profile: FORWARD, events, title: `${FORWARD}: the stream moves forward` });
    ensure(fwdRun.violations.length === 0, `${FORWARD} breaks ${fwdRun.violations[0]?.property} on the deciding run`);
    const lastStart = events.map((e) => e.type).lastIndexOf('start');
    const after = (t: typeof backRun) => {
      const s = t.trace.steps[lastStart]!.observation;
      const published = t.trace.steps.slice(lastStart + 1).flatMap((st) => st.outcome.seqs ?? []);
      return { lastSeq: s.stream?.lastSeq ?? null, delivered: s.consumers.C?.delivered.streamSeq ?? null, ackFloor: s.consumers.C?.ackFloor.streamSeq ?? null, published };
    };
    const b = after(backRun);
    const f = after(fwdRun);
    ensure(b.delivered !== null && f.delivered !== null && b.lastSeq !== null && f.lastSeq !== null, 'the deciding run has no stream or consumer after the restart');
    ensure(b.published.length > 0 && f.published.length > 0, 'the deciding run publishes nothing after the restart');
    ensure(f.lastSeq >= f.delivered, `${FORWARD}: the stream is still behind its consumer after the restart`);

    return md(
      `When recovery brings a stream back below the sequence its consumer has already seen (the reset this project was built to explain), the two can be reconciled in two directions. nats-server's #7692 (v2.14.0, ${code('addConsumerWithAssignment')} → ${code('reconcileStateWithStream')}, profile flag ${code('reconcileConsumerAtStart')}) moves the **consumer back** to the stream's LastSeq. The proposed fix ${code('consumer-reconcile')} (flag ${code('advanceStreamToConsumerAtStart')}, ${code('model/streamadvance.ts')}) moves the **stream forward**: skip records up to the consumer's sequence, fsynced, before the store accepts a write.`,
      `## The deciding workload`,
      `${STALE_INDEX_EMPTY_BLOCK_WORKLOAD.map((s) => (s.kind === 'event' ? `${describeEvent(s.event)}${s.crash ? ' (the crash may cut it anywhere)' : ''}` : 'power loss while down')).join('; ')}. Under ${code(CRASH)} index.db (written at 120 s) is stale and the new block of the last removal can survive empty (#6881). Each profile reruns it with every crash choice its own file operations allow (${code('properties/closure.ts')}), bounds ${BOUNDS.blockSizeBytes}-byte blocks, 1 consumer:`,
      mdTable(['profile', 'reconciles', ...PROPERTY_IDS.map((p) => code(p))], profiles.map((p) => [code(p), p === NEITHER ? 'no' : p.endsWith('+consumer-reconcile') ? 'stream forward' : 'consumer back (#7692)', ...PROPERTY_IDS.map((prop) => cell(runs[p]![prop]))])),
      `## The trace that decides it`,
      `At ${code(BACK)} the first crash choice that breaks ${code('no-sequence-reuse')} (cause ${code(back['no-sequence-reuse'].cause ?? '')}): after the restart the stream is at LastSeq ${b.lastSeq}, the consumer is moved back to delivered ${b.delivered}, and the next publish is given sequence ${b.published.join(', ')}, a sequence a durable, acknowledged message already had.`,
      stepList(backRun.trace),
      fig('forward-or-back-7692', sequenceDiagram(backRun.trace), `${BACK}: #7692 moves the consumer back; the next publish reuses a sequence`),
      `The same events, the same crash choice, under ${code(FORWARD)}: the stream comes back at LastSeq ${f.lastSeq} with the consumer at delivered ${f.delivered}, and the next publish is given ${f.published.join(', ')}. No property breaks.`,
      stepList(fwdRun.trace),
      fig('forward-or-back-forward', sequenceDiagram(fwdRun.trace), `${FORWARD}: the stream moves forward; the next publish gets a new sequence`),
      `## Verdict`,
      `Moving the stream forward is the safer direction. #7692 keeps ${code('stream-not-behind-consumer')} only by moving the consumer, and then hands an acknowledged message's sequence to a new message (${code('no-sequence-reuse')}), which a client that deduplicates or audits by sequence cannot tell apart. Moving the stream forward keeps both properties on every crash choice of this workload. Neither direction recovers the messages between the two LastSeqs; that loss is what the removal fixes (${['atomic-lmb-rotation', 'index-before-unlink'].map((x) => `[${code(x)}](fix-${x}.md)`).join(', ')}) prevent. See also [consumer-reconcile](fix-consumer-reconcile.md) and [the verdict matrix](matrix.md).`,
    );
  },
);
