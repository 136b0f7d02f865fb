/**
 * Go's `encoding/binary` varints: `AppendUvarint` (LEB128 on uint64) and `AppendVarint`
 * (zig-zag). Values are bigints so uint64 wrap-around (a pending seq below the ack floor) and
 * nanosecond timestamps are exact.
 */
const U64 = 1n << 64n;

export class ByteWriter {
  private readonly chunks: number[] = [];

  u8(v: number): this {
    this.chunks.push(v & 0xff);
    return this;
  }
  /** Little-endian unsigned integer of `bytes` bytes. */
  le(v: bigint | number, bytes: number): this {
    let x = BigInt.asUintN(bytes * 8, BigInt(v));
    for (let i = 0; i < bytes; i++) {
      this.chunks.push(Number(x & 0xffn));
      x >>= 8n;
    }
    return this;
  }
  uvarint(v: bigint | number): this {
    let x = BigInt(v);
    if (x < 0n) x += U64; // uint64 wraps
    while (x >= 0x80n) {
      this.chunks.push(Number((x & 0x7fn) | 0x80n));
      x >>= 7n;
    }
    this.chunks.push(Number(x));
    return this;
  }
  varint(v: bigint | number): this {
    const x = BigInt(v);
    return this.uvarint(x >= 0n ? x << 1n : ((-x) << 1n) - 1n);
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.chunks.push(x);
    return this;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

/** A bounds-checked cursor; every read past the end throws `DecodeError`. */
export class ByteReader {
  offset = 0;
  constructor(
    readonly buf: Uint8Array,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.buf.length - this.offset;
  }
  private need(n: number): void {
    if (this.offset + n > this.buf.length) throw new DecodeError(`${this.what}: truncated at byte ${this.offset} (needs ${n} more)`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.offset++]!;
  }
  le(bytes: number): bigint {
    this.need(bytes);
    let x = 0n;
    for (let i = bytes - 1; i >= 0; i--) x = (x << 8n) | BigInt(this.buf[this.offset + i]!);
    this.offset += bytes;
    return x;
  }
  uvarint(): bigint {
    let x = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      x |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asUintN(64, x);
      shift += 7n;
    }
    throw new DecodeError(`${this.what}: varint overflows 64 bits at byte ${this.offset}`);
  }
  varint(): bigint {
    const u = this.uvarint();
    return u & 1n ? -((u >> 1n) + 1n) : u >> 1n;
  }
  /** A uvarint that must fit a JS safe integer (sequences, counts). */
  num(): number {
    const v = this.uvarint();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError(`${this.what}: value ${v} at byte ${this.offset} is out of range`);
    return Number(v);
  }
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}

export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}
