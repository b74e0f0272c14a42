/** Dynamic batching: the BatchingExecutor decorator, its options (TensorFlow's BatchingParameters) and stats. */
export { BatchingExecutor, type BatchingExecutorOptions } from './batcher.ts';
export { withBatching, type BatchedModel } from './batched-model.ts';
export {
  BATCHING_DEFAULTS, paddedBatchSize, resolveBatchingOptions, type BatchingOptions, type ResolvedBatchingOptions,
} from './options.ts';
export {
  QUEUE_DELAY_BOUNDS_MICROS, type BatchEvent, type BatchingStats, type BatchListener, type DispatchReason, type Histogram,
} from './stats.ts';
