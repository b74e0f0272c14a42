/**
 * A pool of worker threads running one loaded version: each worker owns its own tfjs engine and GraphModels
 * (tfjs-backend-wasm is single-threaded, so the pool is how a version uses several cores). Weight bytes are copied
 * once into SharedArrayBuffers and shared by all workers' startup messages. Requests go to the worker with the
 * fewest in flight. close() waits for in-flight requests, then terminates the workers.
 */
import { Worker } from 'node:worker_threads';
import { InferdError, throwIfAborted } from '../../core/errors.ts';
import { threadEntry } from '../../core/thread-entry.ts';
import type { Executor, RunRequest, RunResult } from '../../core/runtime.ts';
import type { Tensor } from '../../core/tensor.ts';
import type { BackendName } from './backend.ts';
import type { FlatModel } from './flatten.ts';
import type { FromWorker, ToWorker, WorkerInit } from './worker.ts';

/** Options of WorkerPool.create. */
export interface WorkerPoolOptions {
  /** Number of worker threads (≥ 1). */
  readonly size: number;
  /** tfjs backend each worker initializes. */
  readonly backend: BackendName;
  /** The model every worker builds. */
  readonly flat: FlatModel;
}

interface Pending {
  resolve(r: RunResult): void;
  reject(e: unknown): void;
}

interface Slot {
  worker: Worker;
  inFlight: Map<number, Pending>;
  alive: boolean;
  started: boolean;
  onStart?: (err?: unknown) => void;
}

function shareWeights(flat: FlatModel): FlatModel {
  const weights: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(flat.weights)) {
    if (Array.isArray(t.data)) {
      weights[name] = t;
      continue;
    }
    const src = t.data as unknown as { byteLength: number; buffer: ArrayBufferLike; byteOffset: number; constructor: new (b: ArrayBufferLike, o: number, n: number) => typeof t.data; length: number };
    const sab = new SharedArrayBuffer(src.byteLength);
    new Uint8Array(sab).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
    weights[name] = { ...t, data: new src.constructor(sab, 0, src.length) } as Tensor;
  }
  return { ...flat, weights };
}

const ENTRY = threadEntry(new URL('./worker.ts', import.meta.url));

/** Runs requests on worker threads. */
export class WorkerPool implements Executor {
  private nextId = 1;
  private closing = false;

  private constructor(private readonly slots: Slot[]) {}

  /** Start `size` workers and wait until each has built the model (or one fails: then all are stopped). */
  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    const size = Math.max(1, options.size);
    const init: WorkerInit = { backend: options.backend, flat: shareWeights(options.flat) };
    const slots: Slot[] = [];
    const starts: Promise<void>[] = [];
    for (let i = 0; i < size; i++) {
      const worker = new Worker(ENTRY.filename, { argv: [...ENTRY.argv], workerData: init });
      const slot: Slot = { worker, inFlight: new Map(), alive: true, started: false };
      slots.push(slot);
      starts.push(new Promise<void>((resolve, reject) => {
        slot.onStart = (err) => (err ? reject(err) : resolve());
      }));
      WorkerPool.attach(slot);
    }
    const pool = new WorkerPool(slots);
    try {
      await Promise.all(starts);
    } catch (err) {
      await Promise.all(slots.map((s) => s.worker.terminate()));
      throw err;
    }
    return pool;
  }

  private static attach(slot: Slot): void {
    slot.worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') {
        slot.started = true;
        slot.onStart?.();
        return;
      }
      if (m.type === 'error' && m.id === undefined) {
        slot.onStart?.(new InferdError(m.code as InferdError['code'], m.message));
        return;
      }
      const p = m.id === undefined ? undefined : slot.inFlight.get(m.id);
      if (!p || m.id === undefined) return;
      slot.inFlight.delete(m.id);
      if (m.type === 'result') p.resolve(m.outputs);
      else p.reject(new InferdError(m.code as InferdError['code'], m.message));
    });
    const die = (why: string, cause?: unknown): void => {
      slot.alive = false;
      if (!slot.started) slot.onStart?.(InferdError.internal(`SavedModel worker ${why}`, cause));
      for (const p of slot.inFlight.values()) p.reject(InferdError.internal(`SavedModel worker ${why}`, cause));
      slot.inFlight.clear();
    };
    slot.worker.on('error', (e) => die(`crashed: ${e.message}`, e));
    slot.worker.on('exit', (code) => die(`exited (code ${code})`));
  }

  /** Number of live workers. */
  get size(): number {
    return this.slots.filter((s) => s.alive).length;
  }

  run(request: RunRequest): Promise<RunResult> {
    throwIfAborted(request.signal);
    if (this.closing) return Promise.reject(InferdError.unavailable('Model version is unloading'));
    const live = this.slots.filter((s) => s.alive);
    if (live.length === 0) return Promise.reject(InferdError.unavailable('No SavedModel worker is running for this version'));
    const slot = live.reduce((a, b) => (b.inFlight.size < a.inFlight.size ? b : a));
    const id = this.nextId++;
    return new Promise<RunResult>((resolve, reject) => {
      const signal = request.signal;
      const onAbort = (): void => {
        slot.inFlight.delete(id);
        try {
          throwIfAborted(signal);
        } catch (e) {
          reject(e);
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      slot.inFlight.set(id, { resolve: (r) => { done(); resolve(r); }, reject: (e) => { done(); reject(e); } });
      const msg: ToWorker = {
        type: 'run',
        id,
        request: { signatureName: request.signatureName, inputs: request.inputs, outputFilter: request.outputFilter },
      };
      slot.worker.postMessage(msg);
    });
  }

  /** Wait for in-flight requests (at most `graceMs`), then terminate every worker. Idempotent. */
  async close(graceMs = 10_000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const deadline = Date.now() + graceMs;
    while (this.slots.some((s) => s.alive && s.inFlight.size > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all(this.slots.map(async (s) => {
      s.alive = false;
      for (const p of s.inFlight.values()) p.reject(InferdError.unavailable('Model version unloaded'));
      s.inFlight.clear();
      await s.worker.terminate();
    }));
  }
}
