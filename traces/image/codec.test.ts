/**
 * The encoders and decoders against bytes derived independently of them: the test vectors of
 * the reference (nats-disk-formats.md §8, made with another HighwayHash implementation and
 * confirmed against a live server), byte strings computed by hand from the Go source's
 * layouts, and a store directory written by a real nats-server v2.10.22 (fixtures/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeBlockFile, encodeRecordParts, EBIT, TBIT } from './blockfile.js';
import { blockKey, highway64, sha256, streamKey, toHex } from './hash.js';
import { decodeIndexDb, encodeIndexDb } from './indexdb.js';
import { decodeConsumerState, encodeConsumerState } from './odat.js';
import { decodeSeqSet, encodeSeqSet } from './seqset.js';
import { ByteReader } from './varint.js';
import { readStoreDir } from './decode.js';
import { headerBytes, payloadBytes } from './content.js';

const enc = new TextEncoder();
const hex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const TS = 1_700_000_000_000_000_000n;
const EPOCH = 1_700_000_000_000;

describe('hashes (reference §8 vectors)', () => {
  it('SHA-256 of the stream name and HighwayHash-64 of "{}" under it', () => {
    expect(toHex(sha256('ORDERS'))).toBe('d0d6efb188ea82c3cd3bc1b51990653384d7611ec990f74abce48a766fc10e37');
    expect(toHex(highway64(streamKey('ORDERS'), enc.encode('{}')))).toBe('b501fa87d7a6c5aa');
  });
});

describe('block records (reference §8 vectors)', () => {
  const key = blockKey('ORDERS', 1);
  const none = new Uint8Array();
  const msg1 = '29000000010000000000000000002a36fe9c971708006f72646572732e616f6e65dd0990dd7e943808';
  const msg2 = '38000080020000000000000001002a36fe9c971708006f72646572732e620c0000004e4154532f312e300d0a0d0a6869efef21c5a22dd420';
  const skip3 = '1e000000030000000000008002002a36fe9c971700009364e1bcecb84700';

  it('encodes a message, a message with headers and a skip record byte for byte', () => {
    expect(toHex(encodeRecordParts(key, { seqWithFlags: 1n, tsNs: TS, subject: enc.encode('orders.a'), headers: none, payload: enc.encode('one') }))).toBe(msg1);
    expect(toHex(encodeRecordParts(key, { seqWithFlags: 2n, tsNs: TS + 1n, subject: enc.encode('orders.b'), headers: enc.encode('NATS/1.0\r\n\r\n'), payload: enc.encode('hi') }))).toBe(msg2);
    expect(toHex(encodeRecordParts(key, { seqWithFlags: 3n | EBIT, tsNs: TS + 2n, subject: none, headers: none, payload: none }))).toBe(skip3);
  });

  it('decodes them back, and stops at a corrupt record as the server does', () => {
    const file = hex(msg1 + msg2 + skip3);
    const d = decodeBlockFile('ORDERS', 1, file, EPOCH);
    expect(d.records.map((r) => [r.kind, r.seq, r.subject, r.headersBytes, r.payloadBytes, r.bytes, r.checksumOk])).toEqual([
      ['msg', 1, 'orders.a', 0, 3, 41, true],
      ['msg', 2, 'orders.b', 12, 2, 56, true],
      ['skip', 3, '', 0, 0, 30, true],
    ]);
    expect(d.records[0]!.tsMs).toBe(0);
    expect(d.badTailBytes).toBe(0);
    const bad = file.slice();
    bad[41 + 30]! ^= 0xff; // a payload byte of seq 2
    const c = decodeBlockFile('ORDERS', 1, bad, EPOCH);
    expect(c.records.map((r) => r.seq)).toEqual([1]);
    expect(c.badTailBytes).toBe(56 + 30);
    // The same bytes in block 2's file fail its key, but are recognised as block 1's.
    const moved = decodeBlockFile('ORDERS', 2, hex(msg1), EPOCH, [1, 2]);
    expect(moved.records.map((r) => [r.seq, r.blockIndex, r.checksumOk])).toEqual([[1, 1, false]]);
  });

  it('a tombstone is seq|tbit with no body', () => {
    const t = encodeRecordParts(key, { seqWithFlags: 7n | TBIT, tsNs: 0n, subject: none, headers: none, payload: none });
    expect(t.length).toBe(30);
    expect(toHex(t.subarray(0, 22))).toBe('1e000000' + '0700000000000040' + '0000000000000000' + '0000');
    expect(decodeBlockFile('ORDERS', 1, t, EPOCH).records[0]).toMatchObject({ kind: 'tombstone', seq: 7, tsMs: null });
  });
});

describe('deterministic contents', () => {
  it('payloads and header blocks have the requested sizes and are functions of seq', () => {
    expect(Buffer.from(payloadBytes(12, 10)).toString()).toBe('s12.s12.s1');
    for (const n of [12, 13, 20, 24, 25, 26, 100]) expect(headerBytes(3, n).length).toBe(n);
    expect(Buffer.from(headerBytes(3, 12)).toString()).toBe('NATS/1.0\r\n\r\n');
    expect(Buffer.from(headerBytes(3, 30)).toString()).toBe('NATS/1.0\r\nModel-Pad: s3.s3\r\n\r\n');
  });
});

describe('o.dat (hand-derived from encodeConsumerState, store.go L371-431)', () => {
  // ackFloor (1,1), delivered (3,3), pending seq 2 (dseq 2, at +500 ms) and seq 3 (dseq 3, at
  // +1200 ms), written at +2600 ms: mints = round(1700000002.6) = 1700000003; one redelivery of 3.
  const state = {
    ackFloor: { consumerSeq: 1, streamSeq: 1 },
    delivered: { consumerSeq: 3, streamSeq: 3 },
    pending: [
      { streamSeq: 2, consumerSeq: 2, tsMs: 500 },
      { streamSeq: 3, consumerSeq: 3, tsMs: 1200 },
    ],
    redelivered: [{ streamSeq: 3, count: 1 }],
  };
  const bytes = '1602010103030286c49fd50c010106020204010201';

  it('encodes', () => {
    expect(toHex(encodeConsumerState(state, 2600, EPOCH))).toBe(bytes);
    expect(toHex(encodeConsumerState({ ackFloor: { consumerSeq: 0, streamSeq: 0 }, delivered: { consumerSeq: 0, streamSeq: 0 }, pending: [], redelivered: [] }, 0, EPOCH))).toBe('1602000000000000');
  });

  it('decodes, with pending times at whole seconds', () => {
    const d = decodeConsumerState(hex(bytes), EPOCH);
    expect(d.state).toEqual({ ...state, pending: [{ streamSeq: 2, consumerSeq: 2, tsMs: 0 }, { streamSeq: 3, consumerSeq: 3, tsMs: 1000 }] });
    expect(d.trailingBytes).toBe(0);
  });
});

describe('delete map (avl.SequenceSet v2, seqset.go L226-271)', () => {
  it('encodes {5, 7, 2100} as two nodes in pre-order with heights', () => {
    const b = encodeSeqSet([7, 2100, 5]);
    expect(b.length).toBe(10 + 2 * 266);
    expect(toHex(b.subarray(0, 10))).toBe('16020200000003000000');
    // root: base 0, word 0 has bits 5 and 7 (0xa0), height 2; then the right child: base 2048.
    expect(toHex(b.subarray(10, 26))).toBe('0000000000000000a000000000000000');
    expect(toHex(b.subarray(10 + 264, 10 + 266))).toBe('0200');
    expect(toHex(b.subarray(10 + 266, 10 + 266 + 8))).toBe('0008000000000000');
    // 2100 - 2048 = 52: word 0, bit 52
    expect(toHex(b.subarray(10 + 266 + 8, 10 + 266 + 16))).toBe('0000000000001000');
    expect(toHex(b.subarray(b.length - 2))).toBe('0100');
    expect(decodeSeqSet(new ByteReader(b, 'dmap'))).toEqual([5, 7, 2100]);
  });
});

describe('index.db (hand-derived from _writeFullState, filestore.go L7890-8060)', () => {
  const summary = {
    msgs: 1, bytes: 43, firstSeq: 2, firstTsMs: 1000, lastSeq: 3, lastTsMs: 2000,
    subjects: [{ subject: 'foo', total: 1, fblk: 1, lblk: 1 }],
    blocks: [{ index: 1, bytes: 43, firstSeq: 2, firstTsMs: 1000, lastSeq: 3, lastTsMs: 2000, dmap: [] }],
    lmbIndex: 1, lmbLastChecksum: '0102030405060708',
  };
  const v1 = '0b01012b0280a8a69ccebfce972f0380d0fcd5d5bfce972f0103666f6f010101012b02000380a8d6b90700010102030405060708';
  const v4 = '0b04012b0280a8a69ccebfce972f0380d0fcd5d5bfce972f0103666f6f01010101012b02000380a8d6b907000000010102030405060708';

  it('v1 (2.10) and v4 (2.14: ttls, schedules, lblk always) bodies, then HighwayHash keyed by SHA(stream)', () => {
    for (const [version, body] of [[1, v1], [4, v4]] as const) {
      const b = encodeIndexDb('ORDERS', summary, summary.lmbLastChecksum, version, EPOCH);
      expect(toHex(b.subarray(0, b.length - 8))).toBe(body);
      expect(toHex(b.subarray(b.length - 8))).toBe(toHex(highway64(sha256('ORDERS'), hex(body))));
      const d = decodeIndexDb('ORDERS', b, EPOCH);
      expect(d.checksumOk).toBe(true);
      expect(d.version).toBe(version);
      expect(d.summary).toEqual(summary);
    }
  });

  it('a flipped byte fails the checksum', () => {
    const b = encodeIndexDb('ORDERS', summary, '', 1, EPOCH);
    b[3]! ^= 1;
    expect(decodeIndexDb('ORDERS', b, EPOCH).checksumOk).toBe(false);
  });
});

describe('a store directory written by nats-server v2.10.22 (fixtures/v2.10.22-orders, realserver/make-fixture.ts)', () => {
  const dir = join(import.meta.dirname, 'fixtures', 'v2.10.22-orders');
  const store = readStoreDir(dir, { epochMs: 0 });
  const blk = new Uint8Array(readFileSync(join(store.streamDir, 'msgs/1.blk')));

  it('decodes what was done to the server: 3 messages, seq 1 acked (tombstone), C delivered 2 with ack floor 1', () => {
    expect(store.stream).toBe('ORDERS');
    expect(store.metaOk).toBe(true);
    const recs = store.blocks[0]!.records;
    expect(recs.map((r) => [r.kind, r.seq, r.subject, Buffer.from(r.payload).toString(), r.checksumOk])).toEqual([
      ['msg', 1, 'orders.a', 'one', true],
      ['msg', 2, 'orders.b', 'hi', true],
      ['msg', 3, 'orders.a', 'three', true],
      ['tombstone', 1, '', '', true],
    ]);
    expect(recs[1]!.headersBytes).toBe('NATS/1.0\r\nNats-Msg-Id: two\r\n\r\n'.length);
    expect(store.blocks[0]!.badTailBytes).toBe(0);
    expect(store.indexDb && 'summary' in store.indexDb && store.indexDb.checksumOk).toBe(true);
    const idx = (store.indexDb as { summary: { msgs: number; firstSeq: number; lastSeq: number; bytes: number; lmbIndex: number; lmbLastChecksum: string } }).summary;
    expect([idx.msgs, idx.firstSeq, idx.lastSeq, idx.bytes, idx.lmbIndex]).toEqual([2, 2, 3, recs[1]!.bytes + recs[2]!.bytes, 1]);
    expect(idx.lmbLastChecksum).toBe(toHex(blk.subarray(blk.length - 8)));
    const c = store.consumers.C as unknown as { state: { delivered: unknown; ackFloor: unknown; pending: { streamSeq: number }[] } };
    expect(c.state.delivered).toEqual({ consumerSeq: 2, streamSeq: 2 });
    expect(c.state.ackFloor).toEqual({ consumerSeq: 1, streamSeq: 1 });
    expect(c.state.pending.map((p) => p.streamSeq)).toEqual([2]);
  });

  it('our encoder writes each of the server\'s records byte for byte, and its index.db but for sub-millisecond times', () => {
    let at = 0;
    for (const r of store.blocks[0]!.records) {
      const raw = blk.subarray(at, at + r.bytes);
      const flags = r.kind === 'tombstone' ? TBIT : r.kind === 'skip' ? EBIT : 0n;
      const tsNs = new ByteReader(raw.subarray(12, 20), 'ts').le(8);
      const hdrs = r.headersBytes ? raw.subarray(22 + r.subject.length + 4, 22 + r.subject.length + 4 + r.headersBytes) : new Uint8Array();
      const mine = encodeRecordParts(blockKey('ORDERS', 1), { seqWithFlags: BigInt(r.seq) | flags, tsNs, subject: enc.encode(r.subject), headers: hdrs, payload: r.payload });
      expect(toHex(mine)).toBe(toHex(raw));
      at += r.bytes;
    }
    const idxRaw = new Uint8Array(readFileSync(join(store.streamDir, 'msgs/index.db')));
    const s = (store.indexDb as { summary: Parameters<typeof encodeIndexDb>[1] }).summary;
    // The model's times are milliseconds: the server's nanoseconds do not survive, the rest does.
    const mine = encodeIndexDb('ORDERS', s, s.lmbLastChecksum, 1, 0);
    expect(mine.length).toBe(idxRaw.length);
    expect(decodeIndexDb('ORDERS', mine, 0).summary).toEqual(s);
    const subjectsAt = 2 + 1 + 1 + 1; // magic, version, msgs, bytes (117: 1 byte), firstSeq
    const tail = (b: Uint8Array) => toHex(b.subarray(b.length - 8 - 9, b.length - 8)); // lmb index + lchk
    expect(tail(mine)).toBe(tail(idxRaw));
    expect(toHex(mine.subarray(0, subjectsAt))).toBe(toHex(idxRaw.subarray(0, subjectsAt)));
  });
});
