/**
 * The serving-process side of `inferd serve --processes=N` (see cluster-primary.ts for the primary).
 * A serving process runs `serve` exactly as a single process does, except:
 * - it reports `listening` and start-up failures to the primary instead of printing them (the primary prints once);
 * - SIGINT is the primary's to handle (a terminal's Ctrl-C reaches the whole process group): it is ignored here,
 *   and the primary's stop requests (or its death: the IPC channel closes) start the drain (shutdown.ts);
 * - run-time changes of the served models (gRPC HandleReloadConfigRequest, the repository load/unload API) go
 *   through the primary to every serving process (`clusterFacade`), and a replacement process replays the
 *   changes made since start before it listens;
 * - the metrics endpoint answers with the sum over all serving processes (`clusterExporter`).
 * Contract: `PrimaryChannel.connect()` is called once, early, in a cluster worker only.
 */
import { AggregatorRegistry, type Registry } from 'prom-client';
import { InferdError, toInferdError } from '../core/errors.ts';
import type { MetricsExporter } from '../core/request-outcome.ts';
import type { ModelServerConfig } from '../server/config/model-server-config.ts';
import type { LoadModelOptions } from '../server/repository-api.ts';
import type {
  ListeningPorts, PrimaryMessage, StateChange, WireError, WorkerCall, WorkerMessage,
} from './cluster-messages.ts';
import { isInferdMessage } from './cluster-messages.ts';
import type { StopRequests } from './shutdown.ts';

/** Thrown by serve's start-up checks inside a serving process: the text goes to the primary, not to stderr. */
export class StartupFailure extends Error {
  constructor(readonly text: string) {
    super(text.trim());
  }
}

/** The methods of the model server that change what is served (the ones every serving process must apply). */
export interface ChangeTarget {
  reloadConfig(config: ModelServerConfig): Promise<void>;
  loadModel(name: string, options?: LoadModelOptions): Promise<void>;
  unloadModel(name: string): Promise<void>;
}

const CHANGE_METHODS: ReadonlySet<string> = new Set(['reloadConfig', 'loadModel', 'unloadModel']);

function send(message: WorkerMessage, callback?: () => void): void {
  if (!process.connected || !process.send) {
    callback?.();
    return;
  }
  process.send(message, undefined, {}, () => callback?.());
}

function toWire(err: unknown): WireError {
  const e = toInferdError(err);
  return { code: e.code, message: e.message };
}

/** The serving process's connection to the primary. */
export class PrimaryChannel implements StopRequests {
  private nextId = 1;
  private readonly calls = new Map<number, { resolve: (value: string) => void; reject: (err: InferdError) => void }>();
  private readonly queued: { id: number; change: StateChange }[] = [];
  private target: ChangeTarget | undefined;
  private replayed: ((changes: readonly StateChange[]) => void) | undefined;
  private readonly replay: Promise<readonly StateChange[]>;
  private serving = false;
  private stopListener: ((now: boolean, reason: string) => void) | undefined;
  private stopRequest: { now: boolean; reason: string } | undefined;

  private constructor() {
    this.replay = new Promise((resolve) => (this.replayed = resolve));
  }

  /** Install the message handler, ignore SIGINT (the primary drives shutdown), say hello. */
  static connect(): PrimaryChannel {
    const channel = new PrimaryChannel();
    process.on('message', (message: unknown) => channel.onMessage(message));
    process.on('SIGINT', () => undefined);
    // node:cluster makes a worker exit at once (code 0) when its channel closes unexpectedly, dropping requests in
    // flight; a serving process drains instead (shutdown.ts), so that listener is replaced by ours.
    process.removeAllListeners('disconnect');
    process.on('disconnect', () => channel.stop(false, 'the primary process is gone', 1));
    // prom-client answers the primary's metrics requests from the registries set by clusterExporter.
    new AggregatorRegistry();
    send({ inferd: 'hello' });
    return channel;
  }

  /**
   * Apply the changes made since the cluster started (a replacement process), then every change the primary
   * sends, on `target` (this process's own model server). Resolves once the replayed changes were applied; their
   * errors are reported to `onReplayError` (the state they leave is the one the other processes have too).
   */
  async attach(target: ChangeTarget, onReplayError: (change: StateChange, error: InferdError) => void): Promise<void> {
    const changes = await this.replay;
    for (const change of changes) {
      await applyChange(target, change).catch((err: unknown) => onReplayError(change, toInferdError(err)));
    }
    this.target = target;
    for (const { id, change } of this.queued.splice(0)) this.apply(id, change);
  }

