/**
 * ONNX run threads: one model version's sessions on worker threads, so onnxruntime-node's synchronous
 * `session.run` (it executes on the calling JS thread) never holds the event loop, and up to `threads` runs
 * proceed at once on different cores. Each thread owns its own InferenceSession of the same file: memory is the
 * model's weights (plus onnxruntime's arena) once per started thread. The first thread starts at load (its session
 * supplies the metadata and any load error); more start only while every ready thread is busy, up to `threads`.
 * Concurrency: a run goes to a ready thread with the fewest runs in flight. A crashed thread fails its runs with
 * INTERNAL and is replaced on demand.
 * Threads outlive versions: at release a thread closes its session and waits in IdleRunThreads for the next load.
 * Starting an OS thread per load made RSS creep under reloads: glibc gives each new thread a malloc arena, the
 * freed session memory stays in it, and new threads kept adding arenas (+20% RSS over 40 load/unload cycles of a
 * 1.6 MB MLP, test/e2e/memory-cycles.test.ts); a reused thread reuses its own arena's free memory.
 */
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { InferdError } from '../../core/errors.ts';
import { threadEntry } from '../../core/thread-entry.ts';
import type { FromRunThread, ToRunThread, WireTensor } from './run-thread.ts';

const ENTRY = threadEntry(new URL('./run-thread.ts', import.meta.url));

type OpenJob = Extract<ToRunThread, { type: 'open' }>;

interface Job {
  resolve(outputs: Record<string, WireTensor | null>): void;
  reject(err: Error): void;
}

interface Slot {
  readonly worker: Worker;
  readonly jobs: Map<number, Job>;
  ready: boolean;
  alive: boolean;
}

/** The metadata the first thread's session reports. */
export interface SessionMetadata {
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
}

/** A session-shaped pool of run threads (the subset of InferenceSession that OnnxLoadedModel uses). */
export class RunThreads implements SessionMetadata {
  readonly #open: OpenJob;
  readonly #idle: IdleRunThreads | undefined;
  readonly #max: number;
  readonly #slots: Slot[] = [];
  #nextId = 1;
  #closed = false;

  private constructor(open: OpenJob, idle: IdleRunThreads | undefined, max: number, readonly inputMetadata: SessionMetadata['inputMetadata'], readonly outputMetadata: SessionMetadata['outputMetadata'], first: Slot) {
    this.#open = open;
    this.#idle = idle;
    this.#max = max;
    this.#slots.push(first);
  }

  /**
   * Open the session on a first thread (an idle one from `idle` when there is one) and wait for it; rejects with
   * onnxruntime's load message. Without `idle`, release() ends the threads.
   */
  static async start(file: string, options: ort.InferenceSession.SessionOptions, threads: number, idle?: IdleRunThreads): Promise<RunThreads> {
    const open = { type: 'open', file, options } as const;
    const { slot, ready } = RunThreads.#spawn(open, idle);
    let meta: SessionMetadata;
    try {
      meta = await ready;
    } catch (err) {
      await retire(slot.worker, idle);
      throw err;
    }
    const pool = new RunThreads(open, idle, Math.max(1, threads), meta.inputMetadata, meta.outputMetadata, slot);
    pool.#watch(slot);
    return pool;
  }

