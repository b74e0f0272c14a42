/**
 * Observability of a running server: Prometheus metrics (metrics.ts) and the access log (access-log.ts), joined
 * behind the sinks the rest of the server already offers — a RequestRecorder for the transports, onTransition for
 * the lifecycle manager, onBatcher for the batching decoration, onWarmup for warmup replays. cli/serve.ts wires
 * them; core and the runtimes never import this layer (nor prom-client).
 */
import type { Logger } from 'pino';
import type { BatchedModel } from '../core/batching/batched-model.ts';
import type { TransitionEvent } from '../core/lifecycle/manager.ts';
import type { Entrypoint, MetricsExporter, RequestOutcome, RequestRecorder } from '../core/request-outcome.ts';
import { AccessLog, type AccessLogOptions } from './access-log.ts';
import { ServerMetrics, type ServerMetricsOptions } from './metrics.ts';
import { LiveStats } from './live-stats.ts';

export { AccessLog, type AccessLogOptions } from './access-log.ts';
export { ServerMetrics, type ServerMetricsOptions } from './metrics.ts';

/** Options of Observability.create. */
export interface ObservabilityOptions {
  /** Logger for the access log (a child logger is derived). */
  readonly log: Logger;
  /** Keep Prometheus metrics (`--monitoring_config_file` with prometheus_config.enable). Default false. */
  readonly metrics?: boolean | ServerMetricsOptions;
  /** Access-log settings. Default: on, every request. */
  readonly accessLog?: AccessLogOptions;
  /** True for a model name the server knows; only those get per-model live statistics. Default: every name. */
  readonly knownModel?: (name: string) => boolean;
}

/** Metrics and access log behind the server's event sinks. Construct with `Observability.create`. */
export class Observability {
  /** What the transports report requests to. */
  readonly recorder: RequestRecorder;
  /** Live per-second statistics for the dashboard (always on, bounded; independent of Prometheus). */
  readonly live: LiveStats;

  private constructor(
    /** The metrics, when enabled. */
    readonly metrics: ServerMetrics | undefined,
    private readonly accessLog: AccessLog,
    knownModel?: (name: string) => boolean,
  ) {
    this.live = new LiveStats(Date.now, Math.random, knownModel);
    const m = metrics;
    const access = accessLog;
    const live = this.live;
    this.recorder = {
      started: m ? (entrypoint: Entrypoint, model: string) => m.requestStarted(entrypoint, model) : () => () => undefined,
      finished: (o: RequestOutcome) => {
        try {
          m?.requestFinished(o);
          live.record(o);
          access.record(o);
        } catch {
          // Observability never breaks serving.
        }
      },
    };
  }

  /** Build metrics (when enabled) and the access log. */
  static create(options: ObservabilityOptions): Observability {
    const metrics = options.metrics ? new ServerMetrics(options.metrics === true ? {} : options.metrics) : undefined;
    return new Observability(metrics, new AccessLog(options.log, options.accessLog), options.knownModel);
  }

  /** The Prometheus exporter, when metrics are enabled. */
  get exporter(): MetricsExporter | undefined {
    return this.metrics;
  }

  /** Lifecycle sink (ModelServerOptions.onTransition). */
  onTransition(event: TransitionEvent): void {
    this.metrics?.transition(event);
  }

  /** Batching sink (BatchingSetup.onBatcher). */
  onBatcher(model: string, version: number, batched: BatchedModel): void {
    this.metrics?.batcherCreated(model, version, batched);
  }

  /** Warmup sink: one replay of a version's warmup requests finished. */
  onWarmup(modelPath: string, status: string, micros: number): void {
    this.metrics?.warmup(modelPath, status, micros);
  }

  /** Stop collecting. */
  close(): void {
    this.metrics?.close();
  }
}