  /** Tell the primary this process listens (it prints the one `listening` line when every process does). */
  listening(ports: ListeningPorts): void {
    this.serving = true;
    send({ inferd: 'listening', ports });
  }

  /** @inheritdoc */
  onStop(listener: (now: boolean, reason: string) => void): void {
    this.stopListener = listener;
    if (this.stopRequest) listener(this.stopRequest.now, this.stopRequest.reason);
  }

  /** Before it listens, a process asked to stop has nothing to drain: it exits with `earlyExitCode` at once. */
  private stop(now: boolean, reason: string, earlyExitCode: number): void {
    if (!this.serving) process.exit(earlyExitCode);
    if (this.stopListener) this.stopListener(now, reason);
    else this.stopRequest = { now: now || (this.stopRequest?.now ?? false), reason };
  }

  /** Ask the primary; rejects with the InferdError it answers. */
  call(call: WorkerCall): Promise<string> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!process.connected) {
        reject(InferdError.unavailable('the primary process is gone; this serving process is shutting down'));
        return;
      }
      this.calls.set(id, { resolve, reject });
      send({ inferd: 'call', id, call });
    });
  }

  private onMessage(raw: unknown): void {
    if (!isInferdMessage(raw)) return;
    const message = raw as PrimaryMessage;
    switch (message.inferd) {
      case 'stop':
        this.stop(message.now, 'the primary asked', 0);
        return;
      case 'replay':
        this.replayed?.(message.changes);
        return;
      case 'apply':
        if (this.target) this.apply(message.id, message.change);
        else this.queued.push({ id: message.id, change: message.change });
        return;
      case 'result': {
        const pending = this.calls.get(message.id);
        this.calls.delete(message.id);
        if (!pending) return;
        if (message.error) pending.reject(new InferdError(message.error.code, message.error.message));
        else pending.resolve(message.value ?? '');
        return;
      }
    }
  }

  private apply(id: number, change: StateChange): void {
    const target = this.target;
    if (!target) return;
    // The model server serializes its changes in call order, so every process applies them in the primary's order.
    applyChange(target, change).then(
      () => send({ inferd: 'applied', id }),
      (err: unknown) => send({ inferd: 'applied', id, error: toWire(err) }),
    );
  }
}

function applyChange(target: ChangeTarget, change: StateChange): Promise<void> {
  switch (change.method) {
    case 'reloadConfig':
      return target.reloadConfig(change.args[0]);
    case 'loadModel':
      return target.loadModel(change.args[0], change.args[1]);
    case 'unloadModel':
      return target.unloadModel(change.args[0]);
  }
}

/**
 * A view of `target` (the model server) whose model changes — reloadConfig, loadModel, unloadModel — are applied
 * by every serving process: the call goes to the primary, which has each process apply it on its own server and
 * answers with the first error (this process's own first) or success. Every other member passes through.
 */
export function clusterFacade<T extends ChangeTarget>(target: T, channel: PrimaryChannel): T {
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof prop !== 'string' || !CHANGE_METHODS.has(prop) || typeof value !== 'function') {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
      }
      return async (...args: unknown[]) => {
        const change = { method: prop, args } as unknown as StateChange;
        await channel.call({ kind: 'change', change });
      };
    },
  });
}

/**
 * The metrics endpoint's exporter in a serving process: prom-client's AggregatorRegistry in the primary collects
 * `registry` from every process and sums (or takes the max, per metric's `aggregator`); this process only asks.
 */
export function clusterExporter(registry: Registry, channel: PrimaryChannel): MetricsExporter {
  AggregatorRegistry.setRegistries([registry]);
  return {
    contentType: registry.contentType,
    scrape: () => channel.call({ kind: 'metrics' }),
  };
}

/**
 * Run `serve` in a serving process: a start-up failure (a StartupFailure, or any error `serve` throws) is sent to
 * the primary — which prints it once — and the process exits 1.
 */
export async function runServingProcess(serve: () => Promise<void>): Promise<void> {
  try {
    await serve();
  } catch (err) {
    const text = err instanceof StartupFailure ? err.text : `inferd: ${(err as Error).message}\n`;
    await new Promise<void>((resolve) => send({ inferd: 'failed', text }, resolve));
    process.exit(1);
  }
}
