/**
 * SavedModelRuntime: serves TensorFlow SavedModels (TF1, Estimator and Keras exports) without TensorFlow. A version
 * is read (saved_model.pb, variables bundle), flattened per signature (flatten.ts) and executed with tfjs-converter
 * on tfjs-backend-wasm (cpu as fallback), either in the calling thread (`workers: 0`) or on a pool of worker threads
 * owned by the loaded version.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InferdError, throwIfAborted, toInferdError } from '../../core/errors.ts';
import type { Executor, LoadedModel, LoadRequest, RunRequest, RunResult, Runtime } from '../../core/runtime.ts';
import type { ModelMetadata } from '../../core/signature.ts';
import { initBackend, type BackendName } from './backend.ts';
import { TensorBundle } from './bundle.ts';
import { flattenMetaGraph, type FlatModel } from './flatten.ts';
import { GraphRunner } from './graph-runner.ts';
import { firstRestoredVariable } from './restore-keys.ts';
import { DEFAULT_TAGS, hasSavedModel, readSavedModel, selectMetaGraph, signaturesOf } from './reader.ts';
import { WorkerPool } from './worker-pool.ts';

/** Options of SavedModelRuntime.create. */
export interface SavedModelRuntimeOptions {
  /** Tag set of the meta graph to load (TF Serving's --saved_model_tags). Default ['serve']. */
  readonly tags?: readonly string[];
  /**
   * Worker threads per loaded version; 0 runs models in the calling thread. The server always passes its choice
   * (server/cores.ts, cgroup-aware); os.availableParallelism() is only the fallback for direct use of this class.
   */
  readonly workers?: number;
  /** tfjs backend. Default 'wasm'; falls back to 'cpu' when wasm cannot start. */
  readonly backend?: BackendName;
}

/** Everything a loaded version needs to execute, produced from a version directory. */
export interface PreparedModel {
  readonly metadata: ModelMetadata;
  readonly flat: FlatModel;
}

/** Read and flatten a SavedModel directory (no tfjs needed). Throws InferdErrors naming what is wrong. */
export function prepareSavedModel(dir: string, tags: readonly string[] = DEFAULT_TAGS): PreparedModel {
  const metaGraph = selectMetaGraph(readSavedModel(dir), tags);
  const prefix = path.join(dir, 'variables', 'variables');
  const bundle = fs.existsSync(`${prefix}.index`) ? TensorBundle.open(prefix) : undefined;
  if (!bundle) {
    // A version that cannot restore its variables must not load (and replace a healthy one): issue 9 D4.
    const key = firstRestoredVariable(metaGraph);
    if (key !== undefined) {
      throw InferdError.failedPrecondition(`The SavedModel at ${dir} restores variables (e.g. checkpoint key ${key}) but has no variables bundle (${prefix}.index)`);
    }
  }
  const flat = flattenMetaGraph(metaGraph, bundle, dir);
  return { metadata: { signatures: signaturesOf(metaGraph) }, flat };
}

class SavedModelVersion implements LoadedModel {
  private closed = false;
  constructor(
    readonly metadata: ModelMetadata,
    private readonly executor: Executor & { close(): Promise<void> },
  ) {}

  run(request: RunRequest): Promise<RunResult> {
    if (this.closed) return Promise.reject(InferdError.unavailable('Model version is unloading'));
    return this.executor.run(request);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.executor.close();
  }
}

/** In-thread executor over a GraphRunner. */
class LocalExecutor implements Executor {
  constructor(private readonly runner: GraphRunner) {}
  run(request: RunRequest): Promise<RunResult> {
    throwIfAborted(request.signal);
    return this.runner.run(request, request.signal);
  }
  close(): Promise<void> {
    return this.runner.dispose();
  }
}

/** The TensorFlow SavedModel runtime (platform `tensorflow`). */
export class SavedModelRuntime implements Runtime {
  readonly platform = 'tensorflow';
  private readonly loaded = new Set<SavedModelVersion>();

  private constructor(
    private readonly tags: readonly string[],
    private readonly workers: number,
    private readonly backend: BackendName,
  ) {}

  /** Create the runtime. In-thread mode initializes tfjs here; worker mode initializes it in each worker. */
  static async create(options: SavedModelRuntimeOptions = {}): Promise<SavedModelRuntime> {
    const workers = options.workers ?? os.availableParallelism();
    if (!Number.isInteger(workers) || workers < 0) throw InferdError.invalidArgument(`workers must be a non-negative integer, got ${workers}`);
    const backend = options.backend ?? 'wasm';
    if (workers === 0) await initBackend(backend);
    return new SavedModelRuntime(options.tags ?? DEFAULT_TAGS, workers, backend);
  }

  /** True when the directory holds saved_model.pb or saved_model.pbtxt. */
  async detect(versionPath: string): Promise<boolean> {
    return hasSavedModel(versionPath);
  }

  /** Load one version: read, flatten, check ops, build executors. */
  async load(request: LoadRequest): Promise<LoadedModel> {
    throwIfAborted(request.signal);
    let prepared: PreparedModel;
    try {
      prepared = prepareSavedModel(request.path, this.tags);
    } catch (err) {
      throw toInferdError(err, 'INTERNAL');
    }
    let executor: Executor & { close(): Promise<void> };
    if (this.workers === 0) {
      executor = new LocalExecutor(GraphRunner.create(prepared.flat));
    } else {
      executor = await WorkerPool.create({ size: this.workers, backend: this.backend, flat: prepared.flat });
    }
    const version = new SavedModelVersion(prepared.metadata, executor);
    this.loaded.add(version);
    const close = version.close.bind(version);
    version.close = async () => {
      this.loaded.delete(version);
      await close();
    };
    return version;
  }

  /** Close every version still loaded (their workers and tensors). */
  async close(): Promise<void> {
    await Promise.all([...this.loaded].map((v) => v.close()));
  }
}
