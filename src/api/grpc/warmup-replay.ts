/**
 * Replays one warmup record — a serialized tensorflow.serving.PredictionLog (tensorflow_serving/apis/
 * prediction_log.proto) — through the PredictionService handlers, as TensorFlow Serving's saved_model_warmup.cc
 * does: predict_log, classify_log, regress_log and multi_inference_log run their request; the logged response is
 * ignored. The request's model name, version and label are replaced by the version being loaded (TF Serving runs
 * warmup on the loading session directly); only the signature name counts.
 *
 * Field numbers: PredictionLog { LogMetadata log_metadata = 1; oneof log_type { ClassifyLog classify_log = 2;
 * RegressLog regress_log = 3; MultiInferenceLog multi_inference_log = 4; SessionRunLog session_run_log = 5;
 * PredictLog predict_log = 6; PredictStreamedLog predict_streamed_log = 7 } }; every *Log has `request = 1`.
 */
import { InferdError } from '../../core/errors.ts';
import { WIRE, WireReader, tagOf } from '../../core/proto-wire.ts';
import type { ServingApi } from '../../server/serving-api.ts';
import type { WarmupReplayer } from '../../server/warmup.ts';
import type { ModelSpecMessage } from './model-spec.ts';
import { predictionHandlers, type ExampleRequestMessage, type MultiInferenceRequestMessage } from './prediction-service.ts';
import { readPredictRequest } from './predict-wire.ts';
import type { ProtoTypes } from './protos.ts';

/** The log kinds of PredictionLog's `log_type` oneof, by field number. */
const LOG_KINDS: Readonly<Record<number, string>> = {
  2: 'classify_log', 3: 'regress_log', 4: 'multi_inference_log', 5: 'session_run_log', 6: 'predict_log', 7: 'predict_streamed_log',
};

/** The kind of a PredictionLog and its request's bytes (the last occurrence of the oneof wins, as in protobuf). */
function splitPredictionLog(bytes: Uint8Array): { kind: string; request: Uint8Array } | undefined {
  let found: { kind: string; log: Uint8Array } | undefined;
  const r = new WireReader(bytes);
  while (r.more()) {
    const t = r.tag();
    const field = t >>> 3;
    if ((t & 7) === WIRE.bytes && field !== 1) {
      const log = r.view();
      found = { kind: LOG_KINDS[field] ?? `field ${field}`, log };
    } else r.skip(t & 7, field);
  }
  if (!found) return undefined;
  // A sub-message seen twice merges; for `request = 1` the concatenation of its occurrences is that merge.
  const parts: Uint8Array[] = [];
  const log = new WireReader(found.log);
  while (log.more()) {
    const t = log.tag();
    if (t === tagOf(1, WIRE.bytes)) parts.push(log.view());
    else log.skip(t & 7, t >>> 3);
  }
  return { kind: found.kind, request: parts.length === 1 ? parts[0]! : Buffer.concat(parts) };
}

/** `spec` pointed at the model being loaded: its signature name only. */
function retarget(spec: ModelSpecMessage | null | undefined, model: string): ModelSpecMessage {
  return { name: model, ...(spec?.signature_name ? { signature_name: spec.signature_name } : {}) };
}

/** A WarmupReplayer over the PredictionService handlers (so warmup requests are checked exactly like RPCs). */
export function predictionLogReplayer(types: ProtoTypes): WarmupReplayer {
  return async (record: Uint8Array, api: ServingApi, model: string, signal: AbortSignal): Promise<void> => {
    let split: ReturnType<typeof splitPredictionLog>;
    try {
      split = splitPredictionLog(record);
    } catch (err) {
      throw InferdError.invalidArgument(`Failed to parse warmup record: ${(err as Error).message}`);
    }
    if (!split) throw InferdError.invalidArgument('Warmup record is a PredictionLog with no log_type set');
    const handlers = predictionHandlers(api, types, { tensorContent: false });
    const notes = {};
    const decode = <T>(type: { decode(bytes: Uint8Array): unknown }): T => {
      try {
        return type.decode(split.request) as T;
      } catch (err) {
        throw InferdError.invalidArgument(`Failed to parse the ${split.kind} request of a warmup record: ${(err as Error).message}`);
      }
    };
    switch (split.kind) {
      case 'predict_log': {
        const req = decode<ReturnType<typeof readPredictRequest>>({ decode: (b) => readPredictRequest(b, types.ModelSpec) });
        req.model_spec = retarget(req.model_spec, model);
        await handlers.Predict(req as never, signal, notes);
        return;
      }
      case 'classify_log':
      case 'regress_log': {
        const req = decode<ExampleRequestMessage>(split.kind === 'classify_log' ? types.ClassificationRequest : types.RegressionRequest);
        const call = { ...req, input: req.input, model_spec: retarget(req.model_spec, model) };
        await (split.kind === 'classify_log' ? handlers.Classify : handlers.Regress)(call as never, signal, notes);
        return;
      }
      case 'multi_inference_log': {
        const req = decode<MultiInferenceRequestMessage>(types.MultiInferenceRequest);
        const tasks = (req.tasks ?? []).map((t) => ({ method_name: t.method_name ?? '', model_spec: retarget(t.model_spec, model) }));
        await handlers.MultiInference({ tasks, input: req.input } as never, signal, notes);
        return;
      }
      default:
        // session_run_log is refused by TF Serving too; predict_streamed_log and unknown kinds have no replay here.
        throw InferdError.unimplemented(`Unsupported log_type for warmup: ${split.kind}`);
    }
  };
}
