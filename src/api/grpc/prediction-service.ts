/**
 * tensorflow.serving.PredictionService handlers: Predict, Classify, Regress, MultiInference, GetModelMetadata.
 * Each parses its request, calls the ServingApi facade and builds the response; nothing else (no state).
 */
import { InferdError } from '../../core/errors.ts';
import { DEFAULT_SIGNATURE, METHOD } from '../../core/signature.ts';
import type { ClassifyResult, ModelSpec, RegressResult, ServingApi } from '../../server/serving-api.ts';
import { decodeInput, type InputMessage } from './examples.ts';
import { parseModelSpec, requireModelSpec, servedSpecMessage, type ModelSpecMessage } from './model-spec.ts';
import { predictInputDecoder } from './predict-inputs.ts';
import type { ProtoTypes } from './protos.ts';
import { packSignatureDefMap } from './signature-def.ts';
import { encodePredictResponse } from './predict-wire.ts';
import type { ResponseEncoding } from '../../core/limits.ts';
import type { EncodedTensorProto } from '../../core/tensor-proto-reader.ts';
import { planTensorProto } from '../../core/tensor-proto-writer.ts';
import type { CallNotes, UnaryImpl } from './unary.ts';

/** PredictRequest as decoded. */
export interface PredictRequestMessage {
  model_spec?: ModelSpecMessage | null;
  inputs?: Record<string, EncodedTensorProto>;
  output_filter?: string[];
}

/** ClassificationRequest / RegressionRequest as decoded. */
export interface ExampleRequestMessage {
  model_spec?: ModelSpecMessage | null;
  input?: InputMessage | null;
}

/** MultiInferenceRequest as decoded. */
export interface MultiInferenceRequestMessage {
  tasks?: { model_spec?: ModelSpecMessage | null; method_name?: string }[];
  input?: InputMessage | null;
}

/** GetModelMetadataRequest as decoded. */
export interface GetModelMetadataRequestMessage {
  model_spec?: ModelSpecMessage | null;
  metadata_field?: string[];
}

/** Options of the prediction handlers. */
export interface PredictionServiceOptions {
  /** Encode outputs as tensor_content (--enable_serialization_as_tensor_content). */
  readonly tensorContent: boolean;
}

/** The method bodies of PredictionService, keyed by RPC name. */
export type PredictionHandlers = Record<'Predict' | 'Classify' | 'Regress' | 'MultiInference' | 'GetModelMetadata', UnaryImpl<never, unknown>>;

const classificationResult = (r: ClassifyResult): unknown => ({
  classifications: r.classifications.map((classes) => ({ classes: classes.map((c) => ({ label: c.label, score: c.score })) })),
});
const regressionResult = (r: RegressResult): unknown => ({ regressions: r.values.map((value) => ({ value })) });

