/**
 * Building and running one TF.js model on the calling thread's tfjs engine: what a TF.js run thread
 * (run-thread.ts) does, and what the event loop does when the runtime runs models inline (`runThreads` 0).
 * A LayersModel's predict is synchronous and holds its thread for the run; a GraphModel runs through execute, or
 * executeAsync when it needs it. Every tensor a run creates is disposed before it answers.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';
import { tfShortName } from '../../core/dtype.ts';
import { InferdError, toInferdError } from '../../core/errors.ts';
import type { RunResult } from '../../core/runtime.ts';
import type { Signature, TensorSpec } from '../../core/signature.ts';
import type { Tensor } from '../../core/tensor.ts';
import { installKernelGuards } from '../tfjs-kernels/kernel-guards.ts';
import type { TfjsModelFiles } from './model-files.ts';
import { graphSignature, layersSignature } from './signature.ts';

/** The model behind a TF.js version, as one of the two TF.js formats. */
export type TfjsModel = { readonly kind: 'layers'; readonly model: LayersModel } | { readonly kind: 'graph'; readonly model: GraphModel };

/** Identifies the version in messages. */
export interface ModelIdentity {
  readonly modelName: string;
  readonly version: number;
}

/**
 * Prepare this thread's tfjs engine: keep the backend it already runs, else tfjs-backend-cpu (pure JavaScript, no
 * native code), with the shared kernel guards (TensorFlow's answers for empty reductions) installed.
 */
export async function initTfjsBackend(): Promise<void> {
  if (!tf.engine().backendName) {
    tf.enableProdMode();
    installKernelGuards('cpu');
    await tf.setBackend('cpu');
  }
  const active = tf.engine().backendName;
  if (active === 'cpu' || active === 'wasm') installKernelGuards(active);
}

/**
 * Build the model from its files and describe it. Errors: INVALID_ARGUMENT (an unsupported layer or op, a
 * malformed topology, a dtype inferd cannot serve), each naming `dir`.
 */
export async function buildModel(files: TfjsModelFiles, dir: string): Promise<{ model: TfjsModel; signature: Signature }> {
  let model: TfjsModel;
  try {
    const handler: tf.io.IOHandler = { load: async () => files.artifacts };
    model = files.format === 'layers-model'
      ? { kind: 'layers', model: await loadLayersModel(handler) }
      : { kind: 'graph', model: await loadGraphModel(handler) };
  } catch (err) {
    throw InferdError.invalidArgument(`Failed to load TF.js model ${dir}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const signature = model.kind === 'layers' ? layersSignature(model.model) : graphSignature(model.model, files.artifacts.signature);
    return { model, signature };
  } catch (err) {
    model.model.dispose();
    if (err instanceof InferdError && err.code === 'INVALID_ARGUMENT') {
      throw InferdError.invalidArgument(`Failed to load TF.js model ${dir}: ${err.message}`);
    }
    throw err;
  }
}

/** Runs one built model on this thread (adopted: dispose() frees its weights). */
export class TfjsExecutor {
  readonly #model: TfjsModel;
  readonly #signature: Signature;
  readonly #id: ModelIdentity;
  #graphNeedsAsync = false;

  /** Adopt `model`; `signature` must describe its inputs and outputs. */
  constructor(model: TfjsModel, signature: Signature, id: ModelIdentity) {
    this.#model = model;
    this.#signature = signature;
    this.#id = id;
  }

  /**
   * Run on the signature's inputs and answer the `wanted` output aliases (checked by the caller). Errors:
   * INVALID_ARGUMENT (a missing input, a dtype, a kernel's check on the values), INTERNAL (a JavaScript fault).
   */
  async execute(inputs: Readonly<Record<string, Tensor>>, wanted: readonly string[]): Promise<RunResult> {
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

  /** Free the model's weights. */
  dispose(): void {
    this.#model.model.dispose();
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
