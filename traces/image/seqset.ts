/**
 * `avl.SequenceSet` encoding (server/avl/seqset.go, v2.10.22 L226-271), the delete map that
 * index.db carries per block: header `22, 2, u32 nodes, u32 entries`, then each node in
 * pre-order (node, left, right) as `u64 base, 32 x u64 bitmap words, u16 height`. A node
 * covers 2048 sequences from base = floor(seq/2048)*2048. The writer emits a balanced tree
 * (the server's AVL tree is balanced too); the decoder, like the server's, only collects.
 */
import { ByteReader, ByteWriter, DecodeError } from './varint.js';

export const SEQSET_MAGIC = 22;
export const SEQSET_VERSION = 2;
const BUCKETS = 32;
const SEQS_PER_NODE = BUCKETS * 64;

interface Node {
  base: number;
  words: bigint[];
  left: Node | null;
  right: Node | null;
  height: number;
}

function build(nodes: Node[], lo: number, hi: number): Node | null {
  if (lo > hi) return null;
  const mid = (lo + hi) >> 1;
  const n = nodes[mid]!;
  n.left = build(nodes, lo, mid - 1);
  n.right = build(nodes, mid + 1, hi);
  n.height = 1 + Math.max(n.left?.height ?? 0, n.right?.height ?? 0);
  return n;
}

export function encodeSeqSet(seqs: readonly number[]): Uint8Array {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const byBase = new Map<number, Node>();
  for (const s of sorted) {
    const base = Math.floor(s / SEQS_PER_NODE) * SEQS_PER_NODE;
    let n = byBase.get(base);
    if (!n) byBase.set(base, (n = { base, words: Array<bigint>(BUCKETS).fill(0n), left: null, right: null, height: 0 }));
    const off = s - base;
    n.words[off >> 6] = n.words[off >> 6]! | (1n << BigInt(off & 63));
  }
  const nodes = [...byBase.values()];
  const root = build(nodes, 0, nodes.length - 1);
  const w = new ByteWriter().u8(SEQSET_MAGIC).u8(SEQSET_VERSION).le(nodes.length, 4).le(sorted.length, 4);
  const visit = (n: Node | null): void => {
    if (!n) return;
    w.le(n.base, 8);
    for (const word of n.words) w.le(word, 8);
    w.le(n.height, 2);
    visit(n.left);
    visit(n.right);
  };
  visit(root);
  return w.finish();
}

/** Decode at the reader's position (v2, or v1 with 64 words per node); ascending sequences. */
export function decodeSeqSet(r: ByteReader): number[] {
  const magic = r.u8();
  const version = r.u8();
  if (magic !== SEQSET_MAGIC) throw new DecodeError(`delete map: bad magic ${magic}`);
  if (version !== 1 && version !== 2) throw new DecodeError(`delete map: unknown version ${version}`);
  const words = version === 1 ? 64 : BUCKETS;
  const nodes = Number(r.le(4));
  const size = Number(r.le(4));
  const out: number[] = [];
  for (let i = 0; i < nodes; i++) {
    const base = Number(r.le(8));
    for (let w = 0; w < words; w++) {
      const word = r.le(8);
      for (let b = 0; b < 64; b++) if ((word >> BigInt(b)) & 1n) out.push(base + w * 64 + b);
    }
    r.le(2); // height
  }
  out.sort((a, b) => a - b);
  if (out.length !== size) throw new DecodeError(`delete map: header says ${size} entries, nodes hold ${out.length}`);
  return out;
}
