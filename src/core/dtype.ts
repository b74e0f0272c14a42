/**
 * Element types inferd can hold in a Tensor, and their TensorFlow names and enum values.
 * The TensorFlow DataType numbers follow tensorflow/core/framework/types.proto (shared/reference/tfserving-api.md §2).
 */

/** An element type a Tensor can carry. Half-precision types are kept as raw 16-bit patterns. */
export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'bfloat16'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string';

/** Every DType, in a stable order (useful for tables and tests). */
export const ALL_DTYPES: readonly DType[] = [
  'float32', 'float64', 'float16', 'bfloat16', 'int8', 'int16', 'int32', 'int64',
  'uint8', 'uint16', 'uint32', 'uint64', 'bool', 'string',
];

/** TensorFlow's DataType enum (types.proto), including the types inferd cannot hold. */
export const TF_DATA_TYPE = {
  DT_INVALID: 0, DT_FLOAT: 1, DT_DOUBLE: 2, DT_INT32: 3, DT_UINT8: 4, DT_INT16: 5, DT_INT8: 6, DT_STRING: 7,
  DT_COMPLEX64: 8, DT_INT64: 9, DT_BOOL: 10, DT_QINT8: 11, DT_QUINT8: 12, DT_QINT32: 13, DT_BFLOAT16: 14,
  DT_QINT16: 15, DT_QUINT16: 16, DT_UINT16: 17, DT_COMPLEX128: 18, DT_HALF: 19, DT_RESOURCE: 20, DT_VARIANT: 21,
  DT_UINT32: 22, DT_UINT64: 23,
} as const;

/** A TensorFlow DataType name such as `DT_FLOAT`. */
export type TfDataTypeName = keyof typeof TF_DATA_TYPE;

const TF_BY_DTYPE: Record<DType, TfDataTypeName> = {
  float32: 'DT_FLOAT', float64: 'DT_DOUBLE', float16: 'DT_HALF', bfloat16: 'DT_BFLOAT16', int8: 'DT_INT8',
  int16: 'DT_INT16', int32: 'DT_INT32', int64: 'DT_INT64', uint8: 'DT_UINT8', uint16: 'DT_UINT16',
  uint32: 'DT_UINT32', uint64: 'DT_UINT64', bool: 'DT_BOOL', string: 'DT_STRING',
};

const DTYPE_BY_TF_NUMBER = new Map<number, DType>(
  (Object.entries(TF_BY_DTYPE) as [DType, TfDataTypeName][]).map(([d, tf]) => [TF_DATA_TYPE[tf], d]),
);

/** The TensorFlow name of a DType (`float32` → `DT_FLOAT`). */
export function tfName(dtype: DType): TfDataTypeName {
  return TF_BY_DTYPE[dtype];
}

/** The TensorFlow enum value of a DType (`float32` → 1). */
export function tfNumber(dtype: DType): number {
  return TF_DATA_TYPE[TF_BY_DTYPE[dtype]];
}

/** The name TensorFlow prints for any DataType number, including `_REF` types (+100), or `DT_INVALID`. */
export function tfNameOfNumber(n: number): string {
  const base = n > 100 ? n - 100 : n;
  const entry = Object.entries(TF_DATA_TYPE).find(([, v]) => v === base);
  if (!entry) return 'DT_INVALID';
  return n > 100 ? `${entry[0]}_REF` : entry[0];
}

/** The DType of a TensorFlow DataType number (reference types map to their base type), or undefined. */
export function dtypeOfTfNumber(n: number): DType | undefined {
  return DTYPE_BY_TF_NUMBER.get(n > 100 ? n - 100 : n);
}

/** The DType of a TensorFlow DataType name such as `DT_FLOAT` or `DT_FLOAT_REF`, or undefined. */
export function dtypeOfTfName(name: string): DType | undefined {
  const base = name.endsWith('_REF') ? name.slice(0, -4) : name;
  const n = (TF_DATA_TYPE as Record<string, number>)[base];
  return n === undefined ? undefined : DTYPE_BY_TF_NUMBER.get(n);
}

/** The short lowercase name TensorFlow uses in messages (`DataTypeString`): float, double, int32, string, half, ... */
export function tfShortName(dtype: DType): string {
  switch (dtype) {
    case 'float32': return 'float';
    case 'float64': return 'double';
    case 'float16': return 'half';
    default: return dtype;
  }
}

/** Size in bytes of one element, or undefined for strings (variable length). */
export function byteWidth(dtype: DType): number | undefined {
  switch (dtype) {
    case 'float64': case 'int64': case 'uint64': return 8;
    case 'float32': case 'int32': case 'uint32': return 4;
    case 'float16': case 'bfloat16': case 'int16': case 'uint16': return 2;
    case 'int8': case 'uint8': case 'bool': return 1;
    case 'string': return undefined;
  }
}
