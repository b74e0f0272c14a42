/**
 * Result rows every load driver returns, and the latency recorder they share. Units: latency in milliseconds,
 * throughput in requests (or rows) per second over the measured window only.
 */

/** One measured load step (one contender, one model, one concurrency). */
export interface LoadResult {
  /** Contender, e.g. `inferd REST`, `bare node:http`, `express + ort`, `inferd gRPC tensor_content`. */
  readonly contender: string;
  /** Model name as served (`tiny`, `mlp`, ...). */
  readonly model: string;
  /** Connections (REST) or calls in flight (gRPC). */
  readonly concurrency: number;
  /** Successful responses per second. */
  readonly rps: number;
  /** Median latency of successful responses, ms. */
  readonly p50: number;
  /** 99th percentile latency of successful responses, ms. */
  readonly p99: number;
  /** Successful responses in the window. */
  readonly ok: number;
  /** Transport errors, timeouts, and non-2xx (REST) or non-OK (gRPC) answers. Must be 0. */
  readonly errors: number;
  /** Measured seconds. */
  readonly seconds: number;
  /** Server CPU (all threads) per successful response in the window, µs; when the server's pid was given. */
  readonly cpuUsPerRequest?: number;
}

/** Collects latencies (ms, float) and error counts during one window. Not thread-safe; one per window. */
export class LatencyRecorder {
  #latencies: number[] = [];
  #errors = 0;

  /** Record one successful response. */
  ok(ms: number): void {
    this.#latencies.push(ms);
  }

  /** Record one failed request (error, timeout, non-2xx). */
  error(): void {
    this.#errors++;
  }

  /** Summarise as a LoadResult. */
  result(contender: string, model: string, concurrency: number, seconds: number): LoadResult {
    const sorted = Float64Array.from(this.#latencies).sort();
    return {
      contender,
      model,
      concurrency,
      rps: sorted.length / seconds,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      ok: sorted.length,
      errors: this.#errors,
      seconds,
    };
  }
}

/** Nearest-rank percentile of sorted values (NaN when empty). */
export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** A ratio the issues ask for, with its target. */
export interface Ratio {
  /** Which issue's target this is, e.g. `issue 2`. */
  readonly issue: string;
  /** What is compared, in words. */
  readonly label: string;
  /** numerator / denominator, or NaN when a side was not measured. */
  readonly value: number;
  /** The target, or null when informational. */
  readonly target: number | null;
  /** True when the value must stay at or below the target (a cost); otherwise it must reach it. */
  readonly atMost: boolean;
  /** How the two sides were measured. */
  readonly detail: string;
}

/** A ratio from two throughputs (NaN when either is missing). */
export function ratio(issue: string, label: string, num: number | undefined, den: number | undefined, target: number | null, detail: string, atMost = false): Ratio {
  const value = num !== undefined && den !== undefined && den > 0 ? num / den : Number.NaN;
  return { issue, label, value, target, atMost, detail };
}
