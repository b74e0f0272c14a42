/**
 * Protocol-buffer wire primitives for the hot path (https://protobuf.dev/programming-guides/encoding/): a bounds-checked
 * reader over a byte view and size/write helpers for varints and tags. Used by the TensorProto reader and writer
 * (core/tensor-proto-reader.ts, core/tensor-proto-writer.ts) and the gRPC Predict codec (api/grpc/predict-wire.ts),
 * which read and write without protobufjs' per-element arrays and per-field writer ops. Pure: no I/O.
 * Wire types: 0 varint, 1 fixed64, 2 length-delimited, 3/4 group start/end (skipped), 5 fixed32.
 */

/** Wire type numbers. */
export const WIRE = { varint: 0, fixed64: 1, bytes: 2, startGroup: 3, endGroup: 4, fixed32: 5 } as const;

/** Thrown on truncated or malformed bytes (the gRPC transport answers INVALID_ARGUMENT `Failed to parse request`). */
export class WireError extends Error {
  override readonly name = 'WireError';
}

/** Sequential reader over `bytes[pos, end)`; every read checks bounds. Views it returns alias `bytes`. */
export class WireReader {
  /** Current offset in `bytes`. */
  pos: number;

  constructor(readonly bytes: Uint8Array, start = 0, readonly end = bytes.length) {
    this.pos = start;
  }

  /** True while bytes remain. */
  more(): boolean {
    return this.pos < this.end;
  }

  /** A varint as an unsigned 32-bit number (higher bits of a 64-bit varint are read and dropped). */
  uint32(): number {
    const b = this.bytes;
    let result = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const byte = b[this.pos++]!;
      if (shift < 32) result |= (byte & 0x7f) << shift;
      if (byte < 0x80) return result >>> 0;
    }
    throw new WireError('varint longer than 10 bytes');
  }

  /** A varint as a signed 64-bit value in a JS number (exact up to 2^53; enough for shapes and versions). */
  int64(): number {
    const b = this.bytes;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError('truncated varint');
      const byte = b[this.pos++]!;
      if (i < 4) lo |= (byte & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (byte & 0x0f) << 28;
        hi |= (byte & 0x7f) >> 4;
      } else hi |= (byte & 0x7f) << (7 * i - 32);
      if (byte < 0x80) return (hi | 0) * 4294967296 + (lo >>> 0);
    }
    throw new WireError('varint longer than 10 bytes');
  }

  /** A field key: returns `field << 3 | wireType` (callers split it). */
  tag(): number {
    return this.uint32();
  }

  /** The payload of a length-delimited field as [start, end) offsets (no copy). */
  span(): [number, number] {
    const len = this.uint32();
    const start = this.pos;
    const stop = start + len;
    if (stop > this.end) throw new WireError('length-delimited field past the end');
    this.pos = stop;
    return [start, stop];
  }

  /** The payload of a length-delimited field as a view. */
  view(): Uint8Array {
    const [s, e] = this.span();
    return this.bytes.subarray(s, e);
  }

  /** Skip `n` bytes. */
  advance(n: number): void {
    if (this.pos + n > this.end) throw new WireError('fixed-width field past the end');
    this.pos += n;
  }

  /** Skip one field's value of `wireType` (groups skipped up to their matching end, as unknown fields). */
  skip(wireType: number, field = 0): void {
    switch (wireType) {
      case WIRE.varint: this.uint32(); return;
      case WIRE.fixed64: this.advance(8); return;
      case WIRE.bytes: this.span(); return;
      case WIRE.fixed32: this.advance(4); return;
      case WIRE.startGroup:
        for (;;) {
          if (!this.more()) throw new WireError('unterminated group');
          const t = this.tag();
          if ((t & 7) === WIRE.endGroup) {
            if (t >>> 3 !== field) throw new WireError('mismatched group end');
            return;
          }
          this.skip(t & 7, t >>> 3);
        }
      default: throw new WireError(`invalid wire type ${wireType}`);
    }
  }
}

/** Bytes of `v` as an unsigned varint (0 ≤ v < 2^32). */
export function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Bytes of a signed int32 as protobuf writes it (negatives sign-extend to 10 bytes). */
export function int32Size(v: number): number {
  return v < 0 ? 10 : varintSize(v);
}

/** Bytes of the 64-bit varint whose halves are `lo`, `hi` (unsigned 32-bit each). */
export function varint64Size(lo: number, hi: number): number {
  if (hi === 0) return varintSize(lo);
  // Bits above 32: 5 bytes carry 35 bits, then 7 more per byte.
  return hi < 0x8 ? 5 : hi < 0x400 ? 6 : hi < 0x20000 ? 7 : hi < 0x1000000 ? 8 : hi < 0x80000000 ? 9 : 10;
}

/** Write an unsigned varint (0 ≤ v < 2^32) at `pos`; returns the next offset. */
export function writeVarint(out: Uint8Array, pos: number, v: number): number {
  while (v > 0x7f) {
    out[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  out[pos++] = v;
  return pos;
}

/** Write a 64-bit varint from its unsigned 32-bit halves; returns the next offset. */
export function writeVarint64(out: Uint8Array, pos: number, lo: number, hi: number): number {
  if (hi === 0) return writeVarint(out, pos, lo);
  for (let i = 0; i < 4; i++) {
    out[pos++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  // lo has 4 bits left; combine with the low 3 bits of hi.
  let rest = hi;
  let byte = lo | ((rest & 0x7) << 4);
  rest >>>= 3;
  while (rest > 0) {
    out[pos++] = byte | 0x80;
    byte = rest & 0x7f;
    rest >>>= 7;
  }
  out[pos++] = byte;
  return pos;
}

/** Write a signed int32 varint (negatives as 10 bytes); returns the next offset. */
export function writeInt32(out: Uint8Array, pos: number, v: number): number {
  return v < 0 ? writeVarint64(out, pos, v >>> 0, 0xffffffff) : writeVarint(out, pos, v);
}

/** A field key. */
export function tagOf(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

/** Size of a length-delimited field with a payload of `len` bytes (key + length + payload); field < 16. */
export function delimitedSize(field: number, len: number): number {
  return varintSize(tagOf(field, WIRE.bytes)) + varintSize(len) + len;
}

/** Write the key and length of a length-delimited field; returns the payload offset. */
export function writeDelimitedHeader(out: Uint8Array, pos: number, field: number, len: number): number {
  return writeVarint(out, writeVarint(out, pos, tagOf(field, WIRE.bytes)), len);
}
