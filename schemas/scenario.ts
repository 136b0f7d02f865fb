/**
 * The scenario file format `filestore-scenario/1`, defined once: the TypeScript types
 * (scenarios/types.ts), the validation (scenarios/parse.ts) and the published JSON Schema
 * (schemas/scenario.schema.json, for editors) all come from this schema. Beyond shape and
 * ranges it checks what can be known before running: the first step is `start`, consumers are
 * declared, each step is valid for whether the store is running or down, and the whole file
 * stays within the work budget (work.ts), so any accepted file runs in bounded time.
 */
import { z } from 'zod';
import { DEFAULT_ACK_WAIT_MS } from '../model/config.js';
import { FILE_SYSTEM_NAMES } from '../model/filesystems.js';
import { bool, int, name, nonEmptyText, relPath, subject } from './fields.js';
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
  MAX_NAME_CHARS,
  MAX_OP_ID,
  MAX_PAGE,
  MAX_SCENARIO_STEPS,
  MAX_SEQ,
  MAX_TIMER_INTERVAL_MS,
  MIN_BLOCK_SIZE_BYTES,
  MIN_TIMER_INTERVAL_MS,
} from './limits.js';
import { checkWork, workItemOf } from './work.js';

export const SCENARIO_FORMAT = 'filestore-scenario/1';

/** The defaults the runner applies (`FileStoreConfig.SyncInterval` 2 min; `flushStreamStateLoop`'s 2 min). */
export const SCENARIO_DEFAULT_SYNC_INTERVAL_MS = 120_000;
export const SCENARIO_INDEX_FLUSH_INTERVAL_MS = 120_000;

const kill = int(0, MAX_KILL_AFTER_FILE_OPS, 'perform the first N file operations of the step (in the real server\'s order), then kill the process').optional();
const count = (what: string) => int(1, MAX_COUNT, `${what} (default 1)`).optional();
const seq = (what: string) => int(1, MAX_SEQ, what);
const consumerRef = name('a declared consumer', '_-');

const opId = int(1, MAX_OP_ID, 'a file operation id, as the scenario\'s output numbers them');

/**
 * A power loss's choice: "synced" (only what the file system forced), "all", { "prefix": N }
 * (the first N in-flight operations not forced, in issue order), or { "subset": [ids],
 * "partial": [{ "opId", "pages" }] }. Whether the file system allows it is the model's check
 * (model/powerloss.ts), at replay.
 */
const KEEP_HINT = 'must be "synced", "all", { "prefix": N } or { "subset": [operation ids], "partial"?: [{ "opId": N, "pages": [N] }] }';
const keepSchema = z.union(
  [
    z.enum(['synced', 'all']).describe('synced: only what the file system forced; all: everything the OS had'),
    z.strictObject({ prefix: int(0, MAX_OP_ID, 'keep the first N in-flight operations not forced, in issue order') }).describe('a prefix of the in-flight operations'),
    z
      .strictObject({
        subset: z.array(opId, { error: 'must be a list of operation ids' }).max(MAX_LIST_ITEMS, { error: `must list at most ${MAX_LIST_ITEMS} operations`, abort: true }).describe('exactly these in-flight operations survive'),
        partial: z
          .array(
            z.strictObject({
              opId,
              pages: z.array(int(0, MAX_PAGE, 'a kept 4 KiB page of the write'), { error: 'must be a list of page numbers' }).max(MAX_LIST_ITEMS, { error: `must list at most ${MAX_LIST_ITEMS} pages`, abort: true }),
            }, { error: 'must be { "opId": N, "pages": [N] }' }),
            { error: 'must be a list of { "opId", "pages" }' },
          )
          .max(MAX_LIST_ITEMS, { error: `must list at most ${MAX_LIST_ITEMS} writes`, abort: true })
          .optional()
          .describe('writes of which only these 4 KiB pages survive (a torn write)'),
      })
      .describe('a chosen subset of the in-flight operations'),
  ],
  { error: KEEP_HINT },
);

