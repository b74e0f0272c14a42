/**
 * Worker-thread side of WorkerPool: initializes tfjs, builds a GraphRunner from the FlatModel in workerData, then
 * answers `run` messages one at a time. Errors travel back as {code, message}; result buffers are transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toInferdError } from '../../core/errors.ts';
import type { Tensor } from '../../core/tensor.ts';
import { initBackend, type BackendName } from './backend.ts';
import type { FlatModel } from './flatten.ts';
import { GraphRunner, type RunnerRequest } from './graph-runner.ts';

/** Data a pool worker starts with. */
export interface WorkerInit {
  readonly backend: BackendName;
  readonly flat: FlatModel;
}

/** Messages from the pool to a worker. */
export type ToWorker = { type: 'run'; id: number; request: RunnerRequest };

/** Messages from a worker to the pool. */
export type FromWorker =
  | { type: 'ready'; backend: BackendName }
  | { type: 'result'; id: number; outputs: Record<string, Tensor> }
  | { type: 'error'; id: number | undefined; code: string; message: string };

function transferables(outputs: Record<string, Tensor>): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const t of Object.values(outputs)) {
    if (Array.isArray(t.data)) for (const b of t.data) out.add(b.buffer as ArrayBuffer);
    else if (t.data.buffer instanceof ArrayBuffer) out.add(t.data.buffer);
  }
  return [...out];
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) return;
  const init = workerData as WorkerInit;
  let runner: GraphRunner;
  try {
    const backend = await initBackend(init.backend);
    runner = GraphRunner.create(init.flat);
    port.postMessage({ type: 'ready', backend } satisfies FromWorker);
  } catch (err) {
    const e = toInferdError(err);
    port.postMessage({ type: 'error', id: undefined, code: e.code, message: e.message } satisfies FromWorker);
    return;
  }
  port.on('message', (msg: ToWorker) => {
    if (msg.type !== 'run') return;
    runner.run(msg.request).then(
      (outputs) => port.postMessage({ type: 'result', id: msg.id, outputs } satisfies FromWorker, transferables(outputs)),
      (err: unknown) => {
        const e = toInferdError(err);
        port.postMessage({ type: 'error', id: msg.id, code: e.code, message: e.message } satisfies FromWorker);
      },
    );
  });
}

void main();
