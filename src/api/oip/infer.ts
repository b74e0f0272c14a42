/**
 * The Open Inference Protocol over the ServingApi facade, independent of the wire (REST JSON, REST binary, gRPC):
 * version addressing, input and output checks, and the metadata and readiness answers. Front ends turn their wire
 * form into an OipInferCall whose inputs decode themselves once their datatype and shape are checked, call oipInfer,
 * and write the OipInferResult back in their own form. Never names a runtime.
 *
 * Inputs are addressed by the aliases of the model's `serving_default` signature (or the signature named by the
 * request parameter `signature_name`), the names TensorFlow Serving's predict API uses for the same model.
 */
import type { DType } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';
import type { AllocationBudget, ResponseEncoding } from '../../core/limits.ts';
import type { RunStats } from '../../core/request-outcome.ts';
import { DEFAULT_SIGNATURE, type Signature, type TensorSpec } from '../../core/signature.ts';
import { formatShape, type Tensor, type TensorData } from '../../core/tensor.ts';
import type { ModelSpec, ServingApi } from '../../server/serving-api.ts';
import { dtypeOfOip, oipDatatype, oipPlatform, type OipDatatype } from './datatype.ts';

/** A parameter value of the protocol (`$parameters` values, gRPC InferParameter). */
export type OipParameter = string | number | boolean | bigint;

/** One input as the wire gave it; `decode` reads its elements once dtype and element count are known and checked. */
export interface OipInput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  /** Element storage of `count` elements of `dtype`; INVALID_ARGUMENT when the wire data does not hold exactly that. */
  readonly decode: (dtype: DType, count: number) => TensorData;
}

/** An inference request, wire-independent. */
export interface OipInferCall {
  readonly model: string;
  /** The version path segment or field: digits select a version, other text a version label; empty = latest. */
  readonly version?: string;
  readonly inputs: readonly OipInput[];
  /** Requested output names; undefined or empty = every output of the signature. */
  readonly outputs?: readonly string[];
  readonly parameters?: Readonly<Record<string, OipParameter>>;
  readonly signal?: AbortSignal;
  /** How the transport encodes the outputs, for the response budget (ServingApi PredictCall); default tensor bytes. */
  readonly responseEncoding?: ResponseEncoding;
}

/** One output tensor of an answer. */
export interface OipOutput {
  readonly name: string;
  readonly datatype: OipDatatype;
  readonly tensor: Tensor;
}

/** An inference answer, wire-independent. */
export interface OipInferResult {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly outputs: readonly OipOutput[];
  /** The signature that ran (for access logs). */
  readonly signatureName: string;
  /** Run time and batch size (for metrics and access logs), when the facade measured them. */
  readonly run?: RunStats;
}

/** `$metadata_tensor`. */
export interface OipTensorMetadata {
  readonly name: string;
  readonly datatype: OipDatatype;
  readonly shape: readonly number[];
}

/** `$metadata_model_response`. */
export interface OipModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly OipTensorMetadata[];
  readonly outputs: readonly OipTensorMetadata[];
}

/** `$metadata_server_response` fields. */
export interface OipServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** The facade a spec addresses: digits → version, other text → label, empty → latest. */
export function modelSpecOf(model: string, version: string | undefined, signatureName?: string): ModelSpec {
  const sig = signatureName !== undefined && signatureName !== '' ? { signatureName } : {};
  if (version === undefined || version === '') return { name: model, ...sig };
  if (/^\d+$/.test(version)) {
    const n = Number(version);
    if (!Number.isSafeInteger(n)) throw InferdError.invalidArgument(`invalid model version '${version}'`);
    return { name: model, version: n, ...sig };
  }
  return { name: model, label: version, ...sig };
}

/** The signature OIP serves for a model: `serving_default`, else the only one, else none. */
function defaultSignature(signatures: Readonly<Record<string, Signature>>): Signature | undefined {
  const all = Object.values(signatures);
  return signatures[DEFAULT_SIGNATURE] ?? (all.length === 1 ? all[0] : undefined);
}

function tensorMetadata(specs: Readonly<Record<string, TensorSpec>>): OipTensorMetadata[] {
  return Object.entries(specs).map(([alias, spec]) => ({
    name: alias,
    datatype: oipDatatype(spec.dtype),
    // Unknown rank (or no recorded shape) has no OIP spelling: one variable dimension, as Triton reports `[-1]`.
    shape: spec.shape ? [...spec.shape] : [-1],
  }));
}

/** Model metadata: platform, the AVAILABLE versions, and the signature's inputs and outputs. */
export async function oipModelMetadata(api: ServingApi, model: string, version?: string): Promise<OipModelMetadata> {
  const md = await api.metadata(modelSpecOf(model, version));
  const versions = api.status(model).filter((s) => s.state === 'AVAILABLE').map((s) => String(s.version));
  const signature = defaultSignature(md.signatures);
  return {
    name: md.name,
    versions,
    platform: oipPlatform(md.platform),
    inputs: signature ? tensorMetadata(signature.inputs) : [],
    outputs: signature ? tensorMetadata(signature.outputs) : [],
  };
}

