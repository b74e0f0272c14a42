/**
 * Handles: reference-counted leases on a loaded version. A request holds one for its whole duration; the manager
 * unloads a version only after every handle on it is released.
 */
import type { LoadedModel } from '../runtime.ts';

/** A lease on one AVAILABLE version. Call release() exactly once (further calls are ignored). */
export interface ServableHandle {
  readonly name: string;
  readonly version: number;
  readonly model: LoadedModel;
  release(): void;
}

/** Counts leases on one version and tells the owner when the count drops to zero. Not thread-shared (one event loop). */
export class RefCount {
  private count = 0;
  private drainWaiters: (() => void)[] = [];

  /** Current number of leases. */
  get value(): number {
    return this.count;
  }

  /** Take a lease; returns the function that gives it back (idempotent). */
  acquire(): () => void {
    this.count += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.count -= 1;
      if (this.count === 0) {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      }
    };
  }

  /** Resolves once no lease is held (immediately if none is). */
  drained(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }
}
