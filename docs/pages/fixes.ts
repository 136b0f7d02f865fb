/**
 * docs/fix-<name>.md, one page per proposed fix (model/profile.ts FIXES): its mechanism (the
 * flags it sets and the file operations it issues, from a run of the model), the counterexample
 * it closes (a matrix counterexample of its base release that the closure reran under the fix
 * without a violation, or, beyond the matrix bounds, a fixed workload), and its cost.
 */
import { makeConfig } from '../../model/config.js';
import { FIX_BASES, FIX_PROFILE_NAMES, FIXES, FLAG_DOCS, fixOf, getProfile, type FixName, type ProfileFlags } from '../../model/profile.js';
import type { ModelEvent } from '../../model/step.js';
import { exploredConfig, type CrashModel } from '../../properties/alphabet.js';
import { rerunWorkload, type WorkloadStep } from '../../properties/closure.js';
import { MIN_TOMBSTONE_WORKLOAD, STALE_INDEX_EMPTY_BLOCK_WORKLOAD } from '../../properties/fixworkloads.js';
import { counterexampleId, type MatrixResult } from '../../properties/matrix.js';
import type { PropertyId } from '../../properties/invariants.js';
import { sequenceDiagram } from '../../traces/mermaid.js';
import type { TraceFile } from '../../traces/trace.js';
import { code, definePage, ensure, judgeRun, md, mdTable, opList, stepList, type Figure, type PageFn } from './lib.js';

const STORE: ModelEvent = { type: 'store', subject: 'foo', payloadBytes: 10 };
const DELIVER: ModelEvent = { type: 'deliver', consumer: 'C' };
const FLUSH: ModelEvent = { type: 'advance', ms: 100 };

/** The run whose last step shows the fix's file operations, and what that step is. */
function illustration(fix: FixName): { events: ModelEvent[]; what: string } {
  const lmbAck: ModelEvent[] = [{ type: 'start' }, STORE, DELIVER, FLUSH, { type: 'ack', consumer: 'C', streamSeq: 1 }];
  switch (fix) {
    case 'durable-last-seq':
      return { events: [{ type: 'start' }, STORE, STORE, STORE, DELIVER, DELIVER, DELIVER, FLUSH, { type: 'ack', consumer: 'C', streamSeq: 3 }, { type: 'ack', consumer: 'C', streamSeq: 1 }, { type: 'kill' }, { type: 'start' }], what: 'the start after a kill that left 3.blk holding tombstones 3 and 1 (reference section 8)' };
    case 'consumer-reconcile':
      return { events: [{ type: 'start' }, STORE, DELIVER, FLUSH, { type: 'ack', consumer: 'C', streamSeq: 1, killAfterFileOps: 1 }, { type: 'start' }], what: "the start after v2.10.22's removal window (the old block unlinked, no new one), with o.dat at delivered 1" };
    default:
      return { events: lmbAck, what: 'an ack that empties the last block (the lmb is replaced)' };
  }
}

/** The fixed workload that decides a fix beyond the matrix bounds, if it has one. */
function fixedWorkload(fix: FixName): { workload: readonly WorkloadStep[]; crash: CrashModel; base: string; property: PropertyId; text: string } | null {
  if (fix === 'durable-last-seq') return { workload: MIN_TOMBSTONE_WORKLOAD, crash: 'kill', base: 'v2.10.22', property: 'stream-not-behind-consumer', text: 'the minimum-tombstone workload of reference section 8 (3 messages, beyond the matrix bounds)' };
  if (fix === 'consumer-reconcile') return { workload: STALE_INDEX_EMPTY_BLOCK_WORKLOAD, crash: 'power-loss:ext4', base: 'v2.14.5', property: 'no-sequence-reuse', text: 'a stale index.db and an empty new block under ext4 power loss (2 messages and the 120 s ticker, beyond the matrix bounds)' };
  return null;
}

/** A counterexample of the matrix that the fix closes: one of its base release's, shortest first. */
function closedCounterexample(m: MatrixResult, fixProfile: string): { id: string; trace: TraceFile } | null {
  const base = fixOf(fixProfile)!.base;
  const closed = new Set(m.closure.filter((c) => c.profile === fixProfile && c.verdict === 'holds').map((c) => c.trace));
  const candidates = m.rows
    .filter((r) => r.profile === base)
    .flatMap((r) => r.causes.map((c) => ({ id: counterexampleId(r, c.cause), trace: c.trace, length: c.length })))
    .filter((c) => closed.has(c.id))
    .sort((a, b) => a.length - b.length || (a.id < b.id ? -1 : 1));
  return candidates[0] ?? null;
}

function flagRows(profile: string): string[][] {
  const p = getProfile(profile) as unknown as Record<string, unknown>;
  const b = getProfile(fixOf(profile)!.base) as unknown as Record<string, unknown>;
  return FLAG_DOCS.filter((d) => p[d.flag] !== b[d.flag]).map((d) => [code(d.flag as keyof ProfileFlags), code(String(b[d.flag])), code(String(p[d.flag])), d.models]);
}

