/**
 * The lifecycle half of the model server: models from a config → file-system sources → version policy → lifecycle
 * manager, with loaders that pick a runtime per version directory; whole-config reloads (TensorFlow Serving's
 * ReloadConfig, rules in reload.ts) and the operator API. ModelServer (model-server.ts) adds the ServingApi facade.
 * Names no concrete runtime: they are injected (see compose.ts).
 */
import { InferdError } from '../core/errors.ts';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../core/limits.ts';
import { type AspiredVersion, type LifecycleManager, type TransitionEvent } from '../core/lifecycle/manager.ts';
import { withOutputCheck } from '../core/output-check.ts';
import type { LoadedModel, Runtime } from '../core/runtime.ts';
import { FileSystemSource } from '../repository/file-system-source.ts';
import { diffConfigs, modelServerConfigFromObject, type ModelConfig, type ModelServerConfig } from './config/model-server-config.ts';
import { DEFAULT_VERSION_POLICY, selectVersions, type VersionPolicy } from './config/version-policy.ts';
import { checkVersionLabels, notAvailableError, PLATFORM_ALIASES, toModelConfig, toServedModel, type Unavailable } from './reload.ts';
import { warmUpVersion, type WarmupOptions } from './warmup.ts';
import { repositoryState, type LoadModelOptions, type ModelRepositoryApi, type RepositoryEntry } from './repository-api.ts';

/** One served model as the server needs it (a ModelConfig of TF Serving's config file). */
export interface ServedModel {
  readonly name: string;
  /** Absolute path holding `<version>/` folders. */
  readonly basePath: string;
  /** `tensorflow` (SavedModel), `onnx`, `tfjs`; undefined = detected per version directory. */
  readonly platform?: string;
  /** Default: latest 1. */
  readonly versionPolicy?: VersionPolicy;
  /** Label → version. */
  readonly versionLabels?: Readonly<Record<string, number>>;
}

/** Options of the model server. */
export interface ModelServerOptions {
  readonly models: readonly ServedModel[];
  /** Runtimes to load versions with, tried in order when a model's platform is not given. */
  readonly runtimes: readonly Runtime[];
  /** `--file_system_poll_wait_seconds`. Default 1. */
  readonly pollWaitSeconds?: number;
  /** `--max_num_load_retries`. Default 5. */
  readonly maxLoadRetries?: number;
  /** `--load_retry_interval_micros` / 1000. Default 60000. */
  readonly loadRetryIntervalMs?: number;
  /** `--num_load_threads` (0 → 1). Default 1. */
  readonly loadConcurrency?: number;
  /** Wraps each loaded version (the batcher plugs in here; `path` is the version directory). Default: identity. */
  readonly decorate?: (model: LoadedModel, name: string, version: number, path: string) => LoadedModel | Promise<LoadedModel>;
  /** Lifecycle events (state transitions with reasons). */
  readonly onTransition?: (event: TransitionEvent) => void;
  /** Source problems and policy warnings, e.g. a missing base path. */
  readonly onWarning?: (message: string, model: string) => void;
  /** `--allow_version_labels_for_unavailable_models`: reloadConfig may bind a label not bound elsewhere to any version. Default false. */
  readonly allowVersionLabelsForUnavailableModels?: boolean;
  /** Tensor memory one request may make the server allocate (inputs, and outputs). Default DEFAULT_REQUEST_LIMITS. */
  readonly requestLimits?: RequestLimits;
  /** Replay `<version>/assets.extra/tf_serving_warmup_requests` before a version becomes AVAILABLE. Default: no warmup. */
  readonly warmup?: WarmupOptions;
}

