/**
 * `--batching_parameters_file` (and a version's `batching_params.pbtxt`): TensorFlow Serving's BatchingParameters
 * in text format (or JSON/YAML by extension), with TensorFlow Serving's defaults and validation
 * (servables/tensorflow/bundle_factory_util.cc, batching_session.cc, batching_util/shared_batch_scheduler.h).
 * Errors: InferdError INVALID_ARGUMENT; syntax errors read `Error parsing text-format
 * tensorflow.serving.BatchingParameters: <line>:<col>: <msg>`. Pure except loadBatchingParameters (one file read).
 */
import { InferdError } from '../../core/errors.ts';
import { effectiveCores } from '../cores.ts';
import { readConfigDocument } from './config-file.ts';
import { parseConfigDocument, syntaxForPath } from './config-document.ts';
import { BATCHING_PARAMETERS } from './schemas.ts';
import { valueOf, valuesOf } from '../../core/textproto.ts';
import type { ScalarValue, TextMessage } from '../../core/textproto.ts';

/** Batching parameters with every default applied. Units: micros are microseconds; sizes count examples (dim 0). */
export interface BatchingParameters {
  /** Largest batch the batcher forms (queue's input_batch_size_limit). Default 1000. */
  readonly maxBatchSize: number;
  /** Longest a batch waits for more requests, counted from its first request. Default 0 (µs). */
  readonly batchTimeoutMicros: number;
  /** Queue bound in batches; beyond it requests are rejected (RESOURCE_EXHAUSTED). Default 10. */
  readonly maxEnqueuedBatches: number;
  /** Batches run concurrently. Default: the machine's parallelism (port::MaxParallelism()). */
  readonly numBatchThreads: number;
  /** Name of the batch thread pool. Default `batch_threads` (`model_server_batch_threads` without a file). */
  readonly threadPoolName: string;
  /** Sizes a batch is padded up to, strictly increasing, last == max batch size. Default [] (no padding). */
  readonly allowedBatchSizes: readonly number[];
  /** Pad inputs whose non-batch dimensions differ so they can share a batch. Default false. */
  readonly padVariableLengthInputs: boolean;
  /** Split a request larger than the execution batch size across batches instead of rejecting it. Default false. */
  readonly enableLargeBatchSplitting: boolean;
  /** Largest batch actually executed when splitting is enabled. Default: maxBatchSize. */
  readonly maxExecutionBatchSize: number;
}

/** Options for resolving defaults. */
export interface BatchingDefaultsOptions {
  /** Default for num_batch_threads. Default: effectiveCores() (server/cores.ts). */
  readonly defaultNumBatchThreads?: number;
}

/** BatchingParameters as written: only the fields present in the file. */
export type BatchingParametersInput = { -readonly [K in keyof BatchingParameters]?: BatchingParameters[K] };

/** `--enable_batching` without a parameters file: TF Serving's defaults with the model server's thread pool name. */
export function defaultBatchingParameters(options: BatchingDefaultsOptions = {}): BatchingParameters {
  return resolveBatchingParameters({ threadPoolName: 'model_server_batch_threads' }, options);
}

function int(v: ScalarValue | TextMessage | undefined): number | undefined {
  if (v?.kind !== 'message') return undefined;
  const inner = valueOf(v, 'value');
  // A wrapper written as `{}` holds the default value 0.
  return inner?.kind === 'integer' ? Number(inner.value) : 0;
}

/** Decode a schema-checked BatchingParameters tree into the fields present. */
export function decodeBatchingParameters(root: TextMessage): BatchingParametersInput {
  const out: BatchingParametersInput = {};
  const set = <K extends keyof BatchingParametersInput>(key: K, value: BatchingParametersInput[K] | undefined): void => {
    if (value !== undefined) out[key] = value;
  };
  set('maxBatchSize', int(valueOf(root, 'max_batch_size')));
  set('batchTimeoutMicros', int(valueOf(root, 'batch_timeout_micros')));
  set('maxEnqueuedBatches', int(valueOf(root, 'max_enqueued_batches')));
  set('numBatchThreads', int(valueOf(root, 'num_batch_threads')));
  set('maxExecutionBatchSize', int(valueOf(root, 'max_execution_batch_size')));
  const pool = valueOf(root, 'thread_pool_name');
  if (pool?.kind === 'message') {
    const v = valueOf(pool, 'value');
    out.threadPoolName = v?.kind === 'string' ? v.value : '';
  }
  const sizes = valuesOf(root, 'allowed_batch_sizes');
  if (sizes.length > 0) out.allowedBatchSizes = sizes.flatMap((v) => (v.kind === 'integer' ? [Number(v.value)] : []));
  const pad = valueOf(root, 'pad_variable_length_inputs');
  if (pad?.kind === 'bool') out.padVariableLengthInputs = pad.value;
  const split = valueOf(root, 'enable_large_batch_splitting');
  if (split?.kind === 'message') {
    const v = valueOf(split, 'value');
    out.enableLargeBatchSplitting = v?.kind === 'bool' ? v.value : false;
  }
  return out;
}