function fixPage(fix: FixName): PageFn {
  const def = FIXES[fix];
  return definePage({ file: `fix-${fix}.md`, title: `Proposed fix: ${fix}`, summary: def.summary }, async (ctx, fig: Figure) => {
    const m = ctx.matrix();
    const profiles = FIX_PROFILE_NAMES.filter((p) => fixOf(p)!.fix === fix);
    const sections: string[] = [];
    sections.push(`**Mechanism.** ${def.summary}. It is a row of named flags in ${code('model/profile.ts')}, built on ${FIX_BASES.map((b) => code(b)).join(' and ')}: ${profiles.map((p) => code(p)).join(', ')}.`);
    for (const p of profiles) sections.push(`Flags ${code(p)} changes from ${code(fixOf(p)!.base)}:`, mdTable(['flag', 'release', 'fix', 'what it switches'], flagRows(p)));

    const ill = illustration(fix);
    const config = makeConfig({ retention: 'workqueue', blockSizeBytes: fix === 'durable-last-seq' ? 128 : 1 << 20, consumers: ['C'] });
    const opsOf = (profile: string) => judgeRun({ config, profile, events: ill.events, title: `${fix} illustration` }).trace.steps.at(-1)!.ops;
    const base = profiles[0]!;
    sections.push(`**File operations** of ${ill.what}, at ${code(fixOf(base)!.base)}:`, opList(opsOf(fixOf(base)!.base)) || '(none)', `and at ${code(base)}:`, opList(opsOf(base)) || '(none)');

    const fixed = fixedWorkload(fix);
    // consumer-reconcile is judged against #7692 on v2.14.5: its fixed workload is the trace that decides it.
    const closed = fix === 'consumer-reconcile' ? null : closedCounterexample(m, base);
    if (closed) {
      sections.push(
        `**The counterexample it closes** (${code(closed.id)}, from the matrix): rerun under ${code(base)} with every crash choice its own file operations allow at the same points, no run breaks ${code(closed.trace.violation?.property ?? '')}.`,
        stepList(closed.trace),
        fig(`fix-${fix}-closes`, sequenceDiagram(closed.trace), `The ${fixOf(base)!.base} counterexample ${base} closes`),
      );
    } else if (fixed) {
      const before = rerunWorkload(fixed.workload, fixed.base, fixed.crash, { ...m.rows[0]!.bounds, maxMsgs: 3 })[fixed.property];
      const after = rerunWorkload(fixed.workload, `${fixed.base}+${fix}`, fixed.crash, { ...m.rows[0]!.bounds, maxMsgs: 3 })[fixed.property];
      ensure(before.verdict === 'violated' && before.witness, `${fix}: ${fixed.base} no longer violates ${fixed.property} on its fixed workload`);
      ensure(after.verdict === 'holds', `${fix}: ${fixed.base}+${fix} does not hold ${fixed.property} on its fixed workload (${after.cause})`);
      const judged = judgeRun({ config: exploredConfig({ ...m.rows[0]!.bounds, maxMsgs: 3 }, fixed.crash), profile: fixed.base, events: before.witness.events, title: `${fix}: the run it closes` });
      sections.push(
        fix === 'consumer-reconcile'
          ? `**The counterexample it closes**, and the one that decides between moving the stream forward and #7692's moving the consumer back: ${fixed.text}. At ${code(fixed.base)} the first run that breaks ${code(fixed.property)} (cause ${code(before.cause ?? '')}):`
          : `**The counterexample it closes**: within the matrix bounds ${code(base)} closes no counterexample its base release shows there; it is decided by ${fixed.text}. At ${code(fixed.base)} the first run that breaks ${code(fixed.property)} (cause ${code(before.cause ?? '')}):`,
        stepList(judged.trace),
        fig(`fix-${fix}-closes`, sequenceDiagram(judged.trace), `The ${fixed.base} run ${fixed.base}+${fix} closes`),
        `Under ${code(`${fixed.base}+${fix}`)} no crash choice of that workload breaks ${code(fixed.property)}.`,
      );
    } else {
      sections.push(`**The counterexample it closes**: none of ${code(fixOf(base)!.base)}'s counterexamples within the matrix bounds is closed by ${code(base)}.`);
    }
    if (fix === 'consumer-reconcile') {
      sections.push(`**Forward or back?** Whether moving the stream forward is safer than #7692's moving the consumer back is decided on [its own page](forward-or-back.md), by the workload above rerun under both and the trace that separates them.`);
    }

    const idsClosed = (p: string) => [...new Set(m.closure.filter((c) => c.profile === p && c.verdict === 'holds').map((c) => c.trace))];
    const idsOpen = (p: string) => m.closure.filter((c) => c.profile === p && c.verdict === 'violated').map((c) => `${code(c.trace)} (${c.cause})`);
    for (const p of profiles) {
      if (!m.costs.some((c) => c.profile === p)) continue;
      sections.push(`Under ${code(p)}, of the matrix's counterexamples of other profiles: closed ${idsClosed(p).length}, still violated ${idsOpen(p).length}${idsOpen(p).length ? `: ${idsOpen(p).join(', ')}` : ''}.`);
    }

    const costRows = profiles.flatMap((p) => [fixOf(p)!.base, p]).filter((p, i, a) => a.indexOf(p) === i).map((p) => m.costs.find((c) => c.profile === p)).filter((c) => c !== undefined);
    sections.push(
      `**Cost** on the standard WorkQueue workload (publish, deliver, ack, 1 s of timers; 1000 times), counted from the model's file operations:`,
      mdTable(['profile', 'fsyncs/1000', 'file ops/1000', 'dir fsyncs/1000', 'bytes/1000', 'per last-block removal'], costRows.map((c) => [code(c.profile), String(c.fsyncsPer1000), String(c.fileOpsPer1000), String(c.dirFsyncsPer1000), String(c.bytesPer1000), `${c.perLastBlockRemoval.fileOps} ops, ${c.perLastBlockRemoval.fsyncs} fsyncs, ${c.perLastBlockRemoval.dirFsyncs} dir fsyncs`])),
    );
    return md(...sections);
  });
}

export const FIX_PAGES: readonly PageFn[] = (Object.keys(FIXES) as FixName[]).map(fixPage);
