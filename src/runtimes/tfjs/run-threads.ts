/**
 * TF.js run threads: one model version on worker threads (core/thread-pool.ts schedules them), so a run's
 * JavaScript kernels never hold the event loop and up to `threads` runs of the version proceed at once on different
 * cores. Each started thread builds its own copy of the model: memory is the weights once per started thread (the
 * first starts at load; more only while every ready one is busy). Inputs are copied to the thread, outputs come
 * back transferred. A crashed thread fails its runs with INTERNAL and is replaced on the next run. Threads outlive
 * versions: at unload each closes its model and waits in the runtime's IdleThreads for the next load (starting a
 * thread imports tfjs into it: ~0.3 s on an idle core, seconds on a loaded one).
 */
import { Worker } from 'node:worker_threads';
import { InferdError } from '../../core/errors.ts';
import type { RunResult } from '../../core/runtime.ts';
import type { Signature } from '../../core/signature.ts';
import type { Tensor } from '../../core/tensor.ts';
import { threadEntry } from '../../core/thread-entry.ts';
import { type IdleThreads, ThreadPool } from '../../core/thread-pool.ts';
import type { RunReply, RunThreadData, RunThreadStartup, ToRunThread } from './run-thread.ts';

const ENTRY = threadEntry(new URL('./run-thread.ts', import.meta.url));

type Ready = Extract<RunThreadStartup, { type: 'ready' }>;

/** Runs a TF.js model version on worker threads. */
export class TfjsRunThreads {
  /** The signature the first thread's model reports. */
  readonly signature: Signature;
  /** The scheduler, exposed for tests (thread count, ending a thread). */
  readonly pool: ThreadPool<RunReply>;

  private constructor(pool: ThreadPool<RunReply>, signature: Signature) {
    this.pool = pool;
    this.signature = signature;
  }

  /**
   * Open the model on a first thread (an idle one from `idle` when there is one) and wait for it; rejects with the
   * load error (the thread's code and message). close() hands the threads back to `idle`.
   */
  static async start(data: RunThreadData, threads: number, idle: IdleThreads): Promise<TfjsRunThreads> {
    const { pool, ready } = await ThreadPool.start<Ready, RunReply>({
      name: 'TF.js run thread',
      max: threads,
      open: { type: 'open', data } satisfies ToRunThread,
      spawn: () => new Worker(ENTRY.filename, { argv: [...ENTRY.argv] }),
      idle,
    });
    return new TfjsRunThreads(pool, ready.signature);
  }

  /** Run on a thread; errors carry the thread's code and message. */
  async execute(inputs: Readonly<Record<string, Tensor>>, wanted: readonly string[]): Promise<RunResult> {
    const reply = await this.pool.submit((id) => ({ type: 'run', id, inputs, wanted }) satisfies ToRunThread);
    if ('outputs' in reply) return reply.outputs;
    throw new InferdError(reply.code as InferdError['code'], reply.message);
  }

  /** Let runs in flight finish, then close the model on every thread; the threads go idle (or end). */
  close(): Promise<void> {
    return this.pool.close();
  }
}
