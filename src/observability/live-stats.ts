/**
 * Live request statistics for the dashboard: the last 120 seconds of inference requests in one-second buckets
 * (count, errors, latencies, batch sizes), overall and per model, always on and independent of Prometheus. Fed with
 * the outcomes the transports report; the dashboard reads snapshots. Memory is bounded: at most
 * SAMPLES_PER_SECOND latencies are kept per bucket (a uniform reservoir), so percentiles are exact below that rate
 * and estimated above it.
 */

/** What LiveStats reads of a finished request (a subset of the transports' request outcome). */
export interface LiveOutcome {
  /** Only `inference` requests count (predict, classify, regress, infer); metadata requests are ignored. */
  readonly kind: 'inference' | 'metadata';
  readonly model?: string;
  /** Canonical status; anything but OK counts as an error. */
  readonly code: string;
  readonly latencyMicros: number;
  /** Merged batch size when the request was batched. */
  readonly batchSize?: number;
}

/** Seconds of history kept. */
export const WINDOW_SECONDS = 120;
/** Latency samples kept per one-second bucket. */
export const SAMPLES_PER_SECOND = 512;

interface Bucket {
  second: number;
  requests: number;
  errors: number;
  seen: number;
  latenciesMs: number[];
  batchRows: number;
  batches: number;
}

/** One second of the series, as the dashboard plots it. */
export interface SecondStats {
  /** Unix time of the second, in seconds. */
  readonly t: number;
  readonly requests: number;
  readonly errors: number;
  /** Latency percentiles of the requests that ended in this second, ms; null when none. */
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  /** Mean merged batch size of the batched requests of this second; null when none were batched. */
  readonly meanBatch: number | null;
}

/** A snapshot: the overall series and per-model series, oldest first. */
export interface LiveSnapshot {
  /** Unix time of the last second, in seconds. */
  readonly now: number;
  readonly overall: readonly SecondStats[];
  readonly models: Readonly<Record<string, readonly SecondStats[]>>;
}

class Series {
  private readonly buckets: Bucket[] = [];

  add(second: number, o: LiveOutcome, random: () => number): void {
    let b = this.buckets[this.buckets.length - 1];
    if (b === undefined || b.second !== second) {
      b = { second, requests: 0, errors: 0, seen: 0, latenciesMs: [], batchRows: 0, batches: 0 };
      this.buckets.push(b);
      while (this.buckets.length > 0 && (this.buckets[0] as Bucket).second <= second - WINDOW_SECONDS) this.buckets.shift();
    }
    b.requests++;
    if (o.code !== 'OK') b.errors++;
    const ms = o.latencyMicros / 1000;
    b.seen++;
    if (b.latenciesMs.length < SAMPLES_PER_SECOND) b.latenciesMs.push(ms);
    else {
      const slot = Math.floor(random() * b.seen);
      if (slot < SAMPLES_PER_SECOND) b.latenciesMs[slot] = ms;
    }
    if (o.batchSize !== undefined) {
      b.batchRows += o.batchSize;
      b.batches++;
    }
  }

  series(now: number, seconds: number): SecondStats[] {
    const byTime = new Map(this.buckets.map((b) => [b.second, b]));
    const out: SecondStats[] = [];
    for (let t = now - seconds + 1; t <= now; t++) {
      const b = byTime.get(t);
      if (b === undefined) {
        out.push({ t, requests: 0, errors: 0, p50Ms: null, p99Ms: null, meanBatch: null });
        continue;
      }
      const sorted = [...b.latenciesMs].sort((x, y) => x - y);
      out.push({
        t, requests: b.requests, errors: b.errors,
        p50Ms: percentile(sorted, 0.5), p99Ms: percentile(sorted, 0.99),
        meanBatch: b.batches > 0 ? b.batchRows / b.batches : null,
      });
    }
    return out;
  }

  idle(now: number): boolean {
    const last = this.buckets[this.buckets.length - 1];
    return last === undefined || last.second <= now - WINDOW_SECONDS;
  }
}

/** Nearest-rank percentile of sorted values; null when empty. */
function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

/**
 * The live statistics. `clock` returns ms since the epoch and `random` [0, 1) (tests pass their own). `knownModel`
 * says whether a requested name is a model the server knows: only those get a per-model series, so requests for
 * made-up names (counted in the overall series) cannot grow the map or the dashboard's answer without bound.
 */
export class LiveStats {
  private readonly overall = new Series();
  private readonly perModel = new Map<string, Series>();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly random: () => number = Math.random,
    private readonly knownModel: (name: string) => boolean = () => true,
  ) {}

  /** Record one finished inference request (metadata requests are ignored). Cheap; never throws. */
  record(o: LiveOutcome): void {
    if (o.kind !== 'inference') return;
    const second = Math.floor(this.clock() / 1000);
    this.overall.add(second, o, this.random);
    if (o.model === undefined) return;
    let s = this.perModel.get(o.model);
    if (s === undefined && !this.knownModel(o.model)) return;
    if (s === undefined) {
      s = new Series();
      this.perModel.set(o.model, s);
    }
    s.add(second, o, this.random);
  }

  /** The last `seconds` (1..WINDOW_SECONDS) seconds, ending with the current one; idle models are forgotten. */
  snapshot(seconds = 60): LiveSnapshot {
    const now = Math.floor(this.clock() / 1000);
    const n = Math.min(Math.max(1, Math.floor(seconds)), WINDOW_SECONDS);
    const models: Record<string, readonly SecondStats[]> = {};
    for (const [name, s] of this.perModel) {
      if (s.idle(now)) this.perModel.delete(name);
      else models[name] = s.series(now, n);
    }
    return { now, overall: this.overall.series(now, n), models };
  }
}
