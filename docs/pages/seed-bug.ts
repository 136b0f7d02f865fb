/**
 * docs/seed-bug.md: the WorkQueue reset to 0 at v2.10.22, for an engineer who never read the
 * code: the removal order, the shortest counterexamples of the default check (kill, then
 * power-loss:ext4, the removal-window cause), the seed scenario with the lines the server logs, and the fixes.
 */
import type { Cause } from '../../properties/causes.js';
import { PROFILES } from '../../model/profile.js';
import { PROPERTY_IDS, type PropertyId } from '../../properties/invariants.js';
import type { CrashModel } from '../../properties/alphabet.js';
import { filesView, opLabel, sequenceDiagram } from '../../traces/mermaid.js';
import type { TraceFile } from '../../traces/trace.js';
import { checkResult, code, definePage, ensure, fenced, findStep, lastIndexDbWrite, md, mdTable, opList, plural, slug, stepList, uncutOps, type CheckMatrix, type Figure } from './lib.js';

const PROPERTY: PropertyId = 'stream-not-behind-consumer';
export const SEED_SCENARIO = 'scenarios/conformance/wq-lmb-removal-kill.json';

/** The crash step of a counterexample: the ack whose removeMsgBlock was cut after its unlink. */
function cutRemoval(trace: TraceFile): number {
  const i = findStep(trace, (s) => s.killed && s.event.type !== 'powerLoss');
  ensure(i >= 0, `${trace.title}: no kill point`);
  const s = trace.steps[i]!;
  const last = s.ops[s.ops.length - 1];
  ensure(s.event.type === 'ack' && last?.op.type === 'unlink' && last.fn === 'removeMsgBlock', `${trace.title}: the crash does not cut removeMsgBlock after its unlink`);
  return i;
}

function restartAfter(trace: TraceFile, i: number): number {
  const k = findStep(trace, (s) => s.event.type === 'start', i + 1);
  ensure(k >= 0, `${trace.title}: no restart after step ${i}`);
  return k;
}

/** The counterexample of the check for the seed property under one crash model, with its figures. */
function counterexample(m: CheckMatrix, crash: CrashModel, fig: Figure, cause: Cause = 'removal-window'): { trace: TraceFile; text: string } {
  const r = checkResult(m, PROPERTY, crash);
  const ce = r.causes.find((c) => c.cause === cause) ?? (r.counterexample?.cause === cause ? r.counterexample : undefined);
  ensure(ce, `${PROPERTY} is not violated under ${crash} with cause ${cause}`);
  const trace = ce.trace;
  const name = `check-${slug(crash)}-${PROPERTY}`;
  const text = md(
    `${code(ce.message)} — ${plural(ce.events.length, 'event')}, numbered as in the diagram (cause ${code(cause)}):`,
    stepList(trace),
    fig(name, sequenceDiagram(trace), `The shortest counterexample under ${crash}`),
    fig(`${name}-files`, filesView(trace), `The files at the crash and after the restart (${crash})`),
  );
  return { trace, text };
}

