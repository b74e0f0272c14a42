/**
 * The worker-thread side of ONNX run threads (run-threads.ts): owns at most one onnxruntime InferenceSession at a
 * time and runs it, so the native, synchronous `session.run` never holds the event loop. A thread outlives its
 * session: after a close it can open the next one (run-threads.ts keeps idle threads for later loads). Messages
 * carry plain tensors ({type, data, dims}); output data travels back transferred, not copied.
 */
import { parentPort } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

/** A tensor as it crosses the thread boundary. */
export interface WireTensor {
  readonly type: ort.Tensor.Type;
  readonly data: ort.Tensor.DataType;
  readonly dims: readonly number[];
}

/** A job for a run thread: open one session (a thread holds at most one), run it, close it (the thread stays). */
export type ToRunThread =
  | { readonly type: 'open'; readonly file: string; readonly options: ort.InferenceSession.SessionOptions }
  | { readonly type: 'run'; readonly id: number; readonly feeds: Record<string, WireTensor>; readonly fetches: readonly string[] }
  | { readonly type: 'close' };

/**
 * A run thread's messages: `ready` (with the session's metadata) or `failed` per open, one answer per run, and
 * `closed` once a close has released the session; the thread then waits for its next open.
 */
export type FromRunThread =
  | { readonly type: 'ready'; readonly inputMetadata: readonly ort.InferenceSession.ValueMetadata[]; readonly outputMetadata: readonly ort.InferenceSession.ValueMetadata[] }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'outputs'; readonly id: number; readonly outputs: Record<string, WireTensor | null> }
  | { readonly type: 'error'; readonly id: number; readonly message: string }
  | { readonly type: 'closed' };

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Serve jobs in the order they arrive: runs and a close wait for the open before them. */
function serve(port: NonNullable<typeof parentPort>): void {
  let session: Promise<ort.InferenceSession | undefined> = Promise.resolve(undefined);
  port.on('message', (job: ToRunThread) => {
    if (job.type === 'open') {
      session = ort.InferenceSession.create(job.file, job.options).then(
        (s) => {
          // Metadata objects are plain data; copy them so nothing native crosses the boundary.
          const plain = (list: readonly ort.InferenceSession.ValueMetadata[]): ort.InferenceSession.ValueMetadata[] => JSON.parse(JSON.stringify(list));
          port.postMessage({ type: 'ready', inputMetadata: plain(s.inputMetadata), outputMetadata: plain(s.outputMetadata) } satisfies FromRunThread);
          return s;
        },
        (err: unknown) => {
          port.postMessage({ type: 'failed', message: messageOf(err) } satisfies FromRunThread);
          return undefined;
        },
      );
    } else if (job.type === 'close') {
      const closing = session;
      session = Promise.resolve(undefined);
      void closing.then((s) => s?.release()).finally(() => port.postMessage({ type: 'closed' } satisfies FromRunThread));
    } else {
      void session.then((s) => {
        if (!s) throw new Error('no ONNX session is open on this run thread');
        return run(s, job);
      }).then(
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
    }
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

if (parentPort) serve(parentPort);
