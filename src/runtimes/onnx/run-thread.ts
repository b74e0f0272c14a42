/**
 * The worker-thread side of ONNX run threads (run-threads.ts): owns one onnxruntime InferenceSession of one model
 * file and runs it, so the native, synchronous `session.run` never holds the event loop. Messages carry plain
 * tensors ({type, data, dims}); output data travels back transferred, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

/** A tensor as it crosses the thread boundary. */
export interface WireTensor {
  readonly type: ort.Tensor.Type;
  readonly data: ort.Tensor.DataType;
  readonly dims: readonly number[];
}

/** What a run thread is started with (workerData). */
export interface RunThreadData {
  readonly file: string;
  readonly options: ort.InferenceSession.SessionOptions;
}

/** A job for a run thread. */
export type ToRunThread =
  | { readonly type: 'run'; readonly id: number; readonly feeds: Record<string, WireTensor>; readonly fetches: readonly string[] }
  | { readonly type: 'close' };

/** A run thread's messages: `ready` once (with the session's metadata) or `failed`, then one answer per run. */
export type FromRunThread =
  | { readonly type: 'ready'; readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[]; readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[] }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'outputs'; readonly id: number; readonly outputs: Record<string, WireTensor | null> }
  | { readonly type: 'error'; readonly id: number; readonly message: string }
  | { readonly type: 'closed' };

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

async function main(port: NonNullable<typeof parentPort>, data: RunThreadData): Promise<void> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(data.file, data.options);
  } catch (err) {
    port.postMessage({ type: 'failed', message: messageOf(err) } satisfies FromRunThread);
    return;
  }
  // Metadata objects are plain data; copy them so nothing native crosses the boundary.
  const plain = (list: readonly ort.InferenceSession.ValueMetadata[]): ort.InferenceSession.ValueMetadata[] => JSON.parse(JSON.stringify(list));
  port.postMessage({ type: 'ready', inputMetadata: plain(session.inputMetadata), outputMetadata: plain(session.outputMetadata) } satisfies FromRunThread);
  port.on('message', (job: ToRunThread) => {
    if (job.type === 'close') {
      void session.release().finally(() => {
        port.postMessage({ type: 'closed' } satisfies FromRunThread);
        port.close();
      });
      return;
    }
    void run(session, job).then(
      ({ outputs, transfer }) => {
        const reply: FromRunThread = { type: 'outputs', id: job.id, outputs };
        try {
          port.postMessage(reply, transfer);
        } catch {
          port.postMessage(reply); // a buffer onnxruntime does not let go of: copy it
        }
      },
      (err: unknown) => port.postMessage({ type: 'error', id: job.id, message: messageOf(err) } satisfies FromRunThread),
    );
  });
}

async function run(session: ort.InferenceSession, job: Extract<ToRunThread, { type: 'run' }>): Promise<{ outputs: Record<string, WireTensor | null>; transfer: ArrayBuffer[] }> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(job.feeds)) feeds[name] = new ort.Tensor(t.type, t.data as never, t.dims);
  const results = await session.run(feeds, job.fetches);
  const outputs: Record<string, WireTensor | null> = {};
  const transfer: ArrayBuffer[] = [];
  for (const name of job.fetches) {
    const value = results[name];
    if (!(value instanceof ort.Tensor)) {
      outputs[name] = null; // a sequence or map: the main side reports it
      continue;
    }
    const data = value.data;
    if (ArrayBuffer.isView(data) && data.buffer instanceof ArrayBuffer && !transfer.includes(data.buffer)) transfer.push(data.buffer);
    outputs[name] = { type: value.type, data, dims: value.dims };
  }
  return { outputs, transfer };
}

if (parentPort) void main(parentPort, workerData as RunThreadData);
