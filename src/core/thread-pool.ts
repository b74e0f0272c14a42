/**
 * One model version's worker threads, scheduled: the part every "run it off the event loop" pool shares. The first
 * thread opens the model at once and its answer (`ready` with the model's description, or `failed`) is the load's
 * answer; more threads open it only while every ready one is busy, up to `max`. A job goes to a ready thread with the
 * fewest jobs in flight. A thread that crashes or exits fails its jobs with INTERNAL and is replaced on demand.
 * close() lets jobs in flight finish, then closes the model on every thread and hands the threads to `idle` (the
 * next load reuses them instead of starting OS threads: a new thread per load costs its start-up, e.g. importing
 * tfjs, and a glibc malloc arena) or ends them.
 * Core does no I/O: the caller's `spawn` starts a thread (node's `Worker` is a PoolThread) and the thread's own
 * module defines what the messages mean. Protocol, per thread: the pool posts `open`; the thread answers
 * `{type: 'ready', ...}` or `{type: 'failed', code?, message}`; then exactly one reply `{id, ...}` per job posted
 * with that id; `{type: 'close'}` frees the model and is answered `{type: 'closed'}`, after which the thread waits
 * for its next `open`.
 */
import { type Code, InferdError } from './errors.ts';

/** What the pool needs of a thread (structurally, node:worker_threads' Worker). */
export interface PoolThread {
  postMessage(message: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'exit', listener: (code: number) => void): unknown;
  removeAllListeners(event: 'message' | 'error' | 'exit'): unknown;
  /** Keep the process alive while a job is in flight; unref while idle. */
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}

/** A thread's answer to `open`. */
export type OpenAnswer = { readonly type: 'ready' } | { readonly type: 'failed'; readonly code?: string; readonly message: string };

/** Options of ThreadPool.start. */
export interface ThreadPoolOptions {
  /** Names the threads in errors, e.g. 'TF.js run thread'. */
  readonly name: string;
  /** Threads at most (values below 1 count as 1). */
  readonly max: number;
  /** The message that opens the model on a thread. */
  readonly open: unknown;
  /** Start a thread (with no model open). */
  readonly spawn: () => PoolThread;
  /** Where threads come from first and go back to at close; without it close() ends them. */
  readonly idle?: IdleThreads;
}

interface Job {
  resolve(reply: unknown): void;
  reject(err: Error): void;
}

interface Slot {
  readonly thread: PoolThread;
  readonly jobs: Map<number, Job>;
  ready: boolean;
  /** Serving this version: open or opening, not retired, not dead. */
  alive: boolean;
  /** The thread has ended (crash, exit or terminate). */
  exited: boolean;
}

