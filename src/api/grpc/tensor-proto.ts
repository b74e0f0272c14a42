/**
 * TensorProto (tensorflow/core/framework/tensor.proto) ↔ core Tensor.
 *
 * Decoding follows TensorFlow's Tensor::FromProto: no shape → scalar; a non-empty `tensor_content` (raw little-endian
 * bytes) wins and must hold exactly count × width bytes; otherwise the typed field of the dtype is read with TF's fill
 * rule (fewer values than elements → the last value repeats, none → zeros, extras ignored). Any failure is
 * INVALID_ARGUMENT `tensor parsing error: <alias>`. `tensor_content` is returned as a zero-copy view of the request
 * buffer when its offset is aligned to the element width (and the host is little-endian), else copied once; the
 * view keeps the request buffer alive and must be treated as read-only.
 *
 * Encoding uses the typed `*_val` fields by default, or `tensor_content` when `tensorContent` is set (strings always
 * go to `string_val`); `tensor_content` then aliases the tensor's own memory until the message is serialized.
 * encodeTensorProto builds a protobufjs message object (tests, tools); the server's Predict path writes bytes
 * directly with tensor-wire.ts, and its reader hands decodeTensorProto typed arrays, adopted without a copy.
 */
import { dtypeOfTfNumber, tfNumber, byteWidth, type DType } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';
import { AllocationBudget } from '../../core/limits.ts';
import { allocate, elementCount, type Tensor, type TensorData } from '../../core/tensor.ts';
import { bigIntToInt64, int64ToBigInt, type Int64Like } from './protos.ts';

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

/** TensorProto fields inferd reads and writes (others are ignored). Arrays may be typed arrays when encoding. */
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

/** Options of encodeTensorProto. */
export interface EncodeOptions {
  /** Write numeric data as raw `tensor_content` (--enable_serialization_as_tensor_content). Default false. */
  readonly tensorContent?: boolean;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Largest element count accepted from a request shape (guards against absurd dims before allocation). */
const MAX_ELEMENTS = 2 ** 31 - 1;

function parseError(alias: string): InferdError {
  return InferdError.invalidArgument(`tensor parsing error: ${alias}`);
}

/** The dims of a TensorShapeProto, or undefined when the shape is not a valid, fully known shape. */
export function decodeShape(shape: TensorShapeMessage | null | undefined): number[] | undefined {
  if (!shape) return [];
  if (shape.unknown_rank) return undefined;
  const dims: number[] = [];
  let count = 1;
  for (const d of shape.dim ?? []) {
    const size = Number(int64ToBigInt(d.size));
    if (!Number.isSafeInteger(size) || size < 0) return undefined;
    count *= size;
    if (count > MAX_ELEMENTS) return undefined;
    dims.push(size);
  }
  return dims;
}

/** A TensorShapeProto for a shape (`[]` → an empty, present message: a scalar). */
export function encodeShape(shape: readonly number[]): TensorShapeMessage {
  return { dim: shape.map((size) => ({ size })) };
}

type Ctor = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => TensorData;

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

/** Raw little-endian bytes as typed storage: a view when aligned, else one copy (byte-swapped on big-endian hosts). */
function fromContent(dtype: Exclude<DType, 'string'>, bytes: Uint8Array, count: number): TensorData {
  const width = byteWidth(dtype) ?? 1;
  const C = ctorOf(dtype);
  let data: TensorData;
  if (LITTLE_ENDIAN && bytes.byteOffset % width === 0) {
    data = new C(bytes.buffer, bytes.byteOffset, count);
  } else {
    const copy = new Uint8Array(count * width);
    copy.set(bytes);
    if (!LITTLE_ENDIAN && width > 1) {
      for (let i = 0; i < copy.length; i += width) copy.subarray(i, i + width).reverse();
    }
    data = new C(copy.buffer, 0, count);
  }
  if (dtype === 'bool') {
    const b = data as Uint8Array;
    // core's bool is 0/1; copy only if a producer sent other non-zero bytes.
    if (b.some((x) => x > 1)) data = Uint8Array.from(b, (x) => (x ? 1 : 0));
  }
  return data;
}

/** TF's encoding of string tensor_content: every length as a varint, then the bytes back to back. */
function stringsFromContent(bytes: Uint8Array, count: number): Uint8Array[] | undefined {
  let pos = 0;
  const lengths: number[] = [];
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
    lengths.push(len >>> 0);
  }
  const out: Uint8Array[] = [];
  for (const len of lengths) {
    if (pos + len > bytes.length) return undefined;
    out.push(bytes.subarray(pos, pos + len));
    pos += len;
  }
  return pos === bytes.length ? out : undefined;
}

/** Fill `out` from `values` with TF's rule; `conv` maps one proto value to one element. */
function fill<T, E>(out: { length: number; [i: number]: E }, values: ArrayLike<T> | undefined, conv: (v: T) => E): void {
  const n = Math.min(values?.length ?? 0, out.length);
  if (!values || n === 0) return; // storage is zero-filled already
  for (let i = 0; i < n; i++) out[i] = conv(values[i] as T);
  if (n < out.length) {
    const last = out[n - 1] as E;
    for (let i = n; i < out.length; i++) out[i] = last;
  }
}

const id = (v: number): number => v;

/** Content bytes of `count` strings filled from `values` by TF's rule (the last value repeats). */
function filledStringBytes(values: ArrayLike<Uint8Array> | undefined, count: number): number {
  const n = Math.min(values?.length ?? 0, count);
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes += values?.[i]?.length ?? 0;
  return bytes + (n > 0 ? (count - n) * (values?.[n - 1]?.length ?? 0) : 0);
}

/**
 * The typed field as the tensor's storage when it already is the dtype's typed array with exactly `count` values
 * (what tensor-wire.ts' reader yields for a full packed field): no fill, no copy. Else undefined.
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
 * Decode one TensorProto of input `alias` into a core Tensor, charging it to `budget` before allocating anything.
 * Throws INVALID_ARGUMENT `tensor parsing error: <alias>`, or LimitExceededError past the budget.
 */
export function decodeTensorProto(msg: TensorProtoMessage, alias: string, budget: AllocationBudget = new AllocationBudget()): Tensor {
  const dtype = dtypeOfTfNumber(msg.dtype ?? 0);
  if (!dtype || (msg.dtype ?? 0) > 100) throw parseError(alias);
  const shape = decodeShape(msg.tensor_shape);
  if (!shape) throw parseError(alias);
  const count = elementCount(shape);
  budget.charge(dtype, shape, alias, dtype === 'string' ? filledStringBytes(msg.string_val, count) : 0);
  const content = msg.tensor_content;
  if (content && content.length > 0) {
    if (dtype === 'string') {
      const strings = stringsFromContent(content, count);
      if (!strings) throw parseError(alias);
      return { dtype, shape, data: strings };
    }
    if (content.length !== count * (byteWidth(dtype) ?? 1)) throw parseError(alias);
    return { dtype, shape, data: fromContent(dtype, content, count) };
  }
  if (dtype === 'string') {
    const data = allocate('string', count);
    fill(data, msg.string_val, (v) => v);
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
    if (data.length > 0) msg.tensor_content = contentOf(data);
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
function contentOf(data: Exclude<TensorData, Uint8Array[]>): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return bytes;
  const copy = Uint8Array.from(bytes);
  const w = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < copy.length; i += w) copy.subarray(i, i + w).reverse();
  return copy;
}
