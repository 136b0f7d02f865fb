/**
 * docs/matrix.md: the verdict matrix of `npm start` (every release and proposed fix, every
 * property, kill and power-loss:ext4), the cost of each profile, which profiles close which
 * counterexample, and what the matrix says about the fix history.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIX_BASES, FIX_NAMES, FIX_PROFILE_NAMES, PROFILE_NAMES } from '../../model/profile.js';
import { closeCorpus, corpusRef, rerunWorkload, type CounterexampleRef } from '../../properties/closure.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS } from '../../properties/explore.js';
import { MIN_TOMBSTONE_WORKLOAD } from '../../properties/fixworkloads.js';
import { loadTraceFile } from '../../traces/validate.js';
import { CAUSE_DEFINITIONS, CAUSES, REMOVAL_CAUSES } from '../../properties/causes.js';
import { PROPERTY_IDS } from '../../properties/invariants.js';
import type { MatrixResult, MatrixRow } from '../../properties/matrix.js';
import { crashBoundsText, verdictCell } from '../../cli/matrix.js';
import { code, definePage, ensure, md, mdTable } from './lib.js';

/** traces/corpus/: the default check's counterexamples (`npm run corpus`). */
const CORPUS_DIR = join(import.meta.dirname, '..', '..', 'traces', 'corpus');

function corpusRefs(): CounterexampleRef[] {
  return readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const ref = corpusRef(f.replace(/\.json$/, ''), loadTraceFile(join(CORPUS_DIR, f)));
      ensure(ref, `traces/corpus/${f} names no crash model, violation or cause`);
      return ref;
    });
}

function row(m: MatrixResult, profile: string, crash: string, property: string): MatrixRow | undefined {
  return m.rows.find((r) => r.profile === profile && r.crash === crash && r.property === property);
}

function removalCauses(m: MatrixResult, profile: string, crash: string): string[] {
  return [...new Set(m.rows.filter((r) => r.profile === profile && r.crash === crash).flatMap((r) => r.causes.map((c) => c.cause)).filter((c) => REMOVAL_CAUSES.includes(c)))];
}

/** What the matrix says about one release on the seed property, in words. */
function seedVerdict(m: MatrixResult, profile: string, crash: string): string {
  const r = row(m, profile, crash, 'stream-not-behind-consumer');
  if (!r) return 'not checked';
  return r.verdict === 'violated' ? `violated (${r.causes.map((c) => c.cause).join(', ')})` : r.verdict;
}

