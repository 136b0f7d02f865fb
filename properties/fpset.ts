/**
 * The set of visited states: 128-bit fingerprints in one open-addressing table of 32-bit
 * words (16 bytes a state, at most twice that with the load factor), instead of a string per
 * state. Linear probing; the table doubles when half full.
 */
export class FingerprintSet {
  private table: Uint32Array;
  private mask: number;
  private count = 0;

  constructor(initialSlots = 1 << 16) {
    let n = 1;
    while (n < initialSlots) n <<= 1;
    this.table = new Uint32Array(n * 4);
    this.mask = n - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Bytes the table holds now. */
  get bytes(): number {
    return this.table.byteLength;
  }

  /** Whether the set holds a fingerprint (4 words). */
  has(w: Uint32Array): boolean {
    return !this.isEmpty(this.slotOf(w));
  }

  /** Add a fingerprint (4 words); false when it was there already. */
  add(w: Uint32Array): boolean {
    const j = this.slotOf(w);
    if (!this.isEmpty(j)) return false;
    const t = this.table;
    // The all-zero fingerprint marks an empty slot; a real one is nudged (as likely as any collision).
    t[j] = (w[0]! | w[1]! | w[2]! | w[3]!) === 0 ? 1 : w[0]!;
    t[j + 1] = w[1]!;
    t[j + 2] = w[2]!;
    t[j + 3] = w[3]!;
    this.count++;
    if (this.count * 2 > this.mask + 1) this.grow();
    return true;
  }

  private isEmpty(j: number): boolean {
    const t = this.table;
    return (t[j]! | t[j + 1]! | t[j + 2]! | t[j + 3]!) === 0;
  }

  /** The table offset holding this fingerprint, or of the empty slot where it would go (linear probing). */
  private slotOf(w: Uint32Array): number {
    let a = w[0]!;
    const b = w[1]!;
    const c = w[2]!;
    const d = w[3]!;
    if ((a | b | c | d) === 0) a = 1;
    const t = this.table;
    for (let i = (a ^ c) & this.mask; ; i = (i + 1) & this.mask) {
      const j = i * 4;
      if ((t[j]! === a && t[j + 1]! === b && t[j + 2]! === c && t[j + 3]! === d) || (t[j]! | t[j + 1]! | t[j + 2]! | t[j + 3]!) === 0) return j;
    }
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    this.mask = (this.table.length >> 2) - 1;
    this.count = 0;
    const w = new Uint32Array(4);
    for (let j = 0; j < old.length; j += 4) {
      if ((old[j]! | old[j + 1]! | old[j + 2]! | old[j + 3]!) === 0) continue;
      w[0] = old[j]!;
      w[1] = old[j + 1]!;
      w[2] = old[j + 2]!;
      w[3] = old[j + 3]!;
      this.add(w);
    }
  }
}