  /** Run on a thread; resolves with onnxruntime tensors built over the transferred output data. */
  async run(feeds: Record<string, ort.Tensor>, fetches: readonly string[]): Promise<Record<string, ort.OnnxValue>> {
    if (this.#closed) throw InferdError.unavailable('The ONNX session has been released');
    const wire: Record<string, WireTensor> = {};
    for (const [name, t] of Object.entries(feeds)) wire[name] = { type: t.type, data: exact(t.data), dims: t.dims };
    const slot = this.#pick();
    const id = this.#nextId++;
    const outputs = await new Promise<Record<string, WireTensor | null>>((resolve, reject) => {
      slot.jobs.set(id, { resolve, reject });
      slot.worker.ref(); // keep the process alive while a run is in flight
      slot.worker.postMessage({ type: 'run', id, feeds: wire, fetches } satisfies ToRunThread);
    });
    const result: Record<string, ort.OnnxValue> = {};
    for (const [name, t] of Object.entries(outputs)) {
      if (t !== null) result[name] = new ort.Tensor(t.type, t.data as never, t.dims);
    }
    return result;
  }

  /** Close every thread's session; the threads go back to the idle set (or end). Call once no run is in flight. */
  async release(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.filter((s) => s.alive).map((s) => retire(s.worker, this.#idle)));
  }

  /** Threads started so far (alive), for tests and metrics. */
  get threadCount(): number {
    return this.#slots.filter((s) => s.alive).length;
  }

  /** A ready thread with the fewest runs in flight; starts another while all are busy and fewer than the maximum live. */
  #pick(): Slot {
    const live = this.#slots.filter((s) => s.alive);
    const ready = live.filter((s) => s.ready);
    const idle = ready.find((s) => s.jobs.size === 0);
    if (idle) return idle;
    if (live.length < this.#max && live.every((s) => s.ready)) {
      const { slot, ready: started } = RunThreads.#spawn(this.#open, this.#idle);
      this.#slots.push(slot);
      this.#watch(slot);
      started.then(() => (slot.ready = true), () => (slot.alive = false));
      if (ready.length === 0) return slot; // nothing else can take it: the run waits for this thread's session
    }
    if (ready.length === 0) return live[0]!; // every live thread is still loading
    return ready.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
  }

  static #spawn(open: OpenJob, idle: IdleRunThreads | undefined): { slot: Slot; ready: Promise<SessionMetadata> } {
    const worker = idle?.take() ?? newThread();
    const slot: Slot = { worker, jobs: new Map(), ready: false, alive: true };
    const ready = new Promise<SessionMetadata>((resolve, reject) => {
      const onMessage = (m: FromRunThread): void => {
        if (m.type === 'ready') {
          slot.ready = true;
          resolve(m);
        } else if (m.type === 'failed') {
          slot.alive = false;
          reject(new Error(m.message));
        } else return;
        worker.off('message', onMessage);
        worker.off('error', onError);
      };
      const onError = (e: Error): void => {
        slot.alive = false;
        reject(e);
      };
      worker.on('message', onMessage);
      worker.once('error', onError);
    });
    worker.postMessage(open satisfies ToRunThread);
    return { slot, ready };
  }

  #watch(slot: Slot): void {
    slot.worker.on('message', (m: FromRunThread) => {
      if (m.type !== 'outputs' && m.type !== 'error') return;
      const job = slot.jobs.get(m.id);
      slot.jobs.delete(m.id);
      if (slot.jobs.size === 0) slot.worker.unref();
      if (m.type === 'outputs') job?.resolve(m.outputs);
      else job?.reject(new Error(m.message));
    });
    const die = (why: string): void => {
      slot.alive = false;
      for (const job of slot.jobs.values()) job.reject(InferdError.internal(`ONNX run thread ${why}`));
      slot.jobs.clear();
    };
    slot.worker.on('error', (e) => die(`crashed: ${e.message}`));
    slot.worker.on('exit', (code) => {
      if (slot.alive || slot.jobs.size > 0) die(`exited with code ${code}`);
    });
  }
}

/**
 * Run threads without a session, kept for the next load so that a load does not start an OS thread (see the file
 * comment). Holds at most `max` threads (each an idle V8 isolate); close() ends them. One per OnnxRuntime.
 */
export class IdleRunThreads {
  readonly #threads: Worker[] = [];
  readonly #max: number;
  #closed = false;

  /** Keep at most `max` idle threads. */
  constructor(max: number) {
    this.#max = max;
  }

  /** An idle thread, if any (the caller sends it an open). */
  take(): Worker | undefined {
    const worker = this.#threads.pop();
    for (const event of ['error', 'exit']) worker?.removeAllListeners(event);
    return worker;
  }

  /** Keep `worker` (its session closed, its listeners removed), or end it when closed or full. */
  async keep(worker: Worker): Promise<void> {
    if (this.#closed || this.#threads.length >= this.#max) {
      await worker.terminate();
      return;
    }
    worker.unref();
    this.#threads.push(worker);
    const drop = (): void => {
      const i = this.#threads.indexOf(worker);
      if (i >= 0) this.#threads.splice(i, 1);
    };
    worker.once('exit', drop);
    worker.once('error', drop); // a crashed idle thread is dropped, never handed out
  }

  /** Idle threads now, for tests. */
  get size(): number {
    return this.#threads.length;
  }

  /** End every idle thread; later keep() calls end theirs. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#threads.splice(0).map((w) => w.terminate()));
  }
}

function newThread(): Worker {
  const worker = new Worker(ENTRY.filename, { argv: [...ENTRY.argv] });
  worker.unref();
  return worker;
}

/**
 * Close the thread's session and hand the thread to `idle`; end it instead when there is no idle set or it does
 * not answer the close within 5 s.
 */
async function retire(worker: Worker, idle: IdleRunThreads | undefined): Promise<void> {
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5_000);
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      resolve(ok);
    };
    worker.on('message', (m: FromRunThread) => m.type === 'closed' && done(true));
    worker.once('exit', () => done(false));
    worker.once('error', () => done(false));
    worker.postMessage({ type: 'close' } satisfies ToRunThread);
  });
  for (const event of ['message', 'error', 'exit']) worker.removeAllListeners(event);
  if (closed && idle) await idle.keep(worker);
  else await worker.terminate();
}

/** The data as a typed array that owns exactly its bytes, so posting it copies no neighbouring bytes of a larger buffer. */
function exact(data: ort.Tensor.DataType): ort.Tensor.DataType {
  if (!ArrayBuffer.isView(data)) return data; // string[]
  const view = data as unknown as { buffer: ArrayBufferLike; byteLength: number; slice(): ort.Tensor.DataType };
  return view.byteLength === view.buffer.byteLength ? data : view.slice();
}
