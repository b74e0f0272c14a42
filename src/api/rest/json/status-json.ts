/**
 * Model status and metadata bodies of TensorFlow Serving's REST API (shared/reference/tfserving-api.md §1.3):
 * GetModelStatusResponse and GetModelMetadataResponse as protobuf JSON with proto field names, default-valued
 * fields printed, int64 as strings, enums by name. Key order and whitespace are not part of the contract.
 */
import { tfName, tfNameOfNumber } from '../../../core/dtype.ts';
import type { VersionStatus } from '../../../core/lifecycle/state.ts';
import type { Signature, TensorSpec } from '../../../core/signature.ts';

/** `{"model_version_status": [{"version": "3", "state": "AVAILABLE", "status": {...}}]}`, versions descending. */
export function encodeStatus(statuses: readonly VersionStatus[]): string {
  const sorted = [...statuses].sort((a, b) => b.version - a.version);
  const body = {
    model_version_status: sorted.map((s) => ({
      version: String(s.version),
      state: s.state,
      status: { error_code: s.error ? s.error.code : 'OK', error_message: s.error ? s.error.message : '' },
    })),
  };
  return JSON.stringify(body, null, 1);
}

/** TensorShapeProto JSON, or undefined when the model records no shape (the field is then omitted). */
function shapeJson(spec: TensorSpec): object | undefined {
  if (spec.shape === undefined) return undefined;
  if (spec.shape === null) return { dim: [], unknown_rank: true };
  return {
    dim: spec.shape.map((size, i) => ({ size: String(size), name: spec.dimNames?.[i] ?? '' })),
    unknown_rank: false,
  };
}

/** TensorInfo JSON: dtype (`DT_*`, the recorded TF number when there is one), tensor_shape, name. */
function tensorInfoJson(spec: TensorSpec): object {
  const dtype = spec.tfDataType === undefined ? tfName(spec.dtype) : tfNameOfNumber(spec.tfDataType);
  const shape = shapeJson(spec);
  return { dtype, ...(shape === undefined ? {} : { tensor_shape: shape }), name: spec.name };
}

function mapValues<T>(rec: Readonly<Record<string, T>>, f: (v: T) => object): Record<string, object> {
  const out: Record<string, object> = {};
  for (const [k, v] of Object.entries(rec)) out[k] = f(v);
  return out;
}

/**
 * SignatureDef JSON: inputs, outputs, method_name, and `defaults: {}` — except for signatures without a method name
 * (TF2's `__saved_model_init_op`), which TensorFlow Serving prints without `defaults`
 * (saved_model_half_plus_two_tf2_2_versions_metadata.json).
 */
export function signatureDefJson(sig: Signature): object {
  return {
    inputs: mapValues(sig.inputs, tensorInfoJson),
    outputs: mapValues(sig.outputs, tensorInfoJson),
    method_name: sig.methodName,
    ...(sig.methodName === '' ? {} : { defaults: {} }),
  };
}

/**
 * `{"model_spec": {"name", "signature_name": "", "version": "<v>"}, "metadata": {"signature_def":
 * {"signature_def": {<key>: SignatureDef}}}}` for the served version.
 */
export function encodeMetadata(name: string, version: number, signatures: Readonly<Record<string, Signature>>): string {
  const body = {
    model_spec: { name, signature_name: '', version: String(version) },
    metadata: { signature_def: { signature_def: mapValues(signatures, signatureDefJson) } },
  };
  return JSON.stringify(body, null, 1);
}
