/**
 * Fixed little-endian binary layout shared by the quantizer serializers: a 4-byte magic, a version
 * byte, then scalars and float32 arrays. DataView fixes the byte order, so a model written on one
 * runtime loads bit-exactly on any other (KV / R2 blobs are read by Workers and Node alike).
 */

export class ByteWriter {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private pos = 0;

  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }

  magic(tag: string, version: number): this {
    for (let i = 0; i < 4; i++) this.buf[this.pos + i] = tag.charCodeAt(i);
    this.pos += 4;
    return this.u8(version);
  }

  u8(v: number): this {
    this.view.setUint8(this.pos, v);
    this.pos += 1;
    return this;
  }

  u32(v: number): this {
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  f64(v: number): this {
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  f32s(a: Float32Array): this {
    for (let i = 0; i < a.length; i++) this.view.setFloat32(this.pos + 4 * i, a[i], true);
    this.pos += 4 * a.length;
    return this;
  }

  u32s(a: Uint32Array): this {
    for (let i = 0; i < a.length; i++) this.view.setUint32(this.pos + 4 * i, a[i], true);
    this.pos += 4 * a.length;
    return this;
  }

  u8s(a: Uint8Array): this {
    this.buf.set(a, this.pos);
    this.pos += a.length;
    return this;
  }

  finish(): Uint8Array {
    if (this.pos !== this.buf.length) throw new Error(`ByteWriter: wrote ${this.pos} of ${this.buf.length} bytes`);
    return this.buf;
  }
}

export class ByteReader {
  private readonly view: DataView;
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Checks the magic tag and returns the version byte. */
  magic(tag: string): number {
    this.need(5);
    let got = '';
    for (let i = 0; i < 4; i++) got += String.fromCharCode(this.bytes[this.pos + i]);
    if (got !== tag) throw new Error(`expected a ${tag} blob, found magic ${JSON.stringify(got)}`);
    this.pos += 4;
    return this.u8();
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  f32s(length: number): Float32Array {
    this.need(4 * length);
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.view.getFloat32(this.pos + 4 * i, true);
    this.pos += 4 * length;
    return out;
  }

  u32s(length: number): Uint32Array {
    this.need(4 * length);
    const out = new Uint32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.view.getUint32(this.pos + 4 * i, true);
    this.pos += 4 * length;
    return out;
  }

  /** A copy of the next `length` bytes (a nested blob). */
  u8s(length: number): Uint8Array {
    this.need(length);
    const out = this.bytes.slice(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /** Trailing bytes mean a format mismatch, not something to ignore silently. */
  end(): void {
    if (this.pos !== this.bytes.length) {
      throw new Error(`unexpected ${this.bytes.length - this.pos} trailing bytes`);
    }
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new Error('truncated quantizer blob');
  }
}
