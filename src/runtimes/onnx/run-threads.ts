/**
 * ONNX run threads: one model version's sessions on worker threads, so onnxruntime-node's synchronous
 * `session.run` (it executes on the calling JS thread) never holds the event loop, and up to `threads` runs
 * proceed at once on different cores. Each thread owns its own InferenceSession of the same file: memory is the
 * model's weights (plus onnxruntime's arena) once per started thread. The first thread opens the session at load
 * (its session supplies the metadata and any load error); more open it only while every ready thread is busy, up to
 * `threads`. Scheduling is core/thread-pool.ts: a run goes to a ready thread with the fewest runs in flight; a
 * crashed thread fails its runs with INTERNAL and is replaced on demand.
 * Threads outlive versions: at release a thread closes its session and waits in the runtime's IdleThreads for the
 * next load. Starting an OS thread per load made RSS creep under reloads: glibc gives each new thread a malloc
 * arena, the freed session memory stays in it, and new threads kept adding arenas (+20% RSS over 40 load/unload
 * cycles of a 1.6 MB MLP, test/e2e/memory-cycles.test.ts); a reused thread reuses its own arena's free memory.
 */
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { InferdError } from '../../core/errors.ts';
import { threadEntry } from '../../core/thread-entry.ts';
import { type IdleThreads, ThreadPool } from '../../core/thread-pool.ts';
import type { FromRunThread, ToRunThread, WireTensor } from './run-thread.ts';

const ENTRY = threadEntry(new URL('./run-thread.ts', import.meta.url));

type Ready = Extract<FromRunThread, { type: 'ready' }>;
type RunAnswer = Extract<FromRunThread, { type: 'outputs' | 'error' }>;

/** The metadata the first thread's session reports. */
export interface SessionMetadata {
  readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[];
  readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[];
}

/** A session-shaped pool of run threads (the subset of InferenceSession that OnnxLoadedModel uses). */
export class RunThreads implements SessionMetadata {
  readonly #pool: ThreadPool<RunAnswer>;
  #closed = false;

  private constructor(pool: ThreadPool<RunAnswer>, readonly inputMetadata: SessionMetadata['inputMetadata'], readonly outputMetadata: SessionMetadata['outputMetadata']) {
    this.#pool = pool;
  }

  /**
   * Open the session on a first thread (an idle one from `idle` when there is one) and wait for it; rejects with
   * onnxruntime's load message. Without `idle`, release() ends the threads.
   */
  static async start(file: string, options: ort.InferenceSession.SessionOptions, threads: number, idle?: IdleThreads): Promise<RunThreads> {
    const { pool, ready } = await ThreadPool.start<Ready, RunAnswer>({
      name: 'ONNX run thread',
      max: threads,
      open: { type: 'open', file, options } satisfies ToRunThread,
      spawn: () => new Worker(ENTRY.filename, { argv: [...ENTRY.argv] }),
      ...(idle ? { idle } : {}),
    });
    return new RunThreads(pool, ready.inputMetadata, ready.outputMetadata);
  }

  /** Run on a thread; resolves with onnxruntime tensors built over the transferred output data. */
  async run(feeds: Record<string, ort.Tensor>, fetches: readonly string[]): Promise<Record<string, ort.OnnxValue>> {
    if (this.#closed) throw InferdError.unavailable('The ONNX session has been released');
    const wire: Record<string, WireTensor> = {};
    for (const [name, t] of Object.entries(feeds)) wire[name] = { type: t.type, data: exact(t.data), dims: t.dims };
    const answer = await this.#pool.submit((id) => ({ type: 'run', id, feeds: wire, fetches }) satisfies ToRunThread);
    if (answer.type === 'error') throw new Error(answer.message);
    const result: Record<string, ort.OnnxValue> = {};
    for (const [name, t] of Object.entries(answer.outputs)) {
      if (t !== null) result[name] = new ort.Tensor(t.type, t.data as never, t.dims);
    }
    return result;
  }

  /** Close every thread's session; the threads go back to the idle set (or end). Call once no run is in flight. */
  async release(): Promise<void> {
    this.#closed = true;
    await this.#pool.close();
  }

  /** Threads started so far (alive), for tests and metrics. */
  get threadCount(): number {
    return this.#pool.threadCount;
  }
}

/** The data as a typed array that owns exactly its bytes, so posting it copies no neighbouring bytes of a larger buffer. */
function exact(data: ort.Tensor.DataType): ort.Tensor.DataType {
  if (!ArrayBuffer.isView(data)) return data; // string[]
  const view = data as unknown as { buffer: ArrayBufferLike; byteLength: number; slice(): ort.Tensor.DataType };
  return view.byteLength === view.buffer.byteLength ? data : view.slice();
}
