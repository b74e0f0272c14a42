/**
 * TensorProto (tensorflow/core/framework/tensor.proto) ↔ core Tensor: the one codec of the format. The gRPC API
 * (requests and responses), the TypeScript client and the SavedModel runtime (graph constants, checkpoint slices)
 * all decode through it; the wire reader (tensor-proto-reader.ts) and writer (tensor-proto-writer.ts) share its
 * rules. Pure: no I/O.
 *
 * Decoding follows TensorFlow's Tensor::FromProto: no shape → scalar; a non-empty `tensor_content` (raw
 * little-endian bytes; for strings TF's varint lengths then bytes) wins and must hold exactly the tensor; otherwise
 * the typed field of the dtype is read with TF's fill rule (fewer values than elements → the last value repeats,
 * none → zeros, extras ignored). Any malformed tensor is INVALID_ARGUMENT `tensor parsing error: <alias>` (TF
 * Serving's text).
 *
 * Limits, checked here once, before the tensor's storage is allocated: rank ≤ MAX_TENSOR_RANK, element count ≤
 * MAX_TENSOR_ELEMENTS, and the tensor charged to the request's AllocationBudget (core/limits.ts) — a 41-byte message
 * claiming float [1e8] with one float_val is refused without the 400 MB.
 *
 * Memory: by default `tensor_content` and string values are views of the message bytes when aligned (zero-copy;
 * the view keeps the message alive and must be treated as read-only); `copy: true` copies them out instead.
 */
import { byteWidth, dtypeOfTfNumber, tfNumber, type DType } from './dtype.ts';
import { InferdError } from './errors.ts';
import { bigIntToInt64, int64ToBigInt, type Int64Like } from './int64.ts';
import { AllocationBudget, MAX_TENSOR_RANK } from './limits.ts';
import { allocate, type Tensor, type TensorData } from './tensor.ts';

/** One dimension of a TensorShapeProto as decoded. */
export interface DimMessage {
  size?: Int64Like | null;
  name?: string;
}

/** TensorShapeProto as decoded by protobufjs (keepCase) or as given to its encoder. */
export interface TensorShapeMessage {
  dim?: DimMessage[] | null;
  unknown_rank?: boolean;
}

/** TensorProto fields inferd reads and writes (others are ignored), in proto spelling. Arrays may be typed arrays. */
export interface TensorProtoMessage {
  dtype?: number;
  tensor_shape?: TensorShapeMessage | null;
  tensor_content?: Uint8Array;
  half_val?: ArrayLike<number>;
  float_val?: ArrayLike<number>;
  double_val?: ArrayLike<number>;
  int_val?: ArrayLike<number>;
  string_val?: ArrayLike<Uint8Array>;
  int64_val?: ArrayLike<Int64Like>;
  bool_val?: ArrayLike<boolean | number>;
  uint32_val?: ArrayLike<number>;
  uint64_val?: ArrayLike<Int64Like>;
}

/** Options of decodeTensorProto. */
export interface DecodeOptions {
  /** Copy tensor_content and string values out of the message instead of viewing them. Default false. */
  readonly copy?: boolean;
}

/** Options of encodeTensorProto. */
export interface EncodeOptions {
  /** Write numeric data as raw `tensor_content` (--enable_serialization_as_tensor_content). Default false. */
  readonly tensorContent?: boolean;
}

