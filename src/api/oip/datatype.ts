/**
 * Open Inference Protocol datatype and platform names (shared/reference/open-inference-protocol.md §2.1, §2.3),
 * mapped to and from inferd's DType. One table, shared by the REST and gRPC front ends of the protocol.
 */
import type { DType } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';

/** An OIP tensor datatype name. */
export type OipDatatype =
  | 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64'
  | 'FP16' | 'FP32' | 'FP64' | 'BF16' | 'BYTES';

const OIP_BY_DTYPE: Readonly<Record<DType, OipDatatype>> = {
  bool: 'BOOL', uint8: 'UINT8', uint16: 'UINT16', uint32: 'UINT32', uint64: 'UINT64', int8: 'INT8', int16: 'INT16',
  int32: 'INT32', int64: 'INT64', float16: 'FP16', float32: 'FP32', float64: 'FP64', bfloat16: 'BF16', string: 'BYTES',
};

const DTYPE_BY_OIP = new Map<string, DType>((Object.entries(OIP_BY_DTYPE) as [DType, OipDatatype][]).map(([d, o]) => [o, d]));

/** Every OIP datatype inferd accepts, in the spec's table order plus BF16 (Triton's extension). */
export const OIP_DATATYPES: readonly OipDatatype[] = [
  'BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES', 'BF16',
];

/** The OIP name of a DType (`float32` → `FP32`, `string` → `BYTES`). */
export function oipDatatype(dtype: DType): OipDatatype {
  return OIP_BY_DTYPE[dtype];
}

/** The DType of an OIP datatype name; INVALID_ARGUMENT naming the tensor when the name is not one. */
export function dtypeOfOip(datatype: string, tensorName: string): DType {
  const dtype = DTYPE_BY_OIP.get(datatype);
  if (dtype === undefined) throw InferdError.invalidArgument(`invalid datatype '${datatype}' for tensor '${tensorName}' (expected one of ${OIP_DATATYPES.join(', ')})`);
  return dtype;
}

/** The OIP platform string (`<project>_<format>`) of an inferd runtime platform name; unknown ones pass through. */
export function oipPlatform(platform: string | undefined): string {
  switch (platform) {
    case 'onnx': return 'onnx_onnxv1';
    case 'tensorflow': return 'tensorflow_savedmodel';
    case 'tfjs': return 'tensorflowjs_graphmodel';
    case undefined: return '';
    default: return platform;
  }
}
