/**
 * Batching as a decoration of loaded versions (`--enable_batching`, `--batching_parameters_file`,
 * `--enable_per_model_batching_parameters`). Each version gets its own BatchingExecutor, so requests of different
 * models or versions never share a batch.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { withBatching, type BatchedModel } from '../core/batching/index.ts';
import type { BatchingOptions } from '../core/batching/options.ts';
import type { LoadedModel } from '../core/runtime.ts';
import { type BatchingParameters, loadBatchingParameters } from './config/batching-parameters.ts';
import { effectiveCores } from './cores.ts';

/** The per-version parameters file TensorFlow Serving reads with `--enable_per_model_batching_parameters`. */
export const PER_MODEL_BATCHING_FILE = 'batching_params.pbtxt';

/** Options of the batching decoration. */
export interface BatchingSetup {
  /** Server-wide parameters (from `--batching_parameters_file`, or TF Serving's defaults). */
  readonly parameters: BatchingParameters;
  /** Read `<version>/batching_params.pbtxt` when present, overriding the server-wide parameters. Default false. */
  readonly perModel?: boolean;
  /** num_batch_threads when a parameters file leaves it unset or 0. Default: effectiveCores() (cores.ts). */
  readonly defaultNumBatchThreads?: number;
  /** Called with each version's batcher once created (metrics subscribe here). */
  readonly onBatcher?: (model: string, version: number, batched: BatchedModel) => void;
}

/** Map TF Serving's parameters to the batcher's options. */
export function batchingOptions(p: BatchingParameters, defaultNumBatchThreads = effectiveCores()): BatchingOptions {
  return {
    maxBatchSize: p.maxBatchSize,
    batchTimeoutMicros: p.batchTimeoutMicros,
    maxEnqueuedBatches: p.maxEnqueuedBatches,
    numBatchThreads: p.numBatchThreads > 0 ? p.numBatchThreads : defaultNumBatchThreads,
    allowedBatchSizes: p.allowedBatchSizes,
    padVariableLengthInputs: p.padVariableLengthInputs,
    enableLargeBatchSplitting: p.enableLargeBatchSplitting,
    maxExecutionBatchSize: p.maxExecutionBatchSize,
  };
}

/** A ModelServer `decorate` hook that wraps every loaded version in a batcher. Bad parameters fail that version's load. */
export function batchingDecorator(setup: BatchingSetup) {
  return async (model: LoadedModel, name: string, version: number, versionPath: string): Promise<LoadedModel> => {
    let parameters = setup.parameters;
    if (setup.perModel) {
      const file = path.join(versionPath, PER_MODEL_BATCHING_FILE);
      const exists = await access(file).then(() => true, () => false);
      if (exists) parameters = await loadBatchingParameters(file, { defaultNumBatchThreads: setup.defaultNumBatchThreads ?? effectiveCores() });
    }
    const batched = await withBatching(model, batchingOptions(parameters, setup.defaultNumBatchThreads));
    setup.onBatcher?.(name, version, batched);
    return batched;
  };
}
