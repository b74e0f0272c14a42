/**
 * Prometheus metrics (prom-client), fed by events: request outcomes from the transports (RequestRecorder), state
 * transitions from the lifecycle manager, finished batches from each version's batcher, warmup replays. Names and
 * labels of the TensorFlow Serving series follow its monitoring code (`/tensorflow/serving/...`, exported with
 * `/` → `:`; latencies in microseconds, 33 buckets of 10 µs × 1.8^i); inferd's own series are `inferd_*` in base
 * units. One Registry per instance (no global state), so tests may run several servers in one process.
 * Ownership: the registry lives as long as the server; `close()` stops the default process collectors.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, exponentialBuckets } from 'prom-client';
import type { BatchedModel } from '../core/batching/batched-model.ts';
import type { BatchEvent } from '../core/batching/stats.ts';
import type { TransitionEvent } from '../core/lifecycle/manager.ts';
import type { VersionState } from '../core/lifecycle/state.ts';
import type { Entrypoint, RequestOutcome } from '../core/request-outcome.ts';

/** TensorFlow Serving's latency buckets, µs: 10 × 1.8^i for i < 33 (shared/reference/tfserving-api.md §7). */
export const LATENCY_BUCKETS_MICROS: readonly number[] = exponentialBuckets(10, 1.8, 33);
/** Examples per request: 1, 2, 4, … 16384 (TensorFlow Serving's Exponential(1, 2, 15)). */
export const EXAMPLE_BUCKETS: readonly number[] = exponentialBuckets(1, 2, 15);
/** Batch sizes: 1, 2, 4, … 65536. */
export const BATCH_SIZE_BUCKETS: readonly number[] = exponentialBuckets(1, 2, 17);
/** Model load and warmup times, seconds. */
export const LOAD_BUCKETS_SECONDS: readonly number[] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

const STATES: readonly VersionState[] = ['START', 'LOADING', 'AVAILABLE', 'UNLOADING', 'END'];

/** Options of ServerMetrics. */
export interface ServerMetricsOptions {
  /**
   * Whether a model name may become a label value. Requests naming unknown models are counted under
   * `model_name=""`, so clients cannot grow the series without bound. Default: every name is known.
   */
  readonly knownModel?: (name: string) => boolean;
  /** Collect prom-client's process and Node.js metrics (`process_*`, `nodejs_*`). Default true. */
  readonly processMetrics?: boolean;
}

/** The server's metrics registry and the event sinks that feed it. */
export class ServerMetrics {
  /** The registry scraped by the metrics endpoint. */
  readonly registry = new Registry();
  private readonly knownModel: (name: string) => boolean;
  private readonly batchers = new Map<string, { model: string; version: number; batched: BatchedModel; unsubscribe: () => void }>();

  private readonly requestCount = this.counter(':tensorflow:serving:request_count', 'The total number of requests.', ['model_name', 'entrypoint', 'status']);
  private readonly requestLatency = this.histogram(':tensorflow:serving:request_latency',
    'Distribution of wall time (in microseconds) for Tensorflow Serving request.', ['model_name', 'API', 'entrypoint'], LATENCY_BUCKETS_MICROS);
  private readonly runtimeLatency = this.histogram(':tensorflow:serving:runtime_latency',
    'Distribution of wall time (in microseconds) for Tensorflow runtime.', ['model_name', 'API', 'runtime'], LATENCY_BUCKETS_MICROS);
  private readonly exampleCounts = this.histogram(':tensorflow:serving:request_example_counts',
    'The number of tensorflow.Examples per request.', ['model_name'], EXAMPLE_BUCKETS);
  private readonly exampleTotal = this.counter(':tensorflow:serving:request_example_count_total', 'The total number of tensorflow.Examples.', ['model_name']);
  private readonly queuingLatency = this.histogram(':tensorflow:serving:batching_session:queuing_latency',
    'Tracks the latency (in microseconds) for requests waiting for the batch scheduler.', ['model_name'], LATENCY_BUCKETS_MICROS);
  private readonly inputBatchSize = this.histogram(':tensorflow:serving:batching_session:input_batch_size',
    'Tracks the batch size distribution on the inputs by model_name.', ['model_name'], BATCH_SIZE_BUCKETS);
  private readonly processedBatchSize = this.histogram(':tensorflow:serving:batching_session:processed_batch_size',
    'Tracks the batch size distribution on processing by model_name.', ['model_name'], BATCH_SIZE_BUCKETS);
  private readonly paddingSize = this.histogram(':tensorflow:serving:batching_session:padding_size',
    'Tracks the padding size distribution on batches by model_name.', ['model_name', 'execution_batch_size'], BATCH_SIZE_BUCKETS);
  private readonly warmupLatency = this.histogram(':tensorflow:serving:model_warmup_latency',
    'Distribution of wall time (in microseconds) for warming up the model.', ['model_path', 'status'], LATENCY_BUCKETS_MICROS);