const CLOSE_GRACE_MS = 5_000;

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
   * Open the model on a first thread (an idle one when there is one) and wait for its answer. Rejects with the
   * thread's `failed` error (its code, default INTERNAL), the thread then going back idle, or with INTERNAL when the
   * thread dies first.
   */
  static async start<R extends { readonly type: 'ready' }, P extends { readonly id: number }>(options: ThreadPoolOptions): Promise<{ pool: ThreadPool<P>; ready: R }> {
    const { slot, opened } = openSlot(options);
    let ready: R;
    try {
      ready = (await opened) as R;
    } catch (err) {
      await retire(slot, options);
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

  /** Threads alive (open or opening), for tests and metrics. */
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

  /** Refuse new jobs, wait for the ones in flight to settle, then close the model on every thread. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inflight]);
      await Promise.all(this.#slots.filter((s) => s.alive).map((s) => retire(s, this.#options)));
    })();
    return this.#closing;
  }

  /** A ready thread with the fewest jobs; opens another while all are busy and fewer than `max` live. */
  #pick(): Slot {
    const live = this.#slots.filter((s) => s.alive);
    const ready = live.filter((s) => s.ready);
    const idle = ready.find((s) => s.jobs.size === 0);
    if (idle) return idle;
    if (live.length < this.#max && live.every((s) => s.ready)) {
      const { slot, opened } = openSlot(this.#options);
      this.#slots.push(slot);
      this.#watch(slot);
      // A failed open leaves a job-less thread useless to this version: it goes back idle; its jobs fail INTERNAL.
      opened.catch((err: unknown) => {
        const jobs = [...slot.jobs.values()];
        slot.jobs.clear();
        for (const job of jobs) job.reject(InferdError.internal(`${this.#options.name} could not open the model: ${err instanceof Error ? err.message : String(err)}`));
        void retire(slot, this.#options);
      });
      if (ready.length === 0) return slot; // nothing else can take it: the job waits for this thread's open
    }
    if (ready.length === 0) return live[0] as Slot; // every live thread is still opening
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

/**
 * Threads with no model open, kept for the next load so that a load does not start an OS thread. Holds at most
 * `max` (each an idle isolate); a thread that dies while idle is dropped, never handed out. close() ends them.
 * One per runtime.
 */
export class IdleThreads {
  readonly #threads: PoolThread[] = [];
  readonly #max: number;
  #closed = false;

  /** Keep at most `max` idle threads. */
  constructor(max: number) {
    this.#max = Math.max(0, Math.floor(max));
  }

  /** An idle thread with its listeners removed, if any. */
  take(): PoolThread | undefined {
    const thread = this.#threads.pop();
    if (thread) for (const event of ['error', 'exit'] as const) thread.removeAllListeners(event);
    return thread;
  }

  /** Keep `thread` (its model closed, its listeners removed), or end it when closed or full. */
  async keep(thread: PoolThread): Promise<void> {
    if (this.#closed || this.#threads.length >= this.#max) {
      await thread.terminate();
      return;
    }
    thread.unref();
    this.#threads.push(thread);
    const drop = (): void => {
      const i = this.#threads.indexOf(thread);
      if (i >= 0) this.#threads.splice(i, 1);
    };
    thread.on('exit', drop);
    thread.on('error', drop);
  }

  /** Idle threads now, for tests. */
  get size(): number {
    return this.#threads.length;
  }

  /** End every idle thread; later keep() calls end theirs. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.splice(0).map((t) => t.terminate()));
  }
}

/** Open the model on a thread (an idle one first); `opened` settles with the thread's answer. */
function openSlot(options: ThreadPoolOptions): { slot: Slot; opened: Promise<unknown> } {
  const thread = options.idle?.take() ?? options.spawn();
  thread.unref();
  const slot: Slot = { thread, jobs: new Map(), ready: false, alive: true, exited: false };
  const opened = new Promise<unknown>((resolve, reject) => {
    let settled = false;
    thread.on('message', (m) => {
      if (settled) return;
      const answer = m as OpenAnswer;
      if (answer.type === 'ready') {
        slot.ready = true;
        settled = true;
        resolve(m);
      } else if (answer.type === 'failed') {
        slot.alive = false;
        settled = true;
        reject(new InferdError((answer.code ?? 'INTERNAL') as Exclude<Code, 'OK'>, answer.message));
      }
    });
    const fail = (why: string): void => {
      slot.exited = true;
      if (settled) return;
      slot.alive = false;
      settled = true;
      reject(InferdError.internal(`${options.name} ${why}`));
    };
    thread.on('error', (e) => fail(`crashed: ${e.message}`));
    thread.on('exit', (code) => fail(`exited with code ${code} before the model was open`));
  });
  thread.postMessage(options.open);
  return { slot, opened };
}

/**
 * Close the model on the slot's thread and hand the thread to `idle`; end it instead when there is no idle set or
 * it does not answer the close within CLOSE_GRACE_MS.
 */
async function retire(slot: Slot, options: ThreadPoolOptions): Promise<void> {
  slot.alive = false;
  if (slot.exited) return;
  const { thread } = slot;
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), CLOSE_GRACE_MS);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      resolve(ok);
    };
    thread.on('message', (m) => (m as { type?: unknown }).type === 'closed' && done(true));
    thread.on('exit', () => done(false));
    thread.on('error', () => done(false));
    thread.postMessage({ type: 'close' });
  });
  for (const event of ['message', 'error', 'exit'] as const) thread.removeAllListeners(event);
  if (closed && options.idle) await options.idle.keep(thread);
  else await thread.terminate();
}
