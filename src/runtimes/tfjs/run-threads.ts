/**
 * TF.js run threads: one model version on worker threads (core/thread-pool.ts schedules them), so a run's
 * JavaScript kernels never hold the event loop and up to `threads` runs of the version proceed at once on different
 * cores. Each started thread builds its own copy of the model: memory is the weights once per started thread (the
 * first starts at load; more only while every ready one is busy). Inputs are copied to the thread, outputs come
 * back transferred. A crashed thread fails its runs with INTERNAL and is replaced on the next run.
 */
import { Worker } from 'node:worker_threads';
import { InferdError } from '../../core/errors.ts';
import type { RunResult } from '../../core/runtime.ts';
import type { Signature } from '../../core/signature.ts';
import type { Tensor } from '../../core/tensor.ts';
import { threadEntry } from '../../core/thread-entry.ts';
import { ThreadPool } from '../../core/thread-pool.ts';
import type { RunJob, RunReply, RunThreadData, RunThreadStartup } from './run-thread.ts';

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

  /** Start the first thread and wait for its model; rejects with the load error (the thread's code and message). */
  static async start(data: RunThreadData, threads: number): Promise<TfjsRunThreads> {
    const { pool, ready } = await ThreadPool.start<Ready, RunReply>({
      name: 'TF.js run thread',
      max: threads,
      spawn: () => new Worker(ENTRY.filename, { argv: [...ENTRY.argv], workerData: data }),
    });
    return new TfjsRunThreads(pool, ready.signature);
  }

  /** Run on a thread; errors carry the thread's code and message. */
  async execute(inputs: Readonly<Record<string, Tensor>>, wanted: readonly string[]): Promise<RunResult> {
    const reply = await this.pool.submit((id) => ({ id, inputs, wanted }) satisfies RunJob);
    if ('outputs' in reply) return reply.outputs;
    throw new InferdError(reply.code as InferdError['code'], reply.message);
  }

  /** Let runs in flight finish, then end every thread (their models go with them). */
  close(): Promise<void> {
    return this.pool.close();
  }
}
