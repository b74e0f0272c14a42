/**
 * The operator-facing facade for model management (the Open Inference Protocol's model repository extension,
 * shared/reference/open-inference-protocol.md §2.6): list the repository, load a model, unload a model. The REST
 * plugin (api/rest/management.ts) parses and maps errors; ModelServer implements this interface.
 */
import type { VersionState } from '../core/lifecycle/state.ts';

/** One row of the repository index: a model, or one version of it. */
export interface RepositoryEntry {
  readonly name: string;
  /** Absent for a model with no version seen (not loaded, or nothing found on disk). */
  readonly version?: number;
  /** `READY` (AVAILABLE), `LOADING` (START, LOADING), `UNLOADING`, `UNAVAILABLE` (END or not loaded). */
  readonly state: 'READY' | 'LOADING' | 'UNLOADING' | 'UNAVAILABLE';
  /** Why a version is not ready (its error, `unloaded`, `not loaded`); empty when READY. */
  readonly reason: string;
}

/** What a load may bring: a model config (TF Serving ModelConfig in proto JSON form) for a model not yet known. */
export interface LoadModelOptions {
  /** e.g. `{"base_path": "/models/m", "model_platform": "onnx", "model_version_policy": {"all": {}}}`; `name` defaults to the path's. */
  readonly config?: unknown;
}

/** Model management, as the operator API sees it. */
export interface ModelRepositoryApi {
  /** Every model known to the server (configured now or earlier), one row per version ever seen. */
  repositoryIndex(): RepositoryEntry[];
  /**
   * Serve `name` (re-read its versions if it is served already), using `options.config` when given, else the
   * config it had before. Resolves when its versions are AVAILABLE; errors: NOT_FOUND (unknown model, no config),
   * INVALID_ARGUMENT (bad config), UNKNOWN (`1 model(s) did not become available: ...`).
   */
  loadModel(name: string, options?: LoadModelOptions): Promise<void>;
  /** Stop serving `name` (its versions unload after in-flight requests). NOT_FOUND when it is not served. */
  unloadModel(name: string): Promise<void>;
}

/** Map a lifecycle state to the repository extension's state names. */
export function repositoryState(state: VersionState): RepositoryEntry['state'] {
  switch (state) {
    case 'AVAILABLE':
      return 'READY';
    case 'START':
    case 'LOADING':
      return 'LOADING';
    case 'UNLOADING':
      return 'UNLOADING';
    case 'END':
      return 'UNAVAILABLE';
  }
}
