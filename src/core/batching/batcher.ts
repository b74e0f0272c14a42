/**
 * Dynamic batching as a decorator: BatchingExecutor has the Executor interface of what it wraps, merges concurrent
 * requests along dimension 0 into one inner run, and splits the outputs back. One instance wraps one loaded
 * version, so models and versions never mix; queues are keyed by signature, output filter, input aliases, dtypes
 * and non-batch dimensions (ranks only with padVariableLengthInputs), so signatures never mix either.
 *
 * Scheduling (TensorFlow's BasicBatchScheduler, plus an idle rule): requests join the newest open batch of their
 * queue; a batch closes when full (or when the next request does not fit). At most `numBatchThreads` merged runs
 * are in flight. A free slot takes the oldest ready batch: with `dispatchWhenIdle` (default) any batch is ready, so
 * a lone request at low load goes at once; otherwise a batch is ready when closed or `batchTimeoutMicros` after its
 * first request. Enqueueing defers dispatch by one microtask, so requests issued in the same tick share a batch.
 *
 * Concurrency: single-threaded (JS); the inner executor must accept concurrent run() calls.
 * Ownership: close() rejects queued work and waits for in-flight runs; it never closes the inner executor.
 */
import { InferdError, throwIfAborted, toInferdError } from '../errors.ts';
import type { Executor, RunRequest, RunResult } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { paddedBatchSize, resolveBatchingOptions, type BatchingOptions, type ResolvedBatchingOptions } from './options.ts';
import { batchRows, joinRows, sliceRows } from './rows.ts';
import { runBatch } from './run-batch.ts';
import {
  batchSizeBounds, HistogramRecorder, QUEUE_DELAY_BOUNDS_MICROS,
  type BatchEvent, type BatchingStats, type BatchListener, type DispatchReason,
} from './stats.ts';

/** Options of BatchingExecutor.create: the batching parameters plus an optional batch listener. */
export interface BatchingExecutorOptions extends BatchingOptions {
  /** Called after every merged run (for metrics). Default: none. */
  readonly onBatch?: BatchListener;
}

/** One request, or one chunk of a split request, waiting for or riding in a batch. */
interface Task {
  readonly inputs: Readonly<Record<string, Tensor>>;
  readonly rows: number;
  readonly signal: AbortSignal | undefined;
  /** The request's RunRequest.onBatched (metrics/access log): told the merged batch size at dispatch. */
  readonly onBatched: ((batchSize: number) => void) | undefined;
  /** performance.now() at enqueue, ms. */
  readonly enqueuedAt: number;
  /** The batch holding it while queued. */
  batch: Batch | undefined;
  /** The merged run carrying it once dispatched. */
  running: Running | undefined;
  settled: boolean;
  readonly resolve: (r: RunResult) => void;
  readonly reject: (e: InferdError) => void;
  readonly onAbort: () => void;
}

interface Queue {
  readonly key: string;
  readonly signatureName: string;
  readonly outputFilter: readonly string[] | undefined;
  /** Waiting batches, oldest first; only the last one may be open. */
  readonly batches: Batch[];
  queuedRows: number;
}

interface Batch {
  readonly queue: Queue;
  readonly tasks: Task[];
  rows: number;
  /** performance.now() of the first request, ms. */
  readonly createdAt: number;
  /** Full, or the next request did not fit: accepts nothing more. */
  closed: boolean;
  timedOut: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Abort bookkeeping of one merged run: its signal aborts when every task's signal has. A one-task run uses the
 * task's own signal instead (no controller: creating an AbortSignal costs Node 20 several µs).
 */
interface Running {
  readonly controller: AbortController | undefined;
  remaining: number;
}

/** Most unbatchable keys remembered (keys can be many with variable shapes). */
const MAX_UNBATCHABLE_KEYS = 1024;

/** An Executor that batches requests to the Executor it wraps. Construct with `BatchingExecutor.create`. */
export class BatchingExecutor implements Executor {
  private readonly queues = new Map<string, Queue>();
  private readonly unbatchable = new Set<string>();
  private readonly inFlightRuns = new Set<Promise<unknown>>();
  private readonly listeners = new Set<BatchListener>();
  private readonly batchSizeHist: HistogramRecorder;
  private readonly queueDelayHist = new HistogramRecorder(QUEUE_DELAY_BOUNDS_MICROS);
  private readonly counters = {
    requests: 0, unbatched: 0, splitRequests: 0, batches: 0, rows: 0, paddedRows: 0, cancellations: 0, fallbacks: 0,
    dispatch: { idle: 0, full: 0, timeout: 0 } as Record<DispatchReason, number>,
    rejections: { queueFull: 0, tooLarge: 0, closed: 0 },
  };
  private inFlight = 0;
  private queuedRows = 0;
  private pumpScheduled = false;
  private closed = false;