export const seedBugPage = definePage(
  { file: 'seed-bug.md', title: 'The seed bug: a WorkQueue stream resets to sequence 0 (v2.10.22)', summary: 'the lmb removal order in removeMsgBlock, the shortest counterexamples, the seed scenario, the log lines and the fixes' },
  async (ctx, fig) => {
    const m = ctx.check();

    // The shortest counterexample under kill: the ack that empties the last block, cut after the unlink.
    const kill = counterexample(m, 'kill', fig);
    const kt = kill.trace;
    const cut = cutRemoval(kt);
    const full = uncutOps(kt, cut);
    const [unlink, create, tomb] = full;
    ensure(full.length === 3, `the lmb removal issues ${full.length} file operations, not 3`);
    ensure(unlink?.op.type === 'unlink' && create?.op.type === 'create' && create.fn === 'newMsgBlockForWrite', 'the lmb removal no longer unlinks before it creates');
    ensure(tomb?.op.type === 'write' && tomb.op.segment.kind === 'tombstone' && tomb.fn === 'writeTombstone', 'the lmb removal no longer ends with the tombstone');
    const lastSeq = tomb.op.segment.seq;
    const kRestart = restartAfter(kt, cut);
    const kBack = kt.steps[kRestart]!.observation;
    const kConsumer = Object.entries(kBack.consumers)[0];
    ensure(kBack.stream && kConsumer, 'the restart does not bring the stream and a consumer back');
    ensure(kBack.stream.lastSeq === 0, `the stream comes back with LastSeq ${kBack.stream.lastSeq}, not 0`);
    const hadIndexDb = kt.steps[cut]!.observation.files.some((f) => f.path === 'msgs/index.db');
    const silent = kt.steps[kRestart]!.log.length === 0;

    // Under power-loss:ext4 the crash is two events: the same kill point, then the power loss.
    const ordered = counterexample(m, 'power-loss:ext4', fig);
    const ot = ordered.trace;
    const oCut = cutRemoval(ot);
    const loss = ot.steps[oCut + 1];
    ensure(loss?.event.type === 'powerLoss', 'the ordered counterexample has no power loss right after its kill point');
    const keptAll = JSON.stringify(loss.observation.files) === JSON.stringify(ot.steps[oCut]!.observation.files);

    // Every counterexample of the check, and whether it is this same cut.
    const violated = m.runs.flatMap((run) => run.result.results.filter((r) => r.counterexample).map((r) => ({ crash: run.crash, r })));
    void ordered;
    const sameCut = violated.filter(({ r }) => {
      try {
        cutRemoval(r.counterexample!.trace);
        return true;
      } catch {
        return false;
      }
    });
    const others = mdTable(
      ['property', 'crash model', 'events', 'what breaks'],
      violated.map(({ crash, r }) => [`[${code(r.property)}](invariants.md#${r.property})`, code(crash), `${r.counterexample!.events.length} (${r.counterexample!.cause})`, r.counterexample!.message]),
    );

    // The seed scenario: the same cut, later, with index.db written by the 2-minute flush.
    const seed = ctx.scenarioTrace(SEED_SCENARIO);
    const st = seed.trace;
    const sCut = cutRemoval(st);
    const sRestart = restartAfter(st, sCut);
    const idx = lastIndexDbWrite(st, sCut + 1);
    ensure(idx, 'the seed scenario writes no index.db before the crash');
    const sBack = st.steps[sRestart]!.observation;
    const sConsumer = Object.entries(sBack.consumers)[0];
    ensure(sBack.stream && sConsumer, 'the seed scenario restart brings no stream or consumer back');
    const sLog = st.steps[sRestart]!.log;
    ensure(sLog.some((l) => l.includes(`could not locate msg block ${idx.lmbIndex}`)), 'the seed restart does not log "could not locate msg block"');
    const seedViolations = [...new Set(seed.violations.map((v) => v.property))].sort((a, b) => PROPERTY_IDS.indexOf(a as PropertyId) - PROPERTY_IDS.indexOf(b as PropertyId));
    ensure(seedViolations.includes(PROPERTY), `the seed scenario does not break ${PROPERTY}`);
    const sRemoval = uncutOps(st, sCut);
    const idxAt = st.steps.flatMap((s) => s.ops).find((p) => p.op.type === 'write' && p.op.segment.kind === 'indexdb')?.atMs;
    ensure(idxAt !== undefined, 'the seed scenario writes no index.db');
    const expect = JSON.parse(ctx.repoText(SEED_SCENARIO.replace(/\.json$/, '.expect.json'))) as { snapshots?: Record<string, { logIncludes?: string[] }> };
    const expected = Object.values(expect.snapshots ?? {}).flatMap((s) => s.logIncludes ?? []);
    ensure(sLog.length > 0 && sLog.every((l) => expected.includes(l)) && expected.every((l) => sLog.includes(l)), 'the seed restart logs other lines than its conformance expectation lists');
    ensure(st.steps.some((s) => s.event.type === 'store' && s.outcome.seqs?.includes(idx.lastSeq + 1)), `the seed scenario does not store seq ${idx.lastSeq + 1}`);

    const profiles = Object.values(PROFILES).map((p) => `${code(p.name)} (${code(`lmbRemovalOrder: ${p.lmbRemovalOrder}`)}, ${code(`priorLastSeqReuse: ${p.priorLastSeqReuse}`)})`);

    return md(
      `On a WorkQueue stream, nats-server ${code(m.profile)} can come back from a crash with the stream's last sequence reset to 0 while its consumers remember having delivered later sequences. New messages then get sequence numbers that were already used, and the consumer skips them: it waits for a sequence past the one it last delivered. Reported as nats-server issues #6600 and #6881; fixed by PRs #6778 and #6882. The model reproduces it, and the default check finds it as its shortest counterexamples.`,
      `Function names and line numbers below are those of nats-server ${code(m.profile)}'s ${code('server/filestore.go')}, as the model's source comments cite them.`,

      `## Background: where the last sequence lives`,
      [
        `- A stream's messages live in **message blocks**, ${code('msgs/N.blk')}: append-only files of records (messages, and delete tombstones). New messages go to the last one, the **lmb**.`,
        `- ${code('msgs/index.db')} is a snapshot of the stream's state (counts, first and last sequence, the blocks and their ranges). ${code('_writeFullState')} (L7890) rewrites it in place every ${st.config.indexFlushIntervalMs} ms (${code('flushStreamStateLoop')}) and on a clean stop, without an fsync. It may be missing or stale after a crash, so recovery checks it against the blocks.`,
        `- Each consumer keeps its state in ${code('obs/<name>/o.dat')}: the last delivered stream sequence, the ack floor and the pending messages, flushed shortly after each change (${code('consumerFileStore.flushLoop')}).`,
        `- On a **WorkQueue** stream an ack removes the message (${code('fs.removeMsg')}, L3804). When that empties a block, ${code('fs.removeMsgBlock')} (L7446) deletes the block file. Once the messages are gone, the stream's last sequence is recorded nowhere but in index.db, so when the emptied block is the lmb, ${code('removeMsgBlock')} creates a new lmb and writes a **tombstone** for the old last sequence into it: that record is what tells a restart where the stream had got to.`,
      ].join('\n'),

      `## What happens`,
      `In the shortest counterexample, the ack of seq ${lastSeq} empties the lmb ${code(unlink.op.path)}. ${code('removeMsgBlock')} then issues these file operations, in this order (the model replays the ack without its kill point to list them):`,
      opList(full),
      `The old block is unlinked (${code('mb.dirtyCloseWithRemove(true)')}) **before** ${code('newMsgBlockForWrite')} (L3116) creates its replacement and ${code('fs.writeTombstone')} (L5084) records LastSeq ${lastSeq} in it. A process killed after operation 1 — or a machine that loses power with operation 1 on disk and not 2 and 3 — leaves a stream directory with **no block at all**. The consumer's ${code('o.dat')}, written earlier, survives.`,
      `At the next start, ${code('newFileStoreWithCreated')} (L355) finds no block to recover the last sequence from:`,
      [
        `- with no index.db, ${code('recoverMsgs')} (L1850) finds no block file, ${code('newMsgBlockForWrite')} creates an empty one, and the stream starts from LastSeq 0. Nothing is logged: a missing index.db is not a warning.`,
        `- with an index.db that names the lost block, ${code('recoverFullState')} (L1537) logs "could not locate msg block N" and returns ${code('errPriorState')}; the stream is rebuilt from the blocks, which hold nothing. The index.db had recorded that block as empty, so no data counts as lost, and the rule at L457 keeps index.db's LastSeq only when data was lost: the stream again comes back at LastSeq 0.`,
      ].join('\n'),
      `The consumer, restored from ${code('o.dat')}, has delivered past the stream's last sequence. The next message stored gets sequence 1 again — a sequence already handed out — and the consumer, whose next sequence to deliver is past it, never delivers it.`,

      `## The shortest counterexample under ${code('kill')}`,
      `The default check (${code('npm start')}) finds ${code(PROPERTY)} violated under ${code('kill')} in ${plural(kt.steps.length, 'event')}: store one message, deliver it, let the consumer flush ${code('o.dat')}, then ack it with the process killed after the ack's first file operation, and restart. The restart brings the stream back with ${plural(kBack.stream.msgs, 'message')} and LastSeq ${kBack.stream.lastSeq}, while consumer ${kConsumer[0]} has delivered stream sequence ${kConsumer[1].delivered.streamSeq}.${hadIndexDb ? '' : ` There is no index.db yet (its first write is the ${kt.config.indexFlushIntervalMs} ms flush),`}${silent ? ' and the restart logs nothing: an operator sees no warning at all.' : ''}`,
      kill.text,

      `## The shortest counterexample under ${code('power-loss:ext4')} with cause ${code('removal-window')}`,
      `Under a power loss the crash is two events: the kill point (the machine stops there) and the power loss, which keeps what ext4 forced and some of the operations still in flight — a prefix of the journal, and per file a prefix of its writes ([crash models](crash-models.md)). The shortest counterexample of cause ${code('removal-window')} is ${plural(ot.steps.length, 'event')} long: the same cut of ${code('removeMsgBlock')}, then a power loss that ${keptAll ? 'keeps every operation in flight, so the disk holds exactly what the page cache held: the unlink is on disk, the create and the tombstone never happened' : 'keeps a journal prefix that includes the unlink'}. (Shorter counterexamples under power loss have other causes: see the verdict table.)`,
      ordered.text,

      `## Every counterexample of the check is this cut`,
      `${sameCut.length === violated.length ? `All ${violated.length}` : `${sameCut.length} of the ${violated.length}`} counterexamples the default check finds cut ${code('removeMsgBlock')} right after its unlink; they differ in what they observe afterwards:`,
      others,

      `## The seed scenario`,
      `${code(SEED_SCENARIO)} is the bug as first written down: ${st.origin.kind === 'scenario' ? st.origin.source : ''}. It runs longer than the counterexamples so that ${code('index.db')} exists at the crash: the index.db flush (t=${idxAt} ms) writes it while block ${idx.lmbIndex} is the empty lmb (${plural(idx.msgs, 'message')}, LastSeq ${idx.lastSeq}). Then seq ${idx.lastSeq + 1} is stored in block ${idx.lmbIndex}, delivered, flushed to ${code('o.dat')} and acked; the ack's removal is cut after ${code(opLabel(sRemoval[0]!))}.`,
      stepList(st),
      fig('scenario-wq-lmb-removal-kill', sequenceDiagram(st), 'The seed scenario as a trace'),
      fig('scenario-wq-lmb-removal-kill-files', filesView(st), 'The seed scenario: the files at the crash and after the restart'),
      `At the restart the stream comes back with ${plural(sBack.stream.msgs, 'message')}, FirstSeq ${sBack.stream.firstSeq} and LastSeq ${sBack.stream.lastSeq}, and consumer ${sConsumer[0]} with delivered ${sConsumer[1].delivered.streamSeq} and ack floor ${sConsumer[1].ackFloor.streamSeq} (${plural(sConsumer[1].numAckPending, 'message')} pending). Judged as the search judges a run, the scenario breaks ${seedViolations.map((p) => `[${code(p)}](invariants.md#${p})`).join(' and ')}.`,
      `### What the server logs`,
      `The restart logs these lines (warnings: the server prints each as ${code('[WRN] Filestore [<stream>] …')} after its usual pid and time prefix; the stream here is named ${code(st.config.streamName)}). The conformance expectation ${code(SEED_SCENARIO.replace(/\.json$/, '.expect.json'))} lists the same lines (${code('logIncludes')}), derived by hand from the v2.10.22 source:`,
      fenced('text', sLog.map((l) => `[WRN] ${l}`).join('\n')),
      `The first is ${code('recoverFullState')} finding that index.db's last block (${idx.lmbIndex}) has no file; the second is ${code('newFileStoreWithCreated')} reporting that it falls back to rebuilding from the blocks. Neither says that the stream's sequence went back to 0, and the consumer logs nothing either: at ${code(m.profile)} ${code('checkForOrphanMsgs')} runs for Interest streams only. Without index.db (the shortest counterexample) there is no line at all.`,

      `## Fixes`,
      [
        `- **#6778** (v2.10.28, v2.11.2) reorders ${code('removeMsgBlock')} for the lmb: create ${code('N+1.blk')} and write the LastSeq tombstone first, then unlink ${code('N.blk')}. A crash at any point of the removal now leaves a block that records the last sequence. It added the server test ${code('TestFileStoreRemoveMsgBlockFirst')} (scenario ${code('scenarios/conformance/file-store-remove-msg-block-first.json')}).`,
        `- **#6882** (v2.11.4, v2.12.0) makes ${code('newFileStoreWithCreated')} keep index.db's LastSeq (${code('prior.LastSeq')}) whenever it is higher than what the blocks give, not only when data was lost (the L457 rule). It is a second line of defence and only as fresh as index.db: in the shortest counterexample there is no index.db, and in the seed scenario index.db records LastSeq ${idx.lastSeq} while the consumer had delivered ${sConsumer[1].delivered.streamSeq}. It added ${code('TestFileStoreRecoverDoesNotResetStreamState')} (scenario ${code('scenarios/conformance/file-store-recover-does-not-reset-stream-state.json')}).`,
        `- **#6647** (v2.10.28, v2.11.0), related: when index.db's LastSeq is reused for an empty stream, FirstSeq is set to LastSeq+1 as well.`,
      ].join('\n'),
      `In the model each fix is a flag of a version profile (${code('model/profile.ts')}: ${code('lmbRemovalOrder')}, ${code('priorLastSeqReuse')}, ${code('priorReuseSetsFirstSeq')}); a fixed version is one more entry in its ${code('PROFILES')} table. Profiles modelled now: ${profiles.join(', ')}.`,
    );
  },
);
