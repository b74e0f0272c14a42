/**
 * What the batcher did, as plain data: counters, two histograms (batch size, queue delay in µs) and a per-batch
 * event for listeners (the metrics layer turns these into Prometheus series). No clocks or timers here.
 */

/** A cumulative-free histogram: `counts[i]` counts values ≤ `bounds[i]` and > `bounds[i-1]`; the last slot is +Inf. */
export interface Histogram {
  /** Upper bounds, increasing. */
  readonly bounds: readonly number[];
  /** One count per bound plus one for values above the last bound (length = bounds.length + 1). */
  readonly counts: readonly number[];
  /** Sum of observed values. */
  readonly sum: number;
  /** Number of observed values. */
  readonly count: number;
}

/** Why a batch left its queue: a thread was idle, it was full (or the next request did not fit), or it timed out. */
export type DispatchReason = 'idle' | 'full' | 'timeout';

/** A snapshot of the batcher's counters since creation. */
export interface BatchingStats {
  /** Requests accepted into a batching queue (a split request counts once). */
  readonly requests: number;
  /** Requests run directly on the inner executor (scalar inputs, disagreeing dim 0, no inputs, unbatchable key). */
  readonly unbatched: number;
  /** Requests split into chunks (enableLargeBatchSplitting). */
  readonly splitRequests: number;
  /** Merged inner runs started. */
  readonly batches: number;
  /** Real rows carried by those runs. */
  readonly rows: number;
  /** Padding rows added to reach an allowed batch size. */
  readonly paddedRows: number;
  /** Batches by dispatch reason. */
  readonly dispatch: Readonly<Record<DispatchReason, number>>;
  /** Requests rejected: queue full (RESOURCE_EXHAUSTED), too large (INVALID_ARGUMENT), batcher closed (UNAVAILABLE). */
  readonly rejections: { readonly queueFull: number; readonly tooLarge: number; readonly closed: number };
  /** Tasks (requests, or chunks of split requests) whose signal aborted while queued (removed before running) or running. */
  readonly cancellations: number;
  /** Batches whose merged run could not be split back (or was refused) and were rerun one request at a time. */
  readonly fallbacks: number;
  /** Queue keys found unbatchable (outputs without the batch dimension) and since run directly. */
  readonly unbatchableKeys: number;
  /** Merged runs in flight now. */
  readonly inFlight: number;
  /** Rows waiting in queues now. */
  readonly queuedRows: number;
  /** Executed batch sizes, padding included. */
  readonly batchSize: Histogram;
  /** Per-request time from enqueue to dispatch, in microseconds. */
  readonly queueDelayMicros: Histogram;
}

/** One finished merged run, as reported to `onBatch` listeners. */
export interface BatchEvent {
  /** Signature the batch ran. */
  readonly signatureName: string;
  /** Requests (or chunks of split requests) in the batch. */
  readonly tasks: number;
  /** Real rows. */
  readonly rows: number;
  /** Rows actually run (rows + padding). */
  readonly paddedSize: number;
  /** Why it was dispatched. */
  readonly reason: DispatchReason;
  /** Rows of each task, in batch order. */
  readonly taskRows: readonly number[];
  /** Queue delay of each task, µs, in batch order. */
  readonly queueDelaysMicros: readonly number[];
  /** Wall time of the inner run (including any per-request fallback), µs. */
  readonly runMicros: number;
  /** `ok`, `error` (the inner run failed for all tasks), or `fallback` (rerun one request at a time). */
  readonly outcome: 'ok' | 'error' | 'fallback';
}

/** Listener for finished batches. Exceptions it throws are swallowed (observability never breaks serving). */
export type BatchListener = (event: BatchEvent) => void;

/** TensorFlow Serving's latency buckets: 10 µs × 1.8^i, 33 buckets (shared/reference/tfserving-api.md §7). */
export const QUEUE_DELAY_BOUNDS_MICROS: readonly number[] = Array.from({ length: 33 }, (_, i) => 10 * 1.8 ** i);

/** Batch-size buckets: powers of two up to the first ≥ `max`, plus every allowed batch size. */
export function batchSizeBounds(max: number, allowed: readonly number[]): number[] {
  const set = new Set<number>(allowed);
  for (let b = 1; ; b *= 2) {
    set.add(b);
    if (b >= max) break;
  }
  return [...set].sort((a, b) => a - b);
}

/** A mutable histogram. */
export class HistogramRecorder {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Record one value. */
  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] ?? Infinity)) i++;
    this.counts[i] = (this.counts[i] ?? 0) + 1;
    this.sum += value;
    this.count++;
  }

  /** An immutable copy. */
  snapshot(): Histogram {
    return { bounds: [...this.bounds], counts: [...this.counts], sum: this.sum, count: this.count };
  }
}
