/**
 * Request outcomes as data: what a transport reports once per request (REST, gRPC, Open Inference Protocol), and
 * the recorder interface it reports to. src/observability/ implements the recorder (Prometheus metrics, access
 * log); transports only call it. Pure types: no clocks, no I/O.
 */
import type { Code } from './errors.ts';

/** Which front end answered: TensorFlow Serving's `entrypoint` label values. */
export type Entrypoint = 'REST' | 'GRPC';

/**
 * What a request was: `inference` (predict, classify, regress, multi-inference, OIP infer) feeds TensorFlow
 * Serving's request metrics; `metadata` (status, metadata, readiness) is only access-logged.
 */
export type RequestKind = 'inference' | 'metadata';

/** One finished request. Never carries tensor values. */
export interface RequestOutcome {
  readonly entrypoint: Entrypoint;
  /** API name as TF Serving labels it: REST `predict|classify|regress|""`, gRPC `Predict|Classify|...`, OIP `infer`. */
  readonly api: string;
  readonly kind: RequestKind;
  /** Model addressed (undefined when the request was refused before its model was known). */
  readonly model?: string;
  /** Version that answered (or was addressed, when it failed before lookup). */
  readonly version?: number;
  /** Signature key that ran. */
  readonly signature?: string;
  /** Canonical status (`OK` on success). */
  readonly code: Code;
  /** Error text when `code` is not OK (error texts name what was wrong, never tensor values). */
  readonly error?: string;
  /** Wall time from arrival to answer, microseconds. */
  readonly latencyMicros: number;
  /** Time inside the model's run (batch queueing included), microseconds, when the request reached a model. */
  readonly runMicros?: number;
  /** Request body / message bytes as received (compressed size for gzip REST bodies). */
  readonly requestBytes: number;
  /** Response body / message bytes. */
  readonly responseBytes: number;
  /** The request id (incoming `x-request-id`, else the trace id of `traceparent`, else generated). */
  readonly requestId?: string;
  /** tf.Examples in a classify/regress/multi-inference request. */
  readonly examples?: number;
  /** Size of the merged batch the request ran in (padding included), when batched. */
  readonly batchSize?: number;
}

/** Where transports report requests. Implementations must not throw and must be cheap (called on the hot path). */
export interface RequestRecorder {
  /** A request for `model` started; call the returned function exactly once when it ends (in-flight gauges). */
  started(entrypoint: Entrypoint, model: string): () => void;
  /** A request finished (success or failure). */
  finished(outcome: RequestOutcome): void;
}

/** A recorder that records nothing (the default of every transport). */
export const NO_RECORDER: RequestRecorder = {
  started: () => () => undefined,
  finished: () => undefined,
};

/** What the facade measured while serving one request (put on its results for the transports to report). */
export interface RunStats {
  /** Time inside the model's run, microseconds (batch queueing included). */
  readonly runMicros: number;
  /** Merged batch size (padding included) when the request went through a batcher. */
  readonly batchSize?: number;
}

/** A source of metrics text that a transport serves (the Prometheus endpoint). */
export interface MetricsExporter {
  /** Content-Type of the text (Prometheus text format 0.0.4). */
  readonly contentType: string;
  /** The current exposition text. */
  scrape(): Promise<string>;
}
