/**
 * The lifecycle manager: owns every model's versions, loads what sources aspire, unloads what they no longer
 * want (availability preserving, see availability.ts), keeps each version's state and error, resolves requests
 * to versions and hands out handles. Lifecycle errors are data: a failed load ends in state END with its error.
 *
 * Concurrency: single event loop. Loads run concurrently up to `loadConcurrency`; a version is closed only after its
 * last handle is released.
 */
import { InferdError, toInferdError } from '../errors.ts';
import type { LoadedModel } from '../runtime.ts';
import { decideActions } from './availability.ts';
import { RefCount, type ServableHandle } from './handle.ts';
import type { VersionState, VersionStatus } from './state.ts';

/** A version a source wants loaded. */
export interface AspiredVersion {
  readonly version: number;
  /** Absolute path of the version directory. */
  readonly path: string;
}

/** A state change, for logs, metrics and the dashboard. */
export interface TransitionEvent {
  readonly model: string;
  readonly version: number;
  readonly state: VersionState;
  /** Why: `aspired`, `loaded`, `load failed`, `retrying load (n/m)`, `no longer aspired`, `unloaded`, `shutdown`. */
  readonly reason: string;
  readonly error?: InferdError;
  /** Load duration in milliseconds, on AVAILABLE. */
  readonly loadMillis?: number;
  /** On a failed attempt that will be retried: which attempt failed (1-based), of how many, and when the next starts. */
  readonly retry?: LoadRetry;
}

/** A failed load attempt that will be retried (`--max_num_load_retries`, `--load_retry_interval_micros`). */
export interface LoadRetry {
  /** The attempt that failed, 1-based. */
  readonly attempt: number;
  /** Attempts in all: 1 + the retries allowed. */
  readonly attempts: number;
  /** When the next attempt starts, ms since the epoch (the manager's clock). */
  readonly nextAttemptAt: number;
}

/** How to load a version; supplied by the server (which knows the runtimes). */
export type VersionLoader = (model: string, version: AspiredVersion, signal: AbortSignal) => Promise<LoadedModel>;

/** Manager options. */
export interface ManagerOptions {
  readonly loader: VersionLoader;
  /** Retries after a failed load (TF Serving `--max_num_load_retries`). Default 5. */
  readonly maxLoadRetries?: number;
  /** Wait between retries, ms (TF Serving `--load_retry_interval_micros` / 1000). Default 60000. */
  readonly loadRetryIntervalMs?: number;
  /** Loads running at once (TF Serving `--num_load_threads`, 0 = 1). Default 1. */
  readonly loadConcurrency?: number;
  /** Called on every state change. Must not throw. */
  readonly onTransition?: (event: TransitionEvent) => void;
}

/** Which version a request wants. */
export interface VersionRequest {
  readonly name: string;
  /** A bigint only for an int64 beyond 2^53 (no version on disk is): kept exact so errors print its digits. */
  readonly version?: number | bigint;
  readonly label?: string;
}

interface Slot {
  readonly version: number;
  path: string;
  state: VersionState;
  error?: InferdError;
  /** END reached through a load failure while aspired: not retried until it leaves and re-enters the aspired set. */
  failed: boolean;
  loaded?: LoadedModel;
  readonly refs: RefCount;
}

interface ModelEntry {
  readonly name: string;
  readonly slots: Map<number, Slot>;
  aspired: AspiredVersion[];
  labels: Map<string, number>;
}

/** Owns the lifecycle of every model version. Construct with `LifecycleManager.create`. */
export class LifecycleManager {
  private readonly models = new Map<string, ModelEntry>();
  private readonly settleWaiters: { check: () => boolean; resolve: () => void }[] = [];
  private readonly shutdown = new AbortController();
  private readonly pending = new Set<Promise<void>>();
  private activeLoads = 0;
  private readonly loadQueue: (() => void)[] = [];
  private closed = false;

  private constructor(private readonly options: ManagerOptions) {}

  /** Create a manager with no models. */
  static async create(options: ManagerOptions): Promise<LifecycleManager> {
    return new LifecycleManager(options);
  }

