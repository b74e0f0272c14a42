/**
 * The runtime contract: what every runtime (onnx, savedmodel, tfjs) implements and what the batcher decorates.
 * Runtimes live in src/runtimes/<name>/ and import only core. The server names them; the APIs never do.
 */
import type { ModelMetadata } from './signature.ts';
import type { Tensor } from './tensor.ts';

/** One inference call against one signature of one loaded version. */
export interface RunRequest {
  /** Signature key, already resolved (never empty: the facade substitutes `serving_default`). */
  readonly signatureName: string;
  /** Input tensors by signature alias. The facade has checked the alias set against the signature. */
  readonly inputs: Readonly<Record<string, Tensor>>;
  /** Output aliases to compute; undefined or empty means every output of the signature. */
  readonly outputFilter?: readonly string[];
  /** Aborted when nobody waits for the answer any more (client gone, deadline): stop work if possible. */
  readonly signal?: AbortSignal;
  /**
   * Called by a batcher when this request (or a chunk of a split request) is dispatched in a merged run of
   * `batchSize` rows, padding included (for access logs). Runtimes ignore it. Must not throw.
   */
  readonly onBatched?: (batchSize: number) => void;
}

/** Output tensors by signature alias. */
export type RunResult = Record<string, Tensor>;

/**
 * Something that runs requests. Implementations must accept concurrent calls (they may queue internally).
 * Errors are InferdErrors: INVALID_ARGUMENT for inputs the model rejects (wrong dtype/shape), CANCELLED or
 * DEADLINE_EXCEEDED when the signal aborts, INTERNAL for runtime faults.
 */
export interface Executor {
  run(request: RunRequest): Promise<RunResult>;
}

/** A loaded model version. Owned by the lifecycle manager, which calls close() once, after the last handle is released. */
export interface LoadedModel extends Executor {
  readonly metadata: ModelMetadata;
  /** Release sessions, workers and buffers. Idempotent. */
  close(): Promise<void>;
}

/** What to load. */
export interface LoadRequest {
  readonly modelName: string;
  readonly version: number;
  /** Absolute path of the version directory (`<base_path>/<version>`). */
  readonly path: string;
  /** Aborted when the load is no longer wanted (server shutting down). */
  readonly signal?: AbortSignal;
}

/** A runtime for one model format. Construct with the runtime's own `static async create(options)`. */
export interface Runtime {
  /** Platform name as in model configs: `onnx`, `tensorflow`, `tfjs`. */
  readonly platform: string;
  /** True when the version directory holds a model of this runtime's format (e.g. `model.onnx`). */
  detect(versionPath: string): Promise<boolean>;
  /** Load one version. Failures are InferdErrors with a message naming what is wrong (missing file, unsupported op). */
  load(request: LoadRequest): Promise<LoadedModel>;
  /** Release process-wide resources (worker pools, backends). */
  close(): Promise<void>;
}
