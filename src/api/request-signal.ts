/**
 * Per-request cancellation controllers, reused (REST and gRPC). Node 20 spends 5–7 µs of CPU creating an
 * AbortSignal (measured: `new AbortController().signal`, 2026-12-04), more than the whole batcher costs a request,
 * so the transports take a controller from a pool and give it back when their request has ended.
 *
 * Contract: a request's signal belongs to that request until the transport answered it. A controller goes back
 * into the pool only when its signal never aborted and no listener is left on it (every consumer in src — batcher,
 * runtimes, codec threads — removes its listener when its work settles); anything else is dropped. So work that
 * outlives its answer (after a deadline or a disconnect, or one that still listens) keeps a signal no other request
 * will ever get.
 */
import { getEventListeners } from 'node:events';

/** Most idle controllers kept. */
const MAX_IDLE = 1024;

/** A pool of AbortControllers whose signals are clean (never aborted, no listeners). */
export class SignalPool {
  readonly #idle: AbortController[] = [];

  /** A controller whose signal is not aborted and has no listeners. */
  take(): AbortController {
    return this.#idle.pop() ?? new AbortController();
  }

  /** Return a controller once its request has been answered; kept only when still clean. */
  give(controller: AbortController): void {
    const signal = controller.signal;
    if (signal.aborted || this.#idle.length >= MAX_IDLE || getEventListeners(signal, 'abort').length > 0) return;
    this.#idle.push(controller);
  }

  /** Idle controllers held (tests). */
  get size(): number {
    return this.#idle.length;
  }
}

/** The process's pool, shared by every transport. */
export const REQUEST_SIGNALS = new SignalPool();
