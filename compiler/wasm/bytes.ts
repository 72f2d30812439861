// A growable byte buffer with the encodings of the WebAssembly binary format: LEB128 integers,
// little-endian IEEE floats, length-prefixed names and vectors.

export class ByteWriter {
  private data = new Uint8Array(256);
  private length = 0;

  get size(): number {
    return this.length;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    let capacity = this.data.length * 2;
    while (capacity < this.length + extra) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }

  byte(b: number): this {
    this.reserve(1);
    this.data[this.length++] = b & 0xff;
    return this;
  }

  bytes(bs: ArrayLike<number>): this {
    this.reserve(bs.length);
    for (let i = 0; i < bs.length; i++) this.data[this.length++] = bs[i]! & 0xff;
    return this;
  }

  /** Unsigned LEB128 of a 32-bit count, index or offset. */
  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`internal error: ${value} is not a u32`);
    let v = value;
    do {
      let b = v % 128;
      v = Math.floor(v / 128);
      if (v !== 0) b |= 0x80;
      this.byte(b);
    } while (v !== 0);
    return this;
  }

  /** Signed LEB128 of a 32-bit integer (i32.const takes its operand this way, unsigned values wrapped). */
  i32(value: number): this {
    if (!Number.isInteger(value) || value < -0x80000000 || value > 0xffffffff) throw new Error(`internal error: ${value} is not an i32`);
    let v = value | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
      this.byte(done ? b : b | 0x80);
      if (done) return this;
    }
  }

  f32(value: number): this {
    const view = new DataView(new ArrayBuffer(4));
    view.setFloat32(0, value, true);
    return this.bytes(new Uint8Array(view.buffer));
  }

  f64(value: number): this {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, value, true);
    return this.bytes(new Uint8Array(view.buffer));
  }

  /** A UTF-8 name, length first. */
  name(text: string): this {
    const encoded = new TextEncoder().encode(text);
    return this.u32(encoded.length).bytes(encoded);
  }

  /** Another writer's bytes, length first (section and function bodies). */
  sized(inner: ByteWriter): this {
    return this.u32(inner.size).bytes(inner.finish());
  }

  finish(): Uint8Array {
    return this.data.slice(0, this.length);
  }
}
