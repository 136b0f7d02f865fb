/**
 * docs/trace-format.md: the `filestore-trace/2` JSON format, field by field (traces/trace.ts),
 * with a deterministically truncated excerpt of a real trace. Every field table is typed as a
 * record over the type's keys, so a field added to the format fails `tsc` until it is documented.
 */
import type { StoreConfig } from '../../model/config.js';
import type { Delivery } from '../../model/consumer.js';
import type { FileOpType, PowerLossKeep } from '../../model/disk.js';
import type { PerformedOp } from '../../model/io.js';
import type { BlockObservation, ConsumerObservation, Observation, StreamObservation } from '../../model/observe.js';
import type { Segment } from '../../model/records.js';
import type { ModelEventType, StepOutcome } from '../../model/step.js';
import type { TimerFiring } from '../../model/timers.js';
import { serializeTrace, TRACE_FORMAT, type TraceFile, type TraceOrigin, type TraceStep, type TraceViolation } from '../../traces/trace.js';
import { MAX_ACK_SEQ, MAX_ADVANCE_MS, MAX_BYTES, MAX_COUNT, MAX_DURATION_MS, MAX_KILL_AFTER_FILE_OPS, MAX_LIST_ITEMS, MAX_OP_ID, MAX_PAGE, MAX_SEQ, MAX_TIMER_INTERVAL_MS, MAX_TRACE_FILE_BYTES, MAX_TRACE_STEPS, MIN_BLOCK_SIZE_BYTES, MIN_TIMER_INTERVAL_MS } from '../../schemas/limits.js';
import { code, definePage, ensure, fenced, findStep, md, mdTable, plural } from './lib.js';

type Doc<T> = Readonly<Record<keyof T, string>>;

const TRACE_FILE: Doc<TraceFile> = {
  $schema: `Optional and ignored: the JSON Schema the file follows, for editors (${code('schemas/trace.schema.json')}).`,
  format: `Always ${code(TRACE_FORMAT)}; a reader rejects anything else.`,
  profile: `The server version profile the run used (e.g. ${code('v2.10.22')}); replay needs it.`,
  config: 'The whole store configuration (below), so a trace replays without defaults.',
  origin: 'Where the trace came from (below).',
  title: 'One line for listings and diagram titles.',
  violation: `${code('null')}, or the property the run breaks (below).`,
  steps: 'One entry per event, in order (below).',
};

const CONFIG: Doc<StoreConfig> = {
  streamName: `Stream name, as in log lines (${code('Filestore [TEST] …')}).`,
  accountName: 'Account name, as in consumer log lines.',
  retention: `${code('limits')}, ${code('workqueue')} or ${code('interest')}.`,
  blockSizeBytes: 'Block size: the last block rolls when the next record would exceed it.',
  maxAgeMs: 'MaxAge; 0: no age limit.',
  maxMsgsPerSubject: 'MaxMsgsPer; 0: no per-subject limit.',
  syncAlways: `${code('sync: always')}: fsync after every block write, O_SYNC for index.db and o.dat.`,
  syncIntervalMs: 'Period of the sync timer (syncBlocks).',
  indexFlushIntervalMs: 'Period of the index.db write (flushStreamStateLoop).',
  consumerFlushMinIntervalMs: 'At most one o.dat write per this period (flushLoop).',
  ackWaitMs: 'AckWait: a pending message is redelivered after this.',
  consumers: 'Durable explicit-ack consumers, by name, in declaration order.',
  fileSystem: 'The file system under the store (ext4, xfs, lazyfs, posix): what a power loss keeps and when time forces it (model/filesystems.ts).',
};

const ORIGIN: Readonly<Record<TraceOrigin['kind'], string>> = {
  explore: `Found by the search: ${code('mode')} (${code('random')} or ${code('exhaustive')}), ${code('crash')} (the crash model), ${code('seed')} (random mode; ${code('null')} for exhaustive) and, for random mode, ${code('path')} (the fast-check path that replays the run).`,
  scenario: `A scenario file replayed: its ${code('name')} and ${code('source')} (what it was taken from).`,
  manual: 'Built by hand from explicit events.',
};

