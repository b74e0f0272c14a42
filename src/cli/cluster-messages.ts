/**
 * The IPC messages between the primary and the serving processes of `inferd serve --processes=N` (node:cluster,
 * 'advanced' serialization, so configs travel as structured clones). Every message carries an `inferd` tag;
 * prom-client's own cluster messages (`type: 'prom-client:…'`) share the channel and are told apart by it.
 */
import type { Code } from '../core/errors.ts';
import type { ModelServerConfig } from '../server/config/model-server-config.ts';
import type { LoadModelOptions } from '../server/repository-api.ts';

/** A run-time change of the served models, applied by every serving process through its own model server. */
export type StateChange =
  | { readonly method: 'reloadConfig'; readonly args: readonly [ModelServerConfig] }
  | { readonly method: 'loadModel'; readonly args: readonly [string, LoadModelOptions] }
  | { readonly method: 'unloadModel'; readonly args: readonly [string] };

/** An InferdError on the wire. */
export interface WireError {
  readonly code: Exclude<Code, 'OK'>;
  readonly message: string;
}

/** The ports a serving process listens on (the `listening` line's fields). */
export interface ListeningPorts {
  readonly rest_api_port: number;
  readonly grpc_port: number;
  readonly model_management_port?: number;
}

/** What a serving process asks the primary. */
export type WorkerCall = { readonly kind: 'metrics' } | { readonly kind: 'change'; readonly change: StateChange };

/** Serving process → primary. */
export type WorkerMessage =
  /** The worker's channel is up: the primary answers with `replay` and from then on sends it every `apply`. */
  | { readonly inferd: 'hello' }
  | { readonly inferd: 'listening'; readonly ports: ListeningPorts }
  /** Start-up failed; `text` is the stderr line a single process would print. */
  | { readonly inferd: 'failed'; readonly text: string }
  | { readonly inferd: 'call'; readonly id: number; readonly call: WorkerCall }
  | { readonly inferd: 'applied'; readonly id: number; readonly error?: WireError };

/** Primary → serving process. */
export type PrimaryMessage =
  /** The changes applied since start, in order: a replacement process applies them before it listens. */
  | { readonly inferd: 'replay'; readonly changes: readonly StateChange[] }
  | { readonly inferd: 'apply'; readonly id: number; readonly change: StateChange }
  /** Shut down: drain as on SIGTERM, or (`now`) exit at once. */
  | { readonly inferd: 'stop'; readonly now: boolean }
  | { readonly inferd: 'result'; readonly id: number; readonly value?: string; readonly error?: WireError };

/** True for a message of ours (not prom-client's). */
export function isInferdMessage(message: unknown): message is { readonly inferd: string } {
  return typeof message === 'object' && message !== null && typeof (message as { inferd?: unknown }).inferd === 'string';
}
