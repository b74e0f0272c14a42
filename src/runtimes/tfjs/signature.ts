/**
 * Signatures of TF.js models in core terms. A LayersModel has one `serving_default` signature whose aliases are its
 * input and output layer names (what Keras puts in a SavedModel's serving signature). A GraphModel uses the
 * SignatureDef the converter stored in model.json when there is one, else its input and output node names.
 * TF.js computes in float32, int32, bool and string; a converted int64 tensor is computed as int32.
 */
import type { io } from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { type DType, dtypeOfTfName } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';
import { METHOD, type Signature, type TensorSpec } from '../../core/signature.ts';

/** The dtypes a TF.js model can take or give, by tfjs dtype name. */
const TFJS_DTYPES: Record<string, DType> = { float32: 'float32', int32: 'int32', bool: 'bool', string: 'string' };

/** Core dtype of a tfjs dtype name, or an INVALID_ARGUMENT naming the tensor. */
function dtypeOfTfjs(dtype: string, what: string): DType {
  const d = TFJS_DTYPES[dtype];
  if (d === undefined) throw InferdError.invalidArgument(`${what} has dtype ${dtype}, which inferd cannot serve from a TF.js model`);
  return d;
}

const dims = (shape: readonly (number | null)[] | undefined): number[] | null =>
  shape === undefined ? null : shape.map((d) => (d === null || d === undefined || d < 0 ? -1 : d));

/** The serving_default signature of a LayersModel: aliases are layer names. */
export function layersSignature(model: LayersModel): Signature {
  const inputs: Record<string, TensorSpec> = {};
  model.inputs.forEach((t, i) => {
    const alias = model.inputNames[i] ?? t.name;
    inputs[alias] = { name: t.name, dtype: dtypeOfTfjs(t.dtype, `input '${alias}'`), shape: dims(t.shape) };
  });
  const outputs: Record<string, TensorSpec> = {};
  model.outputs.forEach((t, i) => {
    const alias = model.outputNames[i] ?? t.name;
    outputs[alias] = { name: t.name, dtype: dtypeOfTfjs(t.dtype, `output '${alias}'`), shape: dims(t.shape) };
  });
  return { inputs, outputs, methodName: METHOD.predict };
}

interface TensorInfoJson {
  name?: string;
  dtype?: string;
  tensorShape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
}

/** A TensorInfo of the converter's model.json signature as a core TensorSpec. */
function specOfTensorInfo(alias: string, info: TensorInfoJson, what: string): TensorSpec {
  const dtype = info.dtype === undefined ? undefined : dtypeOfTfName(info.dtype);
  if (dtype === undefined || !['float32', 'int32', 'int64', 'bool', 'string'].includes(dtype)) {
    throw InferdError.invalidArgument(`${what} '${alias}' has dtype ${String(info.dtype)}, which inferd cannot serve from a TF.js model`);
  }
  const shape = info.tensorShape === undefined || info.tensorShape.unknownRank
    ? null
    : (info.tensorShape.dim ?? []).map((d) => Number(d.size ?? -1));
  return { name: info.name ?? alias, dtype, shape };
}

/**
 * The serving_default signature of a GraphModel. With a stored signature its aliases are the SignatureDef's keys
 * (the converter keeps them); without one they are node names, with dtypes and shapes from the graph.
 */
export function graphSignature(model: GraphModel, stored: io.ModelArtifacts['signature']): Signature {
  const sig = stored as { inputs?: Record<string, TensorInfoJson>; outputs?: Record<string, TensorInfoJson>; methodName?: string } | undefined;
  if (sig?.inputs !== undefined && sig.outputs !== undefined && Object.keys(sig.outputs).length > 0) {
    const map = (list: Record<string, TensorInfoJson>, what: string): Record<string, TensorSpec> =>
      Object.fromEntries(Object.entries(list).map(([alias, info]) => [alias, specOfTensorInfo(alias, info, what)]));
    return { inputs: map(sig.inputs, 'input'), outputs: map(sig.outputs, 'output'), methodName: sig.methodName || METHOD.predict };
  }
  const inputs: Record<string, TensorSpec> = {};
  for (const t of model.inputs) inputs[t.name] = { name: t.name, dtype: dtypeOfTfjs(t.dtype, `input '${t.name}'`), shape: dims(t.shape) };
  const outputs: Record<string, TensorSpec> = {};
  for (const t of model.outputs) outputs[t.name] = { name: t.name, dtype: dtypeOfTfjs(t.dtype ?? 'float32', `output '${t.name}'`), shape: dims(t.shape) };
  return { inputs, outputs, methodName: METHOD.predict };
}
