/**
 * The trace file format `filestore-trace/2`, defined once: the validation (traces/validate.ts),
 * the published JSON Schema (schemas/trace.schema.json) and the TypeScript types of a trace
 * file (traces/trace.ts) derive from this schema. A trace holds the profile, the configuration,
 * where it came from, the violation it shows, and every step: the event (with its crash and
 * persistence choices) and what the step did and left observable. Events carry the scenario
 * format's ranges and the file a work budget, so replaying any accepted trace is bounded; the
 * recorded results are checked in shape and size, since diagrams draw them as they are.
 *
 * Steps are numbered from 1 everywhere, `violation.step` included (format /1 counted from 0).
 */
import { z } from 'zod';
import { FILE_SYSTEM_NAMES } from '../model/filesystems.js';
import { CRASH_MODELS } from '../properties/alphabet.js';
import { CAUSES } from '../properties/causes.js';
import { PROPERTY_IDS } from '../properties/invariants.js';
import { bool, int, name, nonEmptyText, relPath, subject, text } from './fields.js';
import {
  MAX_ACK_SEQ,
  MAX_ADVANCE_MS,
  MAX_BYTES,
  MAX_CONSUMERS,
  MAX_COUNT,
  MAX_DURATION_MS,
  MAX_FILE_BYTES,
  MAX_KILL_AFTER_FILE_OPS,
  MAX_LIST_ITEMS,
  MAX_OP_ID,
  MAX_PAGE,
  MAX_PATH_CHARS,
  MAX_SEQ,
  MAX_TIMER_INTERVAL_MS,
  MAX_TRACE_STEPS,
  MIN_BLOCK_SIZE_BYTES,
  MIN_TIMER_INTERVAL_MS,
} from './limits.js';
import { checkWork, workItemOf } from './work.js';

export const TRACE_FORMAT = 'filestore-trace/2';

const OBJECT = { error: 'must be a JSON object' };
const object = <T extends z.core.$ZodLooseShape>(shape: T) => z.strictObject(shape, OBJECT);
const union = <D extends string, T extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]]>(key: D, options: T) =>
  z.discriminatedUnion(key, options, { error: (iss) => ((iss.code as string) === 'invalid_type' ? 'must be a JSON object' : undefined) });
const list = <T extends z.ZodType>(item: T, what: string, max = MAX_LIST_ITEMS) =>
  z.array(item, { error: `must be a list of ${what}` }).max(max, { error: `must hold at most ${max} ${what}`, abort: true });
const nullable = <T extends z.ZodType>(t: T) => t.nullable();

/** A recorded count, size or sequence: a whole number the model produced. */
const num = (description: string) => int(0, Number.MAX_SAFE_INTEGER, description);
const path = text('a path relative to the stream directory', MAX_PATH_CHARS);

// ---- Events: what replay runs ----------------------------------------------------------------

const kill = int(0, MAX_KILL_AFTER_FILE_OPS, 'perform the first N file operations, then the process dies').optional();

export const powerLossKeepSchema = union('kind', [
  object({ kind: z.literal('synced') }).describe('only what was durable survives'),
  object({ kind: z.literal('all') }).describe('everything the OS had survives'),
  object({ kind: z.literal('prefix'), count: int(0, MAX_OP_ID, 'how many in-flight operations not forced survive, in issue order') }).describe('the first count in-flight operations survive'),
  object({
    kind: z.literal('subset'),
    opIds: list(int(1, MAX_OP_ID, 'an operation id'), 'operation ids'),
    partial: list(object({ opId: int(1, MAX_OP_ID, 'a write\'s operation id'), pages: list(int(0, MAX_PAGE, 'a kept 4 KiB page of the write'), 'page numbers') }), '{ opId, pages } entries')
      .optional()
      .describe('writes of which only these 4 KiB pages survive (a torn write)'),
  }).describe('exactly these in-flight operations survive (the file system must allow it: model/powerloss.ts)'),
]);

