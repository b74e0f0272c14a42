/**
 * Pieces of TensorFlow Serving's ServerCore::ReloadConfig that need no server state (shared/reference/tfserving-api.md
 * §3–4, in our words): the label rule, the "did not become available" message, ServedModel ↔ ModelConfig, and the
 * `--model_config_file_poll_wait_seconds` watcher that re-reads the file and hands a changed config to a reload
 * function. The stateful part (diff, sources, waiting) is ModelServer.reloadConfig.
 */
import { readFile } from 'node:fs/promises';
import { InferdError } from '../core/errors.ts';
import { loadModelServerConfig, type ModelConfig, type ModelPlatform, type ModelServerConfig } from './config/model-server-config.ts';
import { DEFAULT_VERSION_POLICY } from './config/version-policy.ts';

/** A served model as ModelServer stores it (kept structurally identical to model-server.ts's ServedModel). */
export interface ServedModelLike {
  readonly name: string;
  readonly basePath: string;
  readonly platform?: string;
  readonly versionPolicy?: ModelConfig['versionPolicy'];
  readonly versionLabels?: Readonly<Record<string, number>>;
}

/** Platform aliases accepted in configs → canonical platform names. */
export const PLATFORM_ALIASES: Readonly<Record<string, string>> = { tensorflow: 'tensorflow', savedmodel: 'tensorflow', onnx: 'onnx', tfjs: 'tfjs' };

/** A validated ModelConfig for a served model (defaults filled in, platform alias resolved). */
export function toModelConfig(m: ServedModelLike): ModelConfig {
  const base = { name: m.name, basePath: m.basePath, versionPolicy: m.versionPolicy ?? DEFAULT_VERSION_POLICY, versionLabels: { ...(m.versionLabels ?? {}) } };
  if (m.platform === undefined || m.platform === '') return base;
  return { ...base, platform: (PLATFORM_ALIASES[m.platform] ?? m.platform) as ModelPlatform };
}

/** The ServedModel form of a validated ModelConfig (labels omitted when `withLabels` is false). */
export function toServedModel(m: ModelConfig, withLabels = true): ServedModelLike {
  return {
    name: m.name,
    basePath: m.basePath,
    ...(m.platform !== undefined ? { platform: m.platform } : {}),
    versionPolicy: m.versionPolicy,
    ...(withLabels ? { versionLabels: { ...m.versionLabels } } : {}),
  };
}

/** What the label rule needs to know about the server. */
export interface LabelContext {
  /** True when `version` of `model` is AVAILABLE now. */
  readonly isAvailable: (model: string, version: number) => boolean;
  /** True when `label` of `model` is bound to some version now. */
  readonly isAssigned: (model: string, label: string) => boolean;
  /** `--allow_version_labels_for_unavailable_models`. */
  readonly allowUnavailable: boolean;
}

/**
 * TensorFlow Serving's label rule (ServerCore::UpdateModelVersionLabelMap): every label must point at an AVAILABLE
 * version, except that with `allowUnavailable` a label not currently bound may point anywhere. Throws
 * FAILED_PRECONDITION `Request to assign label to version <v> of model <m>, which is not currently available for
 * inference` on the first violation; checks every model before anything is applied.
 */
export function checkVersionLabels(models: readonly Pick<ModelConfig, 'name' | 'versionLabels'>[], ctx: LabelContext): void {
  for (const m of models) {
    for (const [label, version] of Object.entries(m.versionLabels)) {
      if (ctx.isAvailable(m.name, version)) continue;
      if (ctx.allowUnavailable && !ctx.isAssigned(m.name, label)) continue;
      throw InferdError.failedPrecondition(
        `Request to assign label to version ${version} of model ${m.name}, which is not currently available for inference`,
      );
    }
  }
}

/** One model that did not become available, for the reload/startup message. */
export interface Unavailable {
  readonly name: string;
  /** The failed version, or undefined when no version was found at all (missing base path, no version folder). */
  readonly version?: number;
  /** `CODE: message` of the failure. */
  readonly error: string;
}

