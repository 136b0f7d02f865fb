/**
 * `confirm`: hand a real nats-server the disk the model says a crash leaves, let it recover,
 * and compare what it reports with the model's prediction, field by field.
 *
 * The image is written into a fresh temporary directory with its times anchored at the real
 * clock (model time at the crash = now), so AckWait and pending times mean the same on both
 * sides. The server runs on 127.0.0.1 on a port it picks, and is killed and its directory
 * removed when the run ends, whether it agreed, disagreed or failed.
 */
import { join } from 'node:path';
import { buildImage, writeImage, type Run } from '../traces/image/image.js';
import { observeRestart } from './client.js';
import { predictRestart, type RestartFields } from './prediction.js';
import { makeTempDir, removeTempDir, startServer } from './server.js';

export interface FieldResult {
  readonly field: string;
  readonly model: string;
  readonly real: string;
  readonly agree: boolean;
}

export interface ConfirmResult {
  readonly step: number;
  readonly view: 'cache' | 'durable';
  readonly agree: boolean;
  readonly fields: readonly FieldResult[];
  readonly model: RestartFields;
  readonly real: RestartFields;
  /** The server's full log, for saving with a disagreement. */
  readonly serverLog: string;
}

export interface ConfirmOptions {
  readonly binary: string;
  readonly view?: 'cache' | 'durable';
  readonly startTimeoutMs?: number;
}

const show = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));

/** Field-by-field comparison, in a fixed order. */
export function compareRestart(model: RestartFields, real: RestartFields, consumers: readonly string[]): FieldResult[] {
  const out: FieldResult[] = [];
  const add = (field: string, m: unknown, r: unknown) => out.push({ field, model: show(m), real: show(r), agree: show(m) === show(r) });
  add('stream', model.stream ? 'recovered' : 'missing', real.stream ? 'recovered' : 'missing');
  for (const k of ['firstSeq', 'lastSeq', 'msgs', 'numDeleted'] as const) add(`stream.${k}`, model.stream?.[k], real.stream?.[k]);
  for (const name of consumers) {
    const m = model.consumers[name];
    const r = real.consumers[name];
    add(`consumer ${name}.delivered.consumerSeq`, m?.delivered.consumerSeq, r?.delivered.consumerSeq);
    add(`consumer ${name}.delivered.streamSeq`, m?.delivered.streamSeq, r?.delivered.streamSeq);
    add(`consumer ${name}.ackFloor.consumerSeq`, m?.ackFloor.consumerSeq, r?.ackFloor.consumerSeq);
    add(`consumer ${name}.ackFloor.streamSeq`, m?.ackFloor.streamSeq, r?.ackFloor.streamSeq);
  }
  add('probe.seq', model.probe.seq, real.probe.seq);
  for (const name of consumers) add(`probe delivered to ${name}`, model.probe.delivered[name], real.probe.delivered[name]);
  // Warnings: each model line must be in the server's log, and each stream warning the server
  // gave must be one the model predicts (the server prefixes its level).
  const realText = real.warnings.map((w) => w.replace(/^\[(WRN|ERR)\] /, ''));
  const missing = model.warnings.filter((m) => !realText.some((r) => r.includes(m)));
  const extra = real.warnings.filter((r, i) => !model.warnings.some((m) => realText[i]!.includes(m)));
  out.push({ field: 'warnings', model: show(model.warnings), real: show(real.warnings), agree: missing.length === 0 && extra.length === 0 });
  return out;
}

export async function confirmImage(run: Run, stepN: number, opts: ConfirmOptions): Promise<ConfirmResult> {
  const view = opts.view ?? 'cache';
  const prediction = predictRestart(run, stepN, view);
  const nowMs = run.states[stepN]!.nowMs;
  const startedAtMs = Math.floor(Date.now() / 1000) * 1000;
  const epochMs = startedAtMs - Math.ceil(nowMs / 1000) * 1000; // whole seconds, as the model's epoch is
  const image = buildImage(run, stepN, { view, epochMs });
  const tmp = makeTempDir('nats-confirm-');
  const storeDir = join(tmp, 'store');
  try {
    writeImage(storeDir, image);
    const server = await startServer({ binary: opts.binary, storeDir, ...(opts.startTimeoutMs !== undefined ? { timeoutMs: opts.startTimeoutMs } : {}) });
    try {
      const readyAtMs = Date.now();
      const real = await observeRestart(server.url, { streamName: run.config.streamName, consumers: run.config.consumers, ackWaitMs: run.config.ackWaitMs, settleMs: prediction.settleMs, readyAtMs }, server.log);
      const fields = compareRestart(prediction, real, run.config.consumers);
      return { step: stepN, view, agree: fields.every((f) => f.agree), fields, model: prediction, real, serverLog: server.log() };
    } finally {
      await server.kill();
    }
  } finally {
    removeTempDir(tmp);
  }
}

export function formatConfirm(r: ConfirmResult): string {
  const lines = [r.agree ? 'agree' : 'DISAGREE'];
  const w = Math.max(...r.fields.map((f) => f.field.length));
  for (const f of r.fields) lines.push(`  ${f.agree ? ' ' : '≠'} ${f.field.padEnd(w)}  model ${f.model}${f.agree ? '' : `, real ${f.real}`}`);
  return lines.join('\n');
}
