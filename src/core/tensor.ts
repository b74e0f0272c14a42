/**
 * The one tensor type of inferd: dtype, shape and a typed array. Every edge (JSON, TensorProto, onnxruntime,
 * tfjs) converts to and from this type; nothing else crosses layer boundaries.
 */
import type { DType } from './dtype.ts';
import { InferdError } from './errors.ts';

/** Element storage per dtype. bool is one byte per element (0 or 1); float16/bfloat16 are raw bit patterns. */
export interface TensorDataByDType {
  float32: Float32Array;
  float64: Float64Array;
  float16: Uint16Array;
  bfloat16: Uint16Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
  bool: Uint8Array;
  string: Uint8Array[];
}

/** Storage of any dtype. */
export type TensorData = TensorDataByDType[DType];

/**
 * An immutable-by-convention dense tensor, row-major. `shape` is `[]` for a scalar.
 * Invariant: `data.length === elementCount(shape)`. Strings are byte arrays (TensorFlow strings are bytes).
 */
export interface Tensor<D extends DType = DType> {
  readonly dtype: D;
  readonly shape: readonly number[];
  readonly data: TensorDataByDType[D];
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The one empty string element (zero-length views cannot be written through, so sharing it is safe). */
const EMPTY_BYTES = new Uint8Array(0);

/** Allocate zero-filled storage for `count` elements of `dtype`. */
export function allocate<D extends DType>(dtype: D, count: number): TensorDataByDType[D] {
  const make = (): TensorData => {
    switch (dtype) {
      case 'float32': return new Float32Array(count);
      case 'float64': return new Float64Array(count);
      case 'float16': case 'bfloat16': case 'uint16': return new Uint16Array(count);
      case 'int8': return new Int8Array(count);
      case 'int16': return new Int16Array(count);
      case 'int32': return new Int32Array(count);
      case 'int64': return new BigInt64Array(count);
      case 'uint8': case 'bool': return new Uint8Array(count);
      case 'uint32': return new Uint32Array(count);
      case 'uint64': return new BigUint64Array(count);
      case 'string': return new Array<Uint8Array>(count).fill(EMPTY_BYTES);
    }
    throw new Error(`unknown dtype ${String(dtype)}`);
  };
  return make() as TensorDataByDType[D];
}

/** Build a tensor, checking that data length matches the shape. Throws INVALID_ARGUMENT otherwise. */
export function tensor<D extends DType>(dtype: D, shape: readonly number[], data: TensorDataByDType[D]): Tensor<D> {
  const count = elementCount(shape);
  if (data.length !== count) {
    throw InferdError.invalidArgument(`Tensor of shape [${shape.join(',')}] needs ${count} values but got ${data.length}`);
  }
  return { dtype, shape: [...shape], data };
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Encode JS strings as a string tensor (UTF-8 bytes). */
export function stringTensor(shape: readonly number[], values: readonly string[]): Tensor<'string'> {
  return tensor('string', shape, values.map((s) => utf8.encode(s)));
}

/** Decode one string element as UTF-8 (lossy for non-UTF-8 bytes). */
export function decodeString(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}

/** Format a shape as TensorFlow prints it: `[2,3]`. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}
