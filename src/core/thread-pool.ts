/**
 * One model version's worker threads, scheduled: the part every "run it off the event loop" pool shares. The first
 * thread starts at once and its startup answer (`ready` with the model's description, or `failed`) is the load's
 * answer; more threads start only while every ready one is busy, up to `max`. A job goes to a ready thread with the
 * fewest jobs in flight. A thread that crashes or exits fails its jobs with INTERNAL and is replaced on demand.
 * close() lets jobs in flight finish, then terminates every thread.
 * Core does no I/O: the caller's `spawn` starts the thread (node's `Worker` is a PoolThread) and the thread's own
 * module defines what the messages mean. Protocol: the thread's first message is `{type: 'ready', ...}` or
 * `{type: 'failed', code?, message}`; then exactly one reply `{id, ...}` per job posted with that id.
 */
import { type Code, InferdError } from './errors.ts';

/** What the pool needs of a thread (structurally, node:worker_threads' Worker). */
export interface PoolThread {
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  /** Keep the process alive while a job is in flight; unref while idle. */
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

/** A thread's first message: its startup answer. */
export type StartupMessage = { readonly type: 'ready' } | { readonly type: 'failed'; readonly code?: string; readonly message: string };

/** Options of ThreadPool.start. */
export interface ThreadPoolOptions {
  /** Names the threads in errors, e.g. 'TF.js run thread'. */
  readonly name: string;
  /** Threads at most (values below 1 count as 1). */
  readonly max: number;
  /** Start one thread. */
  readonly spawn: () => PoolThread;
}

interface Job {
  resolve(reply: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  readonly thread: PoolThread;
  readonly jobs: Map<number, Job>;
  ready: boolean;
  alive: boolean;
}

/** Worker threads for one loaded model; `Reply` is a job's answer. */
export class ThreadPool<Reply extends { readonly id: number }> {
  readonly #options: ThreadPoolOptions;
  readonly #max: number;
  readonly #slots: Slot[] = [];
  readonly #inflight = new Set<Promise<unknown>>();
  #nextId = 1;
  #closing: Promise<void> | undefined;

  private constructor(options: ThreadPoolOptions, first: Slot) {
    this.#options = options;
    this.#max = Math.max(1, Math.floor(options.max));
    this.#slots.push(first);
  }

  /**
   * Start the first thread and wait for its startup answer. Rejects with the thread's `failed` error (its code,
   * default INTERNAL) or with INTERNAL when it crashes first; the thread is then terminated.
   */
  static async start<R extends { readonly type: 'ready' }, P extends { readonly id: number }>(options: ThreadPoolOptions): Promise<{ pool: ThreadPool<P>; ready: R }> {
    const { slot, started } = spawnSlot(options);
    let ready: R;
    try {
      ready = (await started) as R;
    } catch (err) {
      await slot.thread.terminate();
      throw err;
    }
    const pool = new ThreadPool<P>(options, slot);
    pool.#watch(slot);
    return { pool, ready };
  }

  /**
   * Post the job `message(id)` (its `transfer` buffers move to the thread) and resolve with the thread's reply.
   * Rejects UNAVAILABLE once close() began, INTERNAL when the thread dies first.
   */
  submit(message: (id: number) => unknown, transfer: readonly ArrayBuffer[] = []): Promise<Reply> {
    if (this.#closing) return Promise.reject(InferdError.unavailable(`${this.#options.name}s are closed`));
    const slot = this.#pick();
    const id = this.#nextId++;
    const reply = new Promise<Reply>((resolve, reject) => {
      slot.jobs.set(id, { resolve: resolve as (reply: unknown) => void, reject });
      slot.thread.ref();
      try {
        slot.thread.postMessage(message(id), transfer);
      } catch (err) {
        slot.jobs.delete(id); // e.g. a value the structured clone cannot copy
        if (slot.jobs.size === 0) slot.thread.unref();
        reject(InferdError.internal(`${this.#options.name}: the job could not be posted: ${err instanceof Error ? err.message : String(err)}`));
      }
    });
    this.#inflight.add(reply);
    const untrack = (): void => void this.#inflight.delete(reply);
    reply.then(untrack, untrack);
    return reply;
  }

  /** Threads alive (started or starting), for tests and metrics. */
  get threadCount(): number {
    return this.#slots.filter((s) => s.alive).length;
  }

  /** Jobs in flight across all threads. */
  get jobCount(): number {
    return this.#inflight.size;
  }

  /** The live threads, for tests (e.g. to end one as a crash would). */
  get threads(): readonly PoolThread[] {
    return this.#slots.filter((s) => s.alive).map((s) => s.thread);
  }

  /** Refuse new jobs, wait for the ones in flight to settle, then terminate every thread. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inflight]);
      await Promise.all(this.#slots.map(async (s) => {
        s.alive = false;
        await s.thread.terminate();
      }));
    })();
    return this.#closing;
  }

  /** A ready thread with the fewest jobs; starts another while all are busy and fewer than `max` live. */
  #pick(): Slot {
    const live = this.#slots.filter((s) => s.alive);
    const ready = live.filter((s) => s.ready);
    const idle = ready.find((s) => s.jobs.size === 0);
    if (idle) return idle;
    if (live.length < this.#max && live.every((s) => s.ready)) {
      const { slot, started } = spawnSlot(this.#options);
      this.#slots.push(slot);
      this.#watch(slot);
      started.catch(() => undefined); // a failed start ends the thread: 'exit' fails its jobs
      if (ready.length === 0) return slot; // nothing else can take it: the job waits for this thread's startup
    }
    if (ready.length === 0) return live[0] as Slot; // every live thread is still starting
    return ready.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
  }

  #watch(slot: Slot): void {
    slot.thread.on('message', (m) => {
      const id = (m as { id?: unknown }).id;
      if (typeof id !== 'number') return;
      const job = slot.jobs.get(id);
      slot.jobs.delete(id);
      if (slot.jobs.size === 0) slot.thread.unref();
      job?.resolve(m);
    });
    const die = (why: string): void => {
      slot.alive = false;
      const jobs = [...slot.jobs.values()];
      slot.jobs.clear();
      for (const job of jobs) job.reject(InferdError.internal(`${this.#options.name} ${why}`));
    };
    slot.thread.on('error', (e) => die(`crashed: ${e.message}`));
    slot.thread.on('exit', (code) => {
      if (slot.alive || slot.jobs.size > 0) die(`exited with code ${code}`);
    });
  }
}

/** Start a thread; `started` settles with its startup answer. */
function spawnSlot(options: ThreadPoolOptions): { slot: Slot; started: Promise<unknown> } {
  const thread = options.spawn();
  thread.unref();
  const slot: Slot = { thread, jobs: new Map(), ready: false, alive: true };
  const started = new Promise<unknown>((resolve, reject) => {
    let settled = false;
    thread.on('message', (m) => {
      if (settled) return;
      const startup = m as StartupMessage;
      if (startup.type === 'ready') {
        slot.ready = true;
        settled = true;
        resolve(m);
      } else if (startup.type === 'failed') {
        slot.alive = false;
        settled = true;
        reject(new InferdError((startup.code ?? 'INTERNAL') as Exclude<Code, 'OK'>, startup.message));
      }
    });
    const fail = (why: string): void => {
      if (settled) return;
      slot.alive = false;
      settled = true;
      reject(InferdError.internal(`${options.name} ${why}`));
    };
    thread.on('error', (e) => fail(`crashed: ${e.message}`));
    thread.on('exit', (code) => fail(`exited with code ${code} before it was ready`));
  });
  return { slot, started };
}
