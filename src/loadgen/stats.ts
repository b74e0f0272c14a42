/**
 * Measurement windows and their statistics: latency percentiles from a sorted array (nearest-rank), per-window
 * throughput, and perf_analyzer's stability rule. Pure functions over plain data; times are milliseconds, rates
 * per second.
 */

/** What one measurement window saw. Latencies are of successful requests only (as perf_analyzer reports). */
export interface WindowSample {
  /** Wall-clock length of the window, ms. */
  readonly durationMs: number;
  /** Latency of every successful request that completed in the window, ms (any order). */
  readonly latencies: readonly number[];
  /** Failed requests that completed in the window, by status (HTTP code or gRPC status name or error code). */
  readonly errors: Readonly<Record<string, number>>;
}

/** Latency summary, ms. All zero when there were no successful requests. */
export interface LatencySummary {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentile `q` in [0, 1] of an ascending array (0 for an empty array). */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

/** Summarize latencies (any order; not modified). */
export function summarize(latencies: readonly number[]): LatencySummary {
  if (latencies.length === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(latencies).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    min: sorted[0]!,
    mean: sum / sorted.length,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
  };
}

/** Successful requests per second of one window (0 for an empty window). */
export function windowThroughput(w: WindowSample): number {
  return w.durationMs > 0 ? (w.latencies.length * 1000) / w.durationMs : 0;
}

/**
 * perf_analyzer's stability rule: the last `count` windows are stable when each one's throughput is within
 * `tolerance` (0.1 = ±10%) of their mean. Fewer than `count` windows are never stable; all-zero windows are stable
 * (a target that only fails does not become stable later by waiting).
 */
export function isStable(throughputs: readonly number[], tolerance: number, count = 3): boolean {
  if (throughputs.length < count) return false;
  const last = throughputs.slice(-count);
  const mean = last.reduce((a, b) => a + b, 0) / count;
  if (mean === 0) return true;
  return last.every((t) => Math.abs(t - mean) <= tolerance * mean);
}

/** Add error counts of `b` into `a` (mutates and returns `a`). */
export function addErrors(a: Record<string, number>, b: Readonly<Record<string, number>>): Record<string, number> {
  for (const [k, v] of Object.entries(b)) a[k] = (a[k] ?? 0) + v;
  return a;
}

/** Total of an error-count record. */
export function errorTotal(errors: Readonly<Record<string, number>>): number {
  let n = 0;
  for (const v of Object.values(errors)) n += v;
  return n;
}
