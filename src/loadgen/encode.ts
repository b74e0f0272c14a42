/**
 * Wire encodings of request tensors: TensorFlow Serving's REST predict body (columnar `inputs` or row `instances`)
 * and the gRPC TensorProto object (typed `*_val` fields or `tensor_content`), in proto field spelling for
 * protobufjs' `fromObject` with keepCase. Encoded once per run: the load generator resends the same bytes.
 */
import { tfName, type DType } from '../core/dtype.ts';
import { numberToBfloat16Bits, numberToHalfBits } from '../core/half.ts';
import type { RequestTensor } from './inputs.ts';

/** REST body layout: `columnar` = `{"inputs": {...}}`, `row` = `{"instances": [...]}`. */
export type RestFormat = 'columnar' | 'row';

const isPrintable = (b: Uint8Array): boolean => b.every((c) => c >= 0x20 && c < 0x7f);

function jsonLeaves(t: RequestTensor): unknown[] {
  if (t.dtype === 'string') {
    return (t.values as readonly Uint8Array[]).map((b) => (isPrintable(b) ? Buffer.from(b).toString('latin1') : { b64: Buffer.from(b).toString('base64') }));
  }
  return [...t.values];
}

/** Nest flat row-major leaves into arrays of `shape` (a scalar shape returns the single leaf). */
export function nest(leaves: readonly unknown[], shape: readonly number[]): unknown {
  if (shape.length === 0) return leaves[0];
  let level: unknown[] = [...leaves];
  for (let d = shape.length - 1; d >= 1; d--) {
    const size = shape[d]!;
    const next: unknown[] = [];
    for (let i = 0; i < level.length; i += size) next.push(level.slice(i, i + size));
    level = next;
  }
  return level;
}

/** The REST predict body for `tensors` (row format needs every input to have the same dimension 0). */
export function restPredictBody(tensors: readonly RequestTensor[], signatureName: string | undefined, format: RestFormat = 'columnar'): string {
  const head: Record<string, unknown> = signatureName ? { signature_name: signatureName } : {};
  if (format === 'columnar') {
    return JSON.stringify({ ...head, inputs: Object.fromEntries(tensors.map((t) => [t.alias, nest(jsonLeaves(t), t.shape)])) });
  }
  const rows = tensors[0]?.shape[0];
  if (rows === undefined || tensors.some((t) => t.shape[0] !== rows)) throw new Error('row format needs every input to share dimension 0');
  const perInput = tensors.map((t) => nest(jsonLeaves(t), t.shape) as unknown[]);
  const instances = tensors.length === 1
    ? perInput[0]!
    : Array.from({ length: rows }, (_, r) => Object.fromEntries(tensors.map((t, i) => [t.alias, perInput[i]![r]])));
  return JSON.stringify({ ...head, instances });
}

/** float32 → IEEE half bits (round to nearest even; overflow → inf): core's conversion. */
export const float16Bits = numberToHalfBits;

/** float32 → bfloat16 bits (round to nearest even): core's conversion. */
export const bfloat16Bits = numberToBfloat16Bits;

function typedContent(dtype: Exclude<DType, 'string'>, values: readonly (number | boolean)[]): Uint8Array {
  const nums = values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  const view = ((): ArrayBufferView => {
    switch (dtype) {
      case 'float32': return Float32Array.from(nums);
      case 'float64': return Float64Array.from(nums);
      case 'float16': return Uint16Array.from(nums, float16Bits);
      case 'bfloat16': return Uint16Array.from(nums, bfloat16Bits);
      case 'int8': return Int8Array.from(nums);
      case 'int16': return Int16Array.from(nums);
      case 'int32': return Int32Array.from(nums);
      case 'int64': return BigInt64Array.from(nums, (n) => BigInt(Math.trunc(n)));
      case 'uint8': case 'bool': return Uint8Array.from(nums);
      case 'uint16': return Uint16Array.from(nums);
      case 'uint32': return Uint32Array.from(nums);
      case 'uint64': return BigUint64Array.from(nums, (n) => BigInt(Math.trunc(n)));
    }
  })();
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** A TensorProto as a plain object for protobufjs (`fromObject`, keepCase). */
export function tensorProtoObject(t: RequestTensor, tensorContent: boolean): Record<string, unknown> {
  const msg: Record<string, unknown> = { dtype: tfName(t.dtype), tensor_shape: { dim: t.shape.map((size) => ({ size })) } };
  if (t.dtype === 'string') {
    msg['string_val'] = t.values;
    return msg;
  }
  const values = t.values as readonly (number | boolean)[];
  if (tensorContent) {
    msg['tensor_content'] = typedContent(t.dtype, values);
    return msg;
  }
  const nums = values.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  switch (t.dtype) {
    case 'float32': msg['float_val'] = nums; break;
    case 'float64': msg['double_val'] = nums; break;
    case 'float16': msg['half_val'] = nums.map(float16Bits); break;
    case 'bfloat16': msg['half_val'] = nums.map(bfloat16Bits); break;
    case 'int64': msg['int64_val'] = nums; break;
    case 'uint32': msg['uint32_val'] = nums; break;
    case 'uint64': msg['uint64_val'] = nums; break;
    case 'bool': msg['bool_val'] = values.map((v) => v === true || v === 1); break;
    default: msg['int_val'] = nums;
  }
  return msg;
}
