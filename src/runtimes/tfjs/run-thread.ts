/**
 * The worker-thread side of TF.js run threads (run-threads.ts): builds one model version from its files on this
 * thread's tfjs engine and runs it, so tfjs-backend-cpu's JavaScript kernels never hold the event loop. Startup
 * answers `ready` with the signature or `failed` with the load error; then one reply per run, output data
 * transferred back. Runs are executed in arrival order, one at a time (a run holds this thread while it computes).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toInferdError } from '../../core/errors.ts';
import type { RunResult } from '../../core/runtime.ts';
import type { Signature } from '../../core/signature.ts';
import type { Tensor } from '../../core/tensor.ts';
import type { TfjsModelFiles } from './model-files.ts';
import { buildModel, initTfjsBackend, type ModelIdentity, TfjsExecutor } from './tfjs-execute.ts';

/** What a run thread starts with (workerData): the files read by the main thread, and who they are. */
export interface RunThreadData extends ModelIdentity {
  readonly path: string;
  readonly files: TfjsModelFiles;
}

/** A run for a thread: inputs by alias (copied in), the output aliases wanted. */
export interface RunJob {
  readonly id: number;
  readonly inputs: Readonly<Record<string, Tensor>>;
  readonly wanted: readonly string[];
}

/** A thread's startup answer. */
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

async function main(port: NonNullable<typeof parentPort>, data: RunThreadData): Promise<void> {
  let executor: TfjsExecutor;
  try {
    await initTfjsBackend();
    const { model, signature } = await buildModel(data.files, data.path);
    executor = new TfjsExecutor(model, signature, data);
    port.postMessage({ type: 'ready', signature } satisfies RunThreadStartup);
  } catch (err) {
    const e = toInferdError(err);
    port.postMessage({ type: 'failed', code: e.code, message: e.message } satisfies RunThreadStartup);
    return;
  }
  let queue: Promise<unknown> = Promise.resolve();
  port.on('message', (job: RunJob) => {
    queue = queue.then(() => executor.execute(job.inputs, job.wanted)).then(
      (outputs) => port.postMessage({ id: job.id, outputs } satisfies RunReply, transferables(outputs)),
      (err: unknown) => {
        const e = toInferdError(err);
        port.postMessage({ id: job.id, code: e.code, message: e.message } satisfies RunReply);
      },
    );
  });
}

if (parentPort) void main(parentPort, workerData as RunThreadData);