/** Owns the served models and their configuration. Subclassed by ModelServer, which is the one to construct. */
export class ModelLifecycle implements ModelRepositoryApi {
  private readonly sources = new Map<string, FileSystemSource>();
  /** Served models as applied (labels included), in insertion order. */
  private readonly configs = new Map<string, ServedModel>();
  /** Every model ever served (last config seen), so the operator API can list and re-load unloaded ones. */
  private readonly known = new Map<string, ServedModel>();
  /** Platform of the runtime that last loaded a version of a model (for platform-change checks on reload). */
  private readonly detectedPlatforms = new Map<string, string>();
  private readonly sourceErrors = new Map<string, InferdError>();
  private readonly lastWarnings = new Map<string, string>();
  /** whenSettled({ orUnreachable }) callers waiting for a model's source to fail. */
  private readonly unreachableWaiters = new Map<string, (() => void)[]>();
  /** Config changes (add, remove, reload, load, unload) run one at a time, in call order. */
  private changes: Promise<unknown> = Promise.resolve();

  protected constructor(
    protected readonly options: ModelServerOptions,
    readonly manager: LifecycleManager,
  ) {}

  /**
   * Resolves when every configured model's aspired versions are AVAILABLE or failed. With `orUnreachable`, a model
   * whose source cannot list its base path (a typo, storage not mounted yet) counts as settled too, so startup with
   * `--allow_unavailable_models_at_startup` does not wait for a path that may appear later.
   */
  whenSettled(options: { readonly orUnreachable?: boolean } = {}): Promise<void> {
    const names = [...this.configs.keys()];
    if (!options.orUnreachable) return this.manager.whenSettled(names);
    return Promise.all(names.map((name) => Promise.race([this.manager.whenSettled([name]), this.whenUnreachable(name)]))).then(() => undefined);
  }

  /** Why a configured model has no version yet (its source's error or policy warning), if it has none and a reason is known. */
  protected sourceProblem(name: string): string | undefined {
    if (!this.configs.has(name) || this.manager.status(name).length > 0) return undefined;
    return this.sourceErrors.get(name)?.message ?? (this.lastWarnings.get(name) || undefined);
  }