/**
 * UNKNOWN `<n> model(s) did not become available: {{name: <m> version: <v>} due to error: <status>}, }` — the
 * reference's text for new models of a reload (`what` = `servable(s)` gives the startup variant's wording).
 */
export function notAvailableError(items: readonly Unavailable[], what = 'model(s)'): InferdError {
  const parts = items.map((u) => `{name: ${u.name} version: ${u.version ?? 'none'}} due to error: ${u.error}}, `);
  return new InferdError('UNKNOWN', `${items.length} ${what} did not become available: {${parts.join('')}}`);
}

/** Options of the config-file watcher. */
export interface ConfigFileWatcherOptions {
  /** The `--model_config_file` path. */
  readonly path: string;
  /** `--model_config_file_poll_wait_seconds`: > 0 re-read every N seconds; 0 or less: never. */
  readonly pollWaitSeconds: number;
  /** Applies a changed config (ModelServer.reloadConfig). Rejections are reported to `onError`; the old config stays. */
  readonly reload: (config: ModelServerConfig) => Promise<void>;
  /** A read, parse, validation or reload failure (the old config stays in force). Must not throw. */
  readonly onError: (error: InferdError) => void;
  /** A changed file was applied. Must not throw. */
  readonly onApplied?: (config: ModelServerConfig) => void;
  /** The file's text at startup, so an unchanged file is not re-applied. Default: the first poll applies. */
  readonly initialText?: string;
}

/**
 * Re-reads `--model_config_file` every `pollWaitSeconds` and reloads when its text differs from the last applied
 * text. A file that fails (unreadable, unparsable, rejected by reload) leaves the old config in force and is retried
 * on the next poll, as TensorFlow Serving does; each distinct failure is reported once. Polls never overlap: the
 * next one is scheduled after the previous reload finished. Changes made meanwhile through the management API
 * persist until the file changes. Construct with `start`; `close()` stops it (idempotent, waits for a running reload).
 */
export class ConfigFileWatcher {
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private running: Promise<void> = Promise.resolve();
  private appliedText: string | undefined;
  private lastReport: string | undefined;

  private constructor(private readonly options: ConfigFileWatcherOptions) {
    this.appliedText = options.initialText;
  }

  /** Start polling (the first poll is one interval from now). */
  static start(options: ConfigFileWatcherOptions): ConfigFileWatcher {
    const watcher = new ConfigFileWatcher(options);
    watcher.schedule();
    return watcher;
  }

  /** Read the file now and reload when it changed. Never throws (failures go to onError). */
  pollNow(): Promise<void> {
    this.running = this.running.then(() => this.poll());
    return this.running;
  }

  /** Stop polling. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    let text: string;
    try {
      text = await readFile(this.options.path, 'utf8');
    } catch (err) {
      this.report(new InferdError('NOT_FOUND', `${this.options.path}; ${(err as Error).message}`, { cause: err }), '');
      return;
    }
    if (text === this.appliedText) return;
    if (text.trim() === '') {
      // An empty file is a rewrite caught half way (truncated, not yet written), not "serve nothing" (that is
      // `model_config_list {}`): applying it would unload every model until the next poll.
      this.report(InferdError.invalidArgument(`${this.options.path} is empty; keeping the previous config`), text);
      return;
    }
    try {
      const config = await loadModelServerConfig(this.options.path);
      if (this.closed) return;
      await this.options.reload(config);
      this.appliedText = text;
      this.lastReport = undefined;
      this.options.onApplied?.(config);
    } catch (err) {
      this.report(err instanceof InferdError ? err : InferdError.internal(String(err), err), text);
    }
  }

  private report(error: InferdError, text: string): void {
    const key = `${text}\u0000${error.toString()}`;
    if (key === this.lastReport) return;
    this.lastReport = key;
    this.options.onError(error);
  }

  private schedule(): void {
    if (this.options.pollWaitSeconds <= 0 || this.closed) return;
    this.timer = setTimeout(() => {
      void this.pollNow().then(() => this.schedule());
    }, this.options.pollWaitSeconds * 1000);
    this.timer.unref();
  }
}
