/**
 * InferTensorContents (proto/inference/grpc_service.proto) ↔ tensor storage: the typed form of OIP gRPC tensors.
 * One repeated field per datatype family (int_contents carries INT8/16/32, uint_contents UINT8/16/32); FP16 and
 * BF16 have no typed form and travel only as raw contents (raw.ts). 64-bit fields arrive as protobufjs Longs and
 * are converted exactly.
 */
import type { DType } from '../../../core/dtype.ts';
import { InferdError } from '../../../core/errors.ts';
import { allocate, type TensorData } from '../../../core/tensor.ts';
import { bigIntToInt64, int64ToBigInt, type Int64Like } from '../protos.ts';

/** The decoded message (protobufjs, field names as in the .proto). */
export interface InferTensorContents {
  bool_contents?: boolean[];
  int_contents?: number[];
  int64_contents?: Int64Like[];
  uint_contents?: number[];
  uint64_contents?: Int64Like[];
  fp32_contents?: number[];
  fp64_contents?: number[];
  bytes_contents?: Uint8Array[];
}

type ContentsField = keyof InferTensorContents;

const FIELDS: readonly ContentsField[] = [
  'bool_contents', 'int_contents', 'int64_contents', 'uint_contents', 'uint64_contents', 'fp32_contents', 'fp64_contents', 'bytes_contents',
];

/** The contents field of a dtype, or undefined for FP16/BF16 (raw only). */
export function contentsField(dtype: DType): ContentsField | undefined {
  switch (dtype) {
    case 'bool': return 'bool_contents';
    case 'int8': case 'int16': case 'int32': return 'int_contents';
    case 'int64': return 'int64_contents';
    case 'uint8': case 'uint16': case 'uint32': return 'uint_contents';
    case 'uint64': return 'uint64_contents';
    case 'float32': return 'fp32_contents';
    case 'float64': return 'fp64_contents';
    case 'string': return 'bytes_contents';
    case 'float16': case 'bfloat16': return undefined;
  }
}

/** Whether any field of the message holds elements. */
export function hasContents(contents: InferTensorContents | null | undefined): boolean {
  return contents != null && FIELDS.some((f) => (contents[f]?.length ?? 0) > 0);
}

/** Storage of `count` elements of `dtype` from typed contents; INVALID_ARGUMENT when the wrong field or count is used. */
export function decodeContents(contents: InferTensorContents | null | undefined, dtype: DType, datatype: string, count: number, name: string): TensorData {
  const field = contentsField(dtype);
  if (field === undefined) throw InferdError.invalidArgument(`${datatype} input '${name}' must be sent in raw_input_contents (the protocol has no typed contents for it)`);
  for (const f of FIELDS) {
    if (f !== field && (contents?.[f]?.length ?? 0) > 0) throw InferdError.invalidArgument(`input '${name}' of datatype ${datatype} expects ${field}, got ${f}`);
  }
  const values = (contents?.[field] ?? []) as ArrayLike<unknown>;
  if (values.length !== count) throw InferdError.invalidArgument(`unexpected number of elements in ${field} of input '${name}': the shape needs ${count}, got ${values.length}`);
  if (dtype === 'string') return Array.from(values as ArrayLike<Uint8Array>);
  const out = allocate(dtype, count);
  if (dtype === 'int64' || dtype === 'uint64') {
    const typed = out as BigInt64Array | BigUint64Array;
    for (let i = 0; i < count; i++) typed[i] = int64ToBigInt(values[i] as Int64Like, dtype === 'uint64');
  } else if (dtype === 'bool') {
    const typed = out as Uint8Array;
    for (let i = 0; i < count; i++) typed[i] = values[i] ? 1 : 0;
  } else {
    // Narrower integer types wrap as a C cast would (the wire carries 32-bit values); floats convert.
    (out as Float32Array).set(values as ArrayLike<number>);
  }
  return out;
}

/** Typed contents of tensor storage (FP16/BF16 have none: the caller sends raw contents instead). */
export function encodeContents(dtype: DType, data: TensorData): InferTensorContents {
  const field = contentsField(dtype);
  if (field === undefined) throw InferdError.internal(`${dtype} has no typed contents`);
  switch (dtype) {
    case 'bool': return { bool_contents: Array.from(data as Uint8Array, (b) => b !== 0) };
    case 'int64': case 'uint64': return { [field]: Array.from(data as BigInt64Array | BigUint64Array, (v: bigint) => bigIntToInt64(v)) };
    case 'string': return { bytes_contents: data as Uint8Array[] };
    default: return { [field]: data as ArrayLike<number> as number[] };
  }
}
