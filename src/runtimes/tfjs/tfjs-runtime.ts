/**
 * The TF.js runtime (platform `tfjs`): serves TensorFlow.js LayersModel and GraphModel folders
 * (`<base>/<version>/model.json` + weight shards) on TensorFlow.js kernels, on worker threads by default.
 */
import { InferdError, throwIfAborted } from '../../core/errors.ts';
import type { LoadRequest, LoadedModel, Runtime } from '../../core/runtime.ts';
import { hasModelJson, readModelFiles } from './model-files.ts';
import { IdleThreads } from '../../core/thread-pool.ts';
import { TfjsRunThreads } from './run-threads.ts';
import { buildModel, initTfjsBackend, TfjsExecutor } from './tfjs-execute.ts';
import { TfjsLoadedModel } from './tfjs-model.ts';

/** Options of the TF.js runtime. */
export interface TfjsRuntimeOptions {
  /**
   * Worker threads per loaded version (`--tensorflow_inter_op_parallelism`, as for ONNX): runs of one version
   * executing at once, each thread with its own copy of the model (the first starts at load, more only while all
   * are busy). 0 runs every model on the event loop, where a run holds every other request. Default 1.
   */
  readonly runThreads?: number;
}

/** Runtime for platform `tfjs`. Construct with `TfjsRuntime.create()`. */
export class TfjsRuntime implements Runtime {
  /** Platform name in model configs. */
  readonly platform = 'tfjs';
  readonly #runThreads: number;
  /** Run threads of unloaded versions, reused by later loads (at most one version's worth). */
  readonly #idleThreads: IdleThreads;

  private constructor(runThreads: number) {
    this.#runThreads = runThreads;
    this.#idleThreads = new IdleThreads(runThreads);
  }

  /**
   * Create the runtime; `runThreads` must be a non-negative integer (INVALID_ARGUMENT). Inline runs use the tfjs
   * backend this thread already runs, else tfjs-backend-cpu; run threads use tfjs-backend-cpu (pure JavaScript,
   * no native code: a TF.js model's kernels are JavaScript loops), with the shared kernel guards installed.
   */
  static async create(options: TfjsRuntimeOptions = {}): Promise<TfjsRuntime> {
    const runThreads = options.runThreads ?? 1;
    if (!Number.isInteger(runThreads) || runThreads < 0) {
      throw InferdError.invalidArgument(`TfjsRuntime: runThreads must be a non-negative integer, got ${runThreads}`);
    }
    await initTfjsBackend();
    return new TfjsRuntime(runThreads);
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
    const id = { modelName: request.modelName, version: request.version };
    if (this.#runThreads > 0) {
      const threads = await TfjsRunThreads.start({ ...id, path: request.path, files }, this.#runThreads, this.#idleThreads);
      return this.#adopt(new TfjsLoadedModel(threads, threads.signature, id), request.signal);
    }
    const { model, signature } = await buildModel(files, request.path);
    const executor = new TfjsExecutor(model, signature, id);
    return this.#adopt(new TfjsLoadedModel({ execute: (inputs, wanted) => executor.execute(inputs, wanted), close: async () => executor.dispose() }, signature, id), request.signal);
  }

  /** The loaded model, or CANCELLED (and the model freed) when the load was aborted meanwhile. */
  async #adopt(model: TfjsLoadedModel, signal: AbortSignal | undefined): Promise<LoadedModel> {
    try {
      throwIfAborted(signal);
      return model;
    } catch (err) {
      await model.close();
      throw err;
    }
  }

  /** Idle run threads kept for later loads, for tests. */
  get idleThreadCount(): number {
    return this.#idleThreads.size;
  }

  /** End the idle run threads (loaded versions' threads go idle at their close, then end too). */
  async close(): Promise<void> {
    await this.#idleThreads.close();
  }
}
