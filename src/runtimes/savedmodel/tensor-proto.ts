/**
 * TensorProto → core Tensor, following TensorFlow's decoding rules (tensor.cc FromProto): tensor_content holds raw
 * little-endian bytes; otherwise the typed *_val field is used, a shorter list repeats its last value (an empty list
 * gives zeros), extra values are ignored; no shape means a scalar.
 */
import { allocate, elementCount, type Tensor, type TensorData } from '../../core/tensor.ts';
import { byteWidth, dtypeOfTfName, type DType } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';
import { shapeDims, type TensorProtoObj } from './proto.ts';

/** Copy `bytes` (little-endian, any alignment) into fresh storage of `dtype` with `count` elements. */
export function fromLittleEndian(dtype: DType, count: number, bytes: Uint8Array): TensorData {
  const width = byteWidth(dtype);
  if (width === undefined) throw InferdError.internal('fromLittleEndian: string tensors have no fixed width');
  if (bytes.byteLength !== count * width) {
    throw InferdError.invalidArgument(`Expected ${count * width} bytes for ${count} ${dtype} values, got ${bytes.byteLength}`);
  }
  const data = allocate(dtype, count);
  if (Array.isArray(data)) return data;
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(bytes);
  return data;
}

function fill<T>(values: readonly T[], count: number, zero: T): T[] {
  const out = new Array<T>(count);
  const last = values.length > 0 ? values[values.length - 1] as T : zero;
  for (let i = 0; i < count; i++) out[i] = i < values.length ? values[i] as T : last;
  return out;
}

/** Decode a TensorProto. Throws INVALID_ARGUMENT for dtypes inferd cannot hold (complex, quantized, resource). */
export function tensorFromProto(proto: TensorProtoObj, what = 'tensor'): Tensor {
  const tfName = proto.dtype ?? 'DT_INVALID';
  const dtype = dtypeOfTfName(tfName);
  if (!dtype) throw InferdError.invalidArgument(`${what}: unsupported dtype ${tfName}`);
  const shape = shapeDims(proto.tensorShape) ?? [];
  if (shape.some((d) => d < 0)) throw InferdError.invalidArgument(`${what}: tensor shape has unknown dimensions`);
  const count = elementCount(shape);
  if (dtype !== 'string' && proto.tensorContent && proto.tensorContent.byteLength > 0) {
    return { dtype, shape, data: fromLittleEndian(dtype, count, proto.tensorContent) };
  }
  const data = allocate(dtype, count);
  switch (dtype) {
    case 'string': {
      const vals = fill(proto.stringVal ?? [], count, new Uint8Array(0));
      (data as Uint8Array[]).splice(0, count, ...vals.map((v) => new Uint8Array(v)));
      break;
    }
    case 'float32': (data as Float32Array).set(fill(proto.floatVal ?? [], count, 0)); break;
    case 'float64': (data as Float64Array).set(fill(proto.doubleVal ?? [], count, 0)); break;
    case 'float16': case 'bfloat16': (data as Uint16Array).set(fill(proto.halfVal ?? [], count, 0)); break;
    case 'int64': (data as BigInt64Array).set(fill(proto.int64Val ?? [], count, '0').map((v) => BigInt(v))); break;
    case 'uint64': (data as BigUint64Array).set(fill(proto.uint64Val ?? [], count, '0').map((v) => BigInt(v))); break;
    case 'uint32': (data as Uint32Array).set(fill(proto.uint32Val ?? [], count, 0)); break;
    case 'bool': (data as Uint8Array).set(fill(proto.boolVal ?? [], count, false).map((b) => (b ? 1 : 0))); break;
    default: (data as Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array).set(fill(proto.intVal ?? [], count, 0)); break;
  }
  return { dtype, shape, data };
}