const VIOLATION: Doc<TraceViolation> = {
  property: 'The property id (see [the properties](invariants.md)).',
  message: 'What broke, in one line.',
  step: `The step after which the property failed, counted from 1 (the first entry of ${code('steps')} is step 1), as every output of this project counts steps.`,
  cause: `Why, when the search classified it: ${code('removal-window')}, ${code('empty-block')}, ${code('tombstone-rule')}, ${code('stale-index')}, ${code('truncated-tail')}, ${code('unsynced-data')}, ${code('ack-past-pointer')} or ${code('other')} (see [the crash models](crash-models.md#causes)).`,
};

const STEP: Doc<TraceStep> = {
  event: 'The event (below), with every crash and persistence choice in it, so the trace replays.',
  ops: 'The file operations the step issued, in order (below).',
  log: 'The warnings the server logged during the step, in order.',
  logAfterOps: `For each log line, how many of ${code('ops')} had been performed when it was logged.`,
  timers: `The timers that fired (an ${code('advance')}): ${code('timer')} (${code('sync')}, ${code('indexFlush')}, ${code('consumerFlush:<name>')} or ${code('maxAge')}), ${code('atMs')} and ${code('opsBefore')}.`,
  killed: 'The process died in or at the end of this step (a kill point, a kill or a power loss).',
  completed: 'The event ran to its end: its kill point, if any, was not reached mid-way.',
  outcome: 'What the operation returned (below).',
  observation: 'The state after the step, as a client and an operator could see it (below).',
};

const TIMER: Doc<TimerFiring> = {
  timer: 'Which timer.',
  atMs: 'When it fired, on the model clock.',
  opsBefore: 'How many file operations the step had performed when it fired.',
};

const EVENTS: Readonly<Record<ModelEventType, string>> = {
  start: 'Open the store (recovery) and its consumers.',
  store: `Store ${code('count')} (default 1) messages on ${code('subject')} with ${code('payloadBytes')} (and ${code('headersBytes')}).`,
  skip: `SkipMsg, ${code('count')} times.`,
  remove: `Remove sequences ${code('from')}..${code('to')} (RemoveMsg).`,
  newBlock: 'Roll to a new last block.',
  deliver: `Consumer ${code('consumer')} delivers its next message, ${code('count')} times.`,
  ack: `Consumer ${code('consumer')} acks ${code('streamSeq')}.`,
  advance: `Move the clock ${code('ms')} forward, firing the timers due.`,
  stop: 'Clean shutdown: consumers, then the store (which writes index.db).',
  kill: 'The process dies between two steps.',
  powerLoss: `The machine loses power; ${code('keep')} says which in-flight operations the disk keeps (below).`,
  deleteFile: `An operator deletes ${code('path')} while the server is down.`,
  copyFile: `An operator copies ${code('from')} to ${code('to')} while the server is down.`,
  renameFile: `An operator renames ${code('from')} to ${code('to')} while the server is down.`,
  truncateFile: `An operator truncates ${code('path')} to ${code('bytes')} while the server is down.`,
};

const KEEP: Readonly<Record<PowerLossKeep['kind'], string>> = {
  synced: 'None of the operations in flight: only what was fsynced or already forced by the file system survives.',
  all: 'Every operation in flight: the disk ends as the page cache was.',
  prefix: `The first ${code('count')} in-flight operations not forced, in issue order.`,
  subset: `Exactly the in-flight operations whose ids are in ${code('opIds')}; ${code('partial')} (optional) lists writes of which only some 4 KiB ${code('pages')} survive (none: the file at its new size, reading as zeros). The file system must allow the choice (${code('model/powerloss.ts')}).`,
};

const PERFORMED_OP: Doc<PerformedOp> = {
  id: 'The operation\'s number on this disk, from 1, in issue order (power-loss choices name these).',
  atMs: 'When it was issued, on the model clock.',
  op: 'The operation (below).',
  fn: `The nats-server function that issued it, e.g. ${code('removeMsgBlock')}.`,
};

