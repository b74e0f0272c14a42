/**
 * Decorate a whole LoadedModel with batching, so the lifecycle manager can hand the batched version out in place
 * of the bare one (the API layer never knows). Ownership: the returned model owns both the batcher and the model.
 */
import type { LoadedModel, RunRequest, RunResult } from '../runtime.ts';
import type { ModelMetadata } from '../signature.ts';
import { BatchingExecutor, type BatchingExecutorOptions } from './batcher.ts';

/** A LoadedModel that runs through a BatchingExecutor; `batcher` exposes its stats and listeners. */
export interface BatchedModel extends LoadedModel {
  readonly batcher: BatchingExecutor;
}

/** Wrap `model`: run() is batched; close() closes the batcher (rejecting queued work, awaiting runs), then the model. */
export async function withBatching(model: LoadedModel, options: BatchingExecutorOptions = {}): Promise<BatchedModel> {
  const batcher = await BatchingExecutor.create(model, options);
  let closing: Promise<void> | undefined;
  return {
    batcher,
    get metadata(): ModelMetadata {
      return model.metadata;
    },
    run(request: RunRequest): Promise<RunResult> {
      return batcher.run(request);
    },
    close(): Promise<void> {
      closing ??= batcher.close().then(() => model.close());
      return closing;
    },
  };
}