  private constructor(
    private readonly inner: Executor,
    /** The resolved parameters this batcher runs with. */
    readonly options: ResolvedBatchingOptions,
  ) {
    this.batchSizeHist = new HistogramRecorder(batchSizeBounds(options.executionBatchSize, options.allowedBatchSizes));
  }

  /** Validate the options (INVALID_ARGUMENT on bad parameters) and wrap `inner`. */
  static async create(inner: Executor, options: BatchingExecutorOptions = {}): Promise<BatchingExecutor> {
    const batcher = new BatchingExecutor(inner, resolveBatchingOptions(options));
    if (options.onBatch) batcher.listeners.add(options.onBatch);
    return batcher;
  }

  /** Subscribe to finished batches; returns the unsubscribe function. */
  addBatchListener(listener: BatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Run one request, batched with concurrent ones when its shape allows. Same contract as Executor.run. */
  async run(request: RunRequest): Promise<RunResult> {
    if (this.closed) {
      this.counters.rejections.closed++;
      throw InferdError.unavailable('The batching queue is closed (the model version is unloading)');
    }
    if (request.signal?.aborted) {
      this.counters.cancellations++;
      throwIfAborted(request.signal);
    }
    const rows = batchRows(request.inputs);
    const key = rows === undefined || rows === 0 ? undefined : this.keyOf(request);
    if (rows === undefined || rows === 0 || key === undefined || this.unbatchable.has(key)) {
      this.counters.unbatched++;
      return this.track(this.inner.run(request));
    }
    const { executionBatchSize: limit, maxQueuedRows } = this.options;
    if (rows > limit && !this.options.enableLargeBatchSplitting) {
      this.counters.rejections.tooLarge++;
      throw InferdError.invalidArgument(
        `Task size ${rows} is larger than maximum batch size ${limit}; send at most ${limit} rows per request ` +
        'or enable large batch splitting (enable_large_batch_splitting)',
      );
    }
    if (rows > maxQueuedRows) {
      this.counters.rejections.tooLarge++;
      throw InferdError.invalidArgument(
        `Task size ${rows} is larger than the batching queue can hold (${maxQueuedRows} rows = max_enqueued_batches × max_batch_size)`,
      );
    }
    const queue = this.queueFor(key, request);
    if (queue.queuedRows + rows > maxQueuedRows) {
      this.counters.rejections.queueFull++;
      throw InferdError.resourceExhausted(
        `The batch scheduling queue to which this task was submitted is full (${queue.queuedRows} rows waiting, ` +
        `limit ${maxQueuedRows}); retry later`,
      );
    }
    this.counters.requests++;
    if (rows <= limit) return this.enqueue(queue, request.inputs, rows, request.signal, request.onBatched);
    this.counters.splitRequests++;
    const chunks: Promise<RunResult>[] = [];
    for (let start = 0; start < rows; start += limit) {
      const n = Math.min(limit, rows - start);
      const part: Record<string, Tensor> = {};
      for (const [alias, t] of Object.entries(request.inputs)) part[alias] = sliceRows(t, start, n);
      chunks.push(this.enqueue(queue, part, n, request.signal, request.onBatched));
    }
    const results = await Promise.all(chunks);
    const chunkRows = (i: number): number => Math.min(limit, rows - i * limit);
    if (!results.every((r, i) => Object.values(r).every((t) => t.shape.length >= 1 && t.shape[0] === chunkRows(i)))) {
      // Chunk outputs without the batch dimension cannot be joined: run the whole request directly instead.
      this.markUnbatchable(key);
      this.counters.unbatched++;
      return this.track(this.inner.run(request));
    }
    const joined: RunResult = {};
    for (const alias of Object.keys(results[0] ?? {})) {
      joined[alias] = joinRows(results.map((r) => r[alias]).filter((t): t is Tensor => t !== undefined));
    }
    return joined;
  }

  /** A snapshot of counters and histograms since creation. */
  stats(): BatchingStats {
    const c = this.counters;
    return {
      requests: c.requests, unbatched: c.unbatched, splitRequests: c.splitRequests, batches: c.batches, rows: c.rows,
      paddedRows: c.paddedRows, dispatch: { ...c.dispatch }, rejections: { ...c.rejections },
      cancellations: c.cancellations, fallbacks: c.fallbacks, unbatchableKeys: this.unbatchable.size,
      inFlight: this.inFlight, queuedRows: this.queuedRows,
      batchSize: this.batchSizeHist.snapshot(), queueDelayMicros: this.queueDelayHist.snapshot(),
    };
  }

  /** Reject every queued request with UNAVAILABLE, then wait for in-flight runs. Idempotent; the inner executor stays open. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      for (const queue of this.queues.values()) {
        for (const batch of queue.batches) {
          if (batch.timer !== undefined) clearTimeout(batch.timer);
          for (const task of batch.tasks) {
            this.counters.rejections.closed++;
            this.settle(task, InferdError.unavailable('The batching queue was closed before this request ran (the model version is unloading)'));
          }
        }
      }
      this.queues.clear();
      this.queuedRows = 0;
    }
    await Promise.allSettled([...this.inFlightRuns]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlightRuns.add(p);
    const done = (): void => { this.inFlightRuns.delete(p); };
    p.then(done, done);
    return p;
  }

  /**
   * The queue key: `JSON.stringify([signatureName, sorted unique filter | null, [[alias, dtype, dims after the
   * first (or the rank when padding)], ...sorted by alias]])`, written out by hand (one string, no arrays: it is
   * computed for every request).
   */
  private keyOf(request: RunRequest): string {
    const pad = this.options.padVariableLengthInputs;
    const aliases = Object.keys(request.inputs);
    if (aliases.length > 1) aliases.sort();
    let inputs = '';
    for (const alias of aliases) {
      const t = request.inputs[alias];
      let entry = JSON.stringify(alias);
      if (t !== undefined) {
        entry += `,${JSON.stringify(t.dtype)},`;
        if (pad) entry += String(t.shape.length);
        else {
          entry += '[';
          for (let i = 1; i < t.shape.length; i++) entry += i === 1 ? String(t.shape[i]) : `,${t.shape[i]}`;
          entry += ']';
        }
      }
      inputs += inputs === '' ? `[${entry}]` : `,[${entry}]`;
    }
    const filter = request.outputFilter && request.outputFilter.length > 0 ? JSON.stringify([...new Set(request.outputFilter)].sort()) : 'null';
    return `[${JSON.stringify(request.signatureName)},${filter},[${inputs}]]`;
  }

  private queueFor(key: string, request: RunRequest): Queue {
    let queue = this.queues.get(key);
    if (!queue) {
      const filter = request.outputFilter && request.outputFilter.length > 0 ? [...request.outputFilter] : undefined;
      queue = { key, signatureName: request.signatureName, outputFilter: filter, batches: [], queuedRows: 0 };
      this.queues.set(key, queue);
    }
    return queue;
  }

  private enqueue(
    queue: Queue, inputs: Readonly<Record<string, Tensor>>, rows: number, signal: AbortSignal | undefined,
    onBatched: ((batchSize: number) => void) | undefined,
  ): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      const task: Task = {
        inputs, rows, signal, onBatched, enqueuedAt: performance.now(), batch: undefined, running: undefined, settled: false,
        resolve, reject, onAbort: () => this.abortTask(task),
      };
      const limit = this.options.executionBatchSize;
      let batch = queue.batches.at(-1);
      if (!batch || batch.closed || batch.rows + rows > limit) {
        if (batch) batch.closed = true;
        batch = this.newBatch(queue);
      }
      batch.tasks.push(task);
      batch.rows += rows;
      if (batch.rows >= limit) batch.closed = true;
      task.batch = batch;
      queue.queuedRows += rows;
      this.queuedRows += rows;
      signal?.addEventListener('abort', task.onAbort, { once: true });
      this.schedulePump();
    });
  }

  private newBatch(queue: Queue): Batch {
    const batch: Batch = {
      queue, tasks: [], rows: 0, createdAt: performance.now(), closed: false, timedOut: false, timer: undefined,
    };
    const { dispatchWhenIdle, batchTimeoutMicros } = this.options;
    if (!dispatchWhenIdle && batchTimeoutMicros > 0) {
      batch.timer = setTimeout(() => {
        batch.timer = undefined;
        batch.timedOut = true;
        this.schedulePump();
      }, batchTimeoutMicros / 1000);
    }
    queue.batches.push(batch);
    return batch;
  }

  /** A queued task is removed from its batch; a running one is answered at once and may abort the merged run. */
  private abortTask(task: Task): void {
    if (task.settled || !task.signal) return;
    this.counters.cancellations++;
    const batch = task.batch;
    if (batch) {
      const i = batch.tasks.indexOf(task);
      if (i >= 0) batch.tasks.splice(i, 1);
      batch.rows -= task.rows;
      batch.queue.queuedRows -= task.rows;
      this.queuedRows -= task.rows;
      task.batch = undefined;
      if (batch.tasks.length === 0) this.dropBatch(batch);
    } else if (task.running && --task.running.remaining === 0) {
      task.running.controller?.abort(task.signal.reason);
    }
    this.settle(task, abortError(task.signal));
  }

  private dropBatch(batch: Batch): void {
    if (batch.timer !== undefined) clearTimeout(batch.timer);
    const q = batch.queue;
    const i = q.batches.indexOf(batch);
    if (i >= 0) q.batches.splice(i, 1);
    if (q.batches.length === 0 && this.queues.get(q.key) === q) this.queues.delete(q.key);
  }

  private settle(task: Task, outcome: RunResult | InferdError): void {
    if (task.settled) return;
    task.settled = true;
    task.signal?.removeEventListener('abort', task.onAbort);
    if (outcome instanceof InferdError) task.reject(outcome);
    else task.resolve(outcome);
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    const { numBatchThreads, dispatchWhenIdle, batchTimeoutMicros } = this.options;
    while (!this.closed && this.inFlight < numBatchThreads) {
      const now = performance.now();
      let best: Batch | undefined;
      for (const q of this.queues.values()) {
        const b = q.batches[0];
        if (!b) continue;
        const ready = dispatchWhenIdle || b.closed || b.timedOut || (now - b.createdAt) * 1000 >= batchTimeoutMicros;
        if (ready && (!best || b.createdAt < best.createdAt)) best = b;
      }
      if (!best) return;
      this.dispatch(best, now);
    }
  }

  private dispatch(batch: Batch, now: number): void {
    const { batchTimeoutMicros, dispatchWhenIdle, allowedBatchSizes } = this.options;
    const ageMicros = (now - batch.createdAt) * 1000;
    const reason: DispatchReason = batch.closed ? 'full'
      : batch.timedOut || (ageMicros >= batchTimeoutMicros && (batchTimeoutMicros > 0 || !dispatchWhenIdle)) ? 'timeout'
        : 'idle';
    this.dropBatch(batch);
    const q = batch.queue;
    q.queuedRows -= batch.rows;
    this.queuedRows -= batch.rows;
    const padded = paddedBatchSize(batch.rows, allowedBatchSizes);
    const lone = batch.tasks.length === 1 ? batch.tasks[0] : undefined;
    const allSignalled = batch.tasks.every((t) => t.signal !== undefined);
    const running: Running = {
      controller: lone ? undefined : new AbortController(), remaining: allSignalled ? batch.tasks.length : Infinity,
    };
    const delays = batch.tasks.map((t) => {
      t.batch = undefined;
      t.running = running;
      const d = Math.max(0, (now - t.enqueuedAt) * 1000);
      this.queueDelayHist.observe(d);
      if (t.onBatched) {
        try {
          t.onBatched(padded);
        } catch {
          // Observability never breaks serving.
        }
      }
      return d;
    });
    const c = this.counters;
    c.batches++;
    c.rows += batch.rows;
    c.paddedRows += padded - batch.rows;
    c.dispatch[reason]++;
    this.batchSizeHist.observe(padded);
    this.inFlight++;
    const job = {
      signatureName: q.signatureName, outputFilter: q.outputFilter, tasks: batch.tasks, rows: batch.rows, padded,
      signal: running.controller ? running.controller.signal : lone?.signal,
    };
    const run = runBatch(this.inner, job).then((result) => {
      // Bookkeeping and listeners first, so callers resuming on their answers see up-to-date stats.
      this.inFlight--;
      if (result.outcome === 'fallback') this.counters.fallbacks++;
      if (result.unbatchable) this.markUnbatchable(q.key);
      this.emit({
        signatureName: q.signatureName, tasks: batch.tasks.length, rows: batch.rows, paddedSize: padded, reason,
        taskRows: batch.tasks.map((t) => t.rows), queueDelaysMicros: delays, runMicros: (performance.now() - now) * 1000, outcome: result.outcome,
      });
      batch.tasks.forEach((t, i) => {
        const answer = result.answers[i];
        if (answer !== undefined) this.settle(t, answer);
      });
      this.schedulePump();
    });
    void this.track(run);
  }

  private markUnbatchable(key: string): void {
    if (this.unbatchable.size >= MAX_UNBATCHABLE_KEYS) return;
    this.unbatchable.add(key);
  }

  private emit(event: BatchEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // Observability never breaks serving.
      }
    }
  }
}

/** The error throwIfAborted would throw for this signal (CANCELLED, DEADLINE_EXCEEDED or the InferdError reason). */
function abortError(signal: AbortSignal): InferdError {
  try {
    throwIfAborted(signal);
  } catch (err) {
    return toInferdError(err);
  }
  return InferdError.cancelled();
}