const FILE_OPS: Readonly<Record<FileOpType, string>> = {
  create: `${code('path')}, ${code('inode')}: a new file.`,
  write: `${code('path')}, ${code('inode')}, ${code('offsetBytes')}, ${code('segment')} (what was written, below), ${code('osync')}.`,
  truncate: `${code('path')}, ${code('inode')}, ${code('sizeBytes')}.`,
  unlink: `${code('path')}, ${code('inode')}.`,
  rename: `${code('from')}, ${code('to')}, ${code('inode')}.`,
  fsync: `${code('path')}, ${code('inode')}: makes the file's data operations durable.`,
  fsyncDir: `${code('dir')}: makes the directory's creates, unlinks and renames durable.`,
};

const SEGMENTS: Readonly<Record<Segment['kind'], string>> = {
  msg: `A message record: ${code('blockIndex')}, ${code('seq')}, ${code('tsMs')}, ${code('subject')}, ${code('headersBytes')}, ${code('payloadBytes')}, ${code('bytes')} (the real server's size).`,
  tombstone: `A delete tombstone: ${code('blockIndex')}, ${code('seq')}, ${code('tsMs')}, ${code('bytes')} (30).`,
  skip: `A SkipMsg placeholder: ${code('blockIndex')}, ${code('seq')}, ${code('tsMs')}, ${code('bytes')} (30).`,
  indexdb: `The index.db image: ${code('summary')} (counts, first/last sequence, subjects, blocks, the last block and its last checksum) and ${code('bytes')}.`,
  odat: `The o.dat image: ${code('state')} (delivered, ack floor, pending, redelivered) and ${code('bytes')}.`,
  fragment: `Debris of a cut segment: ${code('bytes')}, ${code('of')} (what it was cut from), ${code('tailChecksum')}.`,
  zeros: `A hole of ${code('bytes')} zeros.`,
};

const OUTCOME: Doc<StepOutcome> = {
  seqs: `${code('store')}: the sequences given; ${code('skip')}: the sequences skipped.`,
  removed: `${code('remove')}: how many messages were removed.`,
  deliveries: `${code('deliver')}: what was delivered (empty when nothing was available).`,
};

const DELIVERY: Doc<Delivery> = {
  streamSeq: 'The stream sequence delivered.',
  consumerSeq: 'The delivery sequence.',
  redelivery: 'Whether it was a redelivery after AckWait.',
};

const OBSERVATION: Doc<Observation> = {
  atMs: 'The model clock after the step.',
  running: 'Whether the server is up.',
  stream: `${code('null')} while the server is down; else the stream as ${code('State()')} reports it (below).`,
  blocks: `The in-memory blocks: ${'`index`, `firstSeq`, `lastSeq`, `msgs`, `bytes`'}.`,
  files: 'Every file the OS shows (the page cache), sorted by path: `path`, `bytes`.',
  durableFiles: 'The files that would survive a power loss now, sorted by path.',
  consumers: `Each consumer as ${code('ConsumerInfo')} reports it (below), by name.`,
};

const STREAM: Doc<StreamObservation> = {
  msgs: 'Messages.',
  bytes: 'Bytes.',
  firstSeq: 'FirstSeq.',
  lastSeq: 'LastSeq.',
  numDeleted: 'NumDeleted: the gaps between blocks and every block\'s deletes.',
  lostMsgs: 'Sequences recovery recorded as lost.',
};

const CONSUMER: Doc<ConsumerObservation> = {
  delivered: `${code('consumerSeq')}, ${code('streamSeq')}: the last delivered.`,
  ackFloor: `${code('consumerSeq')}, ${code('streamSeq')}: everything at or below is acked.`,
  numAckPending: 'Delivered, not acked.',
};

const BLOCK_KEYS: readonly (keyof BlockObservation)[] = ['index', 'firstSeq', 'lastSeq', 'msgs', 'bytes'];

