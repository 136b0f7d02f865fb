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
    let a = w[0]!;
    const b = w[1]!;
    const c = w[2]!;
    const d = w[3]!;
    if ((a | b | c | d) === 0) a = 1;
    const t = this.table;
    let i = (a ^ c) & this.mask;
    for (;;) {
      const j = i * 4;
      const x = t[j]!;
      const y = t[j + 1]!;
      const z = t[j + 2]!;
      const u = t[j + 3]!;
      if ((x | y | z | u) === 0) return false;
      if (x === a && y === b && z === c && u === d) return true;
      i = (i + 1) & this.mask;
    }
  }

  /** Add a fingerprint (4 words); false when it was there already. */
  add(w: Uint32Array): boolean {
    // The all-zero fingerprint marks an empty slot; a real one is nudged (as likely as any collision).
    let a = w[0]!;
    const b = w[1]!;
    const c = w[2]!;
    const d = w[3]!;
    if ((a | b | c | d) === 0) a = 1;
    const t = this.table;
    let i = (a ^ c) & this.mask;
    for (;;) {
      const j = i * 4;
      const x = t[j]!;
      const y = t[j + 1]!;
      const z = t[j + 2]!;
      const u = t[j + 3]!;
      if ((x | y | z | u) === 0) {
        t[j] = a;
        t[j + 1] = b;
        t[j + 2] = c;
        t[j + 3] = d;
        this.count++;
        if (this.count * 2 > this.mask + 1) this.grow();
        return true;
      }
      if (x === a && y === b && z === c && u === d) return false;
      i = (i + 1) & this.mask;
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
