/**
 * The worker-thread side of TF.js run threads (run-threads.ts): builds one model version from its files on this
 * thread's tfjs engine and runs it, so tfjs-backend-cpu's JavaScript kernels never hold the event loop. An open
 * answers `ready` with the signature or `failed` with the load error; then one reply per run, output data
 * transferred back; a close frees the model and the thread waits for its next open (core/thread-pool.ts keeps idle
 * threads for later loads). Jobs run in arrival order, one at a time (a run holds this thread while it computes).
 */
import { parentPort } from 'node:worker_threads';
import { toInferdError } from '../../core/errors.ts';
import type { RunResult } from '../../core/runtime.ts';
import type { Signature } from '../../core/signature.ts';
import type { Tensor } from '../../core/tensor.ts';
import type { TfjsModelFiles } from './model-files.ts';
import { buildModel, initTfjsBackend, type ModelIdentity, TfjsExecutor } from './tfjs-execute.ts';

/** What opening a model on a run thread takes: the files read by the main thread, and who they are. */
export interface RunThreadData extends ModelIdentity {
  readonly path: string;
  readonly files: TfjsModelFiles;
}

/** A job for a run thread: open one model (a thread holds at most one), run it, close it (the thread stays). */
export type ToRunThread =
  | { readonly type: 'open'; readonly data: RunThreadData }
  | { readonly type: 'run'; readonly id: number; readonly inputs: Readonly<Record<string, Tensor>>; readonly wanted: readonly string[] }
  | { readonly type: 'close' };

/** A thread's answer to an open. */
export type RunThreadStartup = { readonly type: 'ready'; readonly signature: Signature } | { readonly type: 'failed'; readonly code: string; readonly message: string };

/** A thread's answer to one run. */
export type RunReply = { readonly id: number; readonly outputs: RunResult } | { readonly id: number; readonly code: string; readonly message: string };

/** Every buffer the outputs own, to transfer them instead of copying. */
function transferables(outputs: RunResult): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const t of Object.values(outputs)) {
    if (Array.isArray(t.data)) for (const b of t.data) out.add(b.buffer as ArrayBuffer);
    else if (t.data.buffer instanceof ArrayBuffer) out.add(t.data.buffer);
  }
  return [...out];
}

/** Serve jobs one at a time in arrival order: a run waits for the open before it, a close for the runs before it. */
function serve(port: NonNullable<typeof parentPort>): void {
  let executor: TfjsExecutor | undefined;
  const backend = initTfjsBackend();
  backend.catch(() => undefined); // reported by each open
  let queue: Promise<unknown> = Promise.resolve();
  const reply = (message: unknown, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
  const failure = (err: unknown): { code: string; message: string } => {
    const e = toInferdError(err);
    return { code: e.code, message: e.message };
  };
  port.on('message', (job: ToRunThread) => {
    queue = queue.then(async () => {
      if (job.type === 'open') {
        try {
          await backend;
          const { model, signature } = await buildModel(job.data.files, job.data.path);
          executor = new TfjsExecutor(model, signature, job.data);
          reply({ type: 'ready', signature } satisfies RunThreadStartup);
        } catch (err) {
          reply({ type: 'failed', ...failure(err) } satisfies RunThreadStartup);
        }
      } else if (job.type === 'close') {
        executor?.dispose();
        executor = undefined;
        reply({ type: 'closed' });
      } else {
        try {
          if (!executor) throw new Error('no TF.js model is open on this run thread');
          const outputs = await executor.execute(job.inputs, job.wanted);
          reply({ id: job.id, outputs } satisfies RunReply, transferables(outputs));
        } catch (err) {
          reply({ id: job.id, ...failure(err) } satisfies RunReply);
        }
      }
    });
  });
}

if (parentPort) serve(parentPort);
