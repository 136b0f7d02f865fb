/** The comparison `scenarios` reports: a run against hand-written expectations. */
import { describe, expect, it } from 'vitest';
import { mismatches, type Expectation } from './expect.js';
import type { ScenarioOutput } from './run.js';

const output: ScenarioOutput = {
  scenario: 'x',
  profile: 'v2.10.22',
  snapshots: [
    {
      label: 'end',
      step: 3,
      atMs: 0,
      stream: { msgs: 0, bytes: 0, firstSeq: 0, lastSeq: 0, numDeleted: 0, lostMsgs: [] },
      blocks: [{ index: 3, firstSeq: 1, lastSeq: 0, msgs: 0, bytes: 0 }],
      files: [{ path: 'msgs/3.blk', bytes: 0 }],
      consumers: { C: { delivered: { consumerSeq: 2, streamSeq: 2 }, ackFloor: { consumerSeq: 1, streamSeq: 1 }, numAckPending: 1 } },
      log: ['could not locate msg block 2'],
    },
  ],
};

describe('mismatches', () => {
  it('is empty when every expected field matches', () => {
    const want: Expectation = { derivation: 'd', snapshots: { end: { stream: { lastSeq: 0 }, blockCount: 1, files: { 'msgs/3.blk': 0, 'msgs/2.blk': 'absent' }, consumers: { C: { delivered: { streamSeq: 2 } } }, logIncludes: ['could not locate msg block 2'] } } };
    expect(mismatches(output, want)).toEqual([]);
  });

  it('names each field that differs, one line each', () => {
    const want: Expectation = { derivation: 'd', snapshots: { end: { stream: { lastSeq: 2 }, files: { 'msgs/3.blk': 'absent' }, logEmpty: true }, gone: {} } };
    expect(mismatches(output, want)).toEqual([
      'end: stream.lastSeq: expected 2, got 0',
      'end: expected no msgs/3.blk, got one of 0 B',
      'end: expected no log lines, got 1',
      'gone: no snapshot with this label',
    ]);
  });
});