export const matrixPage = definePage(
  { file: 'matrix.md', title: 'The verdict matrix: releases and proposed fixes', summary: 'every release and proposed fix against every property under kill and power-loss:ext4, their costs, and which fix closes which counterexample' },
  async (ctx) => {
    const m = ctx.matrix();
    const crashes = [...new Set(m.rows.map((r) => r.crash))];
    const profiles = [...new Set(m.rows.map((r) => r.profile))];
    const sections: string[] = [
      `${code('npm start')} (${code('npx tsx cli/main.ts check')}) runs one exhaustive search per profile and crash model that checks all ${PROPERTY_IDS.length} properties at once and keeps, for every cause of a violation, its shortest counterexample. Bounds: ${crashes.map((c) => `${code(c)} ${crashBoundsText(m, c)}`).join('; ')} (under ${code('kill')} a profile's search runs to its fixpoint when its timers are deterministic; with timer jitter the index.db ticker's drawn period walks its phase against the 2-minute sync timer, the space does not close at these bounds, and the search stops at the depth cap). Each search below was ${m.runs.every((r) => r.complete) ? 'complete within them' : 'incomplete for some profiles'}; nothing is claimed beyond them. ${REMOVAL_CAUSES.map((c) => code(c)).join(' and ')} count against the removal protocol; ${code('unsynced-data')} is loss the 2-minute sync policy allows.`,
    ];
    for (const crash of crashes) {
      sections.push(`### ${code(crash)}`, mdTable(['profile', ...PROPERTY_IDS.map((p) => code(p))], profiles.map((p) => [code(p), ...PROPERTY_IDS.map((prop) => verdictCell(row(m, p, crash, prop)!))])));
      const runs = m.runs.filter((r) => r.crash === crash);
      sections.push(`States explored per search: ${runs.map((r) => `${code(r.profile)} ${r.statesExplored}${r.complete ? ' (complete)' : ''}`).join(', ')}.`);
    }

    sections.push(
      '## Cost',
      'The standard WorkQueue workload: publish one message, deliver it, ack it, then 1 s of model time with every timer running; 1000 times. Counted from the file operations the model issues (start-up and shutdown not counted). Every ack empties the last block, so each cycle also pays one removal of the lmb.',
      mdTable(['profile', 'fsyncs/1000', 'file ops/1000', 'dir fsyncs/1000', 'bytes/1000', 'per last-block removal'], m.costs.map((c) => [code(c.profile), String(c.fsyncsPer1000), String(c.fileOpsPer1000), String(c.dirFsyncsPer1000), String(c.bytesPer1000), `${c.perLastBlockRemoval.fileOps} ops, ${c.perLastBlockRemoval.fsyncs} fsyncs, ${c.perLastBlockRemoval.dirFsyncs} dir fsyncs`])),
    );

    const ids = [...new Set(m.closure.map((c) => c.trace))];
    sections.push(
      '## Which fix closes which counterexample',
      "Each counterexample's client workload is rerun under every other profile with every crash choice that profile's own file operations allow at the same points (the operations differ, so the old cut is not replayed), and with every timer jitter of a start the profile allows. A profile that refuses an event of the workload gets `vacuous` (\"does not apply\"), not a verdict.",
      ids.length === 0
        ? 'No counterexample within the bounds.'
        : mdTable(
            ['counterexample', 'still violated by', 'closed by', 'does not apply to'],
            ids.map((id) => {
              const es = m.closure.filter((c) => c.trace === id);
              return [
                code(id),
                es.filter((e) => e.verdict === 'violated').map((e) => `${code(e.profile)} (${e.cause})`).join(', ') || '—',
                es.filter((e) => e.verdict === 'holds').map((e) => code(e.profile)).join(', ') || '—',
                es.filter((e) => e.verdict === 'vacuous').map((e) => code(e.profile)).join(', ') || '—',
              ];
            }),
          ),
    );

    const refs = corpusRefs();
    const corpusBases = [...new Set(refs.map((r) => r.profile))];
    const corpusClosure = closeCorpus(refs, [...corpusBases, ...FIX_PROFILE_NAMES], DEFAULT_EXHAUSTIVE_BOUNDS);
    const entry = (id: string, p: string) => corpusClosure.find((c) => c.trace === id && c.profile === p);
    for (const r of refs) ensure(entry(r.id, r.profile)?.verdict === 'violated', `traces/corpus/${r.id}.json no longer breaks ${r.property} when its workload is rerun under ${r.profile}`);
    const corpusCell = (id: string, p: string) => {
      const e = entry(id, p);
      if (!e) return '—';
      return e.verdict === 'violated' ? `**${e.cause}**` : e.verdict;
    };
    sections.push(
      '## The corpus against every fix',
      `${code('traces/corpus/')} holds the shortest counterexample of each cause the single-profile default check finds at ${corpusBases.map((p) => code(p)).join(', ')} (${code('npm run corpus')}: exhaustive, ${DEFAULT_EXHAUSTIVE_BOUNDS.maxMsgs} messages, larger depth than the matrix). Each is rerun here under every proposed fix with every crash choice the fix's own file operations allow at the same points; a cell names the first cause (in the order of the causes below) by which some choice still breaks the property, or says it holds. A fix that closes one cause can leave another.`,
      mdTable(
        ['counterexample', 'property', ...corpusBases.map((b) => `${code(b)} (rerun)`), ...FIX_NAMES.map((f) => `${code(f)} (${FIX_BASES.join(' / ')})`)],
        refs.map((r) => [code(r.id), code(r.property), ...corpusBases.map((b) => corpusCell(r.id, b)), ...FIX_NAMES.map((f) => FIX_BASES.map((b) => corpusCell(r.id, `${b}+${f}`)).join(' / '))]),
      ),
    );

    const has = (p: string) => profiles.includes(p);
    const hist: string[] = [];
    if (has('v2.10.22')) hist.push(`At ${code('v2.10.22')} the seed property is ${seedVerdict(m, 'v2.10.22', 'kill')} under ${code('kill')}: the old lmb is unlinked before its replacement exists.`);
    if (has('v2.10.28')) hist.push(`#6778 (${code('v2.10.28')}) creates the new block and its tombstone first: under ${code('kill')} the seed property is ${seedVerdict(m, 'v2.10.28', 'kill')}${crashes.includes('power-loss:ext4') ? `, but under ${code('power-loss:ext4')} it is ${seedVerdict(m, 'v2.10.28', 'power-loss:ext4')}: the new block's creation reaches the journal while its tombstone waits for writeback (#6881)` : ''}.`);
    if (has('v2.11.4')) hist.push(`#6882 (${code('v2.11.4')}) keeps index.db's LastSeq without lost data (${code('power-loss:ext4')}: ${seedVerdict(m, 'v2.11.4', 'power-loss:ext4')}); it helps only as far as index.db is fresh, and it is written every 2 minutes.`);
    if (has('v2.11.11')) {
      const minRule = PROFILE_NAMES.map((p) => ({ p, v: rerunWorkload(MIN_TOMBSTONE_WORKLOAD, p, 'kill', { ...m.rows[0]!.bounds, maxMsgs: 3 })['stream-not-behind-consumer'] }));
      const broken = minRule.filter((x) => x.v.verdict === 'violated');
      ensure(broken.every((x) => x.v.causes.includes('tombstone-rule')), 'the minimum-tombstone workload breaks a release by another cause');
      hist.push(`#7123 and #7384 (${code('v2.11.11')}) detect missing blocks and take the largest tombstone. The minimum-tombstone rollback needs 3 messages, beyond these bounds; its workload (reference section 8: ack 3 replaces the lmb with a tombstone, ack 1 appends one, a kill anywhere in the second ack) rerun under every release breaks ${code('stream-not-behind-consumer')} with ${code('tombstone-rule')} at ${broken.map((x) => code(x.p)).join(', ') || 'none'} and holds at ${minRule.filter((x) => x.v.verdict === 'holds').map((x) => code(x.p)).join(', ') || 'none'}.`);
    }
    if (has('v2.14.5')) {
      const broken = (c: string) => m.rows.filter((r) => r.profile === 'v2.14.5' && r.crash === c && r.verdict === 'violated').map((r) => `${code(r.property)} (${r.causes.map((k) => k.cause).join(', ')})`);
      hist.push(`Within these bounds ${code('v2.14.5')} ${crashes.map((c) => `under ${code(c)} ${broken(c).length ? `breaks ${broken(c).join(', ')}` : 'holds every property'}`).join(', and ')}. Its #7692 reset of a consumer ahead of the stream hides a reset rather than preventing it: with a stale index.db and an empty new block (2 messages, beyond these bounds) the consumer is moved back and the next publish reuses an acknowledged sequence ([forward or back?](forward-or-back.md)).`);
    }
    const rot = FIX_PROFILE_NAMES.filter((p) => p.endsWith('+atomic-lmb-rotation') && has(p));
    if (rot.length) hist.push(`The project's ${code('atomic-lmb-rotation')} (${rot.map((p) => code(p)).join(', ')}) fsyncs the new block before the unlink: ${rot.map((p) => `${code(p)} shows ${crashes.map((c) => `${removalCauses(m, p, c).length ? removalCauses(m, p, c).join(', ') : 'no removal cause'} under ${code(c)}`).join(' and ')}`).join('; ')}, for ${m.costs.find((c) => c.profile === rot[0])?.perLastBlockRemoval.fsyncs ?? '?'} fsync per lmb replacement.`);
    sections.push('## What it says about the fix history', hist.join(' '), '## Causes', CAUSES.map((c) => `- ${code(c)}: ${CAUSE_DEFINITIONS[c]}`).join('\n'), `Releases: ${PROFILE_NAMES.map((p) => code(p)).join(', ')}. Proposed fixes: each on its own page, linked from the [index](README.md).`);
    return md(...sections);
  },
);