/** True on little-endian hosts (TensorProto's raw bytes are little-endian). */
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** TensorProto field numbers (tensor.proto). */
export const TENSOR_PROTO_FIELD = {
  dtype: 1, shape: 2, content: 4, float: 5, double: 6, int: 7, string: 8, int64: 10, bool: 11, half: 13, uint32: 16, uint64: 17,
} as const;
/** The repeated field TF reads a dtype's values from. */
export function valueField(dtype: DType): number {
  const F = TENSOR_PROTO_FIELD;
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

/** TF Serving's error for any TensorProto it cannot parse. */
export function tensorParseError(alias: string): InferdError {
  return InferdError.invalidArgument(`tensor parsing error: ${alias}`);
}

/**
 * The dtype of a TensorProto's `dtype` number, or a parse error: DT_INVALID, reference types (≥ 100) and dtypes
 * inferd cannot hold (complex, quantized, resource, variant) are refused.
 */
export function tensorDType(n: number | undefined, alias: string): DType {
  const dtype = n === undefined || n > 100 ? undefined : dtypeOfTfNumber(n);
  if (!dtype) throw tensorParseError(alias);
  return dtype;
}

/** The dims of a TensorShapeProto, or undefined when the shape is not a valid, fully known shape of rank ≤ 254. */
export function decodeShape(shape: TensorShapeMessage | null | undefined): number[] | undefined {
  if (!shape) return [];
  const dim = shape.dim ?? [];
  if (shape.unknown_rank || dim.length > MAX_TENSOR_RANK) return undefined;
  const dims: number[] = [];
  for (const d of dim) {
    const size = Number(int64ToBigInt(d.size));
    if (!Number.isSafeInteger(size) || size < 0) return undefined;
    dims.push(size);
  }
  return dims;
}

/** A TensorShapeProto for a shape (`[]` → an empty, present message: a scalar). */
export function encodeShape(shape: readonly number[]): TensorShapeMessage {
  return { dim: shape.map((size) => ({ size })) };
}

type Ctor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TensorData;

/** The typed-array constructor of a numeric dtype's storage. */
function ctorOf(dtype: Exclude<DType, 'string'>): Ctor {
  switch (dtype) {
    case 'float32': return Float32Array as unknown as Ctor;
    case 'float64': return Float64Array as unknown as Ctor;
    case 'float16': case 'bfloat16': case 'uint16': return Uint16Array as unknown as Ctor;
    case 'int8': return Int8Array as unknown as Ctor;
    case 'int16': return Int16Array as unknown as Ctor;
    case 'int32': return Int32Array as unknown as Ctor;
    case 'int64': return BigInt64Array as unknown as Ctor;
    case 'uint8': case 'bool': return Uint8Array as unknown as Ctor;
    case 'uint32': return Uint32Array as unknown as Ctor;
    case 'uint64': return BigUint64Array as unknown as Ctor;
  }
}

/**
 * `count` elements of `dtype` from raw little-endian `bytes` (which must hold at least count × width bytes): a view
 * when aligned on a little-endian host and `copy` is false, else one copy (byte-swapped on big-endian hosts). Bool
 * bytes other than 0/1 are normalized to 1 (core's bool is 0/1). Callers charge the tensor first.
 */
export function fromLittleEndian(dtype: Exclude<DType, 'string'>, bytes: Uint8Array, count: number, copy = false): TensorData {
  const width = byteWidth(dtype) ?? 1;
  const C = ctorOf(dtype);
  let data: TensorData;
  if (!copy && LITTLE_ENDIAN && bytes.byteOffset % width === 0) {
    data = new C(bytes.buffer, bytes.byteOffset, count);
  } else {
    const out = new Uint8Array(count * width);
    out.set(bytes.subarray(0, count * width));
    if (!LITTLE_ENDIAN && width > 1) {
      for (let i = 0; i < out.length; i += width) out.subarray(i, i + width).reverse();
    }
    data = new C(out.buffer, 0, count);
  }
  if (dtype === 'bool') {
    const b = data as Uint8Array;
    if (b.some((x) => x > 1)) data = Uint8Array.from(b, (x) => (x ? 1 : 0));
  }
  return data;
}

/**
 * TF's string tensor_content (every length as a varint, then the bytes back to back) as `count` strings charged to
 * `budget` (`what` names them), or undefined when the bytes do not hold exactly `count` strings.
 */
export function stringsFromContent(bytes: Uint8Array, count: number, budget: AllocationBudget, what: string, copy = false): Uint8Array[] | undefined {
  let pos = 0;
  const lengths = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    let len = 0;
    let shift = 0;
    for (;;) {
      const b = bytes[pos++];
      if (b === undefined || shift > 28) return undefined;
      len |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
    }
    lengths[i] = len >>> 0;
  }
  budget.chargeBytes(bytes.length - pos, what);
  const out = new Array<Uint8Array>(count);
  for (let i = 0; i < count; i++) {
    const len = lengths[i]!;
    if (pos + len > bytes.length) return undefined;
    const s = bytes.subarray(pos, pos + len);
    out[i] = copy ? s.slice() : s;
    pos += len;
  }
  return pos === bytes.length ? out : undefined;
}

/** TF's fill rule after `n` values were written to `out`: the last written value repeats to the end (none: zeros). */
export function repeatLast<E>(out: { length: number; [i: number]: E }, n: number): void {
  if (n === 0 || n >= out.length) return;
  const last = out[n - 1] as E;
  for (let i = n; i < out.length; i++) out[i] = last;
}

/** Content bytes of `count` strings filled from `values` by TF's rule (the last value repeats). */
export function filledStringBytes(values: ArrayLike<Uint8Array>, count: number): number {
  const n = Math.min(values.length, count);
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += values[i]?.length ?? 0;
  return bytes + (n > 0 ? (count - n) * (values[n - 1]?.length ?? 0) : 0);
}

/**
 * The tensor held by a non-empty `tensor_content` (already charged as `count` elements of `dtype`): it must hold
 * exactly the tensor (strings: exactly `count` length-prefixed values, their bytes charged to `budget`).
 */
export function decodeContent(
  dtype: DType, shape: number[], count: number, content: Uint8Array, alias: string, budget: AllocationBudget, copy: boolean,
): Tensor {
  if (dtype === 'string') {
    const strings = stringsFromContent(content, count, budget, alias, copy);
    if (!strings) throw tensorParseError(alias);
    return { dtype, shape, data: strings };
  }
  if (content.length !== count * (byteWidth(dtype) ?? 1)) throw tensorParseError(alias);
  return { dtype, shape, data: fromLittleEndian(dtype, content, count, copy) };
}

/** Write the first min(values, out) values through `conv`, then apply the fill rule. */
function fill<T, E>(out: { length: number; [i: number]: E }, values: ArrayLike<T> | undefined, conv: (v: T) => E): void {
  const n = Math.min(values?.length ?? 0, out.length);
  if (!values || n === 0) return; // storage is zero-filled already
  for (let i = 0; i < n; i++) out[i] = conv(values[i] as T);
  repeatLast(out, n);
}

