/**
 * TensorProto straight to and from bytes (tensorflow/core/framework/tensor.proto), for the Predict hot path.
 *
 * Reading: every packed numeric `*_val` field becomes one typed array (float_val → Float32Array, int64_val →
 * BigInt64Array, ...), never a JS number array. A float/double field that arrives as a single aligned packed run is a
 * zero-copy view of the request bytes (like tensor_content, see tensor-proto.ts); otherwise its runs are copied
 * once. Unpacked (one key per value) and split runs are accepted, as protobuf parsers must. Unknown fields are
 * skipped. The result is a TensorProtoMessage that decodeTensorProto (tensor-proto.ts) turns into a core Tensor.
 *
 * Writing: `tensorProtoSize` then `writeTensorProto` lay out one TensorProto in place: dtype, tensor_shape, then
 * the typed field of the dtype as one packed run (float32/float64 bytes copied from the typed array in one go,
 * varints otherwise), or `tensor_content`, or `string_val`. Proto3 canonical: zero scalars and empty fields omitted.
 */
import { tfNumber } from '../../core/dtype.ts';
import type { Tensor, TensorData } from '../../core/tensor.ts';
import {
  WIRE, WireError, WireReader, delimitedSize, int32Size, tagOf, varint64Size, varintSize, writeDelimitedHeader,
  writeInt32, writeVarint, writeVarint64,
} from './proto-wire.ts';
import type { DimMessage, TensorProtoMessage, TensorShapeMessage } from './tensor-proto.ts';

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** TensorProto field numbers (tensor.proto). */
const F = {
  dtype: 1, shape: 2, content: 4, float: 5, double: 6, int: 7, string: 8, int64: 10, bool: 11, half: 13, uint32: 16, uint64: 17,
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Reading

/** The byte runs of one repeated numeric field, in arrival order. */
type Runs = Uint8Array[];

function addRun(runs: Map<number, Runs>, field: number, run: Uint8Array): void {
  const list = runs.get(field);
  if (list) list.push(run);
  else runs.set(field, [run]);
}

/** One contiguous byte run: the only run as is, or all runs copied into one new buffer. */
function joined(runs: Runs): Uint8Array {
  if (runs.length === 1) return runs[0]!;
  const total = runs.reduce((n, r) => n + r.length, 0);
  const out = new Uint8Array(total);
  let pos = 0;
  for (const r of runs) {
    out.set(r, pos);
    pos += r.length;
  }
  return out;
}

/** Fixed-width little-endian values as a typed array: a view when aligned (little-endian host), else one copy. */
function fixed<T extends Float32Array | Float64Array>(
  C: { new (b: ArrayBufferLike, o: number, n: number): T; readonly BYTES_PER_ELEMENT: number },
  runs: Runs,
): T {
  const bytes = joined(runs);
  const w = C.BYTES_PER_ELEMENT;
  if (bytes.length % w !== 0) throw new WireError('packed fixed-width field with a partial element');
  const n = bytes.length / w;
  if (LITTLE_ENDIAN && bytes.byteOffset % w === 0) return new C(bytes.buffer, bytes.byteOffset, n);
  const copy = new Uint8Array(bytes); // a real copy (Buffer#slice would be a view)
  if (!LITTLE_ENDIAN) for (let i = 0; i < copy.length; i += w) copy.subarray(i, i + w).reverse();
  return new C(copy.buffer, 0, n);
}

/** Count the varints in `bytes` (terminal bytes have the high bit clear). */
function countVarints(bytes: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! < 0x80) n++;
  return n;
}

/** Packed varints as 32-bit values (low 32 bits of each). */
function varints32<T extends Int32Array | Uint32Array | Uint8Array>(C: new (n: number) => T, runs: Runs, asBool = false): T {
  const bytes = joined(runs);
  const out = new C(countVarints(bytes));
  const r = new WireReader(bytes);
  for (let i = 0; r.more(); i++) {
    const v = r.uint32();
    out[i] = asBool ? (v !== 0 ? 1 : 0) : v;
  }
  return out;
}

/** Packed varints as 64-bit values, written through a 32-bit view of the result (no bigint per element). */
function varints64<T extends BigInt64Array | BigUint64Array>(C: new (n: number) => T, runs: Runs): T {
  const bytes = joined(runs);
  const out = new C(countVarints(bytes));
  const halves = new Uint32Array(out.buffer);
  const [l, h] = LITTLE_ENDIAN ? [0, 1] : [1, 0];
  let pos = 0;
  for (let i = 0; pos < bytes.length; i++) {
    let lo = 0;
    let hi = 0;
    for (let k = 0; ; k++) {
      if (k === 10 || pos >= bytes.length) throw new WireError('malformed varint');
      const b = bytes[pos++]!;
      if (k < 4) lo |= (b & 0x7f) << (7 * k);
      else if (k === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * k - 32);
      if (b < 0x80) break;
    }
    halves[2 * i + l] = lo >>> 0;
    halves[2 * i + h] = hi >>> 0;
  }
  return out;
}

