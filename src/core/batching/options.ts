/**
 * Batching parameters, mirroring TensorFlow Serving's `BatchingParameters` (session_bundle_config.proto, read from
 * `--batching_parameters_file`; shared/reference/tfserving-api.md §4). Defaults follow TensorFlow's
 * BasicBatchScheduler::Options where TensorFlow has one; each default is stated beside its field.
 */
import { InferdError } from '../errors.ts';

/** User-facing batching options; every field is optional. Field names are the camelCase of the proto fields. */
export interface BatchingOptions {
  /**
   * `max_batch_size`: the most rows one merged inner run may hold, and the largest request accepted whole.
   * Default 1000 (TensorFlow's BasicBatchScheduler default).
   */
  readonly maxBatchSize?: number;
  /**
   * `batch_timeout_micros`: how long an open batch may wait for more rows, counted from its first request, before
   * it becomes ready (it still needs a free batch thread to run). Default 0 (ready at once, TensorFlow's default).
   */
  readonly batchTimeoutMicros?: number;
  /**
   * `max_enqueued_batches`: queue bound per batching queue, in batches. More than
   * `maxEnqueuedBatches × maxBatchSize` waiting rows → RESOURCE_EXHAUSTED. Default 10 (TensorFlow's default).
   */
  readonly maxEnqueuedBatches?: number;
  /**
   * `num_batch_threads`: the most merged inner runs in flight at once for this batcher. Default 1 here; TensorFlow
   * defaults to the number of schedulable CPUs, which core cannot see — the server should pass
   * `os.availableParallelism()` when the parameters file leaves it unset.
   */
  readonly numBatchThreads?: number;
  /**
   * `allowed_batch_sizes`: when non-empty, merged batches are padded (first row repeated, padding sliced away) up to
   * the next size in this list. Strictly increasing, positive; the last entry must equal the execution limit
   * (`maxBatchSize`, or `maxExecutionBatchSize` with large-batch splitting). Default [] (no padding).
   */
  readonly allowedBatchSizes?: readonly number[];
  /**
   * `pad_variable_length_inputs`: batch requests whose non-batch dimensions differ by zero-padding (empty strings
   * for string tensors) every dimension to the batch's maximum. Outputs keep the padded non-batch dimensions, as in
   * TensorFlow. Default false (such requests go to separate queues).
   */
  readonly padVariableLengthInputs?: boolean;
  /**
   * `enable_large_batch_splitting`: a request with more rows than the execution limit is split into chunks that
   * are batched independently and reassembled in order. Default false (such requests fail with INVALID_ARGUMENT).
   */
  readonly enableLargeBatchSplitting?: boolean;
  /**
   * `max_execution_batch_size`: with large-batch splitting, the most rows one inner run holds (≤ maxBatchSize).
   * Default maxBatchSize. Ignored without splitting (TensorFlow behaves the same).
   */
  readonly maxExecutionBatchSize?: number;
  /**
   * inferd extension: when fewer than `numBatchThreads` runs are in flight, dispatch an open batch at once instead
   * of waiting for it to fill or time out, so a lone request adds no latency. Default true. Set false to get
   * TensorFlow's strict "full or timed out" rule (useful to force larger batches in benchmarks).
   */
  readonly dispatchWhenIdle?: boolean;
}

/** Options with every default applied and validated; what the batcher runs with. */
export interface ResolvedBatchingOptions {
  readonly maxBatchSize: number;
  readonly batchTimeoutMicros: number;
  readonly maxEnqueuedBatches: number;
  readonly numBatchThreads: number;
  readonly allowedBatchSizes: readonly number[];
  readonly padVariableLengthInputs: boolean;
  readonly enableLargeBatchSplitting: boolean;
  /** The most rows in one inner run: maxExecutionBatchSize with splitting, otherwise maxBatchSize. */
  readonly executionBatchSize: number;
  readonly dispatchWhenIdle: boolean;
  /** Queue bound in rows: maxEnqueuedBatches × maxBatchSize. */
  readonly maxQueuedRows: number;
}

/** TensorFlow's defaults (BasicBatchScheduler::Options), numBatchThreads excepted (see BatchingOptions). */
export const BATCHING_DEFAULTS = {
  maxBatchSize: 1000,
  batchTimeoutMicros: 0,
  maxEnqueuedBatches: 10,
  numBatchThreads: 1,
} as const;

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw InferdError.invalidArgument(`Batching parameter ${name} must be a positive integer; got ${value}`);
  }
  return value;
}

/** Apply defaults and validate. Throws INVALID_ARGUMENT with TensorFlow's wording where TensorFlow has one. */
export function resolveBatchingOptions(options: BatchingOptions = {}): ResolvedBatchingOptions {
  const maxBatchSize = positiveInt('max_batch_size', options.maxBatchSize ?? BATCHING_DEFAULTS.maxBatchSize);
  const batchTimeoutMicros = options.batchTimeoutMicros ?? BATCHING_DEFAULTS.batchTimeoutMicros;
  if (!Number.isFinite(batchTimeoutMicros) || batchTimeoutMicros < 0) {
    throw InferdError.invalidArgument(`Batching parameter batch_timeout_micros must be >= 0; got ${batchTimeoutMicros}`);
  }
  const maxEnqueuedBatches = positiveInt('max_enqueued_batches', options.maxEnqueuedBatches ?? BATCHING_DEFAULTS.maxEnqueuedBatches);
  const numBatchThreads = positiveInt('num_batch_threads', options.numBatchThreads ?? BATCHING_DEFAULTS.numBatchThreads);
  const enableLargeBatchSplitting = options.enableLargeBatchSplitting ?? false;
  let executionBatchSize = maxBatchSize;
  if (enableLargeBatchSplitting && options.maxExecutionBatchSize !== undefined) {
    executionBatchSize = positiveInt('max_execution_batch_size', options.maxExecutionBatchSize);
    if (executionBatchSize > maxBatchSize) {
      throw InferdError.invalidArgument(
        `max_execution_batch_size (${executionBatchSize}) must not exceed max_batch_size (${maxBatchSize})`,
      );
    }
  }
  const allowedBatchSizes = [...(options.allowedBatchSizes ?? [])];
  let previous = 0;
  for (const size of allowedBatchSizes) {
    positiveInt('allowed_batch_sizes', size);
    if (size <= previous) {
      throw InferdError.invalidArgument('allowed_batch_sizes entries must be monotonically increasing');
    }
    previous = size;
  }
  const last = allowedBatchSizes.at(-1);
  if (last !== undefined && last !== executionBatchSize) {
    const field = executionBatchSize === maxBatchSize ? 'max_batch_size' : 'max_execution_batch_size';
    throw InferdError.invalidArgument(
      `Last entry in allowed_batch_sizes must match ${field}; last entry was ${last}; expected ${executionBatchSize}`,
    );
  }
  return {
    maxBatchSize,
    batchTimeoutMicros,
    maxEnqueuedBatches,
    numBatchThreads,
    allowedBatchSizes,
    padVariableLengthInputs: options.padVariableLengthInputs ?? false,
    enableLargeBatchSplitting,
    executionBatchSize,
    dispatchWhenIdle: options.dispatchWhenIdle ?? true,
    maxQueuedRows: maxEnqueuedBatches * maxBatchSize,
  };
}

/** The padded size for `rows` rows: the smallest allowed batch size ≥ rows, or rows itself when none is configured. */
export function paddedBatchSize(rows: number, allowedBatchSizes: readonly number[]): number {
  for (const size of allowedBatchSizes) if (size >= rows) return size;
  return rows;
}
