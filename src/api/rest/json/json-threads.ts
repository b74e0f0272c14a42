/**
 * A pool of worker threads for the CPU-heavy part of REST requests: parsing large bodies into tapes and encoding
 * large predict responses (`--rest_api_num_threads`: TensorFlow Serving's "threads for HTTP/REST request
 * processing"). The event loop keeps doing I/O while a 50 MB body is parsed, so small requests on other models keep
 * being answered and the REST deadline can fire (DEADLINE_EXCEEDED) during the decode. Small bodies are parsed inline:
 * a thread hop costs more than they do. Threads start on first use; close() stops them.
 * Concurrency: jobs go to the thread with the fewest in flight; an aborted job's answer is dropped when it comes.
 */
import { Worker } from 'node:worker_threads';
import { InferdError, throwIfAborted } from '../../../core/errors.ts';
import { threadEntry } from '../../../core/thread-entry.ts';
import type { Tensor } from '../../../core/tensor.ts';
import type { JsonTape } from './json-tape.ts';
import type { FromCodecThread, ToCodecThread } from './json-thread.ts';
import type { PredictFormat } from './predict-request.ts';

/** Options of the codec pool; defaults beside each field. */
export interface CodecThreadOptions {
  /** Worker threads (0: parse and encode everything on the event loop). Default: the number of CPUs. */
  readonly threads: number;
  /** Bodies of at least this many bytes are parsed on a thread. Default 256 KiB. */
  readonly parseThresholdBytes?: number;
  /** Responses of at least this many output elements are encoded on a thread. Default 65,536. */
  readonly encodeThresholdElements?: number;
}

interface Job {
  resolve(m: FromCodecThread): void;
  reject(e: unknown): void;
}

interface Slot {
  readonly worker: Worker;
  readonly jobs: Map<number, Job>;
  alive: boolean;
}

const ENTRY = threadEntry(new URL('./json-thread.ts', import.meta.url));

/** Parses and encodes on worker threads above size thresholds. */
export class CodecThreads {
  readonly parseThresholdBytes: number;
  readonly encodeThresholdElements: number;
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: CodecThreadOptions) {
    this.parseThresholdBytes = options.parseThresholdBytes ?? 256 * 1024;
    this.encodeThresholdElements = options.encodeThresholdElements ?? 65_536;
  }

  /** True when a body of `bytes` should be parsed on a thread. */
  parsesOffThread(bytes: number): boolean {
    return this.options.threads > 0 && bytes >= this.parseThresholdBytes;
  }

  /** True when these outputs should be encoded on a thread. */
  encodesOffThread(outputs: Readonly<Record<string, Tensor>>): boolean {
    if (this.options.threads <= 0) return false;
    let n = 0;
    for (const t of Object.values(outputs)) n += t.data.length;
    return n >= this.encodeThresholdElements;
  }

  /** Parse `body` on a thread; rejects with the parse error, or as soon as `signal` aborts. */
  async parse(body: Uint8Array, signal: AbortSignal): Promise<JsonTape> {
    // Transfer the body when it owns its whole buffer (never a pooled Buffer slice); copy otherwise.
    const owned = body.byteOffset === 0 && body.buffer.byteLength === body.byteLength && !(body.buffer instanceof SharedArrayBuffer);
    const m = await this.submit((id) => ({ type: 'parse', id, body }), owned ? [body.buffer as ArrayBuffer] : [], signal);
    if (m.type !== 'tape') throw InferdError.internal('codec thread answered a parse with something else');
    return m;
  }

  /** Encode a predict response on a thread (outputs in the order they should appear). */
  async encode(format: PredictFormat, outputs: Record<string, Tensor>, signal: AbortSignal): Promise<Uint8Array> {
    const m = await this.submit((id) => ({ type: 'encode', id, format, outputs }), [], signal);
    if (m.type !== 'text') throw InferdError.internal('codec thread answered an encode with something else');
    return m.bytes;
  }

  private submit(job: (id: number) => ToCodecThread, transfer: ArrayBuffer[], signal: AbortSignal): Promise<FromCodecThread> {
    throwIfAborted(signal);
    if (this.closed) return Promise.reject(InferdError.unavailable('The REST server is closing'));
    const slot = this.pick();
    const id = this.nextId++;
    return new Promise<FromCodecThread>((resolve, reject) => {
      const onAbort = (): void => {
        slot.jobs.delete(id);
        if (slot.jobs.size === 0) slot.worker.unref();
        try {
          throwIfAborted(signal);
        } catch (e) {
          reject(e);
        }
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal.removeEventListener('abort', onAbort);
      slot.jobs.set(id, {
        resolve: (m) => {
          done();
          if (m.type === 'error') reject(new InferdError(m.code as InferdError['code'], m.message));
          else resolve(m);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      slot.worker.ref(); // keep the process alive while a job is in flight
      slot.worker.postMessage(job(id), transfer);
    });
  }

  /** The live thread with the fewest jobs, starting a new one while fewer than `threads` run and all are busy. */
  private pick(): Slot {
    const live = this.slots.filter((s) => s.alive);
    const idle = live.find((s) => s.jobs.size === 0);
    if (idle) return idle;
    if (live.length < this.options.threads) return this.start();
    return live.reduce((a, b) => (b.jobs.size < a.jobs.size ? b : a));
  }

  private start(): Slot {
    const worker = new Worker(ENTRY.filename, { argv: [...ENTRY.argv] });
    worker.unref();
    const slot: Slot = { worker, jobs: new Map(), alive: true };
    worker.on('message', (m: FromCodecThread) => {
      const job = slot.jobs.get(m.id);
      slot.jobs.delete(m.id);
      if (slot.jobs.size === 0) worker.unref();
      job?.resolve(m);
    });
    const die = (why: string): void => {
      slot.alive = false;
      for (const job of slot.jobs.values()) job.reject(InferdError.internal(`REST codec thread ${why}`));
      slot.jobs.clear();
    };
    worker.on('error', (e) => die(`crashed: ${e.message}`));
    worker.on('exit', (code) => die(`exited (code ${code})`));
    this.slots.push(slot);
    return slot;
  }

  /** Stop every thread; jobs in flight reject with UNAVAILABLE. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map(async (s) => {
      s.alive = false;
      for (const job of s.jobs.values()) job.reject(InferdError.unavailable('The REST server is closing'));
      s.jobs.clear();
      await s.worker.terminate();
    }));
  }
}