export const traceEventSchema = union('type', [
  object({
    type: z.literal('start'),
    // Timer-jitter choices (#6041, #6220); the model checks them against the profile.
    firstSyncMs: int(0, MAX_TIMER_INTERVAL_MS, 'when the first sync runs after the start, in milliseconds').optional(),
    indexFlushJitterMs: int(0, MAX_TIMER_INTERVAL_MS, "the index.db ticker's jitter, in milliseconds").optional(),
    killAfterFileOps: kill,
  }),
  object({
    type: z.literal('store'),
    subject: subject('the message subject'),
    payloadBytes: int(0, MAX_BYTES, 'payload size in bytes'),
    headersBytes: int(0, MAX_BYTES, 'header size in bytes').optional(),
    count: int(1, MAX_COUNT, 'how many messages').optional(),
    killAfterFileOps: kill,
  }),
  object({ type: z.literal('skip'), count: int(1, MAX_COUNT, 'how many sequences').optional(), killAfterFileOps: kill }),
  object({ type: z.literal('remove'), from: int(1, MAX_SEQ, 'first sequence removed'), to: int(1, MAX_SEQ, 'last sequence removed (inclusive)'), killAfterFileOps: kill }),
  object({ type: z.literal('newBlock'), killAfterFileOps: kill }),
  object({ type: z.literal('deliver'), consumer: name('the consumer', '_-'), count: int(1, MAX_COUNT, 'how many messages').optional(), killAfterFileOps: kill }),
  object({
    type: z.literal('ack'),
    consumer: name('the consumer', '_-'),
    streamSeq: int(1, MAX_ACK_SEQ, 'the stream sequence acked'),
    // Background writes inside the ack's removal (reference section 8 interleavings).
    odatFlushAfterFileOps: int(0, MAX_KILL_AFTER_FILE_OPS, "the consumer's o.dat flush lands after this many of the removal's file operations").optional(),
    indexDbWriteAfterFileOps: int(0, MAX_KILL_AFTER_FILE_OPS, 'the index.db write lands after this many of the removal\'s file operations').optional(),
    killAfterFileOps: kill,
  }),
  object({ type: z.literal('advance'), ms: int(0, MAX_ADVANCE_MS, 'how far the clock moves, in milliseconds'), killAfterFileOps: kill }),
  object({ type: z.literal('stop'), killAfterFileOps: kill }),
  object({ type: z.literal('kill') }),
  object({ type: z.literal('powerLoss'), keep: powerLossKeepSchema }),
  object({ type: z.literal('deleteFile'), path: relPath('the file deleted', false) }),
  object({ type: z.literal('copyFile'), from: relPath('source file', false), to: relPath('target file', false) }),
  object({ type: z.literal('renameFile'), from: relPath('source file', false), to: relPath('target file', false) }),
  object({ type: z.literal('truncateFile'), path: relPath('the file cut', false), bytes: int(0, MAX_FILE_BYTES, 'new size in bytes') }),
]);

// ---- The store's configuration --------------------------------------------------------------

export const traceConfigSchema = object({
  streamName: name('the stream name, as log lines show it', '_-'),
  accountName: name('the account name, as log lines show it', '$_-'),
  retention: z.enum(['limits', 'workqueue', 'interest'], { error: 'must be "limits", "workqueue" or "interest"' }),
  blockSizeBytes: int(MIN_BLOCK_SIZE_BYTES, MAX_BYTES, 'FileStoreConfig.BlockSize in bytes'),
  maxAgeMs: int(0, MAX_DURATION_MS, 'StreamConfig.MaxAge in milliseconds (0: none)'),
  maxMsgsPerSubject: int(0, MAX_SEQ, 'StreamConfig.MaxMsgsPer (0: none)'),
  syncAlways: bool('jetstream { sync: always }'),
  syncIntervalMs: int(MIN_TIMER_INTERVAL_MS, MAX_TIMER_INTERVAL_MS, 'FileStoreConfig.SyncInterval in milliseconds'),
  indexFlushIntervalMs: int(MIN_TIMER_INTERVAL_MS, MAX_TIMER_INTERVAL_MS, "flushStreamStateLoop's period in milliseconds"),
  consumerFlushMinIntervalMs: int(0, MAX_TIMER_INTERVAL_MS, "consumerFileStore.flushLoop's minimum period in milliseconds"),
  ackWaitMs: int(1, MAX_DURATION_MS, 'ConsumerConfig.AckWait in milliseconds'),
  consumers: list(name('a durable consumer', '_-'), 'consumer names', MAX_CONSUMERS),
  fileSystem: z.enum(FILE_SYSTEM_NAMES, { error: `must be one of ${FILE_SYSTEM_NAMES.join(', ')}` }).describe('the file system under the store (model/filesystems.ts): what a power loss may keep'),
});

// ---- What a step did, as recorded -------------------------------------------------------------

const seqPair = object({ consumerSeq: num('consumer sequence'), streamSeq: num('stream sequence') });
const time = nullable(num('time in milliseconds'));