/** A field table, in the order the sample (a real serialized object) has its keys, when given. */
function fields(doc: Readonly<Record<string, string>>, sample?: object): string {
  const keys = Object.keys(doc);
  if (sample) {
    const missing = Object.keys(sample).filter((k) => !(k in doc));
    ensure(missing.length === 0, `trace fields not documented: ${missing.join(', ')}`);
    const order = Object.keys(sample);
    keys.sort((a, b) => (order.includes(a) ? order.indexOf(a) : order.length) - (order.includes(b) ? order.indexOf(b) : order.length));
  }
  return mdTable(['field', 'meaning'], keys.map((k) => [code(k), doc[k]!]));
}

function kinds(doc: Readonly<Record<string, string>>, head: string): string {
  return mdTable([head, 'fields and meaning'], Object.keys(doc).map((k) => [code(k), doc[k]!]));
}

/** The trace as JSON with only the steps in `keep` written out; the others become one comment line per run. */
export function excerpt(trace: TraceFile, keep: readonly number[]): string {
  const head = JSON.stringify({ ...trace, steps: [] }, null, 2);
  ensure(head.endsWith('"steps": []\n}'), 'a trace no longer ends with its steps');
  const lines: string[] = [];
  let skipFrom: number | null = null;
  const flush = (to: number) => {
    if (skipFrom === null) return;
    lines.push(`    // … ${skipFrom === to ? `step ${skipFrom + 1}` : `steps ${skipFrom + 1}–${to + 1}`} left out …`);
    skipFrom = null;
  };
  trace.steps.forEach((s, i) => {
    if (!keep.includes(i)) {
      skipFrom ??= i;
      return;
    }
    flush(i - 1);
    const json = JSON.stringify(s, null, 2).split('\n').map((l) => `    ${l}`);
    lines.push(...json);
    lines[lines.length - 1] += ',';
  });
  flush(trace.steps.length - 1);
  const last = lines.length - 1;
  if (lines[last]!.endsWith(',')) lines[last] = lines[last]!.slice(0, -1);
  return `${head.slice(0, -'[]\n}'.length)}[\n${lines.join('\n')}\n  ]\n}`;
}

