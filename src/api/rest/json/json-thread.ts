/**
 * The worker-thread side of the REST codec pool (json-threads.ts): parses request bodies into tapes and encodes
 * predict responses, so large bodies never hold the event loop. Pure codec calls; the tape's typed arrays and the
 * body travel back transferred, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { toInferdError } from '../../../core/errors.ts';
import type { Tensor } from '../../../core/tensor.ts';
import { parseJsonTape } from './json-tape.ts';
import type { PredictFormat } from './predict-request.ts';
import { encodePredictResponseBytes } from './predict-response.ts';

/** A job for a codec thread. */
export type ToCodecThread =
  | { readonly type: 'parse'; readonly id: number; readonly body: Uint8Array }
  | { readonly type: 'encode'; readonly id: number; readonly format: PredictFormat; readonly outputs: Record<string, Tensor> };

/** A codec thread's answer. */
export type FromCodecThread =
  | {
    readonly type: 'tape'; readonly id: number; readonly source: Uint8Array; readonly rows: number; readonly kind: Uint8Array;
    readonly start: Uint32Array; readonly end: Uint32Array; readonly count: Uint32Array; readonly numbers: Float64Array;
  }
  | { readonly type: 'text'; readonly id: number; readonly bytes: Uint8Array }
  | { readonly type: 'error'; readonly id: number; readonly code: string; readonly message: string };

const port = parentPort;
if (port) {
  port.on('message', (job: ToCodecThread) => {
    try {
      if (job.type === 'parse') {
        const t = parseJsonTape(job.body);
        const reply: FromCodecThread = { type: 'tape', id: job.id, ...t };
        // The tape's arrays share one ArrayBuffer (json-tape.ts): list each buffer once.
        port.postMessage(reply, [...new Set([t.source.buffer, t.kind.buffer, t.start.buffer, t.end.buffer, t.count.buffer, t.numbers.buffer])] as ArrayBuffer[]);
      } else {
        const bytes = encodePredictResponseBytes(job.format, job.outputs);
        const reply: FromCodecThread = { type: 'text', id: job.id, bytes };
        port.postMessage(reply, [bytes.buffer as ArrayBuffer]);
      }
    } catch (err) {
      const e = toInferdError(err);
      const reply: FromCodecThread = { type: 'error', id: job.id, code: e.code, message: e.message };
      port.postMessage(reply);
    }
  });
}