function readShape(bytes: Uint8Array, start: number, end: number): TensorShapeMessage {
  const r = new WireReader(bytes, start, end);
  const dim: DimMessage[] = [];
  let unknownRank = false;
  while (r.more()) {
    const t = r.tag();
    if (t === tagOf(2, WIRE.bytes)) {
      const [s, e] = r.span();
      const d = new WireReader(bytes, s, e);
      const out: DimMessage = { size: 0 };
      while (d.more()) {
        const dt = d.tag();
        if (dt === tagOf(1, WIRE.varint)) out.size = d.int64();
        else d.skip(dt & 7, dt >>> 3);
      }
      dim.push(out);
    } else if (t === tagOf(3, WIRE.varint)) unknownRank = r.uint32() !== 0;
    else r.skip(t & 7, t >>> 3);
  }
  return unknownRank ? { dim, unknown_rank: true } : { dim };
}

/** Which wire type a packable field's single (unpacked) value has. */
function unpackedWireType(field: number): number {
  return field === F.float ? WIRE.fixed32 : field === F.double ? WIRE.fixed64 : WIRE.varint;
}

const PACKABLE: ReadonlySet<number> = new Set([F.float, F.double, F.int, F.int64, F.bool, F.half, F.uint32, F.uint64]);

/** Parse one TensorProto from `bytes[start, end)`. Throws WireError on malformed bytes. */
export function readTensorProto(bytes: Uint8Array, start = 0, end = bytes.length): TensorProtoMessage {
  const r = new WireReader(bytes, start, end);
  const msg: TensorProtoMessage = {};
  const runs = new Map<number, Runs>();
  let strings: Uint8Array[] | undefined;
  while (r.more()) {
    const t = r.tag();
    const field = t >>> 3;
    const wt = t & 7;
    if (field === F.dtype && wt === WIRE.varint) msg.dtype = r.uint32() | 0;
    else if (field === F.shape && wt === WIRE.bytes) {
      const [s, e] = r.span();
      msg.tensor_shape = readShape(bytes, s, e);
    } else if (field === F.content && wt === WIRE.bytes) msg.tensor_content = r.view();
    else if (field === F.string && wt === WIRE.bytes) (strings ??= []).push(r.view());
    else if (PACKABLE.has(field) && wt === WIRE.bytes) addRun(runs, field, r.view());
    else if (PACKABLE.has(field) && wt === unpackedWireType(field)) {
      const s = r.pos;
      r.skip(wt);
      addRun(runs, field, bytes.subarray(s, r.pos));
    } else r.skip(wt, field);
  }
  if (strings) msg.string_val = strings;
  for (const [field, list] of runs) {
    switch (field) {
      case F.float: msg.float_val = fixed(Float32Array, list); break;
      case F.double: msg.double_val = fixed(Float64Array, list); break;
      case F.int: msg.int_val = varints32(Int32Array, list); break;
      case F.half: msg.half_val = varints32(Int32Array, list); break;
      case F.uint32: msg.uint32_val = varints32(Uint32Array, list); break;
      case F.bool: msg.bool_val = varints32(Uint8Array, list, true); break;
      case F.int64: msg.int64_val = varints64(BigInt64Array, list); break;
      case F.uint64: msg.uint64_val = varints64(BigUint64Array, list); break;
    }
  }
  return msg;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

type Numeric = Exclude<TensorData, Uint8Array[]>;

/** The typed field a dtype's values go to. */
function valueField(dtype: Tensor['dtype']): number {
  switch (dtype) {
    case 'float32': return F.float;
    case 'float64': return F.double;
    case 'float16': case 'bfloat16': return F.half;
    case 'int64': return F.int64;
    case 'uint64': return F.uint64;
    case 'uint32': return F.uint32;
    case 'bool': return F.bool;
    case 'string': return F.string;
    default: return F.int; // int8, int16, int32, uint8, uint16
  }
}

/** The 32-bit halves view of 64-bit storage. */
const halvesOf = (d: BigInt64Array | BigUint64Array): Uint32Array => new Uint32Array(d.buffer, d.byteOffset, d.length * 2);

/** Payload bytes of the packed typed field of `t` (0 when empty). */
function packedSize(t: Tensor, data: Numeric): number {
  switch (t.dtype) {
    case 'float32': case 'float64': return data.byteLength;
    case 'bool': return data.length;
    case 'int64': case 'uint64': {
      const h = halvesOf(data as BigInt64Array);
      const lo = LITTLE_ENDIAN ? 0 : 1;
      let n = 0;
      for (let i = 0; i < data.length; i++) n += varint64Size(h[2 * i + lo]!, h[2 * i + 1 - lo]!);
      return n;
    }
    case 'uint32': {
      let n = 0;
      for (const v of data as Uint32Array) n += varintSize(v);
      return n;
    }
    default: {
      let n = 0;
      for (const v of data as Int32Array) n += int32Size(v);
      return n;
    }
  }
}

function writePacked(out: Uint8Array, pos: number, t: Tensor, data: Numeric): number {
  switch (t.dtype) {
    case 'float32': case 'float64': {
      if (LITTLE_ENDIAN) {
        out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
        return pos + data.byteLength;
      }
      const dv = new DataView(out.buffer, out.byteOffset);
      for (const v of data as Float64Array) {
        if (t.dtype === 'float32') dv.setFloat32(pos, v, true);
        else dv.setFloat64(pos, v, true);
        pos += data.BYTES_PER_ELEMENT;
      }
      return pos;
    }
    case 'bool':
      for (const v of data as Uint8Array) out[pos++] = v ? 1 : 0;
      return pos;
    case 'int64': case 'uint64': {
      const h = halvesOf(data as BigInt64Array);
      const lo = LITTLE_ENDIAN ? 0 : 1;
      for (let i = 0; i < data.length; i++) pos = writeVarint64(out, pos, h[2 * i + lo]!, h[2 * i + 1 - lo]!);
      return pos;
    }
    case 'uint32':
      for (const v of data as Uint32Array) pos = writeVarint(out, pos, v);
      return pos;
    default:
      for (const v of data as Int32Array) pos = writeInt32(out, pos, v);
      return pos;
  }
}

/** Size of a TensorShapeProto's payload. */
function shapeSize(shape: readonly number[]): number {
  let n = 0;
  for (const d of shape) {
    const dim = d === 0 ? 0 : 1 + varint64Size(d >>> 0, Math.floor(d / 4294967296) >>> 0);
    n += delimitedSize(2, dim);
  }
  return n;
}

function writeShape(out: Uint8Array, pos: number, shape: readonly number[]): number {
  for (const d of shape) {
    if (d === 0) {
      pos = writeDelimitedHeader(out, pos, 2, 0);
      continue;
    }
    const lo = d >>> 0;
    const hi = Math.floor(d / 4294967296) >>> 0;
    pos = writeDelimitedHeader(out, pos, 2, 1 + varint64Size(lo, hi));
    out[pos++] = tagOf(1, WIRE.varint);
    pos = writeVarint64(out, pos, lo, hi);
  }
  return pos;
}

/** A planned TensorProto: its payload size and what it needs for writing. Build with planTensorProto. */
export interface TensorPlan {
  readonly tensor: Tensor;
  readonly tensorContent: boolean;
  /** Bytes of the TensorProto payload (without any enclosing key/length). */
  readonly size: number;
  readonly valuesSize: number;
  readonly shapeSize: number;
}

/** Measure the TensorProto of `t` (typed field, or tensor_content when `tensorContent`; strings always string_val). */
export function planTensorProto(t: Tensor, tensorContent: boolean): TensorPlan {
  const dtypeSize = 1 + varintSize(tfNumber(t.dtype));
  const sSize = shapeSize(t.shape);
  let size = dtypeSize + delimitedSize(F.shape, sSize);
  let valuesSize = 0;
  if (t.dtype === 'string') {
    for (const s of t.data as Uint8Array[]) size += delimitedSize(F.string, s.length);
  } else if (t.data.length > 0) {
    const data = t.data as Numeric;
    valuesSize = tensorContent ? data.byteLength : packedSize(t, data);
    size += delimitedSize(tensorContent ? F.content : valueField(t.dtype), valuesSize);
  }
  return { tensor: t, tensorContent, size, valuesSize, shapeSize: sSize };
}

/** Write the planned TensorProto payload at `pos`; returns the next offset (pos + plan.size). */
export function writeTensorProto(out: Uint8Array, pos: number, plan: TensorPlan): number {
  const t = plan.tensor;
  out[pos++] = tagOf(F.dtype, WIRE.varint);
  pos = writeVarint(out, pos, tfNumber(t.dtype));
  pos = writeShape(out, writeDelimitedHeader(out, pos, F.shape, plan.shapeSize), t.shape);
  if (t.dtype === 'string') {
    for (const s of t.data as Uint8Array[]) {
      pos = writeDelimitedHeader(out, pos, F.string, s.length);
      out.set(s, pos);
      pos += s.length;
    }
    return pos;
  }
  if (t.data.length === 0) return pos;
  const data = t.data as Numeric;
  if (plan.tensorContent) {
    pos = writeDelimitedHeader(out, pos, F.content, plan.valuesSize);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    out.set(bytes, pos);
    if (!LITTLE_ENDIAN && data.BYTES_PER_ELEMENT > 1) {
      const w = data.BYTES_PER_ELEMENT;
      for (let i = 0; i < bytes.length; i += w) out.subarray(pos + i, pos + i + w).reverse();
    }
    return pos + bytes.length;
  }
  pos = writeDelimitedHeader(out, pos, valueField(t.dtype), plan.valuesSize);
  return writePacked(out, pos, t, data);
}

/** One TensorProto as standalone bytes (tests and tools; the server writes tensors inside PredictResponse). */
export function encodeTensorProtoBytes(t: Tensor, tensorContent = false): Buffer {
  const plan = planTensorProto(t, tensorContent);
  const out = Buffer.allocUnsafe(plan.size);
  const end = writeTensorProto(out, 0, plan);
  if (end !== plan.size) throw new Error(`TensorProto writer wrote ${end} bytes, planned ${plan.size}`);
  return out;
}
