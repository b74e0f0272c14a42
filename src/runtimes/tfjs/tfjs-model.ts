/**
 * One loaded TF.js model version behind the LoadedModel contract. Runs execute on an engine: the version's run
 * threads (run-threads.ts, the default) or, with `runThreads` 0, this thread's tfjs engine (tfjs-execute.ts), where
 * a run holds the event loop for its duration. close() waits for runs in flight, then frees the engine.
 */
import { abortable, InferdError, throwIfAborted } from '../../core/errors.ts';
import type { LoadedModel, RunRequest, RunResult } from '../../core/runtime.ts';
import { DEFAULT_SIGNATURE, type ModelMetadata, type Signature } from '../../core/signature.ts';
import type { Tensor } from '../../core/tensor.ts';
import type { ModelIdentity } from './tfjs-execute.ts';

/** Where a version's runs execute: its run threads or this thread's tfjs engine. */
export interface TfjsEngine {
  /** Run on the inputs and answer the `wanted` output aliases (already checked against the signature). */
  execute(inputs: Readonly<Record<string, Tensor>>, wanted: readonly string[]): Promise<RunResult>;
  /** Free the model; called once, after every run has settled. */
  close(): Promise<void>;
}

/** A LoadedModel owning one TF.js engine (adopted: close() frees it). */
export class TfjsLoadedModel implements LoadedModel {
  /** `serving_default` only. */
  readonly metadata: ModelMetadata;
  /** The engine runs go to (tests read its thread pool). */
  readonly engine: TfjsEngine;
  readonly #signature: Signature;
  readonly #id: ModelIdentity;
  readonly #inflight = new Set<Promise<unknown>>();
  #closing: Promise<void> | undefined;

  /** Adopt `engine`; `signature` must describe its model's inputs and outputs. */
  constructor(engine: TfjsEngine, signature: Signature, id: ModelIdentity) {
    this.engine = engine;
    this.#signature = signature;
    this.#id = id;
    this.metadata = { signatures: { [DEFAULT_SIGNATURE]: signature } };
  }

  /** Run the model. Errors: NOT_FOUND (signature), INVALID_ARGUMENT (inputs, filter), CANCELLED/DEADLINE_EXCEEDED, INTERNAL. */
  async run(request: RunRequest): Promise<RunResult> {
    if (this.#closing) throw InferdError.unavailable(`Model '${this.#id.modelName}' version ${this.#id.version} has been unloaded`);
    throwIfAborted(request.signal);
    if (request.signatureName !== DEFAULT_SIGNATURE) {
      throw InferdError.notFound(`Serving signature name: "${request.signatureName}" not found in signature def`);
    }
    const wanted = this.#outputAliases(request.outputFilter);
    const running = this.engine.execute(request.inputs, wanted);
    this.#inflight.add(running);
    const untrack = (): void => void this.#inflight.delete(running);
    running.then(untrack, untrack);
    const result = await abortable(running, request.signal);
    throwIfAborted(request.signal);
    return result;
  }

  /** Wait for runs in flight, then free the engine (its threads end). Idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inflight]);
      await this.engine.close();
    })();
    return this.#closing;
  }

  #outputAliases(filter: readonly string[] | undefined): string[] {
    const all = Object.keys(this.#signature.outputs);
    if (filter === undefined || filter.length === 0) return all;
    for (const alias of filter) {
      if (!(alias in this.#signature.outputs)) {
        throw InferdError.invalidArgument(`output tensor alias not found in signature: ${alias} Outputs expected to be in the set {${all.join(',')}}.`);
      }
    }
    return [...filter];
  }
}
