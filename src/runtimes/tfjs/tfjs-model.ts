/**
 * One loaded TF.js model version behind the LoadedModel contract. Runs execute on this thread's tfjs engine
 * (tfjs-backend-cpu unless the thread already chose a backend): a LayersModel's predict is synchronous and holds
 * the event loop for its duration, a GraphModel runs through executeAsync. Every tensor a run creates is disposed
 * before it answers; close() waits for runs in flight, then disposes the weights.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { tfShortName } from '../../core/dtype.ts';
import { abortable, InferdError, throwIfAborted, toInferdError } from '../../core/errors.ts';
import type { LoadedModel, RunRequest, RunResult } from '../../core/runtime.ts';
import { DEFAULT_SIGNATURE, type ModelMetadata, type Signature, type TensorSpec } from '../../core/signature.ts';
import type { Tensor } from '../../core/tensor.ts';

/** The model behind a TfjsLoadedModel, as one of the two TF.js formats. */
export type TfjsModel = { readonly kind: 'layers'; readonly model: LayersModel } | { readonly kind: 'graph'; readonly model: GraphModel };

/** Identifies the version in messages. */
export interface ModelIdentity {
  readonly modelName: string;
  readonly version: number;
}

/** A LoadedModel owning one tfjs LayersModel or GraphModel (adopted: close() disposes it). */
export class TfjsLoadedModel implements LoadedModel {
  /** `serving_default` only. */
  readonly metadata: ModelMetadata;
  readonly #model: TfjsModel;
  readonly #signature: Signature;
  readonly #id: ModelIdentity;
  readonly #inflight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;
  #graphNeedsAsync = false;

  /** Adopt `model`; `signature` must describe its inputs and outputs. */
  constructor(model: TfjsModel, signature: Signature, id: ModelIdentity) {
    this.#model = model;
    this.#signature = signature;
    this.#id = id;
    this.metadata = { signatures: { [DEFAULT_SIGNATURE]: signature } };
  }

  /** Run the model. Errors: NOT_FOUND (signature), INVALID_ARGUMENT (inputs, filter), CANCELLED/DEADLINE_EXCEEDED, INTERNAL. */
  async run(request: RunRequest): Promise<RunResult> {
    if (this.#closing) throw InferdError.unavailable(`Model '${this.#id.modelName}' version ${this.#id.version} has been unloaded`);
    throwIfAborted(request.signal);
    if (request.signatureName !== DEFAULT_SIGNATURE) {
      throw InferdError.notFound(`Serving signature name: "${request.signatureName}" not found in signature def`);
    }
    const wanted = this.#outputAliases(request.outputFilter);
    const running = this.#execute(request.inputs, wanted);
    this.#inflight.add(running);
    const untrack = (): void => void this.#inflight.delete(running);
    running.then(untrack, untrack);
    const result = await abortable(running, request.signal);
    throwIfAborted(request.signal);
    return result;
  }

  /** Wait for runs in flight, then dispose the weights. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inflight]);
      this.#model.model.dispose();
    })();
    return this.#closing;
  }

  #outputAliases(filter: readonly string[] | undefined): string[] {
    const all = Object.keys(this.#signature.outputs);
    if (filter === undefined || filter.length === 0) return all;
    for (const alias of filter) {
      if (!(alias in this.#signature.outputs)) {
        throw InferdError.invalidArgument(`output tensor alias not found in signature: ${alias} Outputs expected to be in the set {${all.join(',')}}.`);
      }
    }
    return [...filter];
  }

  /**
   * Run a GraphModel synchronously (execute) unless it needs executeAsync (control flow, dynamic shapes), which
   * tfjs reports by an error on the first run; the answer is remembered.
   */
  async #executeGraph(model: GraphModel, feeds: Record<string, tf.Tensor>, wanted: readonly string[]): Promise<tf.Tensor | tf.Tensor[]> {
    if (!this.#graphNeedsAsync) {
      try {
        return model.execute(feeds, [...wanted]);
      } catch (err) {
        if (!(err instanceof Error && /executeAsync/.test(err.message))) throw err;
        this.#graphNeedsAsync = true;
      }
    }
    return model.executeAsync(feeds, [...wanted]);
  }

