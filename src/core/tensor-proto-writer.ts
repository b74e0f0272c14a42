/**
 * TensorProto straight to bytes (tensorflow/core/framework/tensor.proto), for the gRPC Predict response:
 * `planTensorProto` measures, `writeTensorProto` lays out one TensorProto in place: dtype, tensor_shape, then the
 * typed field of the dtype as one packed run (float32/float64 bytes copied from the typed array in one go, varints
 * otherwise), or `tensor_content`, or `string_val`. Proto3 canonical: zero scalars and empty fields omitted. The
 * bytes read back identically with protobufjs and with tensor-proto-reader.ts. Pure: no I/O.
 */
import { tfNumber } from './dtype.ts';
import {
  WIRE, delimitedSize, int32Size, tagOf, varint64Size, varintSize, writeDelimitedHeader, writeInt32, writeVarint, writeVarint64,
} from './proto-wire.ts';
import { LITTLE_ENDIAN, TENSOR_PROTO_FIELD as F, valueField } from './tensor-proto.ts';
import type { Tensor, TensorData } from './tensor.ts';


type Numeric = Exclude<TensorData, Uint8Array[]>;

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
export function encodeTensorProtoBytes(t: Tensor, tensorContent = false): Uint8Array {
  const plan = planTensorProto(t, tensorContent);
  const out = new Uint8Array(plan.size);
  const end = writeTensorProto(out, 0, plan);
  if (end !== plan.size) throw new Error(`TensorProto writer wrote ${end} bytes, planned ${plan.size}`);
  return out;
}
