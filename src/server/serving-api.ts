/**
 * The facade the transports call (REST, gRPC, Open Inference Protocol). Transports parse, validate, call one of
 * these methods and map InferdError codes to their statuses; everything else (servable lookup, signature
 * resolution, handles, classify/regress over tf.Example) happens behind this interface.
 *
 * Error texts follow shared/reference/tfserving-api.md: NOT_FOUND `Servable not found for request: Latest(<m>)`,
 * INVALID_ARGUMENT `Unrecognized servable version label: <l>`, and so on.
 */
import type { Example } from '../core/example.ts';
import type { AllocationBudget, ResponseEncoding } from '../core/limits.ts';
import type { RunStats } from '../core/request-outcome.ts';
import type { VersionStatus } from '../core/lifecycle/state.ts';
import type { Signature } from '../core/signature.ts';
import type { Tensor } from '../core/tensor.ts';

/** Which servable a request addresses (TensorFlow Serving's ModelSpec). */
export interface ModelSpec {
  readonly name: string;
  /**
   * A specific version; mutually exclusive with `label`. A bigint only for an int64 beyond 2^53 (gRPC), which no
   * version on disk can be: kept exact so NOT_FOUND prints the digits the client sent.
   */
  readonly version?: number | bigint;
  /** A version label (`stable`, `canary`); mutually exclusive with `version`. */
  readonly label?: string;
  /** Signature key; empty or undefined means `serving_default`. */
  readonly signatureName?: string;
}

/** The servable a request was answered by. */
export interface ServedSpec {
  readonly name: string;
  readonly version: number;
  /** The resolved signature key (never empty). */
  readonly signatureName: string;
}

/**
 * Builds the input tensors once the signature is known. Called after servable and signature lookup, so errors it
 * throws come after lookup errors (the order TensorFlow Serving reports them in). Every tensor is charged to
 * `budget` (core/limits.ts) before its storage is allocated.
 */
export type InputDecoder = (signature: Signature, signatureName: string, budget: AllocationBudget) => Readonly<Record<string, Tensor>>;

/** A predict call. */
export interface PredictCall {
  readonly spec: ModelSpec;
  readonly decodeInputs: InputDecoder;
  /** Output aliases to return; empty = all. */
  readonly outputFilter?: readonly string[];
  /** Aborted when the client is gone or its deadline passed. */
  readonly signal?: AbortSignal;
  /**
   * Signature-not-found wording: REST says `Serving signature name: "<s>" not found in signature def`,
   * gRPC says `Serving signature key "<s>" not found.` (FAILED_PRECONDITION). Default `rest`.
   */
  readonly dialect?: 'rest' | 'grpc';
  /**
   * How the transport encodes the outputs: the response budget charges each output at this encoding's size before
   * the answer is built. Default: the tensors' own bytes.
   */
  readonly responseEncoding?: ResponseEncoding;
}

/** A predict answer: the outputs plus the signature that produced them (for output formatting). */
export interface PredictResult {
  readonly served: ServedSpec;
  readonly signature: Signature;
  readonly outputs: Readonly<Record<string, Tensor>>;
  /** Run time and batch size, for metrics and access logs. */
  readonly run?: RunStats;
}

/** A classify or regress call over tf.Examples (context already merged or given separately). */
export interface ExampleCall {
  readonly spec: ModelSpec;
  readonly examples: readonly Example[];
  readonly context?: Example;
  readonly signal?: AbortSignal;
}

/** One class of a classification: label (empty when the model has no `classes` output) and score. */
export interface ClassScore {
  readonly label: string;
  readonly score: number;
}

/** Classification answer: one list of classes per example. */
export interface ClassifyResult {
  readonly served: ServedSpec;
  readonly classifications: readonly (readonly ClassScore[])[];
  /** Run time and batch size, for metrics and access logs. */
  readonly run?: RunStats;
}

/** Regression answer: one value per example. */
export interface RegressResult {
  readonly served: ServedSpec;
  readonly values: readonly number[];
  /** Run time and batch size, for metrics and access logs. */
  readonly run?: RunStats;
}

/** Metadata answer: the served version and every signature. */
export interface MetadataResult {
  readonly name: string;
  readonly version: number;
  readonly signatures: Readonly<Record<string, Signature>>;
  /** The platform of the runtime serving the model (`onnx`, `tensorflow`), when known. */
  readonly platform?: string;
}

/** What the transports may ask of the server. */
export interface ServingApi {
  /** Status of every version ever seen (descending), or one version. NOT_FOUND texts per the reference §1.3. */
  status(name: string, version?: number | bigint): readonly VersionStatus[];
  /** Metadata of the resolved servable. */
  metadata(spec: ModelSpec): Promise<MetadataResult>;
  /** Run a signature. Holds a handle for the duration, so the version is not unloaded under the request. */
  predict(call: PredictCall): Promise<PredictResult>;
  /** tf.Example classification (shared/reference/tfserving-api.md §1.6). */
  classify(call: ExampleCall): Promise<ClassifyResult>;
  /** tf.Example regression (shared/reference/tfserving-api.md §1.6). */
  regress(call: ExampleCall): Promise<RegressResult>;
}

/**
 * Readiness, as the health endpoints report it (REST /v2/health/*, /v2/models/{m}/ready, grpc.health.v1).
 * Kubernetes probe contract: ready is false while any configured model has no AVAILABLE version or the server drains.
 */
export interface ReadinessApi {
  /** True once draining started (graceful shutdown): readiness is false from then on. */
  readonly draining: boolean;
  /** Not draining, and every configured model has an AVAILABLE version. */
  isReady(): boolean;
  /**
   * Whether a model (or one version of it) can serve now. Undefined when the model was never configured
   * (transports answer 404); false while draining.
   */
  isModelReady(name: string, version?: number): boolean | undefined;
}