  /**
   * Declare the complete list of versions a model should have (a source calls this on every poll). Versions not
   * listed are unloaded once that preserves availability; an empty list unloads the model's versions.
   */
  setAspiredVersions(name: string, versions: readonly AspiredVersion[]): void {
    if (this.closed) return;
    const entry = this.entry(name);
    const nextSet = new Set(versions.map((v) => v.version));
    for (const slot of entry.slots.values()) {
      if (!nextSet.has(slot.version)) slot.failed = false;
    }
    entry.aspired = [...versions];
    this.reconcile(entry);
  }

  /** Replace a model's version labels (label → version). Validation of label targets is the caller's. */
  setLabels(name: string, labels: Readonly<Record<string, number>>): void {
    this.entry(name).labels = new Map(Object.entries(labels));
  }

  /** The version a label points at, or undefined. */
  labelTarget(name: string, label: string): number | undefined {
    return this.models.get(name)?.labels.get(label);
  }

  /** Forget a model entirely once all its versions have ended (used when a config removes it). */
  removeModel(name: string): void {
    this.setAspiredVersions(name, []);
  }

  /** Names of every model ever declared. */
  modelNames(): string[] {
    return [...this.models.keys()];
  }

  /** Status of every version ever seen, highest first; empty when the model is unknown. */
  status(name: string): VersionStatus[] {
    const entry = this.models.get(name);
    if (!entry) return [];
    return [...entry.slots.values()]
      .sort((a, b) => b.version - a.version)
      .map((s) => (s.error ? { version: s.version, state: s.state, error: s.error } : { version: s.version, state: s.state }));
  }

  /** True when every aspired version of the model is AVAILABLE or has failed (END). */
  isSettled(name: string): boolean {
    const entry = this.models.get(name);
    if (!entry) return false;
    return entry.aspired.every((a) => {
      const slot = entry.slots.get(a.version);
      return slot !== undefined && (slot.state === 'AVAILABLE' || (slot.state === 'END' && slot.failed));
    });
  }