  private readonly loadSeconds = this.histogram('inferd_model_load_duration_seconds',
    'Time from the start of a version\'s load to AVAILABLE (retries and warmup included), seconds.', ['model_name'], LOAD_BUCKETS_SECONDS);
  private readonly loadFailures = this.counter('inferd_model_load_failures_total',
    'Failed load attempts of model versions; outcome "retry" (will be retried) or "failed" (final, version END).', ['model_name', 'outcome']);
  private readonly versionState = new Gauge({
    name: 'inferd_model_version_state', help: 'Lifecycle state of each model version: 1 for its current state, 0 for the others.',
    labelNames: ['model_name', 'version', 'state'], registers: [this.registry],
    // --processes > 1: 1 when any serving process has the version in this state (the other gauges are summed).
    aggregator: 'max',
  });
  private readonly inFlight = new Gauge({
    name: 'inferd_requests_in_flight', help: 'Requests being served now, per model and entrypoint.',
    labelNames: ['model_name', 'entrypoint'], registers: [this.registry],
  });
  private readonly rejected = this.counter('inferd_requests_rejected_total',
    'Requests refused for lack of capacity (RESOURCE_EXHAUSTED: HTTP 429 / gRPC 8), e.g. a full batch queue.', ['model_name', 'entrypoint']);
  private readonly cancelled = this.counter('inferd_requests_cancelled_total',
    'Requests stopped before their answer: the client went away (CANCELLED) or the deadline passed (DEADLINE_EXCEEDED).', ['model_name', 'entrypoint', 'reason']);
  private readonly batches = this.counter('inferd_batches_total',
    'Merged runs started by the batchers, by dispatch reason (idle, full, timeout).', ['model_name', 'reason']);

  constructor(options: ServerMetricsOptions = {}) {
    this.knownModel = options.knownModel ?? (() => true);
    const batchers = this.batchers;
    new Gauge({
      name: 'inferd_batch_queue_rows', help: 'Rows waiting in the batching queues of each loaded version.',
      labelNames: ['model_name', 'version'], registers: [this.registry],
      collect() {
        this.reset();
        for (const b of batchers.values()) this.set({ model_name: b.model, version: String(b.version) }, b.batched.batcher.stats().queuedRows);
      },
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** A request finished (RequestRecorder.finished). */
  requestFinished(o: RequestOutcome): void {
    const model = o.model !== undefined && this.knownModel(o.model) ? o.model : '';
    if (o.code === 'RESOURCE_EXHAUSTED') this.rejected.inc({ model_name: model, entrypoint: o.entrypoint });
    if (o.code === 'CANCELLED' || o.code === 'DEADLINE_EXCEEDED') this.cancelled.inc({ model_name: model, entrypoint: o.entrypoint, reason: o.code });
    if (o.kind !== 'inference') return;
    this.requestCount.inc({ model_name: model, entrypoint: o.entrypoint, status: o.code });
    this.requestLatency.observe({ model_name: model, API: o.api, entrypoint: o.entrypoint }, o.latencyMicros);
    if (o.runMicros !== undefined) this.runtimeLatency.observe({ model_name: model, API: o.api, runtime: 'inferd' }, o.runMicros);
    if (o.examples !== undefined) {
      this.exampleCounts.observe({ model_name: model }, o.examples);
      this.exampleTotal.inc({ model_name: model }, o.examples);
    }
  }

  /** A request for `model` started (RequestRecorder.started): in-flight +1 until the returned function runs. */
  requestStarted(entrypoint: Entrypoint, model: string): () => void {
    const labels = { model_name: this.knownModel(model) ? model : '', entrypoint };
    this.inFlight.inc(labels);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight.dec(labels);
    };
  }

  /** A version changed state (LifecycleManager's onTransition). */
  transition(e: TransitionEvent): void {
    const version = String(e.version);
    for (const state of STATES) this.versionState.set({ model_name: e.model, version, state }, state === e.state ? 1 : 0);
    if (e.state === 'AVAILABLE' && e.loadMillis !== undefined) this.loadSeconds.observe({ model_name: e.model }, e.loadMillis / 1000);
    if (e.error && e.state === 'LOADING') this.loadFailures.inc({ model_name: e.model, outcome: 'retry' });
    if (e.error && e.state === 'END') this.loadFailures.inc({ model_name: e.model, outcome: 'failed' });
    if (e.state === 'END') {
      const key = `${e.model}\u0000${e.version}`;
      this.batchers.get(key)?.unsubscribe();
      this.batchers.delete(key);
    }
  }

  /** A version got a batcher (server/batching.ts onBatcher): its batches feed the batching_session series. */
  batcherCreated(model: string, version: number, batched: BatchedModel): void {
    const key = `${model}\u0000${version}`;
    this.batchers.get(key)?.unsubscribe();
    const unsubscribe = batched.batcher.addBatchListener((event) => this.batch(model, event));
    this.batchers.set(key, { model, version, batched, unsubscribe });
  }

  /** One warmup replay of a version finished (`status` is OK or the error code), µs. */
  warmup(modelPath: string, status: string, micros: number): void {
    this.warmupLatency.observe({ model_path: modelPath, status }, micros);
  }

  /** The Prometheus text exposition of every series. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content-Type of `scrape()`'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Detach from batchers and stop collecting. */
  close(): void {
    for (const b of this.batchers.values()) b.unsubscribe();
    this.batchers.clear();
    this.registry.clear();
  }

  private batch(model: string, e: BatchEvent): void {
    const labels = { model_name: model };
    for (const d of e.queueDelaysMicros) this.queuingLatency.observe(labels, d);
    for (const rows of e.taskRows) this.inputBatchSize.observe(labels, rows);
    this.processedBatchSize.observe(labels, e.paddedSize);
    this.paddingSize.observe({ model_name: model, execution_batch_size: String(e.paddedSize) }, e.paddedSize - e.rows);
    this.batches.inc({ model_name: model, reason: e.reason });
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    return new Counter({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets: [...buckets], registers: [this.registry] });
  }
}