/** One schema per op, in the order of FORMAT.md's table. */
const STEP_SCHEMAS = [
  z.strictObject({ op: z.literal('start'), killAfterFileOps: kill }).describe('open the store: recovery, then consumers restore o.dat (the first step is always start)'),
  z
    .strictObject({
      op: z.literal('store'),
      subject: subject('the message subject'),
      payloadBytes: int(0, MAX_BYTES, 'payload size in bytes'),
      headersBytes: int(0, MAX_BYTES, 'header size in bytes (default 0)').optional(),
      count: count('how many messages'),
      killAfterFileOps: kill,
    })
    .describe('StoreMsg, count times'),
  z.strictObject({ op: z.literal('skip'), count: count('how many sequences'), killAfterFileOps: kill }).describe('SkipMsg'),
  z
    .strictObject({
      op: z.literal('remove'),
      seq: seq('the sequence to remove').optional(),
      from: seq('first sequence to remove').optional(),
      to: seq('last sequence to remove (inclusive)').optional(),
      killAfterFileOps: kill,
    })
    .describe('RemoveMsg: either seq, or from and to (inclusive)'),
  z.strictObject({ op: z.literal('newBlock'), killAfterFileOps: kill }).describe('force a new write block (newMsgBlockForWrite)'),
  z.strictObject({ op: z.literal('deliver'), consumer: consumerRef, count: count('how many messages'), killAfterFileOps: kill }).describe('the consumer delivers its next message(s)'),
  z.strictObject({ op: z.literal('ack'), consumer: consumerRef, streamSeq: int(1, MAX_ACK_SEQ, 'the stream sequence acked (the server does not check it against the stream)'), killAfterFileOps: kill }).describe('the consumer processes an ack (processAckMsg)'),
  z.strictObject({ op: z.literal('advance'), ms: int(0, MAX_ADVANCE_MS, 'how far the clock moves, in milliseconds'), killAfterFileOps: kill }).describe('the clock moves on; due timers fire in deadline order'),
  z.strictObject({ op: z.literal('stop'), killAfterFileOps: kill }).describe('clean Stop()'),
  z.strictObject({ op: z.literal('kill') }).describe('process crash (kill -9)'),
  z.strictObject({ op: z.literal('powerLoss'), keep: keepSchema }).describe('machine crash: what survives depends on stream.fileSystem'),
  z.strictObject({ op: z.literal('deleteFile'), path: relPath('file to delete, relative to the stream directory', false) }).describe('delete a file while the server is down'),
  z.strictObject({ op: z.literal('deleteFiles'), glob: relPath("files to delete ('*' matches within one path segment)", true) }).describe('delete every match while the server is down'),
  z.strictObject({ op: z.literal('copyFile'), from: relPath('source file', false), to: relPath('target file', false) }).describe('copy a file while the server is down'),
  z.strictObject({ op: z.literal('renameFile'), from: relPath('source file', false), to: relPath('target file', false) }).describe('rename a file while the server is down'),
  z.strictObject({ op: z.literal('truncateFile'), path: relPath('file to cut', false), bytes: int(0, MAX_FILE_BYTES, 'new size in bytes') }).describe('cut a file while the server is down'),
  z.strictObject({ op: z.literal('snapshot'), label: nonEmptyText('the snapshot\'s label', MAX_NAME_CHARS) }).describe('record the observable state'),
] as const;

export const scenarioStepSchema = z.discriminatedUnion('op', STEP_SCHEMAS, { error: (iss) => ((iss.code as string) === 'invalid_type' ? 'must be a JSON object' : undefined) });

const OBJECT = { error: 'must be a JSON object' };

export const scenarioStreamSchema = z.strictObject({
  retention: z.enum(['limits', 'workqueue', 'interest'], { error: 'must be "limits", "workqueue" or "interest"' }).describe('the stream\'s retention policy'),
  blockSizeBytes: int(MIN_BLOCK_SIZE_BYTES, MAX_BYTES, 'FileStoreConfig.BlockSize in bytes'),
  maxAgeMs: int(0, MAX_DURATION_MS, 'StreamConfig.MaxAge in milliseconds; 0 or absent: no age limit').optional(),
  maxMsgsPerSubject: int(0, MAX_SEQ, 'StreamConfig.MaxMsgsPer; 0 or absent: no per-subject limit').optional(),
  syncAlways: bool('jetstream { sync: always } (default false)').optional(),
  syncIntervalMs: int(MIN_TIMER_INTERVAL_MS, MAX_TIMER_INTERVAL_MS, `FileStoreConfig.SyncInterval in milliseconds (default ${SCENARIO_DEFAULT_SYNC_INTERVAL_MS})`).optional(),
  fileSystem: z.enum(FILE_SYSTEM_NAMES, { error: `must be ${FILE_SYSTEM_NAMES.slice(0, -1).map((n) => `"${n}"`).join(', ')} or "${FILE_SYSTEM_NAMES[FILE_SYSTEM_NAMES.length - 1]}"` }).optional().describe('the file system under the store (default ext4): what a power loss may keep'),
}, OBJECT);

export const scenarioConsumerSchema = z.strictObject({ name: name('the durable consumer\'s name', '_-') }, OBJECT);

