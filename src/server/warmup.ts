/**
 * Model warmup as TensorFlow Serving does it (servables/tensorflow/saved_model_warmup_util.cc): when a version
 * directory holds `assets.extra/tf_serving_warmup_requests` — a TFRecord file of serialized
 * tensorflow.serving.PredictionLog — each record is replayed `iterations` times through the loaded (and batched)
 * version before it becomes AVAILABLE. Any failure fails the load, naming the file and the record; the manager
 * then retries or ends the version, and a version already AVAILABLE keeps serving. Applies to every runtime.
 *
 * Limits (TF Serving's): at most MAX_WARMUP_RECORDS records. Records are read lazily, so the records before a
 * corrupt one are replayed first, as in TF Serving.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { InferdError, toInferdError } from '../core/errors.ts';
import type { RequestLimits } from '../core/limits.ts';
import { readTfRecords } from '../core/tfrecord.ts';
import type { ServingApi } from './serving-api.ts';
import { versionServingApi, type ServingTarget } from './version-calls.ts';

/** The warmup file, relative to a version directory (`assets.extra` is SavedModel's extra-assets folder). */
export const WARMUP_FILE = path.join('assets.extra', 'tf_serving_warmup_requests');

/** TensorFlow Serving's WarmupConsts::kMaxNumRecords. */
export const MAX_WARMUP_RECORDS = 1000;

/**
 * Replays one record (a serialized PredictionLog) through `api`, addressed to `model`. Supplied by the gRPC layer,
 * which owns the request decoders (api/grpc/warmup-replay.ts). Throws an InferdError when the request fails.
 */
export type WarmupReplayer = (record: Uint8Array, api: ServingApi, model: string, signal: AbortSignal) => Promise<void>;

/** How versions are warmed up (`--enable_model_warmup`, `--num_request_iterations_for_warmup`). */
export interface WarmupOptions {
  readonly replay: WarmupReplayer;
  /** Replays of each record; values below 1 mean 1 (TF Serving's default). */
  readonly iterations: number;
  /** A warmup finished: the version directory, `OK` or the error code, and its wall time in microseconds. */
  readonly onWarmup?: (versionPath: string, status: string, micros: number) => void;
  /** A warmup started or finished (for the log). */
  readonly onInfo?: (message: string, fields: Readonly<Record<string, unknown>>) => void;
}

/**
 * Warm up `target` (loaded from `versionPath`) if it has a warmup file. Resolves with the number of records
 * replayed (0 without a file). Errors keep the failing request's code (DATA_LOSS for a damaged file).
 */
export async function warmUpVersion(
  target: ServingTarget, versionPath: string, options: WarmupOptions, limits: RequestLimits, signal: AbortSignal,
): Promise<number> {
  const file = path.join(versionPath, WARMUP_FILE);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw InferdError.invalidArgument(`Could not read warmup file ${file}: ${(err as Error).message}`);
  }
  const iterations = Math.max(1, Math.trunc(options.iterations));
  options.onInfo?.(`Starting to read warmup data for model at ${file}`, { file, iterations });
  const api = versionServingApi(target, limits);
  const started = performance.now();
  let records = 0;
  const finish = (status: string): number => {
    const micros = Math.round((performance.now() - started) * 1000);
    options.onWarmup?.(versionPath, status, micros);
    return micros;
  };
  try {
    for (const record of readTfRecordsOf(bytes, file)) {
      if (record.index >= MAX_WARMUP_RECORDS) {
        throw InferdError.invalidArgument(`Number of warmup records exceeds the maximum (${MAX_WARMUP_RECORDS}) at ${file}`);
      }
      for (let i = 0; i < iterations; i += 1) {
        try {
          await options.replay(record.data, api, target.name, signal);
        } catch (err) {
          const e = toInferdError(err, 'UNKNOWN');
          throw new InferdError(e.code, `Warmup request failed: record ${record.index} of ${file}: ${e.message}`, { cause: err });
        }
      }
      records += 1;
    }
  } catch (err) {
    finish(toInferdError(err, 'UNKNOWN').code);
    throw err;
  }
  const micros = finish('OK');
  options.onInfo?.(`Finished reading warmup data for model at ${file}. Number of warmup records read: ${records}. Elapsed time (microseconds): ${micros}.`, {
    file, records, micros,
  });
  return records;
}

/** readTfRecords with the file named in its errors and TF Serving's advice on DATA_LOSS. */
function* readTfRecordsOf(bytes: Uint8Array, file: string): Generator<{ index: number; data: Uint8Array }> {
  const records = readTfRecords(bytes);
  for (;;) {
    let next: IteratorResult<{ index: number; data: Uint8Array }>;
    try {
      next = records.next();
    } catch (err) {
      const e = toInferdError(err, 'DATA_LOSS');
      throw new InferdError(e.code, `Warmup file ${file}: ${e.message}. Please verify your warmup data is in TFRecord format.`);
    }
    if (next.done) return;
    yield next.value;
  }
}