/** Build the PredictionService handlers over a facade. */
export function predictionHandlers(api: ServingApi, types: ProtoTypes, options: PredictionServiceOptions): PredictionHandlers {
  const { tensorContent } = options;
  /** PredictResponse bytes of one output: its TensorProto exactly, plus the map entry's key and framing. */
  const responseEncoding: ResponseEncoding = {
    name: tensorContent ? 'protobuf (tensor_content)' : 'protobuf',
    bytes: (alias, t) => planTensorProto(t, tensorContent).size + 3 * alias.length + 32,
  };

  /** Note what the facade resolved, for the call's outcome report. */
  const note = (notes: CallNotes, r: { served: { version: number; signatureName: string }; run?: CallNotes['run'] }): void => {
    notes.version = r.served.version;
    notes.signature = r.served.signatureName;
    if (r.run) notes.run = r.run;
  };

  const predict = async (req: PredictRequestMessage, signal: AbortSignal, notes: CallNotes): Promise<unknown> => {
    const spec = parseModelSpec(req.model_spec);
    const filter = req.output_filter ?? [];
    const result = await api.predict({
      spec,
      decodeInputs: predictInputDecoder(req.inputs ?? {}, filter),
      ...(filter.length > 0 ? { outputFilter: filter } : {}),
      signal,
      dialect: 'grpc',
      responseEncoding,
    });
    note(notes, result);
    const outputs = Object.entries(result.outputs);
    return encodePredictResponse(result.served, filter.length === 0 ? outputs : outputs.filter(([alias]) => filter.includes(alias)), tensorContent);
  };

  const classify = async (req: ExampleRequestMessage, signal: AbortSignal, notes: CallNotes): Promise<unknown> => {
    const spec = parseModelSpec(req.model_spec);
    const input = decodeInput(req.input);
    notes.examples = input.examples.length;
    const result = await api.classify({ spec, ...input, signal });
    note(notes, result);
    return { model_spec: servedSpecMessage(result.served), result: classificationResult(result) };
  };

  const regress = async (req: ExampleRequestMessage, signal: AbortSignal, notes: CallNotes): Promise<unknown> => {
    const spec = parseModelSpec(req.model_spec);
    const input = decodeInput(req.input);
    notes.examples = input.examples.length;
    const result = await api.regress({ spec, ...input, signal });
    note(notes, result);
    return { model_spec: servedSpecMessage(result.served), result: regressionResult(result) };
  };

  const multiInference = async (req: MultiInferenceRequestMessage, signal: AbortSignal, notes: CallNotes): Promise<unknown> => {
    const tasks = req.tasks ?? [];
    if (tasks.length === 0) throw InferdError.invalidArgument('Expected at least one task');
    const first = parseModelSpec(tasks[0]?.model_spec);
    const seen = new Set<string>();
    const plans = tasks.map((task) => {
      const spec = parseModelSpec(task.model_spec);
      if (spec.name !== first.name) {
        throw InferdError.invalidArgument('All ModelSpecs in a MultiInferenceRequest must access the same model name.');
      }
      const signatureName = spec.signatureName || DEFAULT_SIGNATURE;
      if (seen.has(signatureName)) throw InferdError.invalidArgument(`Duplicate evaluation of signature: ${signatureName}`);
      seen.add(signatureName);
      const method = task.method_name ?? '';
      if (method !== METHOD.classify && method !== METHOD.regress) {
        throw InferdError.unimplemented(`Unsupported signature method_name: ${method}`);
      }
      // The servable is the one the first task names (version or label); each task picks its signature.
      const taskSpec: ModelSpec = { ...first, signatureName };
      return { method, spec: taskSpec };
    });
    const input = decodeInput(req.input);
    notes.examples = input.examples.length;
    const results = await Promise.all(plans.map(async ({ method, spec }) => {
      if (method === METHOD.classify) {
        const r = await api.classify({ spec, ...input, signal });
        note(notes, r);
        return { model_spec: servedSpecMessage(r.served), classification_result: classificationResult(r) };
      }
      const r = await api.regress({ spec, ...input, signal });
      note(notes, r);
      return { model_spec: servedSpecMessage(r.served), regression_result: regressionResult(r) };
    }));
    return { results };
  };

  const getModelMetadata = async (req: GetModelMetadataRequestMessage, _signal: AbortSignal, notes: CallNotes): Promise<unknown> => {
    requireModelSpec(req.model_spec);
    const fields = req.metadata_field ?? [];
    if (fields.length === 0) throw InferdError.invalidArgument('GetModelMetadataRequest must specify at least one metadata_field');
    for (const f of fields) {
      if (f !== 'signature_def') throw InferdError.invalidArgument(`Metadata field ${f} is not supported`);
    }
    const spec = parseModelSpec(req.model_spec);
    const meta = await api.metadata(spec);
    notes.version = meta.version;
    return {
      model_spec: { name: meta.name, version: { value: meta.version } },
      metadata: { signature_def: packSignatureDefMap(types, meta.signatures) },
    };
  };

  return {
    Predict: predict as UnaryImpl<never, unknown>,
    Classify: classify as UnaryImpl<never, unknown>,
    Regress: regress as UnaryImpl<never, unknown>,
    MultiInference: multiInference as UnaryImpl<never, unknown>,
    GetModelMetadata: getModelMetadata as UnaryImpl<never, unknown>,
  };
}
