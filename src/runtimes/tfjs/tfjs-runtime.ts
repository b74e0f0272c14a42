/**
 * The TF.js runtime (platform `tfjs`): serves TensorFlow.js LayersModel and GraphModel folders
 * (`<base>/<version>/model.json` + weight shards) on TensorFlow.js kernels in this thread.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGraphModel } from '@tensorflow/tfjs-converter';
import { loadLayersModel } from '@tensorflow/tfjs-layers';
import { InferdError, throwIfAborted } from '../../core/errors.ts';
import { installKernelGuards } from '../tfjs-kernels/kernel-guards.ts';
import type { LoadRequest, LoadedModel, Runtime } from '../../core/runtime.ts';
import { hasModelJson, readModelFiles } from './model-files.ts';
import { graphSignature, layersSignature } from './signature.ts';
import { type TfjsModel, TfjsLoadedModel } from './tfjs-model.ts';

/** Runtime for platform `tfjs`. Construct with `TfjsRuntime.create()`. */
export class TfjsRuntime implements Runtime {
  /** Platform name in model configs. */
  readonly platform = 'tfjs';

  private constructor() {}

  /**
   * Create the runtime. Uses the tfjs backend this thread already runs, else tfjs-backend-cpu (pure JavaScript,
   * no native code: a TF.js model's kernels are JavaScript loops), with the shared kernel guards installed.
   */
  static async create(): Promise<TfjsRuntime> {
    if (!tf.engine().backendName) {
      tf.enableProdMode();
      installKernelGuards('cpu');
      await tf.setBackend('cpu');
    }
    // TensorFlow's answers for empty reductions (NaN mean, identities, ArgMax errors) on whichever backend runs.
    const active = tf.engine().backendName;
    if (active === 'cpu' || active === 'wasm') installKernelGuards(active);
    return new TfjsRuntime();
  }

  /** True when `<versionPath>/model.json` is a file. */
  detect(versionPath: string): Promise<boolean> {
    return hasModelJson(versionPath);
  }

  /**
   * Load `<path>/model.json` and its shards. Errors: NOT_FOUND (no model.json), INVALID_ARGUMENT (a malformed
   * model, an unsupported layer or op, a dtype inferd cannot serve), CANCELLED. Messages name the folder.
   */
  async load(request: LoadRequest): Promise<LoadedModel> {
    const files = await readModelFiles(request.path);
    throwIfAborted(request.signal);
    let model: TfjsModel;
    try {
      const handler: tf.io.IOHandler = { load: async () => files.artifacts };
      model = files.format === 'layers-model'
        ? { kind: 'layers', model: await loadLayersModel(handler) }
        : { kind: 'graph', model: await loadGraphModel(handler) };
    } catch (err) {
      throw InferdError.invalidArgument(`Failed to load TF.js model ${request.path}: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      throwIfAborted(request.signal);
      const signature = model.kind === 'layers' ? layersSignature(model.model) : graphSignature(model.model, files.artifacts.signature);
      return new TfjsLoadedModel(model, signature, request);
    } catch (err) {
      model.model.dispose();
      if (err instanceof InferdError && err.code === 'INVALID_ARGUMENT') {
        throw InferdError.invalidArgument(`Failed to load TF.js model ${request.path}: ${err.message}`);
      }
      throw err;
    }
  }

  /** Nothing process-wide to release (tfjs's engine lives as long as the thread). */
  async close(): Promise<void> {}
}