  /** Resolves when `isSettled(name)` holds for every given model. */
  whenSettled(names: readonly string[]): Promise<void> {
    const check = () => names.every((n) => this.isSettled(n));
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push({ check, resolve }));
  }

  /**
   * Lease the version a request addresses: the highest AVAILABLE one, a specific version, or a label's version.
   * Errors (shared/reference/tfserving-api.md §1.7): NOT_FOUND `Servable not found for request: Latest(<m>)` /
   * `Specific(<m>, <v>)`; INVALID_ARGUMENT `Unrecognized servable version label: <l>`.
   */
  acquire(request: VersionRequest): ServableHandle {
    const entry = this.models.get(request.name);
    let version = request.version;
    if (request.label !== undefined) {
      version = entry?.labels.get(request.label);
      if (version === undefined) throw InferdError.invalidArgument(`Unrecognized servable version label: ${request.label}`);
    }
    let slot: Slot | undefined;
    if (version === undefined) {
      for (const s of entry?.slots.values() ?? []) {
        if (s.state === 'AVAILABLE' && s.loaded && (!slot || s.version > slot.version)) slot = s;
      }
      if (!slot) throw InferdError.notFound(`Servable not found for request: Latest(${request.name})`);
    } else {
      slot = typeof version === 'bigint' ? undefined : entry?.slots.get(version);
      if (!slot || slot.state !== 'AVAILABLE' || !slot.loaded) {
        throw InferdError.notFound(`Servable not found for request: Specific(${request.name}, ${version})`);
      }
    }
    const release = slot.refs.acquire();
    return { name: request.name, version: slot.version, model: slot.loaded as LoadedModel, release };
  }

  /** Unload everything (waiting for in-flight requests) and stop loading. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.shutdown.abort(InferdError.unavailable('Server is shutting down'));
    for (const entry of this.models.values()) {
      entry.aspired = [];
      for (const slot of entry.slots.values()) {
        if (slot.state === 'AVAILABLE') this.track(this.unload(entry, slot, 'shutdown'));
      }
    }
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    for (const w of this.settleWaiters.splice(0)) w.resolve();
  }

  private entry(name: string): ModelEntry {
    let entry = this.models.get(name);
    if (!entry) {
      entry = { name, slots: new Map(), aspired: [], labels: new Map() };
      this.models.set(name, entry);
    }
    return entry;
  }

  private reconcile(entry: ModelEntry): void {
    const views = [...entry.slots.values()].map((s) => ({ version: s.version, state: s.state, failed: s.failed }));
    const actions = decideActions(entry.aspired.map((a) => a.version), views);
    for (const version of actions.load) {
      const aspired = entry.aspired.find((a) => a.version === version);
      if (aspired) this.track(this.load(entry, aspired));
    }
    for (const version of actions.unload) {
      const slot = entry.slots.get(version);
      if (slot) this.track(this.unload(entry, slot, 'no longer aspired'));
    }
    this.notifySettled();
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private transition(entry: ModelEntry, slot: Slot, state: VersionState, reason: string, extra?: { error?: InferdError; loadMillis?: number; retry?: LoadRetry }): void {
    slot.state = state;
    const event: TransitionEvent = { model: entry.name, version: slot.version, state, reason, ...extra };
    this.options.onTransition?.(event);
  }

  private async load(entry: ModelEntry, aspired: AspiredVersion): Promise<void> {
    let slot = entry.slots.get(aspired.version);
    if (!slot) {
      slot = { version: aspired.version, path: aspired.path, state: 'START', failed: false, refs: new RefCount() };
      entry.slots.set(aspired.version, slot);
    }
    slot.path = aspired.path;
    delete slot.error;
    this.transition(entry, slot, 'START', 'aspired');
    await this.acquireLoadSlot();
    if (!this.closed && !entry.aspired.some((a) => a.version === aspired.version)) {
      // No longer wanted by the time a load slot came free: never load it (its memory, its load time).
      this.releaseLoadSlot();
      this.transition(entry, slot, 'END', 'no longer aspired');
      this.reconcile(entry);
      return;
    }
    try {
      const maxRetries = Math.max(0, this.options.maxLoadRetries ?? 5);
      const interval = this.options.loadRetryIntervalMs ?? 60_000;
      this.transition(entry, slot, 'LOADING', 'loading');
      const started = Date.now();
      for (let attempt = 0; ; attempt += 1) {
        try {
          const loaded = await this.options.loader(entry.name, aspired, this.shutdown.signal);
          if (this.closed) {
            await loaded.close();
            this.transition(entry, slot, 'END', 'shutdown');
            return;
          }
          slot.loaded = loaded;
          delete slot.error;
          this.transition(entry, slot, 'AVAILABLE', 'loaded', { loadMillis: Date.now() - started });
          break;
        } catch (err) {
          const error = toInferdError(err, 'UNKNOWN');
          const stillWanted = entry.aspired.some((a) => a.version === aspired.version);
          if (attempt >= maxRetries || this.closed || !stillWanted) {
            slot.error = error;
            slot.failed = stillWanted;
            this.transition(entry, slot, 'END', 'load failed', { error });
            break;
          }
          // The version stays LOADING and shows this error in status until an attempt succeeds or the last one fails.
          slot.error = error;
          const retry = { attempt: attempt + 1, attempts: maxRetries + 1, nextAttemptAt: Date.now() + interval };
          this.transition(entry, slot, 'LOADING', `retrying load (${attempt + 1}/${maxRetries}): ${error.message}`, { error, retry });
          await sleep(interval, this.shutdown.signal);
        }
      }
    } finally {
      this.releaseLoadSlot();
    }
    this.reconcile(entry);
  }

  private async unload(entry: ModelEntry, slot: Slot, reason: string): Promise<void> {
    if (slot.state !== 'AVAILABLE') return;
    this.transition(entry, slot, 'UNLOADING', reason);
    await slot.refs.drained();
    const loaded = slot.loaded;
    delete slot.loaded;
    try {
      await loaded?.close();
    } catch {
      // A close failure leaves nothing to retry; the version is gone either way.
    }
    this.transition(entry, slot, 'END', 'unloaded');
    if (!this.closed) this.reconcile(entry);
  }

  private notifySettled(): void {
    for (let i = this.settleWaiters.length - 1; i >= 0; i -= 1) {
      const w = this.settleWaiters[i];
      if (w && w.check()) {
        this.settleWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  private acquireLoadSlot(): Promise<void> {
    const limit = Math.max(1, this.options.loadConcurrency ?? 1);
    if (this.activeLoads < limit) {
      this.activeLoads += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.loadQueue.push(() => { this.activeLoads += 1; resolve(); }));
  }

  private releaseLoadSlot(): void {
    this.activeLoads -= 1;
    this.loadQueue.shift()?.();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
