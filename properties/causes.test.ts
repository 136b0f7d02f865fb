/**
 * The cause classifier on hand-built runs whose cause follows from its definition, and
 * no-acked-redelivery judged by message identity.
 */
import { describe, expect, it } from 'vitest';
import { initialState, step, type ModelEvent, type StepResult } from '../model/step.js';
import { exploredConfig } from './alphabet.js';
import { classifyRun } from './causes.js';
import { DEFAULT_EXHAUSTIVE_BOUNDS } from './explore.js';
import { EMPTY_GHOST, nextGhost } from './ghost.js';
import { PROPERTIES } from './invariants.js';
import { observe } from '../model/observe.js';

const S: ModelEvent = { type: 'store', subject: 'foo', payloadBytes: 10 };
const D: ModelEvent = { type: 'deliver', consumer: 'C' };
const BEFORE_ACK: ModelEvent[] = [{ type: 'start' }, S, D, { type: 'advance', ms: 0 }];

function cause(crash: 'kill' | 'power-loss:ext4', events: ModelEvent[]) {
  return classifyRun(exploredConfig(DEFAULT_EXHAUSTIVE_BOUNDS, crash), 'v2.10.22', events, events.length - 1);
}

/** The ids of the ack's operations when it runs whole after BEFORE_ACK (unlink, create, tombstone). */
function ackOps(): number[] {
  let s = initialState(exploredConfig(DEFAULT_EXHAUSTIVE_BOUNDS, 'power-loss:ext4'), 'v2.10.22');
  for (const e of BEFORE_ACK) s = step(s, e).state;
  return step(s, { type: 'ack', consumer: 'C', streamSeq: 1 }).ops.map((o) => o.id);
}

describe('classifyCause', () => {
  it('a kill after the unlink of the emptied last block: removal-window', () => {
    expect(cause('kill', [...BEFORE_ACK, { type: 'ack', consumer: 'C', streamSeq: 1, killAfterFileOps: 1 }, { type: 'start' }])).toBe('removal-window');
  });

  it('ext4: the removal completes, the power loss keeps the unlink and the create but not the tombstone: empty-block', () => {
    const [unlink, create, tomb] = ackOps();
    expect(tomb).toBeDefined();
    const events: ModelEvent[] = [...BEFORE_ACK, { type: 'ack', consumer: 'C', streamSeq: 1, killAfterFileOps: 3 }];
    // Everything before the ack is in flight too: keep all of it, and of the ack only unlink and create.
    let s = initialState(exploredConfig(DEFAULT_EXHAUSTIVE_BOUNDS, 'power-loss:ext4'), 'v2.10.22');
    for (const e of events) s = step(s, e).state;
    const keepIds = s.disk.inFlight.filter((o) => !o.forced && o.id !== tomb).map((o) => o.id);
    expect(keepIds).toContain(unlink);
    expect(keepIds).toContain(create);
    expect(cause('power-loss:ext4', [...events, { type: 'powerLoss', keep: { kind: 'subset', opIds: keepIds } }, { type: 'start' }])).toBe('empty-block');
  });

  it('ext4: no removal, the power loss keeps the o.dat rewrite and loses the unsynced record: unsynced-data', () => {
    let s = initialState(exploredConfig(DEFAULT_EXHAUSTIVE_BOUNDS, 'power-loss:ext4'), 'v2.10.22');
    for (const e of BEFORE_ACK) s = step(s, e).state;
    const record = s.disk.inFlight.find((o) => o.op.type === 'write' && o.op.segment.kind === 'msg')!;
    const keep = s.disk.inFlight.filter((o) => !o.forced && o.id !== record.id).map((o) => o.id);
    expect(cause('power-loss:ext4', [...BEFORE_ACK, { type: 'powerLoss', keep: { kind: 'subset', opIds: keep } }, { type: 'start' }])).toBe('unsynced-data');
  });

  it('a stale ack of a message handed out before a kill, past the pointer after the restart: ack-past-pointer (UpdateAcks sets Delivered.Stream to sseq+1, #5528)', () => {
    // Found by the complete search at the default bounds (2 messages, 1 crash, 3 starts): 11 events.
    const events: ModelEvent[] = [{ type: 'start' }, S, S, D, D, { ...D, killAfterFileOps: 0 }, { type: 'start' }, D, { type: 'ack', consumer: 'C', streamSeq: 2 }, { type: 'stop' }, { type: 'start' }];
    let s = initialState(exploredConfig(DEFAULT_EXHAUSTIVE_BOUNDS, 'kill'), 'v2.10.22');
    for (const e of events.slice(0, 9)) s = step(s, e).state;
    // o.dat never held the first deliveries (the kill came before the flusher), so after the
    // restart the pointer is at 2 and the ack of 2 is at it: the stored delivered becomes 3.
    expect(s.proc!.consumers[0]!.stored.delivered.streamSeq).toBe(3);
    expect(s.proc!.store.state.lastSeq).toBe(2);
    expect(cause('kill', events)).toBe('ack-past-pointer');
  });

  it('a clean stop and start: other', () => {
    expect(cause('kill', [{ type: 'start' }, S, { type: 'stop' }, { type: 'start' }])).toBe('other');
  });
});

describe('no-acked-redelivery judges message identity', () => {
  it('after a reset, a new message that reuses an acked sequence is not a redelivery of the acked one', () => {
    // The seed bug: the ack of 1 is cut after its unlink, the stream restarts at 0, a new
    // message gets seq 1 again (no-sequence-reuse's violation) and is delivered.
    const config = exploredConfig(DEFAULT_EXHAUSTIVE_BOUNDS, 'kill');
    const events: ModelEvent[] = [{ type: 'start' }, S, D, { type: 'advance', ms: 0 }, S, D, { type: 'ack', consumer: 'C', streamSeq: 1 }, { type: 'advance', ms: 0 }, { type: 'ack', consumer: 'C', streamSeq: 2, killAfterFileOps: 1 }, { type: 'start' }, S, D, D];
    let s = initialState(config, 'v2.10.22');
    let g = EMPTY_GHOST;
    const broken: string[] = [];
    for (const e of events) {
      const r: StepResult = step(s, e);
      const g2 = nextGhost(g, e, r, s.disk, e.type === 'stop' ? observe(s).stream : null);
      const t = { before: s, event: e, result: r, ghostBefore: g, ghostAfter: g2 };
      for (const p of Object.values(PROPERTIES)) if (p.id !== 'consumer-keeps-delivering' && p.applies(t) && p.check(t)) broken.push(p.id);
      s = r.state;
      g = g2;
    }
    expect(broken).toContain('no-sequence-reuse');
    expect(broken).not.toContain('no-acked-redelivery');
  });
});