/**
 * Apply defaults and validate (TensorFlow Serving's checks and messages):
 * positive sizes/threads/queue, non-negative timeout, allowed_batch_sizes strictly increasing with its last
 * entry equal to max_batch_size (max_execution_batch_size when large-batch splitting is on).
 */
export function resolveBatchingParameters(input: BatchingParametersInput, options: BatchingDefaultsOptions = {}): BatchingParameters {
  const maxBatchSize = input.maxBatchSize ?? 1000;
  const enableLargeBatchSplitting = input.enableLargeBatchSplitting ?? false;
  const p: BatchingParameters = {
    maxBatchSize,
    batchTimeoutMicros: input.batchTimeoutMicros ?? 0,
    maxEnqueuedBatches: input.maxEnqueuedBatches ?? 10,
    numBatchThreads: input.numBatchThreads ?? options.defaultNumBatchThreads ?? effectiveCores(),
    threadPoolName: input.threadPoolName ?? 'batch_threads',
    allowedBatchSizes: [...(input.allowedBatchSizes ?? [])],
    padVariableLengthInputs: input.padVariableLengthInputs ?? false,
    enableLargeBatchSplitting,
    maxExecutionBatchSize: enableLargeBatchSplitting ? (input.maxExecutionBatchSize ?? maxBatchSize) : maxBatchSize,
  };
  validateBatchingParameters(p);
  return p;
}

/** Throw INVALID_ARGUMENT if `p` is not a configuration TensorFlow Serving would accept. */
export function validateBatchingParameters(p: BatchingParameters): void {
  const bad = (m: string): never => {
    throw InferdError.invalidArgument(m);
  };
  if (p.maxBatchSize < 1) bad(`max_batch_size must be positive; was ${p.maxBatchSize}`);
  if (p.batchTimeoutMicros < 0) bad(`batch_timeout_micros must be non-negative; was ${p.batchTimeoutMicros}`);
  if (p.maxEnqueuedBatches < 1) bad(`max_enqueued_batches must be positive; was ${p.maxEnqueuedBatches}`);
  if (p.numBatchThreads < 1) bad(`num_batch_threads must be positive; was ${p.numBatchThreads}`);
  if (p.enableLargeBatchSplitting) {
    if (p.maxExecutionBatchSize < 1) bad(`max_execution_batch_size must be positive; was ${p.maxExecutionBatchSize}`);
    if (p.maxExecutionBatchSize > p.maxBatchSize) {
      bad(`max_execution_batch_size (${p.maxExecutionBatchSize}) must not exceed max_batch_size (${p.maxBatchSize})`);
    }
  }
  const sizes = p.allowedBatchSizes;
  for (let i = 0; i < sizes.length; i++) {
    const s = sizes[i] ?? 0;
    if (s < 1) bad(`allowed_batch_sizes entries must be positive; entry ${i} was ${s}`);
    if (i > 0 && s <= (sizes[i - 1] ?? 0)) bad('allowed_batch_sizes entries must be monotonically increasing');
  }
  const last = sizes[sizes.length - 1];
  if (last !== undefined) {
    if (p.enableLargeBatchSplitting) {
      if (last !== p.maxExecutionBatchSize) {
        bad(`Last entry in allowed_batch_sizes must match max_execution_batch_size; last entry was ${last}; expected ${p.maxExecutionBatchSize}`);
      }
    } else if (last !== p.maxBatchSize) {
      bad(`Last entry in allowed_batch_sizes must match max_batch_size; last entry was ${last}; expected ${p.maxBatchSize}`);
    }
  }
}

/** Parse, default and validate a BatchingParameters document (syntax by `fileName` extension, default text). */
export function parseBatchingParametersText(text: string, fileName = 'batching_parameters_file', options: BatchingDefaultsOptions = {}): BatchingParameters {
  const tree = parseConfigDocument(text, syntaxForPath(fileName), BATCHING_PARAMETERS);
  return resolveBatchingParameters(decodeBatchingParameters(tree), options);
}

/**
 * Read `--batching_parameters_file` / `batching_params.pbtxt`. Missing file → NOT_FOUND `<path>; ...`;
 * syntax error → INVALID_ARGUMENT `Invalid protobuf file: '<path>'` (cause: the detailed error); validation errors as they are.
 */
export async function loadBatchingParameters(path: string, options: BatchingDefaultsOptions = {}): Promise<BatchingParameters> {
  const tree = await readConfigDocument(path, BATCHING_PARAMETERS);
  return resolveBatchingParameters(decodeBatchingParameters(tree), options);
}