export const traceFormatPage = definePage(
  { file: 'trace-format.md', title: `The trace format: ${TRACE_FORMAT}`, summary: 'the JSON a run is recorded in, field by field, with an excerpt of a real trace' },
  async (ctx) => {
    const m = ctx.check();
    const result = m.runs[0]?.result.results.find((r) => r.counterexample);
    ensure(result?.counterexample, 'the check found no counterexample to excerpt');
    const trace = result.counterexample.trace;
    const crash = findStep(trace, (s) => s.killed);
    const keep = [0, ...(crash > 0 ? [crash] : [])];
    const full = serializeTrace(trace);
    const step0 = trace.steps[0]!;
    const write = trace.steps.flatMap((s) => s.ops).find((p) => p.op.type === 'write');
    ensure(write, 'the excerpted trace writes nothing');

    return md(
      `A trace file records one run of the model so that it replays: the profile, the whole configuration, where the run came from, every event with every crash and persistence choice, and what each step did and left behind. The check writes one per counterexample (${code('out/check/')}), ${code('explore')} writes one per counterexample it finds, and the diagrams on these pages are drawn from traces (${code('traces/mermaid.ts')}). ${code('npx tsx cli/main.ts replay <trace>')} re-runs a trace's events and reports the first step whose observations differ.`,
      `A trace is one JSON object written by ${code('serializeTrace')} (${code('traces/trace.ts')}): keys in a fixed order, two-space indent, a final newline, so the same run always gives the same bytes. Sizes are the real server's byte sizes; times are milliseconds on the model's clock, which starts at 0.`,
      `## The file`,
      fields(TRACE_FILE, trace),
      `### Ranges`,
      `The format is defined once, as a zod schema in ${code('schemas/trace.ts')}, published as the JSON Schema ${code('schemas/trace.schema.json')}. Every number has a range, so that replaying and drawing any accepted trace is bounded in time and memory (${code('schemas/limits.ts')}); a value out of range is one line naming the file, the step (counted from 1) and the field.`,
      mdTable(
        ['field', 'range'],
        [
          [`${code('steps')}`, `at most ${MAX_TRACE_STEPS}; the file at most ${MAX_TRACE_FILE_BYTES / 1024 / 1024} MiB`],
          [`${code('config.blockSizeBytes')}; an event's ${code('payloadBytes')}, ${code('headersBytes')}`, `${MIN_BLOCK_SIZE_BYTES} (block) or 0 to ${MAX_BYTES}`],
          [`${code('config.syncIntervalMs')}, ${code('indexFlushIntervalMs')}`, `${MIN_TIMER_INTERVAL_MS} to ${MAX_TIMER_INTERVAL_MS}`],
          [`${code('config.maxAgeMs')}, ${code('ackWaitMs')}`, `0 (1 for AckWait) to ${MAX_DURATION_MS}`],
          [`an event's ${code('count')}`, `1 to ${MAX_COUNT}`],
          [`${code('remove')}'s ${code('from')}, ${code('to')}; ${code('config.maxMsgsPerSubject')}`, `1 (0) to ${MAX_SEQ}`],
          [`${code('ack')}'s ${code('streamSeq')}`, `1 to ${MAX_ACK_SEQ}`],
          [`${code('advance')}'s ${code('ms')}`, `0 to ${MAX_ADVANCE_MS}`],
          [`${code('killAfterFileOps')} and the background-write points of an ${code('ack')}`, `0 to ${MAX_KILL_AFTER_FILE_OPS}`],
          [`${code('keep.count')}, ${code('keep.opIds')}, ${code('keep.partial[].opId')}`, `0 or 1 to ${MAX_OP_ID}`],
          [`${code('keep.partial[].pages')}`, `0 to ${MAX_PAGE}`],
          ['every recorded list (operations, log lines, files, blocks)', `at most ${MAX_LIST_ITEMS} items`],
        ],
      ),
      `The events as a whole stay within the scenario format's work budget (messages stored, deliveries, timer firings and timer firings × messages; see ${code('scenarios/FORMAT.md')}).`,
      `### ${code('config')}`,
      fields(CONFIG, trace.config),
      `### ${code('origin')}`,
      `An object whose ${code('kind')} is one of:`,
      kinds(ORIGIN, 'kind'),
      `### ${code('violation')}`,
      fields(VIOLATION, trace.violation ?? undefined),
      `## A step`,
      fields(STEP, step0),
      `### ${code('event')}`,
      `An object whose ${code('type')} is one of the following. A running-server event may carry ${code('killAfterFileOps: k')}: the step performs its first k file operations and the process dies (a crash placed between two operations).`,
      kinds(EVENTS, 'type'),
      `A ${code('powerLoss')} event's ${code('keep')} has a ${code('kind')}:`,
      kinds(KEEP, 'kind'),
      `### ${code('ops')}`,
      `Each performed operation:`,
      fields(PERFORMED_OP, write),
      `Its ${code('op')} has a ${code('type')}:`,
      kinds(FILE_OPS, 'type'),
      `A write's ${code('segment')} has a ${code('kind')}:`,
      kinds(SEGMENTS, 'kind'),
      `### ${code('timers')}`,
      fields(TIMER),
      `### ${code('outcome')}`,
      `Only the fields that apply are present.`,
      fields(OUTCOME),
      `Each delivery:`,
      fields(DELIVERY),
      `### ${code('observation')}`,
      fields(OBSERVATION, step0.observation),
      `Its ${code('stream')}:`,
      fields(STREAM, trace.steps.find((s) => s.observation.stream)?.observation.stream ?? undefined),
      `Each of its ${code('blocks')} has ${BLOCK_KEYS.map((k) => code(k)).join(', ')}. Each of its ${code('consumers')}:`,
      fields(CONSUMER),
      `## An excerpt`,
      `The shortest counterexample of the default check under ${code(m.runs[0]!.crash)} (${code(result.property)}), as written to ${code('out/check/')}: ${plural(trace.steps.length, 'step')}, ${full.split('\n').length - 1} lines in full. Steps other than the first and the crash are left out here (marked with comments, which JSON itself does not allow):`,
      fenced('jsonc', excerpt(trace, keep)),
    );
  },
);
