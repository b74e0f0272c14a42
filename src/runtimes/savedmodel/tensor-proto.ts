/**
 * The SavedModel runtime's view of core's TensorProto codec (core/tensor-proto.ts, TensorFlow's FromProto rules):
 * this file only maps the runtime's protobufjs objects (camelCase fields, enum names, int64 strings; proto.ts) to
 * core's message and names what failed. Graph constants and checkpoint slices are the operator's files, not a
 * client's request, so they are not charged to a request budget; their bytes are copied out of the (large) file
 * buffers they were decoded from.
 */
import { byteWidth, dtypeOfTfName, tfNumber, type DType } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';
import { AllocationBudget } from '../../core/limits.ts';
import { decodeTensorProto, fromLittleEndian as coreFromLittleEndian } from '../../core/tensor-proto.ts';
import type { Tensor, TensorData } from '../../core/tensor.ts';
import type { TensorProtoObj } from './proto.ts';

/** No byte limit for the model's own tensors (element count and rank limits still apply). */
const MODEL_FILE_LIMITS = { maxTensorBytes: Number.POSITIVE_INFINITY };

/** `count` elements of `dtype` from exactly count × width little-endian `bytes` (a checkpoint slice). */
export function fromLittleEndian(dtype: DType, count: number, bytes: Uint8Array): TensorData {
  const width = byteWidth(dtype);
  if (width === undefined || dtype === 'string') throw InferdError.internal('fromLittleEndian: string tensors have no fixed width');
  if (bytes.byteLength !== count * width) {
    throw InferdError.invalidArgument(`Expected ${count * width} bytes for ${count} ${dtype} values, got ${bytes.byteLength}`);
  }
  return coreFromLittleEndian(dtype, bytes, count);
}

/** Decode a TensorProto of the graph (`what` names it in errors). INVALID_ARGUMENT for dtypes inferd cannot hold. */
export function tensorFromProto(proto: TensorProtoObj, what = 'tensor'): Tensor {
  const tfName = proto.dtype ?? 'DT_INVALID';
  const dtype = dtypeOfTfName(tfName);
  if (!dtype) throw InferdError.invalidArgument(`${what}: unsupported dtype ${tfName}`);
  const dim = proto.tensorShape?.dim ?? [];
  if (proto.tensorShape?.unknownRank || dim.some((d) => Number(d.size ?? 0) < 0)) {
    throw InferdError.invalidArgument(`${what}: tensor shape has unknown dimensions`);
  }
  return decodeTensorProto(
    {
      dtype: tfNumber(dtype),
      tensor_shape: { dim: dim.map((d) => ({ size: d.size ?? 0 })) },
      ...(proto.tensorContent ? { tensor_content: proto.tensorContent } : {}),
      half_val: proto.halfVal ?? [],
      float_val: proto.floatVal ?? [],
      double_val: proto.doubleVal ?? [],
      int_val: proto.intVal ?? [],
      string_val: proto.stringVal ?? [],
      int64_val: proto.int64Val ?? [],
      bool_val: proto.boolVal ?? [],
      uint32_val: proto.uint32Val ?? [],
      uint64_val: proto.uint64Val ?? [],
    },
    what,
    new AllocationBudget(MODEL_FILE_LIMITS),
    { copy: true },
  );
}
