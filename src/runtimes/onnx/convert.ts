/**
 * Conversions between inferd's core Tensor and onnxruntime-node tensors. Numeric data is wrapped, never copied:
 * onnxruntime reads the caller's typed array for the duration of run(), and its outputs become core tensors as is.
 * Strings are the exception: core holds bytes, onnxruntime holds JS strings, so they are decoded (UTF-8, lossy
 * for invalid sequences) on the way in and encoded on the way out.
 */
import * as ort from 'onnxruntime-node';
import type { DType } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';
import { type Tensor, type TensorData, decodeString } from '../../core/tensor.ts';

/** onnxruntime tensor type names for each core DType; bfloat16 has no onnxruntime-node equivalent. */
const ORT_TYPE: Readonly<Record<DType, ort.Tensor.Type | undefined>> = {
  float32: 'float32', float64: 'float64', float16: 'float16', bfloat16: undefined, int8: 'int8', int16: 'int16',
  int32: 'int32', int64: 'int64', uint8: 'uint8', uint16: 'uint16', uint32: 'uint32', uint64: 'uint64', bool: 'bool',
  string: 'string',
};

/** The core DType of an onnxruntime tensor type name, or undefined for types inferd cannot hold (int4, ...). */
export function dtypeOfOrtType(type: string): DType | undefined {
  switch (type) {
    case 'float32': case 'float64': case 'float16': case 'int8': case 'int16': case 'int32': case 'int64':
    case 'uint8': case 'uint16': case 'uint32': case 'uint64': case 'bool': case 'string':
      return type;
    default:
      return undefined;
  }
}

const utf8 = new TextEncoder();

/** Wrap a core tensor as an onnxruntime tensor (no copy for numeric and bool data). */
export function toOrtTensor(name: string, t: Tensor): ort.Tensor {
  const type = ORT_TYPE[t.dtype];
  if (type === undefined) {
    throw InferdError.invalidArgument(`Input '${name}': dtype ${t.dtype} is not supported by the ONNX runtime`);
  }
  const dims = t.shape as number[];
  try {
    if (t.dtype === 'string') {
      return new ort.Tensor('string', (t.data as Uint8Array[]).map(decodeString), dims);
    }
    // Every non-string core storage is a typed array that onnxruntime accepts for the matching type.
    return new ort.Tensor(type, t.data as Exclude<TensorData, Uint8Array[]>, dims);
  } catch (err) {
    // onnxruntime validates dims against the data length (a core invariant, but inputs may be built by hand).
    throw InferdError.invalidArgument(`Input '${name}': ${err instanceof Error ? err.message : String(err)}`);
  }
}

type NumericCtor =
  | Float32ArrayConstructor | Float64ArrayConstructor | Uint16ArrayConstructor | Int8ArrayConstructor
  | Int16ArrayConstructor | Int32ArrayConstructor | BigInt64ArrayConstructor | Uint8ArrayConstructor
  | Uint32ArrayConstructor | BigUint64ArrayConstructor;

const CTOR: Readonly<Record<Exclude<DType, 'string' | 'bfloat16'>, NumericCtor>> = {
  float32: Float32Array, float64: Float64Array, float16: Uint16Array, int8: Int8Array, int16: Int16Array,
  int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array,
  uint64: BigUint64Array, bool: Uint8Array,
};

/**
 * Turn an onnxruntime output into a core tensor. Typed arrays are kept; a view of another element class over the
 * same bits (e.g. a Float16Array where the global exists) is reinterpreted without copying.
 */
export function fromOrtTensor(name: string, value: ort.OnnxValue): Tensor {
  if (!(value instanceof ort.Tensor)) {
    throw InferdError.internal(`Output '${name}' is not a tensor (sequences and maps are not supported)`);
  }
  const dtype = dtypeOfOrtType(value.type);
  if (dtype === undefined) {
    throw InferdError.internal(`Output '${name}' has element type ${value.type}, which inferd cannot represent`);
  }
  const shape = value.dims.map(Number);
  if (dtype === 'string') {
    return { dtype, shape, data: (value.data as string[]).map((s) => utf8.encode(s)) };
  }
  const ctor = CTOR[dtype as Exclude<DType, 'string' | 'bfloat16'>];
  const raw = value.data as ArrayBufferView & { length: number };
  const data = raw instanceof ctor ? raw : new ctor(raw.buffer as ArrayBuffer, raw.byteOffset, raw.length);
  return { dtype, shape, data } as Tensor;
}