  /** Resolves once `name`'s source reports an error (at once if it has one now). */
  private whenUnreachable(name: string): Promise<void> {
    if (this.sourceErrors.has(name)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiting = this.unreachableWaiters.get(name) ?? [];
      waiting.push(resolve);
      this.unreachableWaiters.set(name, waiting);
    });
  }

  /** The platform of the runtime that last loaded a version of `name` (`onnx`, `tensorflow`), if any did. */
  platformOf(name: string): string | undefined {
    return this.detectedPlatforms.get(name);
  }

  /** Names of the configured models. */
  modelNames(): string[] {
    return [...this.configs.keys()];
  }

  /** The configured models. */
  models(): ServedModel[] {
    return [...this.configs.values()];
  }

  /** The configuration in force (as applied: labels are those bound now), in ModelServerConfig form. */
  currentConfig(): ModelServerConfig {
    return { models: [...this.configs.values()].map(toModelConfig) };
  }

  /**
   * Start serving a model (poll its base path, load per policy). Its labels are bound as given, unchecked (the
   * programmatic path; configs from users go through reloadConfig). INVALID_ARGUMENT when the name is taken.
   */
  addModel(model: ServedModel): Promise<void> {
    return this.serialize(async () => {
      if (this.configs.has(model.name)) throw InferdError.invalidArgument(`Illegal to list model ${model.name} multiple times in config list`);
      await this.startModel(model);
      this.manager.setLabels(model.name, model.versionLabels ?? {});
    });
  }

  /** Stop serving a model: its versions are unloaded once their requests finish; its labels are dropped. */
  removeModel(name: string): Promise<void> {
    return this.serialize(() => this.stopModel(name));
  }

  /**
   * Apply a whole new ModelServerConfig (TensorFlow Serving's ReloadConfig, reload.ts has the rules): models absent
   * from it are unloaded, new ones started, changed base paths and policies applied; then it waits until the new
   * and changed models settle, and binds the labels (each must point at an AVAILABLE version unless
   * `allowVersionLabelsForUnavailableModels` and the label is not bound elsewhere). Errors: INVALID_ARGUMENT
   * (platform change, `Changing file_system_poll_wait_seconds is not supported`) before anything changes;
   * UNKNOWN `<n> model(s) did not become available: ...` (labels untouched) or FAILED_PRECONDITION (label rule)
   * after the models were applied — as in TensorFlow Serving, the model changes then stay.
   */
  reloadConfig(config: ModelServerConfig, options: { readonly fileSystemPollWaitSeconds?: number } = {}): Promise<void> {
    return this.serialize(() => this.applyConfig(config, options));
  }

  /** Poll every source now (tests and reloads use this instead of waiting for the timer). */
  async pollNow(): Promise<void> {
    await Promise.all([...this.sources.values()].map((s) => s.poll()));
  }

  /** Stop sources, unload every version (after in-flight requests), close runtimes. Idempotent. */
  async close(): Promise<void> {
    await Promise.all([...this.sources.values()].map((s) => s.close()));
    this.sources.clear();
    await this.manager.close();
    await Promise.all(this.options.runtimes.map((r) => r.close()));
  }

  // ---- ModelRepositoryApi (the operator API) ----

  /** @inheritdoc */
  repositoryIndex(): RepositoryEntry[] {
    const rows: RepositoryEntry[] = [];
    for (const name of this.known.keys()) {
      const statuses = this.manager.status(name);
      if (statuses.length === 0) {
        const reason = this.configs.has(name) ? (this.sourceErrors.get(name)?.message ?? this.lastWarnings.get(name) ?? 'no version loaded yet') : 'not loaded';
        rows.push({ name, state: 'UNAVAILABLE', reason });
        continue;
      }
      for (const s of statuses) {
        const state = repositoryState(s.state);
        const reason = s.error?.message ?? (state === 'UNAVAILABLE' ? 'unloaded' : '');
        rows.push({ name, version: s.version, state, reason });
      }
    }
    return rows;
  }

  /** @inheritdoc */
  loadModel(name: string, options: LoadModelOptions = {}): Promise<void> {
    return this.serialize(async () => {
      let model: ModelConfig;
      if (options.config !== undefined) {
        model = modelConfigFromOperator(name, options.config);
      } else {
        const served = this.configs.get(name) ?? this.known.get(name);
        if (!served) throw InferdError.notFound(`Model ${name} is not in the model repository; load it with parameters.config giving its base_path`);
        model = toModelConfig(served);
      }
      const others = this.currentConfig().models.filter((m) => m.name !== name);
      if (this.configs.has(name) && options.config === undefined) {
        await this.sources.get(name)?.poll();
        await this.settleNew([name]);
        return;
      }
      await this.applyConfig({ models: [...others, model] }, {}, [name]);
    });
  }

  /** @inheritdoc */
  unloadModel(name: string): Promise<void> {
    return this.serialize(async () => {
      if (!this.known.has(name)) throw InferdError.notFound(`Model ${name} is not in the model repository`);
      if (!this.configs.has(name)) return;
      await this.applyConfig({ models: this.currentConfig().models.filter((m) => m.name !== name) }, {});
    });
  }

  // ---- internals ----

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.changes.then(work, work);
    this.changes = run.catch(() => undefined);
    return run;
  }

  /** reloadConfig's body; runs inside serialize. `awaitAlso` names models to wait for and report like new ones. */
  private async applyConfig(config: ModelServerConfig, options: { readonly fileSystemPollWaitSeconds?: number }, awaitAlso: readonly string[] = []): Promise<void> {
    const pollWait = this.options.pollWaitSeconds ?? 1;
    if (options.fileSystemPollWaitSeconds !== undefined && options.fileSystemPollWaitSeconds !== pollWait) {
      throw InferdError.invalidArgument('Changing file_system_poll_wait_seconds is not supported');
    }
    const diff = diffConfigs(this.currentConfig(), config, (name) => this.detectedPlatforms.get(name));
    if (diff.errors[0]) throw diff.errors[0];
    for (const m of diff.removed) await this.stopModel(m.name);
    for (const change of diff.changed) {
      const served = { ...toServedModel(change.after, false), versionLabels: this.configs.get(change.name)?.versionLabels ?? {} };
      this.configs.set(change.name, served);
      this.known.set(change.name, served);
      if (change.basePath) {
        await this.sources.get(change.name)?.close();
        this.sources.delete(change.name);
        this.sourceErrors.delete(change.name);
        await this.startSource(served);
      } else if (change.versionPolicy) {
        await this.sources.get(change.name)?.poll();
      }
    }
    for (const m of diff.added) {
      await this.startModel(toServedModel(m, false));
      this.manager.setLabels(m.name, {});
    }
    const changed = diff.changed.filter((c) => c.basePath || c.versionPolicy).map((c) => c.name);
    const fresh = [...new Set([...diff.added.map((m) => m.name), ...awaitAlso])];
    await this.manager.whenSettled([...fresh, ...changed]);
    this.failIfUnavailable(fresh);
    checkVersionLabels(config.models, {
      isAvailable: (name, version) => this.manager.status(name).some((s) => s.version === version && s.state === 'AVAILABLE'),
      isAssigned: (name, label) => {
        const target = this.manager.labelTarget(name, label);
        return target !== undefined && target !== config.models.find((m) => m.name === name)?.versionLabels[label];
      },
      allowUnavailable: this.options.allowVersionLabelsForUnavailableModels ?? false,
    });
    for (const m of config.models) {
      this.manager.setLabels(m.name, m.versionLabels);
      const served = { ...toServedModel(m, false), versionLabels: { ...m.versionLabels } };
      this.configs.set(m.name, served);
      this.known.set(m.name, served);
    }
  }

  /** Wait for `names` to settle and throw the reference's UNKNOWN error for those with no AVAILABLE version. */
  private async settleNew(names: readonly string[]): Promise<void> {
    await this.manager.whenSettled(names);
    this.failIfUnavailable(names);
  }

  private failIfUnavailable(names: readonly string[]): void {
    const failures: Unavailable[] = [];
    for (const name of names) {
      const statuses = this.manager.status(name);
      if (statuses.some((s) => s.state === 'AVAILABLE')) continue;
      const failed = statuses.find((s) => s.error);
      if (failed?.error) failures.push({ name, version: failed.version, error: failed.error.toString() });
      else {
        const reason = this.sourceErrors.get(name)?.toString() ?? `NOT_FOUND: ${this.lastWarnings.get(name) || `No versions of servable ${name} found`}`;
        failures.push({ name, error: reason });
      }
    }
    if (failures.length > 0) throw notAvailableError(failures);
  }

  /** Record a model and start its source (labels are the caller's business). */
  private async startModel(model: ServedModel): Promise<void> {
    this.configs.set(model.name, model);
    this.known.set(model.name, model);
    await this.startSource(model);
  }

  private async startSource(model: ServedModel): Promise<void> {
    const source = await FileSystemSource.create({
      name: model.name,
      basePath: model.basePath,
      pollWaitSeconds: this.options.pollWaitSeconds ?? 1,
      onVersions: (versions) => {
        this.sourceErrors.delete(model.name);
        this.applyPolicy(model.name, versions);
      },
      onError: (error) => {
        this.sourceErrors.set(model.name, error);
        this.options.onWarning?.(error.message, model.name);
        for (const wake of this.unreachableWaiters.get(model.name) ?? []) wake();
        this.unreachableWaiters.delete(model.name);
      },
    });
    this.sources.set(model.name, source);
  }

  private async stopModel(name: string): Promise<void> {
    const source = this.sources.get(name);
    this.sources.delete(name);
    this.configs.delete(name);
    this.lastWarnings.delete(name);
    this.sourceErrors.delete(name);
    await source?.close();
    this.manager.setLabels(name, {});
    this.manager.removeModel(name);
  }

  private applyPolicy(name: string, onDisk: readonly AspiredVersion[]): void {
    const config = this.configs.get(name);
    if (!config) return;
    const { aspired, warnings } = selectVersions(onDisk.map((v) => v.version), config.versionPolicy ?? DEFAULT_VERSION_POLICY, {
      modelName: name,
      basePath: config.basePath,
    });
    // Polls repeat every second: report a policy warning when it changes, not on every poll.
    const key = warnings.join('\n');
    if (key !== '' && this.lastWarnings.get(name) !== key) for (const w of warnings) this.options.onWarning?.(w, name);
    this.lastWarnings.set(name, key);
    const wanted = new Set(aspired);
    this.manager.setAspiredVersions(name, onDisk.filter((v) => wanted.has(v.version)));
  }

  /** Load one version with the runtime its platform (or its files) names; the manager calls this. */
  protected async loadVersion(name: string, version: AspiredVersion, signal: AbortSignal): Promise<LoadedModel> {
    const config = this.configs.get(name);
    const runtime = await this.pickRuntime(config?.platform, version.path);
    this.detectedPlatforms.set(name, runtime.platform);
    const loaded = await runtime.load({ modelName: name, version: version.version, path: version.path, signal });
    let ready: LoadedModel;
    try {
      // The check wraps the decorated version, so batch assembly and row splitting are checked too.
      ready = withOutputCheck(this.options.decorate ? await this.options.decorate(loaded, name, version.version, version.path) : loaded);
    } catch (err) {
      await loaded.close();
      throw err;
    }
    if (this.options.warmup) {
      try {
        // Warmup goes through the decorated version (batcher included), as TF Serving's warms its batching session.
        await warmUpVersion({ name, version: version.version, model: ready }, version.path, this.options.warmup,
          this.options.requestLimits ?? DEFAULT_REQUEST_LIMITS, signal);
      } catch (err) {
        await ready.close();
        throw err;
      }
    }
    return ready;
  }

  private async pickRuntime(platform: string | undefined, versionPath: string): Promise<Runtime> {
    const runtimes = this.options.runtimes;
    if (platform !== undefined) {
      const wanted = PLATFORM_ALIASES[platform] ?? platform;
      const runtime = runtimes.find((r) => r.platform === wanted);
      if (!runtime) throw InferdError.invalidArgument(`Model platform ${platform} is not supported (supported: ${runtimes.map((r) => r.platform).join(', ')})`);
      return runtime;
    }
    for (const runtime of runtimes) {
      if (await runtime.detect(versionPath)) return runtime;
    }
    throw InferdError.notFound(
      `Could not find SavedModel .pb or .pbtxt (nor an ONNX model.onnx) at supplied export directory path: ${versionPath}`,
    );
  }
}

/**
 * A ModelConfig from the operator API's `parameters.config` (a JSON string or object in TF Serving's ModelConfig
 * proto JSON form). The name defaults to `name`; a different one is INVALID_ARGUMENT, as is anything invalid.
 */
export function modelConfigFromOperator(name: string, config: unknown): ModelConfig {
  let value = config;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch (err) {
      throw InferdError.invalidArgument(`parameters.config is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw InferdError.invalidArgument('parameters.config must be a JSON object (a ModelConfig)');
  const given = (value as { name?: unknown }).name;
  if (given !== undefined && given !== name) throw InferdError.invalidArgument(`parameters.config names model ${String(given)}, but the request is for model ${name}`);
  const parsed = modelServerConfigFromObject({ model_config_list: { config: [{ ...value, name }] } });
  const model = parsed.models[0];
  if (!model) throw InferdError.invalidArgument('parameters.config holds no model');
  return model;
}
