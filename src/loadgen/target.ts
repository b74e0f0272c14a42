/**
 * What the load generator points at: one model on a TensorFlow Serving-compatible endpoint. A target reads the
 * model's signatures (metadata) and sends one pre-encoded predict request at a time; it never throws from `send`,
 * it reports the failure's status instead. Implementations: rest-target.ts (undici Pool), grpc-target.ts (grpc-js).
 */
import type { SignatureDefLike } from './inputs.ts';

/** Which model (and optional version) to load. */
export interface ModelRef {
  readonly name: string;
  /** A numeric version; latest when absent. */
  readonly version?: number;
}

/** The outcome of one request: `null` on success, else a status (HTTP code, gRPC status name, or socket error code). */
export type Outcome = string | null;

/** A load target. Concurrency: `send` may be called many times concurrently; `close` once, after the last send. */
export interface Target {
  /** e.g. `REST http://127.0.0.1:8501 model mlp`. */
  readonly description: string;
  /** The model's SignatureDefMap (TF Serving GetModelMetadata, `signature_def` field). */
  signatureDefs(): Promise<Record<string, SignatureDefLike>>;
  /** Send the prepared request once and wait for the complete response. */
  send(): Promise<Outcome>;
  /** Release sockets/channels. */
  close(): Promise<void>;
}
