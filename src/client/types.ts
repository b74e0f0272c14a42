/**
 * What the TypeScript client takes and gives: core tensors (typed arrays) in and out, tf.Example-like feature
 * objects for classify/regress, and options every call accepts.
 */
import type { Tensor } from '../core/tensor.ts';

export type { Tensor } from '../core/tensor.ts';
export type { ModelMetadata, Signature, TensorSpec } from '../core/signature.ts';

/** Which version of a model a call addresses: the latest (neither), a number, or a label. */
export interface ModelRef {
  readonly version?: number;
  readonly label?: string;
}

/** Options of one call. */
export interface CallOptions extends ModelRef {
  /** Signature key; default `serving_default`. */
  readonly signatureName?: string;
  /** Deadline of this call in ms (overrides the client's). */
  readonly timeoutMs?: number;
  /** Abort the call (and its retries). */
  readonly signal?: AbortSignal;
}

/** Options of predict. */
export interface PredictOptions extends CallOptions {
  /** Output aliases to compute; default all. */
  readonly outputFilter?: readonly string[];
}

/**
 * One feature of an Example: numbers are float features, bigints int64 features, strings and byte arrays bytes
 * features; an array holds several values of one kind.
 */
export type FeatureValue = number | bigint | string | Uint8Array | readonly number[] | readonly bigint[] | readonly (string | Uint8Array)[];

/** A tf.Example as a plain object of features. */
export type ExampleInput = Readonly<Record<string, FeatureValue>>;

/** One class of a classification result. */
export interface ClassScore {
  readonly label: string;
  readonly score: number;
}

/** Options shared by both clients. */
export interface ClientOptions {
  /** Default deadline per call, ms. Default 30000. */
  readonly timeoutMs?: number;
  /** Attempts after the first when the server is UNAVAILABLE (503, connection refused/reset). Default 2. */
  readonly retries?: number;
  /** First backoff between retries, ms (doubles each attempt). Default 100. */
  readonly retryDelayMs?: number;
  /** Bearer token sent with every call (inferd's --auth_tokens_file). */
  readonly token?: string;
  /** PEM CA certificate(s) to trust for TLS (https:// URLs, secure gRPC). */
  readonly ca?: string | Uint8Array;
  /** PEM client certificate and key for mutual TLS. */
  readonly cert?: string | Uint8Array;
  readonly key?: string | Uint8Array;
}

/** Output tensors by alias. */
export type Outputs = Record<string, Tensor>;
