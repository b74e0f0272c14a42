/**
 * The facade's request bodies on one loaded version: predict, classify and regress as TensorFlow Serving runs them
 * (signature lookup, input decoding under the request budget, the run, output charging, classify/regress result
 * shaping). ModelServer calls these with a handle's version; warmup (warmup.ts) calls them on a version that is
 * still loading, through `versionServingApi`, so warmup requests take exactly the path real requests take.
 */
import { type Example, encodeExample, withContext } from '../core/example.ts';
import { InferdError } from '../core/errors.ts';
import { AllocationBudget, type RequestLimits, type ResponseEncoding } from '../core/limits.ts';
import type { RunStats } from '../core/request-outcome.ts';
import type { LoadedModel } from '../core/runtime.ts';
import { DEFAULT_SIGNATURE } from '../core/signature.ts';
import { decodeString, type Tensor } from '../core/tensor.ts';
import { checkExampleSignature, rowWidth } from './example-signatures.ts';
import type { ClassifyResult, ExampleCall, MetadataResult, PredictCall, PredictResult, RegressResult, ServingApi } from './serving-api.ts';

/** One loaded version a call runs on. The caller owns its lifetime (a handle, or the load in progress). */
export interface ServingTarget {
  readonly name: string;
  readonly version: number;
  readonly model: LoadedModel;
}

/** Run a predict call on `target` (the body of ServingApi.predict). */
export async function predictOn(target: ServingTarget, call: PredictCall, limits: RequestLimits): Promise<PredictResult> {
  const signatureName = call.spec.signatureName || DEFAULT_SIGNATURE;
  const signature = target.model.metadata.signatures[signatureName];
  if (!signature) {
    throw call.dialect === 'grpc'
      ? InferdError.failedPrecondition(`Serving signature key "${signatureName}" not found.`)
      : InferdError.invalidArgument(`Serving signature name: "${signatureName}" not found in signature def`);
  }
  if (call.dialect !== 'grpc' && Object.keys(signature.inputs).length === 0) {
    throw InferdError.invalidArgument(`Failed to get input map for signature: ${call.spec.signatureName || 'DEFAULT'}`);
  }
  const inputs = call.decodeInputs(signature, signatureName, new AllocationBudget(limits, 'request'));
  let batchSize: number | undefined;
  const started = performance.now();
  const outputs = await target.model.run({
    signatureName,
    inputs,
    ...(call.outputFilter && call.outputFilter.length > 0 ? { outputFilter: call.outputFilter } : {}),
    ...(call.signal ? { signal: call.signal } : {}),
    onBatched: (size) => { batchSize = Math.max(batchSize ?? 0, size); },
  });
  chargeOutputs(outputs, limits, call.responseEncoding);
  const run = { runMicros: (performance.now() - started) * 1000, ...(batchSize !== undefined ? { batchSize } : {}) };
  return { served: { name: target.name, version: target.version, signatureName }, signature, outputs, run };
}

/** Run a classify call on `target` (the body of ServingApi.classify). */
export async function classifyOn(target: ServingTarget, call: ExampleCall, limits: RequestLimits): Promise<ClassifyResult> {
  const { served, outputs, run } = await runExamples(target, call, 'classify', limits);
  const scores = outputs.scores;
  const classes = outputs.classes;
  const n = call.examples.length;
  const k = n === 0 ? 0 : rowWidth(scores ?? classes, n);
  const classifications = Array.from({ length: n }, (_, i) => {
    return Array.from({ length: k }, (_, j) => ({
      label: classes ? decodeString((classes.data as Uint8Array[])[i * k + j] ?? new Uint8Array()) : '',
      score: scores ? Number(scores.data[i * k + j]) : 0,
    }));
  });
  return { served, classifications, run };
}

/** Run a regress call on `target` (the body of ServingApi.regress). */
export async function regressOn(target: ServingTarget, call: ExampleCall, limits: RequestLimits): Promise<RegressResult> {
  const { served, outputs, run } = await runExamples(target, call, 'regress', limits);
  const out = outputs.outputs;
  if (!out || rowWidth(out, call.examples.length) !== 1) {
    throw InferdError.invalidArgument(`Expected output Tensor shape to be [${call.examples.length}] or [${call.examples.length},1]`);
  }
  return { served, values: Array.from(out.data as ArrayLike<number>, Number), run };
}

/**
 * A ServingApi whose every call runs on `target`, whatever model name, version or label the call's spec names
 * (only its signature name counts): what warmup replays go through. `status` reports the target as LOADING.
 */
export function versionServingApi(target: ServingTarget, limits: RequestLimits): ServingApi {
  return {
    status: () => [{ version: target.version, state: 'LOADING' }],
    metadata: async (): Promise<MetadataResult> => ({ name: target.name, version: target.version, signatures: target.model.metadata.signatures }),
    predict: (call) => predictOn(target, call, limits),
    classify: (call) => classifyOn(target, call, limits),
    regress: (call) => regressOn(target, call, limits),
  };
}

/** Classify/regress over tf.Example (servables/tensorflow/classifier.cc, regressor.cc rules in our words). */
async function runExamples(
  target: ServingTarget, call: ExampleCall, method: 'classify' | 'regress', limits: RequestLimits,
): Promise<{ served: PredictResult['served']; outputs: Readonly<Record<string, Tensor>>; run: RunStats }> {
  const signatureName = call.spec.signatureName || DEFAULT_SIGNATURE;
  const signature = target.model.metadata.signatures[signatureName];
  if (!signature) throw InferdError.invalidArgument(`No signature was found with the name: ${signatureName}`);
  checkExampleSignature(signature, method);
  const examples = call.examples.map((e: Example) => encodeExample(withContext(e, call.context)));
  const inputs = { inputs: { dtype: 'string', shape: [examples.length], data: examples } as Tensor };
  let batchSize: number | undefined;
  const started = performance.now();
  const outputs = await target.model.run({
    signatureName, inputs, ...(call.signal ? { signal: call.signal } : {}),
    onBatched: (size) => { batchSize = Math.max(batchSize ?? 0, size); },
  });
  chargeOutputs(outputs, limits);
  const run = { runMicros: (performance.now() - started) * 1000, ...(batchSize !== undefined ? { batchSize } : {}) };
  return { served: { name: target.name, version: target.version, signatureName }, outputs, run };
}

/**
 * Charge a run's outputs to a response budget before any transport encodes them (RESOURCE_EXHAUSTED past it): at
 * `encoding`'s size when the transport gave one, else at the tensors' own bytes.
 */
function chargeOutputs(outputs: Readonly<Record<string, Tensor>>, limits: RequestLimits, encoding?: ResponseEncoding): void {
  const budget = new AllocationBudget(limits, 'response');
  for (const [alias, t] of Object.entries(outputs)) {
    if (encoding) budget.chargeEncoded(alias, t, encoding);
    else budget.chargeTensor(alias, t);
  }
}
