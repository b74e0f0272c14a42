/**
 * One loaded ONNX model version: an onnxruntime session behind the LoadedModel contract — either an
 * InferenceSession on the event loop (onnxruntime-node executes its runs one at a time on the calling thread) or
 * run threads (run-threads.ts: sessions on worker threads, runs in parallel). Concurrent run() calls are safe
 * either way. close() waits for runs in flight, then releases.
 */
import type * as ort from 'onnxruntime-node';
import { abortable, InferdError, throwIfAborted } from '../../core/errors.ts';
import type { LoadedModel, RunRequest, RunResult } from '../../core/runtime.ts';
import { DEFAULT_SIGNATURE, METHOD, type ModelMetadata, type Signature, type TensorSpec } from '../../core/signature.ts';
import type { Tensor } from '../../core/tensor.ts';
import { tfShortName } from '../../core/dtype.ts';
import { fromOrtTensor, toOrtTensor } from './convert.ts';
import { mapRunError } from './errors.ts';

/** Identifies the version in messages (`model 'mlp' version 3`). */
export interface ModelIdentity {
  readonly modelName: string;
  readonly version: number;
}

/** What a loaded version runs on: an InferenceSession, or RunThreads with the same two methods. */
export interface OnnxSession {
  run(feeds: Record<string, ort.Tensor>, fetches: readonly string[]): Promise<ort.InferenceSession.ReturnType>;
  release(): Promise<void>;
}

/** A LoadedModel that owns one session. Construct with the runtime's load(); the session is adopted. */
export class OnnxLoadedModel implements LoadedModel {
  /** `serving_default` only: ONNX graphs have one signature. Aliases equal the ONNX value names. */
  readonly metadata: ModelMetadata;
  readonly #session: OnnxSession;
  readonly #signature: Signature;
  readonly #inputNames: readonly string[];
  readonly #outputNames: readonly string[];
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #id: ModelIdentity;
  #closing: Promise<void> | undefined;

  /** Adopt `session`; `signature` must describe exactly its inputs and outputs. */
  constructor(session: OnnxSession, signature: Signature, id: ModelIdentity) {
    this.#session = session;
    this.#signature = signature;
    this.#inputNames = Object.keys(signature.inputs);
    this.#outputNames = Object.keys(signature.outputs);
    this.#id = id;
    this.metadata = { signatures: { [DEFAULT_SIGNATURE]: signature } };
  }

  /** Run the model. Errors: NOT_FOUND (signature), INVALID_ARGUMENT (inputs, filter), CANCELLED/DEADLINE_EXCEEDED, INTERNAL. */
  async run(request: RunRequest): Promise<RunResult> {
    if (this.#closing) {
      throw InferdError.unavailable(`Model '${this.#id.modelName}' version ${this.#id.version} has been unloaded`);
    }
    throwIfAborted(request.signal);
    if (request.signatureName !== DEFAULT_SIGNATURE) {
      throw InferdError.notFound(`Serving signature name: "${request.signatureName}" not found in signature def`);
    }
    const feeds = this.#feeds(request.inputs);
    const fetches = this.#fetches(request.outputFilter);

    const running = this.#session.run(feeds, fetches);
    this.#inflight.add(running);
    const untrack = (): void => void this.#inflight.delete(running);
    running.then(untrack, untrack);

    let outputs: ort.InferenceSession.ReturnType;
    try {
      outputs = await abortable(running, request.signal);
    } catch (err) {
      throwIfAborted(request.signal);
      throw mapRunError(err);
    }
    throwIfAborted(request.signal);
    const result: RunResult = {};
    for (const name of fetches) {
      const value = outputs[name];
      if (value === undefined) throw InferdError.internal(`ONNX runtime returned no value for output '${name}'`);
      result[name] = fromOrtTensor(name, value);
    }
    return result;
  }

  /** Release the session once runs in flight have settled. Idempotent; later run() calls reject with UNAVAILABLE. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inflight]);
      await this.#session.release();
    })();
    return this.#closing;
  }

  #feeds(inputs: Readonly<Record<string, Tensor>>): Record<string, ort.Tensor> {
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.#inputNames) {
      const t = inputs[name];
      if (t === undefined) {
        throw InferdError.invalidArgument(`Missing input '${name}'; the model's inputs are: ${this.#inputNames.join(', ')}`);
      }
      const spec = this.#signature.inputs[name]!;
      if (t.dtype !== spec.dtype) {
        throw InferdError.invalidArgument(
          `Expects input '${name}' to be ${tfShortName(spec.dtype)} but ${tfShortName(t.dtype)} is provided`,
        );
      }
      feeds[name] = toOrtTensor(name, t);
    }
    for (const name of Object.keys(inputs)) {
      if (!(name in this.#signature.inputs)) {
        throw InferdError.invalidArgument(`Unknown input '${name}'; the model's inputs are: ${this.#inputNames.join(', ')}`);
      }
    }
    return feeds;
  }

  #fetches(filter: readonly string[] | undefined): readonly string[] {
    if (filter === undefined || filter.length === 0) return this.#outputNames;
    for (const name of filter) {
      if (!(name in this.#signature.outputs)) {
        throw InferdError.invalidArgument(`Output tensor alias not found in signature: ${name}`);
      }
    }
    return [...new Set(filter)];
  }
}

/** Build a TensorSpec from onnxruntime value metadata; `unknownRank` forces `shape: null`. */
export function specOf(name: string, dtype: TensorSpec['dtype'], dims: readonly (number | string)[], unknownRank: boolean): TensorSpec {
  if (unknownRank) return { name, dtype, shape: null };
  const shape = dims.map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
  const symbolic = dims.some((d) => typeof d === 'string' && d !== '');
  if (!symbolic) return { name, dtype, shape };
  return { name, dtype, shape, dimNames: dims.map((d) => (typeof d === 'string' ? d : '')) };
}

/** The method every ONNX signature declares. */
export const ONNX_METHOD = METHOD.predict;
