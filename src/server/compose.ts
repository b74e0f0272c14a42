/**
 * The composition root: the only place that names concrete runtimes. Builds a ModelServer with the ONNX,
 * SavedModel and TF.js runtimes from server-level options.
 */
import type { Runtime } from '../core/runtime.ts';
import { OnnxRuntime } from '../runtimes/onnx/index.ts';
import { SavedModelRuntime } from '../runtimes/savedmodel/runtime.ts';
import { TfjsRuntime } from '../runtimes/tfjs/index.ts';
import { effectiveCores } from './cores.ts';
import { ModelServer, type ModelServerOptions } from './model-server.ts';

/** Runtime-level options (from `--tensorflow_intra_op_parallelism`, `--saved_model_tags`, ...). */
export interface RuntimeOptions {
  /** Threads per ONNX session for one operator. Default 1 (parallelism comes from concurrent requests). */
  readonly intraOpThreads?: number;
  /**
   * ONNX and TF.js run threads per loaded version (`--tensorflow_inter_op_parallelism`: runs executing at once),
   * each with its own session or model, so memory is the weights once per started thread; 0 runs on the event
   * loop. Default 1.
   */
  readonly interOpThreads?: number;
  /** Meta graph tags to load from SavedModels. Default ['serve']. */
  readonly savedModelTags?: readonly string[];
  /** Worker threads per loaded SavedModel version; 0 runs on the main thread. Default = effectiveCores() (cores.ts). */
  readonly savedModelWorkers?: number;
}

/** Create the runtimes inferd ships, in detection order. */
export async function createRuntimes(options: RuntimeOptions = {}): Promise<Runtime[]> {
  const runtimes: Runtime[] = [];
  runtimes.push(await OnnxRuntime.create({
    intraOpNumThreads: options.intraOpThreads ?? 1,
    runThreads: options.interOpThreads ?? 1,
  }));
  runtimes.push(
    await SavedModelRuntime.create({
      tags: options.savedModelTags ?? ['serve'],
      workers: options.savedModelWorkers ?? effectiveCores(),
    }),
  );
  runtimes.push(await TfjsRuntime.create({ runThreads: options.interOpThreads ?? 1 }));
  return runtimes;
}

/** Create a ModelServer with the shipped runtimes. */
export async function createModelServer(
  options: Omit<ModelServerOptions, 'runtimes'> & { readonly runtime?: RuntimeOptions },
): Promise<ModelServer> {
  const runtimes = await createRuntimes(options.runtime);
  return ModelServer.create({ ...options, runtimes });
}
