/**
 * docs/invariants.md: the six properties: id, claim, what each does and does not claim (with
 * the ghost's rules), its verdict under each checked crash model, and a trace that shows it.
 */
import type { ModelEvent } from '../../model/step.js';
import { exploredConfig } from '../../properties/alphabet.js';
import { EXPLORED_PAYLOAD_BYTES, EXPLORED_SUBJECT } from '../../properties/alphabet.js';
import { PROPERTIES, PROPERTY_IDS, type PropertyId } from '../../properties/invariants.js';
import { sequenceDiagram } from '../../traces/mermaid.js';
import { checkResult, code, definePage, ensure, judgeRun, md, mdTable, plural, slug, stepList, verdictCell } from './lib.js';

/** What each property does and does not claim, beyond its one-line claim. */
const SCOPE: Readonly<Record<PropertyId, { claims: string; notClaims: string }>> = {
  'stream-not-behind-consumer': {
    claims: "At the moment a restart completes, the stream's LastSeq is at least every consumer's delivered stream sequence and its ack floor. A stream behind its consumer hands out sequences the consumer believes it has passed.",
    notClaims: 'Nothing about the messages themselves (that is no-stored-loss), nothing before the first restart, nothing later in the run. It compares two things recovered from disk (the blocks and o.dat), not a promise to a client, so the ghost does not weaken it under power loss.',
  },
  'no-sequence-reuse': {
    claims: 'A sequence the server returned from a store is never returned for another message by a store after a restart.',
    notClaims: "A store cut by a crash promised nothing (the client never got its sequence). Under power loss a sequence whose record write — or any operation issued before it — the power loss dropped is forgotten: the server does not fsync each write, so reusing that sequence is the persistence model's, by design.",
  },
  'no-acked-redelivery': {
    claims: 'Once an ack was processed and its removal completed, the message is not delivered again after a restart.',
    notClaims: "An ack cut by a crash promised nothing. Under power loss the claim holds only if the ack's file operations and everything issued before them survived. Redelivery of unacked messages (AckWait) is at-least-once delivery working, not a violation.",
  },
  'no-stored-loss': {
    claims: 'A stored message that was not acked is still in the store after a restart (LoadMsg would find it).',
    notClaims: 'A store cut by a crash promised nothing. Under power loss only messages whose record write, and every operation before it, survived are owed. Acked messages may go (WorkQueue removes them).',
  },
  'consumer-keeps-delivering': {
    claims: 'Right after a restart, a message stored then is delivered to every consumer: the check stores one probe message and lets each consumer deliver (enough times to reach it), and again after AckWait.',
    notClaims: 'Nothing about order or about earlier messages; the probe runs beside the explored run at each restart and does not change it.',
  },
  'clean-restart-identity': {
    claims: "A clean stop followed by a start gives back exactly the stream's message count, bytes, first and last sequence and deleted count.",
    notClaims: "Nothing about crashes, nor about consumers' state; a stop cut by a kill point is not a clean stop.",
  },
};

const S: ModelEvent = { type: 'store', subject: EXPLORED_SUBJECT, payloadBytes: EXPLORED_PAYLOAD_BYTES };
const D: ModelEvent = { type: 'deliver', consumer: 'C' };
const ack = (seq: number): ModelEvent => ({ type: 'ack', consumer: 'C', streamSeq: seq });
const CLEAN: readonly ModelEvent[] = [{ type: 'start' }, S, S, D, ack(1), { type: 'stop' }, { type: 'start' }];
const KILLED: readonly ModelEvent[] = [{ type: 'start' }, S, S, D, ack(1), { type: 'kill' }, { type: 'start' }];

/** A run of the explored stream that reaches each property's precondition (shown when the property holds). */
const WITNESS: Readonly<Record<PropertyId, readonly ModelEvent[]>> = {
  'stream-not-behind-consumer': CLEAN,
  'no-sequence-reuse': [...CLEAN, S],
  'no-acked-redelivery': [{ type: 'start' }, S, S, D, D, ack(1), { type: 'kill' }, { type: 'start' }, D],
  'no-stored-loss': KILLED,
  'consumer-keeps-delivering': KILLED,
  'clean-restart-identity': CLEAN,
};

