/**
 * The access log: one structured pino line per request (REST and gRPC), from the RequestOutcome the transport
 * reports. Fields: `time` (pino, ms epoch), `requestId`, `transport`, `api`, `model`, `version`, `signature`,
 * `status` (canonical code), `latencyMs`, `requestBytes`, `responseBytes`, `batchSize` (when batched),
 * `examples` (classify/regress), `error` (the reason, for failures). Never tensor values: outcomes carry none.
 * Successful requests are sampled (`sampleRate`); failed ones are always logged, at level warn.
 */
import type { Logger } from 'pino';
import type { RequestOutcome } from '../core/request-outcome.ts';

/** Options of the access log. */
export interface AccessLogOptions {
  /** `--access_log`. Default true. */
  readonly enabled?: boolean;
  /** Fraction of successful requests logged, 0..1 (`--access_log_sample_rate`). Default 1. Failures are always logged. */
  readonly sampleRate?: number;
  /** Source of randomness for sampling, [0, 1). Default Math.random. */
  readonly random?: () => number;
}

/** Longest error text logged (error texts may quote a request's JSON around the faulty spot). */
const MAX_ERROR_CHARS = 512;

/** Writes access-log lines to a pino logger. */
export class AccessLog {
  private readonly enabled: boolean;
  private readonly sampleRate: number;
  private readonly random: () => number;

  constructor(private readonly log: Logger, options: AccessLogOptions = {}) {
    this.enabled = options.enabled ?? true;
    this.sampleRate = Math.min(1, Math.max(0, options.sampleRate ?? 1));
    this.random = options.random ?? Math.random;
  }

  /** Log one finished request (subject to sampling when it succeeded). */
  record(o: RequestOutcome): void {
    if (!this.enabled) return;
    const ok = o.code === 'OK';
    if (ok && this.sampleRate < 1 && this.random() >= this.sampleRate) return;
    // The line would be dropped by the logger's level (e.g. --log_level=warn): skip building it.
    if (!this.log.isLevelEnabled(ok ? 'info' : 'warn')) return;
    const line = {
      access: true,
      requestId: o.requestId,
      transport: o.entrypoint,
      api: o.api,
      model: o.model,
      version: o.version,
      signature: o.signature,
      status: o.code,
      latencyMs: Math.round(o.latencyMicros) / 1000,
      requestBytes: o.requestBytes,
      responseBytes: o.responseBytes,
      ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
      ...(o.examples !== undefined ? { examples: o.examples } : {}),
      ...(o.error !== undefined ? { error: o.error.length > MAX_ERROR_CHARS ? `${o.error.slice(0, MAX_ERROR_CHARS)}...` : o.error } : {}),
    };
    const msg = `${o.entrypoint} ${o.api || 'status'} ${o.model ?? '-'} ${o.code}`;
    if (ok) this.log.info(line, msg);
    else this.log.warn(line, msg);
  }
}