const scenarioShape = z.strictObject({
  $schema: z.string().max(1024).optional().describe('the JSON Schema this file follows (ignored; for editors)'),
  format: z.literal(SCENARIO_FORMAT, { error: `must be "${SCENARIO_FORMAT}"` }),
  name: name('short kebab-case name', '-_.'),
  source: nonEmptyText('where the scenario comes from, e.g. a nats-server test'),
  stream: scenarioStreamSchema,
  consumers: z.array(scenarioConsumerSchema, { error: 'must be a list of consumers' }).max(MAX_CONSUMERS, { error: `must list at most ${MAX_CONSUMERS} consumers`, abort: true }).default([]).describe('explicit-ack durable consumers (default none)'),
  steps: z
    .array(scenarioStepSchema, { error: 'must be a non-empty list of steps' })
    .min(1, { error: 'must be a non-empty list of steps' })
    .max(MAX_SCENARIO_STEPS, { error: `must hold at most ${MAX_SCENARIO_STEPS} steps`, abort: true }),
}, OBJECT);

type Shape = z.output<typeof scenarioShape>;
type Step = Shape['steps'][number];
type Power = 'up' | 'down';

/** Whether each op needs the store running, down or either, and what it leaves. */
const POWER: Readonly<Record<Step['op'], { when: Power | 'either'; after?: Power }>> = {
  start: { when: 'down', after: 'up' },
  store: { when: 'up' },
  skip: { when: 'up' },
  remove: { when: 'up' },
  newBlock: { when: 'up' },
  deliver: { when: 'up' },
  ack: { when: 'up' },
  advance: { when: 'either' },
  stop: { when: 'up', after: 'down' },
  kill: { when: 'up', after: 'down' },
  powerLoss: { when: 'up', after: 'down' },
  deleteFile: { when: 'down' },
  deleteFiles: { when: 'down' },
  copyFile: { when: 'down' },
  renameFile: { when: 'down' },
  truncateFile: { when: 'down' },
  snapshot: { when: 'either' },
};


/** The checks a JSON Schema cannot state; each issue names the step and field. */
function checkScenario(s: Shape, ctx: z.core.$RefinementCtx<Shape>): void {
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const declared = new Set<string>();
  s.consumers.forEach((c, i) => {
    if (declared.has(c.name)) issue(['consumers', i, 'name'], `duplicate consumer name "${c.name}"`);
    declared.add(c.name);
  });
  let power: Power = 'down';
  for (const [i, step] of s.steps.entries()) {
    const at = (field?: string) => (field ? ['steps', i, field] : ['steps', i]);
    if (i === 0 && step.op !== 'start') return issue(at(), 'the first step must be "start"');
    if (step.op === 'remove') {
      const hasSeq = step.seq !== undefined;
      const hasRange = step.from !== undefined || step.to !== undefined;
      if (hasSeq && hasRange) return issue(at(), '"remove" takes either "seq" or "from" and "to", not both');
      if (!hasSeq && !hasRange) return issue(at(), 'missing field "seq" (or "from" and "to") in "remove" step');
      if (hasRange && step.to === undefined) return issue(at(), 'missing field "to" in "remove" step');
      if (hasRange && step.from === undefined) return issue(at(), 'missing field "from" in "remove" step');
      if (step.from !== undefined && step.to !== undefined && step.from > step.to) return issue(at('from'), `must be <= to (${step.to}), got ${step.from}`);
    }
    if ((step.op === 'deliver' || step.op === 'ack') && !declared.has(step.consumer)) return issue(at('consumer'), `"${step.consumer}" is not a declared consumer`);
    const { when, after } = POWER[step.op];
    if (when === 'down' && power === 'up') return issue(at(), `"${step.op}" is only valid while the store is down (after stop, kill or powerLoss)`);
    if (when === 'up' && power === 'down') return issue(at(), `"${step.op}" is only valid while the store is running (after start)`);
    const killPoint = 'killAfterFileOps' in step && step.killAfterFileOps !== undefined;
    if (killPoint && power === 'down' && when === 'either') return issue(at(), `"killAfterFileOps" on "${step.op}" is only valid while the store is running (after start)`);
    power = killPoint ? 'down' : (after ?? power);
  }
  const work = checkWork(s.steps.map((step) => workItemOf(step.op, step)), {
    syncIntervalMs: s.stream.syncIntervalMs ?? SCENARIO_DEFAULT_SYNC_INTERVAL_MS,
    indexFlushIntervalMs: SCENARIO_INDEX_FLUSH_INTERVAL_MS,
    consumers: s.consumers.length,
    maxAgeMs: s.stream.maxAgeMs ?? 0,
    maxMsgsPerSubject: s.stream.maxMsgsPerSubject ?? 0,
    ackWaitMs: DEFAULT_ACK_WAIT_MS,
  });
  if (work) issue(['steps', work.index, work.field], work.message);
}

export const scenarioSchema = scenarioShape.superRefine(checkScenario);

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioStep = Scenario['steps'][number];
export type ScenarioOp = ScenarioStep['op'];
export type ScenarioStream = Scenario['stream'];
export type ScenarioConsumer = Scenario['consumers'][number];
export type Retention = ScenarioStream['retention'];