export const invariantsPage = definePage(
  { file: 'invariants.md', title: 'The six properties', summary: 'each property: its claim, what it does and does not claim, its verdicts and a trace that shows it' },
  async (ctx, fig) => {
    const m = ctx.check();
    const config = exploredConfig(m.bounds);
    const sections = PROPERTY_IDS.map((id) => {
      const p = PROPERTIES[id];
      const results = m.crashModels.map((c) => ({ crash: c, r: checkResult(m, id, c) }));
      const verdicts = mdTable(
        ['crash model', 'verdict', 'shortest counterexample', 'precondition reached'],
        results.map(({ crash, r }) => [code(crash), r.verdict === 'violated' ? '**violated**' : r.verdict, r.counterexample ? plural(r.counterexample.events.length, 'event') : '—', `${r.reached} times`]),
      );
      const violated = results.find(({ r }) => r.counterexample);
      let shown: string;
      if (violated) {
        const ce = violated.r.counterexample!;
        const others = results.filter((x) => x !== violated && x.r.counterexample).map((x) => `under ${code(x.crash)}: ${code(x.r.counterexample!.message)} (${plural(x.r.counterexample!.events.length, 'event')})`);
        shown = md(
          `**Violated.** The shortest counterexample under ${code(violated.crash)}: ${code(ce.message)}${id === 'stream-not-behind-consumer' ? ' (this is [the seed bug](seed-bug.md))' : ''}.${others.length ? ` Also ${others.join('; ')}.` : ''}`,
          stepList(ce.trace),
          fig(`check-${slug(violated.crash)}-${id}`, sequenceDiagram(ce.trace), `${id}: the shortest counterexample under ${violated.crash}`),
        );
      } else {
        const witness = judgeRun({ config, profile: m.profile, events: WITNESS[id], title: `${id}: a run that reaches its precondition` });
        ensure((witness.reached[id] ?? 0) > 0, `the witness run of ${id} does not reach its precondition`);
        ensure(!witness.violations.some((v) => v.property === id), `the witness run of ${id} violates it`);
        const reached = results.map(({ crash, r }) => `${r.reached} times under ${code(crash)}`).join(' and ');
        const verdict = results.every(({ r }) => r.verdict === 'holds') ? '**Holds**' : `**${results.map(({ crash, r }) => `${r.verdict} under ${code(crash)}`).join(', ')}**`;
        shown = md(
          `${verdict} within the bounds: the search reached its precondition (${p.precondition}) ${reached}, and no run broke it. A run that reaches the precondition (the explored stream, by hand), with the property judged along it as the search judges it:`,
          stepList(witness.trace),
          fig(`witness-${id}`, sequenceDiagram(witness.trace), `${id}: a run that reaches its precondition and keeps the property`),
        );
      }
      return md(
        `## ${id}`,
        [`- **Claim:** ${p.claim}.`, `- **Checked at:** ${p.precondition} (the precondition; a property whose precondition the search never reached is reported vacuous).`, `- **It claims:** ${SCOPE[id].claims}`, `- **It does not claim:** ${SCOPE[id].notClaims}`].join('\n'),
        verdicts,
        shown,
      );
    });

    return md(
      `Each property (${code('properties/invariants.ts')}) is one small pure function with a stable id and a one-line claim. The search checks every property on every step of every run; a property applies only on the steps that reach its precondition, and the number of times a precondition was reached is reported with each verdict. Verdicts below are those of the default check (${code('npm start')}): profile ${code(m.profile)}, exhaustive, under ${m.crashModels.map((c) => code(c)).join(' and ')} ([crash models](crash-models.md)).`,
      mdTable(
        ['property', 'claim', ...m.crashModels.map((c) => code(c))],
        PROPERTY_IDS.map((id) => [`[${code(id)}](#${id})`, PROPERTIES[id].claim, ...m.crashModels.map((c) => verdictCell(checkResult(m, id, c)))]),
      ),
      `## The ghost: what clients were told`,
      `Properties about promises compare what the server recovered with what it had told its clients. That record, the **ghost** (${code('properties/ghost.ts')}), is kept beside the model state and updated only from what each step returned (its event, outcome and file operations), never from the model's internals:`,
      [
        `- a **store** promises its sequence only when it completed (StoreMsg returned): a store cut by a kill point promises nothing. Each stored message gets the ghost's own identity (1, 2, … in store order), and its promise depends on exactly what it needs: its record write, the earlier writes and truncates of its block file, and the block's create, as far as these are still in flight;`,
        `- an **ack** removes the message from the unacked set at once, and counts as acked only when it completed and issued file operations; it depends on the in-flight operations of its removal. ${code('no-acked-redelivery')} compares identities, so a new message that reuses an acked sequence after a reset is not a redelivery (it is ${code('no-sequence-reuse')}'s violation);`,
        `- a **clean stop** remembers the stream as it was just before it (for clean-restart-identity);`,
        `- a **kill** drops nothing: the page cache survives a process crash, so every promise stands;`,
        `- a **power loss** drops every promise one of whose dependencies it lost (or kept only in part). Such a loss is the file system's, by design of the sync policy (the server does not fsync each write); a lost rewrite of another file (index.db, o.dat) drops nothing. Every violation also carries a cause ([crash models](crash-models.md#causes)).`,
      ].join('\n'),
      ...sections,
    );
  },
);