const id = (v: number): number => v;

/**
 * The typed field as the tensor's storage when it already is the dtype's typed array with exactly `count` values
 * (e.g. a decoder that produced typed arrays): no fill, no copy. Else undefined.
 */
function adoptTyped(dtype: Exclude<DType, 'string'>, msg: TensorProtoMessage, count: number): TensorData | undefined {
  const v = (() => {
    switch (dtype) {
      case 'float32': return msg.float_val instanceof Float32Array ? msg.float_val : undefined;
      case 'float64': return msg.double_val instanceof Float64Array ? msg.double_val : undefined;
      case 'int32': return msg.int_val instanceof Int32Array ? msg.int_val : undefined;
      case 'int64': return msg.int64_val instanceof BigInt64Array ? msg.int64_val : undefined;
      case 'uint32': return msg.uint32_val instanceof Uint32Array ? msg.uint32_val : undefined;
      case 'uint64': return msg.uint64_val instanceof BigUint64Array ? msg.uint64_val : undefined;
      default: return undefined;
    }
  })();
  return v !== undefined && v.length === count ? v : undefined;
}

/**
 * Decode one TensorProto message of input `alias` into a core Tensor, charging it to `budget` before allocating
 * anything. Throws INVALID_ARGUMENT `tensor parsing error: <alias>`, or LimitExceededError past the budget.
 */
export function decodeTensorProto(
  msg: TensorProtoMessage,
  alias: string,
  budget: AllocationBudget = new AllocationBudget(),
  options: DecodeOptions = {},
): Tensor {
  const dtype = tensorDType(msg.dtype, alias);
  const shape = decodeShape(msg.tensor_shape);
  if (!shape) throw tensorParseError(alias);
  const count = budget.charge(dtype, shape, alias);
  const copy = options.copy ?? false;
  const content = msg.tensor_content;
  if (content && content.length > 0) return decodeContent(dtype, shape, count, content, alias, budget, copy);
  if (dtype === 'string') {
    const values = msg.string_val ?? [];
    budget.chargeBytes(filledStringBytes(values, count), `${alias}: string values`);
    const data = allocate('string', count);
    fill(data, values, copy ? (v) => v.slice() : (v) => v);
    return { dtype, shape, data };
  }
  const adopted = adoptTyped(dtype, msg, count);
  if (adopted) return { dtype, shape, data: adopted };
  const data = allocate(dtype, count);
  switch (dtype) {
    case 'float32': fill(data as Float32Array, msg.float_val, id); break;
    case 'float64': fill(data as Float64Array, msg.double_val, id); break;
    case 'float16': case 'bfloat16': fill(data as Uint16Array, msg.half_val, id); break;
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16':
      fill(data as Int32Array, msg.int_val, id); break;
    case 'int64': fill(data as BigInt64Array, msg.int64_val, (v) => int64ToBigInt(v)); break;
    case 'uint32': fill(data as Uint32Array, msg.uint32_val, id); break;
    case 'uint64': fill(data as BigUint64Array, msg.uint64_val, (v) => int64ToBigInt(v, true)); break;
    case 'bool': fill(data as Uint8Array, msg.bool_val, (v) => (v ? 1 : 0)); break;
  }
  return { dtype, shape, data };
}

/** Encode a core Tensor as a TensorProto message for protobufjs. */
export function encodeTensorProto(t: Tensor, options: EncodeOptions = {}): TensorProtoMessage {
  const msg: TensorProtoMessage = { dtype: tfNumber(t.dtype), tensor_shape: encodeShape(t.shape) };
  if (t.dtype === 'string') {
    msg.string_val = t.data as Uint8Array[];
    return msg;
  }
  const data = t.data as Exclude<TensorData, Uint8Array[]>;
  if (options.tensorContent) {
    if (data.length > 0) msg.tensor_content = littleEndianBytes(data);
    return msg;
  }
  switch (t.dtype) {
    case 'float32': msg.float_val = data as Float32Array; break;
    case 'float64': msg.double_val = data as Float64Array; break;
    case 'float16': case 'bfloat16': msg.half_val = data as Uint16Array; break;
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint16': msg.int_val = data as Int32Array; break;
    case 'int64': case 'uint64': {
      const list = Array.from(data as BigInt64Array | BigUint64Array, (v) => bigIntToInt64(v));
      if (t.dtype === 'int64') msg.int64_val = list;
      else msg.uint64_val = list;
      break;
    }
    case 'uint32': msg.uint32_val = data as Uint32Array; break;
    case 'bool': msg.bool_val = data as Uint8Array; break;
  }
  return msg;
}

/** Little-endian bytes of numeric storage: a view on little-endian hosts, a swapped copy otherwise. */
export function littleEndianBytes(data: Exclude<TensorData, Uint8Array[]>): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return bytes;
  const copy = Uint8Array.from(bytes);
  const w = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < copy.length; i += w) copy.subarray(i, i + w).reverse();
  return copy;
}
