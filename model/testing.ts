/**
 * Shared harness for the model's unit tests: a small simulator driving `step`, and compact
 * one-line formats of segments and file operations ("type path details (Go function)").
 */
import { makeConfig, type StoreConfig } from './config.js';
import { fileContent, forcedView, listFiles } from './disk.js';
import type { PerformedOp } from './io.js';
import type { Segment } from './records.js';
import { initialState, step, type ModelEvent, type StepResult } from './step.js';

export type Cfg = Partial<StoreConfig> & Pick<StoreConfig, 'retention' | 'blockSizeBytes'>;

export class Sim {
  state;
  constructor(cfg: Cfg, profile = 'v2.10.22') {
    this.state = initialState(makeConfig(cfg), profile);
  }
  do(e: ModelEvent): StepResult {
    const r = step(this.state, e);
    this.state = r.state;
    return r;
  }
  ops(e: ModelEvent): string[] {
    return this.do(e).ops.map(fmtOp);
  }
  files() {
    return listFiles(this.state.disk.cache);
  }
  durableFiles() {
    return listFiles(forcedView(this.state.disk));
  }
  content(path: string) {
    return fileContent(this.state.disk.cache, path);
  }
  durableInodeOf(path: string) {
    const ino = this.state.disk.cache.entries[path];
    return ino === undefined ? undefined : forcedView(this.state.disk, false).inodes[ino];
  }
}

export function seg(s: Segment): string {
  switch (s.kind) {
    case 'msg':
      return `msg#${s.seq}`;
    case 'tombstone':
      return `tomb#${s.seq}`;
    case 'skip':
      return `skip#${s.seq}`;
    case 'indexdb':
      return 'index.db';
    case 'odat':
      return 'o.dat';
    default:
      return s.kind;
  }
}

/** "type path details (Go function)"; a consumer's name suffix on the function is dropped. */
export function fmtOp(p: PerformedOp): string {
  const fn = p.fn.replace(/\(.*\)$/, '');
  const op = p.op;
  switch (op.type) {
    case 'create':
    case 'unlink':
    case 'fsync':
      return `${op.type} ${op.path} (${fn})`;
    case 'truncate':
      return `truncate ${op.path} to ${op.sizeBytes} (${fn})`;
    case 'write':
      return `write ${op.path} @${op.offsetBytes} ${seg(op.segment)} ${op.segment.bytes}B${op.osync ? ' osync' : ''} (${fn})`;
    case 'rename':
      return `rename ${op.from} ${op.to} (${fn})`;
    case 'fsyncDir':
      return `fsyncDir ${op.dir} (${fn})`;
  }
}

export const FOO10 = { type: 'store', subject: 'foo', payloadBytes: 10 } as const satisfies ModelEvent;