const indexDbSummary = object({
  msgs: num('messages'),
  bytes: num('bytes'),
  firstSeq: num('first sequence'),
  firstTsMs: time,
  lastSeq: num('last sequence'),
  lastTsMs: time,
  subjects: list(object({ subject: subject('subject'), total: num('messages'), fblk: num('first block'), lblk: num('last block') }), 'subjects'),
  blocks: list(object({ index: num('block index'), bytes: num('bytes'), firstSeq: num('first sequence'), firstTsMs: time, lastSeq: num('last sequence'), lastTsMs: time, dmap: list(num('deleted sequence'), 'sequences') }), 'blocks'),
  lmbIndex: num('index of the last block'),
  lmbLastChecksum: text("the last block's last checksum", 64),
});

const storedConsumerState = object({
  delivered: seqPair,
  ackFloor: seqPair,
  pending: list(object({ streamSeq: num('stream sequence'), consumerSeq: num('consumer sequence'), tsMs: num('time') }), 'pending entries'),
  redelivered: list(object({ streamSeq: num('stream sequence'), count: num('deliveries') }), 'redelivered entries'),
});

const SEGMENT_KINDS = ['msg', 'tombstone', 'skip', 'indexdb', 'odat', 'fragment', 'zeros'] as const;

export const segmentSchema = union('kind', [
  object({ kind: z.literal('msg'), blockIndex: num('block index'), seq: num('sequence'), tsMs: num('time'), subject: subject('subject'), headersBytes: num('bytes'), payloadBytes: num('bytes'), bytes: num('bytes') }),
  object({ kind: z.literal('tombstone'), blockIndex: num('block index'), seq: num('sequence'), tsMs: time, bytes: num('bytes') }),
  object({ kind: z.literal('skip'), blockIndex: num('block index'), seq: num('sequence'), tsMs: num('time'), bytes: num('bytes') }),
  object({ kind: z.literal('indexdb'), summary: indexDbSummary, bytes: num('bytes') }),
  object({ kind: z.literal('odat'), state: storedConsumerState, bytes: num('bytes') }),
  object({ kind: z.literal('fragment'), bytes: num('bytes'), of: z.enum(SEGMENT_KINDS, { error: `must be one of ${SEGMENT_KINDS.join(', ')}` }), tailChecksum: nullable(text('checksum', 64)) }),
  object({ kind: z.literal('zeros'), bytes: num('bytes') }),
]);

export const fileOpSchema = union('type', [
  object({ type: z.literal('create'), path, inode: num('inode') }),
  object({ type: z.literal('write'), path, inode: num('inode'), offsetBytes: num('offset'), segment: segmentSchema, osync: bool('opened O_SYNC') }),
  object({ type: z.literal('truncate'), path, inode: num('inode'), sizeBytes: num('size') }),
  object({ type: z.literal('unlink'), path, inode: num('inode') }),
  object({ type: z.literal('rename'), from: path, to: path, inode: num('inode') }),
  object({ type: z.literal('fsync'), path, inode: num('inode') }),
  object({ type: z.literal('fsyncDir'), dir: text('a directory relative to the stream directory', MAX_PATH_CHARS) }),
]);

export const performedOpSchema = object({ id: num('operation id'), atMs: num('time'), op: fileOpSchema, fn: nonEmptyText('the nats-server function that issued it', 128) });

export const timerFiringSchema = object({
  timer: z.union(
    [
      z.enum(['sync', 'indexFlush', 'maxAge']),
      z.templateLiteral(['consumerFlush:', z.string().max(128).regex(/^[A-Za-z0-9_-]+$/)]),
      z.templateLiteral(['checkPending:', z.string().max(128).regex(/^[A-Za-z0-9_-]+$/)]),
    ],
    { error: 'must be sync, indexFlush, maxAge, consumerFlush:NAME or checkPending:NAME' },
  ),
  atMs: num('time'),
  opsBefore: num('operations before'),
});

const fileEntry = object({ path, bytes: num('bytes') });

export const observationSchema = object({
  atMs: num('time'),
  running: bool('the server is up'),
  stream: nullable(object({ msgs: num('messages'), bytes: num('bytes'), firstSeq: num('sequence'), lastSeq: num('sequence'), numDeleted: num('deleted'), lostMsgs: list(num('sequence'), 'sequences') })),
  blocks: list(object({ index: num('block index'), firstSeq: num('sequence'), lastSeq: num('sequence'), msgs: num('messages'), bytes: num('bytes') }), 'blocks'),
  files: list(fileEntry, 'files'),
  durableFiles: list(fileEntry, 'files'),
  consumers: z.record(name('consumer', '_-'), object({ delivered: seqPair, ackFloor: seqPair, numAckPending: num('pending') }), { error: 'must be an object of consumers' }),
});