  async #execute(inputs: Readonly<Record<string, Tensor>>, wanted: readonly string[]): Promise<RunResult> {
    const feeds: Record<string, tf.Tensor> = {};
    const produced: tf.Tensor[] = [];
    try {
      for (const [alias, spec] of Object.entries(this.#signature.inputs)) {
        const t = inputs[alias];
        if (t === undefined) throw InferdError.invalidArgument(`Missing input tensor alias: ${alias}`);
        feeds[alias] = toTfjs(t, spec, alias);
      }
      const byAlias = new Map<string, tf.Tensor>();
      if (this.#model.kind === 'layers') {
        const model = this.#model.model;
        const list = model.inputNames.map((name) => feeds[name] as tf.Tensor);
        const out = model.predict(list.length === 1 ? (list[0] as tf.Tensor) : list);
        const outs = Array.isArray(out) ? out : [out];
        produced.push(...outs);
        model.outputNames.forEach((name, i) => byAlias.set(name, outs[i] as tf.Tensor));
      } else {
        const out = await this.#executeGraph(this.#model.model, feeds, wanted);
        const outs = Array.isArray(out) ? out : [out];
        produced.push(...outs);
        wanted.forEach((name, i) => byAlias.set(name, outs[i] as tf.Tensor));
      }
      const result: RunResult = {};
      for (const alias of wanted) {
        result[alias] = await fromTfjs(byAlias.get(alias) as tf.Tensor, this.#signature.outputs[alias] as TensorSpec);
      }
      return result;
    } catch (err) {
      if (err instanceof InferdError) throw err;
      // tfjs reports its kernels' checks (shapes, dtypes, Gather indices out of range) as plain Errors: the
      // caller's inputs, as in the SavedModel runtime (faults.ts). JavaScript faults (TypeError, RangeError, ...,
      // a WebAssembly trap) are bugs: INTERNAL.
      const message = err instanceof Error ? err.message : String(err);
      const fault = err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError || (err instanceof Error && err.name === 'RuntimeError');
      if (!fault && err instanceof Error) throw InferdError.invalidArgument(`TF.js model rejected the inputs: ${message}`);
      throw toInferdError(new Error(`TF.js model '${this.#id.modelName}' version ${this.#id.version} failed: ${message}`));
    } finally {
      for (const t of Object.values(feeds)) t.dispose();
      for (const t of produced) t.dispose();
    }
  }
}

/** A core tensor as a tfjs tensor of the signature's dtype (int64 is computed as int32 when every value fits). */
function toTfjs(t: Tensor, spec: TensorSpec, alias: string): tf.Tensor {
  if (t.dtype !== spec.dtype) {
    throw InferdError.invalidArgument(`Expects arg[${alias}] to be ${tfShortName(spec.dtype)} but ${tfShortName(t.dtype)} is provided`);
  }
  const shape = [...t.shape];
  switch (t.dtype) {
    case 'float32': return tf.tensor(t.data as Float32Array, shape, 'float32');
    case 'int32': return tf.tensor(t.data as Int32Array, shape, 'int32');
    case 'bool': return tf.tensor(t.data as Uint8Array, shape, 'bool');
    case 'string': return tf.tensor(t.data as Uint8Array[], shape, 'string');
    case 'int64': {
      const data = t.data as BigInt64Array;
      const out = new Int32Array(data.length);
      for (let i = 0; i < data.length; i++) {
        const v = data[i] as bigint;
        if (v > 2147483647n || v < -2147483648n) {
          throw InferdError.invalidArgument(`input '${alias}': value ${v} does not fit int32 (TF.js computes 64-bit integers as int32)`);
        }
        out[i] = Number(v);
      }
      return tf.tensor(out, shape, 'int32');
    }
  }
  throw InferdError.invalidArgument(`input '${alias}' has dtype ${t.dtype}, which a TF.js model cannot take`);
}

/** A tfjs tensor as a core tensor of the signature's dtype (copied: the tfjs tensor is disposed after). */
async function fromTfjs(t: tf.Tensor, spec: TensorSpec): Promise<Tensor> {
  const shape = [...t.shape];
  if (t.dtype === 'string') {
    const bytes = tf.engine().backend.readSync(t.dataId) as unknown as Uint8Array[];
    return { dtype: 'string', shape, data: bytes.map((b) => new Uint8Array(b)) };
  }
  const data = await t.data();
  if (spec.dtype === 'int64') return { dtype: 'int64', shape, data: BigInt64Array.from(data as Int32Array, (v) => BigInt(v)) };
  if (t.dtype === 'float32') return { dtype: 'float32', shape, data: Float32Array.from(data as Float32Array) };
  if (t.dtype === 'bool') return { dtype: 'bool', shape, data: Uint8Array.from(data as Uint8Array) };
  return { dtype: 'int32', shape, data: Int32Array.from(data as Int32Array) };
}