/**
 * Whether the version a request would reach is AVAILABLE. NOT_FOUND when the model was never served; false when it
 * is served but that version (or any, without one) is not AVAILABLE.
 */
export async function oipModelReady(api: ServingApi, model: string, version?: string): Promise<boolean> {
  const spec = modelSpecOf(model, version);
  const all = api.status(model);
  if (spec.version !== undefined) return all.some((s) => s.version === spec.version && s.state === 'AVAILABLE');
  if (spec.label !== undefined) {
    // Labels resolve through the facade; a label that does not resolve is simply not ready.
    return api.metadata(spec).then(() => true, () => false);
  }
  return all.some((s) => s.state === 'AVAILABLE');
}

function checkShape(input: OipInput, model: string, spec: TensorSpec): void {
  for (const d of input.shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw InferdError.invalidArgument(`invalid shape ${formatShape(input.shape)} for input '${input.name}': dimensions must be non-negative integers`);
  }
  const want = spec.shape;
  if (want) {
    const fits = want.length === input.shape.length && want.every((d, i) => d < 0 || d === input.shape[i]);
    if (!fits) throw InferdError.invalidArgument(`unexpected shape for input '${input.name}' for model '${model}'. Expected ${formatShape(want)}, got ${formatShape(input.shape)}`);
  }
}

/**
 * Check the inputs against the signature and decode them (called by the facade once the model is resolved). Each
 * tensor is charged to the request's allocation budget (core/limits.ts) before its storage is decoded; BYTES
 * contents are charged once their total length is known.
 */
function decodeInputs(call: OipInferCall, signature: Signature, budget: AllocationBudget): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const input of call.inputs) {
    const spec = signature.inputs[input.name];
    if (!spec) throw InferdError.invalidArgument(`unexpected inference input '${input.name}' for model '${call.model}'`);
    if (input.name in out) throw InferdError.invalidArgument(`input '${input.name}' is given more than once`);
    const dtype = dtypeOfOip(input.datatype, input.name);
    if (dtype !== spec.dtype) {
      throw InferdError.invalidArgument(`unexpected datatype ${input.datatype} for inference input '${input.name}', expecting ${oipDatatype(spec.dtype)}`);
    }
    checkShape(input, call.model, spec);
    const count = budget.charge(dtype, input.shape, input.name);
    const data = input.decode(dtype, count);
    if (dtype === 'string') budget.chargeBytes((data as Uint8Array[]).reduce((n, e) => n + e.byteLength, 0), `BYTES contents of input '${input.name}'`);
    if (data.length !== count) throw InferdError.invalidArgument(`input '${input.name}' of shape ${formatShape(input.shape)} needs ${count} elements but got ${data.length}`);
    out[input.name] = { dtype, shape: [...input.shape], data };
  }
  const missing = Object.keys(signature.inputs).filter((alias) => !(alias in out));
  if (missing.length > 0) {
    throw InferdError.invalidArgument(`expected ${Object.keys(signature.inputs).length} inputs but got ${call.inputs.length} inputs for model '${call.model}' (missing ${missing.map((m) => `'${m}'`).join(', ')})`);
  }
  return out;
}

/** Run an inference through the facade (same versions, batcher and limits as TensorFlow Serving's API). */
export async function oipInfer(api: ServingApi, call: OipInferCall): Promise<OipInferResult> {
  const signatureParam = call.parameters?.signature_name;
  if (signatureParam !== undefined && typeof signatureParam !== 'string') throw InferdError.invalidArgument('parameter signature_name must be a string');
  const requested = call.outputs ?? [];
  const seen = new Set<string>();
  for (const name of requested) {
    if (seen.has(name)) throw InferdError.invalidArgument(`output '${name}' is requested more than once`);
    seen.add(name);
  }
  let order: string[] = [];
  const result = await api.predict({
    spec: modelSpecOf(call.model, call.version, signatureParam),
    decodeInputs: (signature, _signatureName, budget) => {
      for (const name of requested) {
        if (!signature.outputs[name]) throw InferdError.invalidArgument(`unexpected inference output '${name}' for model '${call.model}'`);
      }
      order = requested.length > 0 ? [...requested] : Object.keys(signature.outputs);
      return decodeInputs(call, signature, budget);
    },
    ...(requested.length > 0 ? { outputFilter: requested } : {}),
    ...(call.signal ? { signal: call.signal } : {}),
    ...(call.responseEncoding ? { responseEncoding: call.responseEncoding } : {}),
    dialect: 'grpc',
  });
  const outputs: OipOutput[] = [];
  for (const name of order) {
    const tensor = result.outputs[name];
    if (tensor) outputs.push({ name, datatype: oipDatatype(tensor.dtype), tensor });
  }
  return {
    modelName: result.served.name, modelVersion: String(result.served.version), outputs, signatureName: result.served.signatureName,
    ...(result.run ? { run: result.run } : {}),
  };
}

/** The extensions inferd implements, for server metadata. */
export function oipExtensions(management: boolean): string[] {
  return ['binary_tensor_data', ...(management ? ['model_repository'] : [])];
}