export const traceStepSchema = object({
  event: traceEventSchema,
  ops: list(performedOpSchema, 'file operations'),
  log: list(text('a log line'), 'log lines'),
  logAfterOps: list(num('operations'), 'counts'),
  timers: list(timerFiringSchema, 'timer firings'),
  killed: bool('the process died in this step'),
  completed: bool('the event ran to its end'),
  outcome: object({
    seqs: list(num('sequence'), 'sequences').optional(),
    removed: num('messages removed').optional(),
    deliveries: list(object({ streamSeq: num('stream sequence'), consumerSeq: num('consumer sequence'), redelivery: bool('a redelivery') }), 'deliveries').optional(),
  }),
  observation: observationSchema,
});

// ---- The file --------------------------------------------------------------------------------

export const traceOriginSchema = union('kind', [
  object({
    kind: z.literal('explore'),
    mode: z.enum(['random', 'exhaustive'], { error: 'must be "random" or "exhaustive"' }),
    crash: z.enum(CRASH_MODELS, { error: `must be one of ${CRASH_MODELS.join(', ')}` }),
    seed: nullable(int(-2147483648, 2147483647, 'the random seed')),
    path: z.string({ error: 'must be a fast-check path' }).max(10_000, { error: 'must be a fast-check path', abort: true }).regex(/^\d+(:\d+)*$/, { error: 'must be a fast-check path (numbers separated by ":")' }).optional(),
  }),
  object({ kind: z.literal('scenario'), name: name('the scenario name', '-_.'), source: nonEmptyText('where the scenario comes from') }),
  object({ kind: z.literal('manual') }),
]);

export const traceViolationSchema = object({
  property: z.enum(PROPERTY_IDS, { error: `must be a known property (${PROPERTY_IDS.join(', ')})` }),
  message: nonEmptyText('what broke'),
  step: int(1, MAX_TRACE_STEPS, 'the step (counted from 1) after which the property failed'),
  cause: z.enum(CAUSES, { error: `must be one of ${CAUSES.join(', ')}` }).optional().describe('why it broke (properties/causes.ts), when the search classified it'),
});

const traceShape = object({
  $schema: z.string().max(1024).optional().describe('the JSON Schema this file follows (ignored; for editors)'),
  format: z.literal(TRACE_FORMAT, { error: `must be "${TRACE_FORMAT}" (re-create older traces with the command that made them)` }),
  profile: name('the server profile, e.g. v2.10.22', '.-_'),
  config: traceConfigSchema,
  origin: traceOriginSchema,
  title: text('one line saying what the trace shows', 512),
  violation: nullable(traceViolationSchema),
  steps: list(traceStepSchema, 'steps', MAX_TRACE_STEPS),
});

type Shape = z.output<typeof traceShape>;


/** What a JSON Schema cannot state: the violation's step exists, and replay stays in budget. */
function checkTrace(t: Shape, ctx: z.core.$RefinementCtx<Shape>): void {
  if (t.violation && t.violation.step > t.steps.length) {
    ctx.addIssue({ code: 'custom', path: ['violation', 'step'], message: `is ${t.violation.step} but the trace has ${t.steps.length} step${t.steps.length === 1 ? '' : 's'}` });
  }
  for (const [i, s] of t.steps.entries()) {
    if (s.logAfterOps.length !== s.log.length) ctx.addIssue({ code: 'custom', path: ['steps', i, 'logAfterOps'], message: `must hold one count per log line (${s.log.length}), got ${s.logAfterOps.length}` });
  }
  const work = checkWork(t.steps.map((s) => workItemOf(s.event.type, s.event)), {
    syncIntervalMs: t.config.syncIntervalMs,
    indexFlushIntervalMs: t.config.indexFlushIntervalMs,
    consumers: t.config.consumers.length,
    maxAgeMs: t.config.maxAgeMs,
    maxMsgsPerSubject: t.config.maxMsgsPerSubject,
    ackWaitMs: t.config.ackWaitMs,
  });
  if (work) ctx.addIssue({ code: 'custom', path: ['steps', work.index, 'event', work.field], message: work.message });
}

export const traceSchema = traceShape.superRefine(checkTrace);

/** Deep read-only: what the model hands out is never mutated, and a parsed trace is not either. */
export type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export type TraceFileData = DeepReadonly<z.output<typeof traceSchema>>;
