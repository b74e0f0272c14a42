/**
 * Core Signature → tensorflow.SignatureDef message (TensorInfo name/dtype/tensor_shape, method_name), and the
 * SignatureDefMap packed in google.protobuf.Any as GetModelMetadata returns it.
 */
import { tfNumber } from '../../core/dtype.ts';
import type { Signature, TensorSpec } from '../../core/signature.ts';
import type { ProtoTypes } from './protos.ts';
import type { TensorShapeMessage } from '../../core/tensor-proto.ts';

/** The type URL of metadata["signature_def"]. */
export const SIGNATURE_DEF_MAP_TYPE_URL = 'type.googleapis.com/tensorflow.serving.SignatureDefMap';

/** TensorInfo as given to the encoder. */
export interface TensorInfoOut {
  name: string;
  dtype: number;
  tensor_shape?: TensorShapeMessage;
}

/** SignatureDef as given to the encoder. */
export interface SignatureDefOut {
  inputs: Record<string, TensorInfoOut>;
  outputs: Record<string, TensorInfoOut>;
  method_name: string;
}

/** One TensorInfo: shape omitted when the model records none; `null` shape → unknown_rank. */
export function tensorInfo(spec: TensorSpec): TensorInfoOut {
  const info: TensorInfoOut = { name: spec.name, dtype: spec.tfDataType ?? tfNumber(spec.dtype) };
  if (spec.shape === null) info.tensor_shape = { dim: [], unknown_rank: true };
  else if (spec.shape !== undefined) {
    info.tensor_shape = { dim: spec.shape.map((size, i) => ({ size, name: spec.dimNames?.[i] ?? '' })) };
  }
  return info;
}

/** One SignatureDef. */
export function signatureDef(sig: Signature): SignatureDefOut {
  const map = (m: Signature['inputs']): Record<string, TensorInfoOut> =>
    Object.fromEntries(Object.entries(m).map(([alias, spec]) => [alias, tensorInfo(spec)]));
  return { inputs: map(sig.inputs), outputs: map(sig.outputs), method_name: sig.methodName };
}

/** `google.protobuf.Any` holding the serialized SignatureDefMap of every signature. */
export function packSignatureDefMap(types: ProtoTypes, signatures: Readonly<Record<string, Signature>>): { type_url: string; value: Uint8Array } {
  const signature_def = Object.fromEntries(Object.entries(signatures).map(([k, s]) => [k, signatureDef(s)]));
  return { type_url: SIGNATURE_DEF_MAP_TYPE_URL, value: types.SignatureDefMap.encode({ signature_def }).finish() };
}
