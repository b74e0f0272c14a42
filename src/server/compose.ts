/**
 * The composition root: the only place that names concrete runtimes. Builds a ModelServer with the ONNX,
 * SavedModel and TF.js runtimes from server-level options.
 */
import os from 'node:os';
import type { Runtime } from '../core/runtime.ts';
import { OnnxRuntime } from '../runtimes/onnx/index.ts';
import { SavedModelRuntime } from '../runtimes/savedmodel/runtime.ts';
import { TfjsRuntime } from '../runtimes/tfjs/index.ts';
import { ModelServer, type ModelServerOptions } from './model-server.ts';

/** Runtime-level options (from `--tensorflow_intra_op_parallelism`, `--saved_model_tags`, ...). */
export interface RuntimeOptions {
  /** Threads per ONNX session for one operator. Default 1 (parallelism comes from concurrent requests). */
  readonly intraOpThreads?: number;
  /** Threads per ONNX session running independent operators at once; > 1 selects parallel execution. Default 1. */
  readonly interOpThreads?: number;
  /** Meta graph tags to load from SavedModels. Default ['serve']. */
  readonly savedModelTags?: readonly string[];
  /** Worker threads per loaded SavedModel version; 0 runs on the main thread. Default = CPU cores. */
  readonly savedModelWorkers?: number;
}

/** Create the runtimes inferd ships, in detection order. */
export async function createRuntimes(options: RuntimeOptions = {}): Promise<Runtime[]> {
  const runtimes: Runtime[] = [];
  const interOp = options.interOpThreads ?? 1;
  runtimes.push(await OnnxRuntime.create({
    intraOpNumThreads: options.intraOpThreads ?? 1,
    interOpNumThreads: interOp,
    executionMode: interOp > 1 ? 'parallel' : 'sequential',
  }));
  runtimes.push(
    await SavedModelRuntime.create({
      tags: options.savedModelTags ?? ['serve'],
      workers: options.savedModelWorkers ?? os.availableParallelism(),
    }),
  );
  runtimes.push(await TfjsRuntime.create());
  return runtimes;
}

/** Create a ModelServer with the shipped runtimes. */
export async function createModelServer(
  options: Omit<ModelServerOptions, 'runtimes'> & { readonly runtime?: RuntimeOptions },
): Promise<ModelServer> {
  const runtimes = await createRuntimes(options.runtime);
  return ModelServer.create({ ...options, runtimes });
}
