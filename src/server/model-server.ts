/**
 * The composition root's core: models from a config → file-system sources → version policy → lifecycle manager,
 * with loaders that pick a runtime per version directory. `ModelServer` is also the facade (ServingApi) that every
 * transport calls. It names no concrete runtime: they are injected (see default-runtimes.ts).
 */
import { type Example, encodeExample, withContext } from '../core/example.ts';
import { InferdError } from '../core/errors.ts';
import { type AspiredVersion, LifecycleManager, type TransitionEvent } from '../core/lifecycle/manager.ts';
import type { ServableHandle } from '../core/lifecycle/handle.ts';
import type { VersionStatus } from '../core/lifecycle/state.ts';
import type { LoadedModel, Runtime } from '../core/runtime.ts';
import { DEFAULT_SIGNATURE, type Signature } from '../core/signature.ts';
import { decodeString, type Tensor } from '../core/tensor.ts';
import { FileSystemSource } from '../repository/file-system-source.ts';
import type {
  ClassifyResult, ExampleCall, MetadataResult, ModelSpec, PredictCall, PredictResult, RegressResult, ServingApi,
} from './serving-api.ts';
import { DEFAULT_VERSION_POLICY, selectVersions, type VersionPolicy } from './config/version-policy.ts';

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
}

/** Platform aliases accepted in configs. */
const PLATFORM_ALIASES: Readonly<Record<string, string>> = { tensorflow: 'tensorflow', savedmodel: 'tensorflow', onnx: 'onnx', tfjs: 'tfjs' };

/** The model server: lifecycle plus the ServingApi facade. Construct with `ModelServer.create`. */
export class ModelServer implements ServingApi {
  private readonly sources = new Map<string, FileSystemSource>();
  private readonly configs = new Map<string, ServedModel>();
  private readonly lastWarnings = new Map<string, string>();

  private constructor(
    private readonly options: ModelServerOptions,
    readonly manager: LifecycleManager,
  ) {}

  /** Create the server and start its sources. Resolves once every source has polled once (not when loads finish). */
  static async create(options: ModelServerOptions): Promise<ModelServer> {
    // The manager's loader needs the server, which needs the manager: tie the knot through a reference.
    const ref: { server?: ModelServer } = {};
    const manager = await LifecycleManager.create({
      loader: (name, version, signal) => {
        if (!ref.server) throw InferdError.internal('server not constructed');
        return ref.server.loadVersion(name, version, signal);
      },
      ...(options.maxLoadRetries !== undefined ? { maxLoadRetries: options.maxLoadRetries } : {}),
      ...(options.loadRetryIntervalMs !== undefined ? { loadRetryIntervalMs: options.loadRetryIntervalMs } : {}),
      ...(options.loadConcurrency !== undefined ? { loadConcurrency: options.loadConcurrency } : {}),
      ...(options.onTransition ? { onTransition: options.onTransition } : {}),
    });
    const server = new ModelServer(options, manager);
    ref.server = server;
    for (const model of options.models) await server.addModel(model);
    return server;
  }

  /** Resolves when every configured model's aspired versions are AVAILABLE or failed. */
  whenSettled(): Promise<void> {
    return this.manager.whenSettled([...this.configs.keys()]);
  }

  /** Names of the configured models. */
  modelNames(): string[] {
    return [...this.configs.keys()];
  }

  /** The configured models. */
  models(): ServedModel[] {
    return [...this.configs.values()];
  }

  /** Start serving a model (poll its base path, load per policy). */
  async addModel(model: ServedModel): Promise<void> {
    if (this.configs.has(model.name)) throw InferdError.invalidArgument(`Illegal to list model ${model.name} multiple times in config list`);
    this.configs.set(model.name, model);
    this.manager.setLabels(model.name, model.versionLabels ?? {});
    const source = await FileSystemSource.create({
      name: model.name,
      basePath: model.basePath,
      pollWaitSeconds: this.options.pollWaitSeconds ?? 1,
      onVersions: (versions) => this.applyPolicy(model.name, versions),
      onError: (error) => this.options.onWarning?.(error.message, model.name),
    });
    this.sources.set(model.name, source);
  }

  /** Stop serving a model: its versions are unloaded once their requests finish. */
  async removeModel(name: string): Promise<void> {
    const source = this.sources.get(name);
    this.sources.delete(name);
    this.configs.delete(name);
    await source?.close();
    this.manager.removeModel(name);
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

  // ---- ServingApi ----

  /** @inheritdoc */
  status(name: string, version?: number): readonly VersionStatus[] {
    const all = this.manager.status(name);
    if (all.length === 0) throw InferdError.notFound(`Could not find any versions of model ${name}`);
    if (version === undefined) return all;
    const one = all.filter((s) => s.version === version);
    if (one.length === 0) throw InferdError.notFound(`Could not find version ${version} of model ${name}`);
    return one;
  }

  /** @inheritdoc */
  async metadata(spec: ModelSpec): Promise<MetadataResult> {
    const handle = this.acquire(spec);
    try {
      return { name: spec.name, version: handle.version, signatures: handle.model.metadata.signatures };
    } finally {
      handle.release();
    }
  }

  /** @inheritdoc */
  async predict(call: PredictCall): Promise<PredictResult> {
    const handle = this.acquire(call.spec);
    try {
      const signatureName = call.spec.signatureName || DEFAULT_SIGNATURE;
      const signature = handle.model.metadata.signatures[signatureName];
      if (!signature) {
        throw call.dialect === 'grpc'
          ? InferdError.failedPrecondition(`Serving signature key "${signatureName}" not found.`)
          : InferdError.invalidArgument(`Serving signature name: "${signatureName}" not found in signature def`);
      }
      if (call.dialect !== 'grpc' && Object.keys(signature.inputs).length === 0) {
        throw InferdError.invalidArgument(`Failed to get input map for signature: ${call.spec.signatureName || 'DEFAULT'}`);
      }
      const inputs = call.decodeInputs(signature, signatureName);
      const outputs = await handle.model.run({
        signatureName,
        inputs,
        ...(call.outputFilter && call.outputFilter.length > 0 ? { outputFilter: call.outputFilter } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
      });
      return { served: { name: call.spec.name, version: handle.version, signatureName }, signature, outputs };
    } finally {
      handle.release();
    }
  }

  /** @inheritdoc */
  async classify(call: ExampleCall): Promise<ClassifyResult> {
    const { served, outputs } = await this.runExamples(call, 'classify');
    const scores = outputs.scores;
    const classes = outputs.classes;
    const n = call.examples.length;
    const classifications = Array.from({ length: n }, (_, i) => {
      const k = rowWidth(scores ?? classes, n);
      return Array.from({ length: k }, (_, j) => ({
        label: classes ? decodeString((classes.data as Uint8Array[])[i * k + j] ?? new Uint8Array()) : '',
        score: scores ? Number(scores.data[i * k + j]) : 0,
      }));
    });
    return { served, classifications };
  }

  /** @inheritdoc */
  async regress(call: ExampleCall): Promise<RegressResult> {
    const { served, outputs } = await this.runExamples(call, 'regress');
    const out = outputs.outputs;
    if (!out || rowWidth(out, call.examples.length) !== 1) {
      throw InferdError.invalidArgument(`Expected output Tensor shape to be [${call.examples.length}] or [${call.examples.length},1]`);
    }
    return { served, values: Array.from(out.data as ArrayLike<number>, Number) };
  }

  // ---- internals ----

  private acquire(spec: ModelSpec): ServableHandle {
    return this.manager.acquire({
      name: spec.name,
      ...(spec.version !== undefined ? { version: spec.version } : {}),
      ...(spec.label !== undefined ? { label: spec.label } : {}),
    });
  }

  /** Classify/regress over tf.Example (servables/tensorflow/classifier.cc, regressor.cc rules in our words). */
  private async runExamples(call: ExampleCall, method: 'classify' | 'regress'): Promise<{ served: PredictResult['served']; outputs: Readonly<Record<string, Tensor>> }> {
    const handle = this.acquire(call.spec);
    try {
      const signatureName = call.spec.signatureName || DEFAULT_SIGNATURE;
      const signature = handle.model.metadata.signatures[signatureName];
      if (!signature) throw InferdError.invalidArgument(`No signature was found with the name: ${signatureName}`);
      checkExampleSignature(signature, method);
      const examples = call.examples.map((e: Example) => encodeExample(withContext(e, call.context)));
      const inputs = { inputs: { dtype: 'string', shape: [examples.length], data: examples } as Tensor };
      const outputs = await handle.model.run({ signatureName, inputs, ...(call.signal ? { signal: call.signal } : {}) });
      return { served: { name: call.spec.name, version: handle.version, signatureName }, outputs };
    } finally {
      handle.release();
    }
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

  private async loadVersion(name: string, version: AspiredVersion, signal: AbortSignal): Promise<LoadedModel> {
    const config = this.configs.get(name);
    const runtime = await this.pickRuntime(config?.platform, version.path);
    const loaded = await runtime.load({ modelName: name, version: version.version, path: version.path, signal });
    if (!this.options.decorate) return loaded;
    try {
      return await this.options.decorate(loaded, name, version.version, version.path);
    } catch (err) {
      await loaded.close();
      throw err;
    }
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
      `No servable model found in ${versionPath}: expected one of saved_model.pb, saved_model.pbtxt (tensorflow), model.onnx (onnx)`,
    );
  }
}

/** Validate a classify/regress signature's shape (one `inputs` input; the right outputs). */
function checkExampleSignature(signature: Signature, method: 'classify' | 'regress'): void {
  const inputKeys = Object.keys(signature.inputs);
  if (inputKeys.length !== 1) throw InferdError.invalidArgument('Expected one input Tensor.');
  if (!signature.inputs.inputs) {
    throw InferdError.invalidArgument(`No ${method === 'classify' ? 'classification' : 'regression'} inputs found in SignatureDef: ${describeSignature(signature)}`);
  }
  if (signature.inputs.inputs.dtype !== 'string') {
    throw InferdError.invalidArgument(
      `Signature input 'inputs' (${signature.inputs.inputs.name}) must be a DT_STRING tensor of serialized tf.Example to ${method}`,
    );
  }
  const outputKeys = Object.keys(signature.outputs);
  if (method === 'regress') {
    if (outputKeys.length !== 1) throw InferdError.invalidArgument('Expected one output Tensor.');
    if (!signature.outputs.outputs) throw InferdError.invalidArgument(`No regression outputs found in SignatureDef: ${describeSignature(signature)}`);
  } else {
    if (outputKeys.length < 1 || outputKeys.length > 2) throw InferdError.invalidArgument(`Expected one or two output Tensors, found ${outputKeys.length}`);
    if (!signature.outputs.classes && !signature.outputs.scores) {
      throw InferdError.invalidArgument(`Expected classification signature outputs to include 'classes' or 'scores': ${describeSignature(signature)}`);
    }
  }
}

function describeSignature(signature: Signature): string {
  const io = (m: Signature['inputs']) => Object.entries(m).map(([k, v]) => `${k}: ${v.name}`).join(', ');
  return `inputs {${io(signature.inputs)}} outputs {${io(signature.outputs)}} method_name: "${signature.methodName}"`;
}

/** Elements per example of an output with `n` rows ([n] → 1, [n,k] → k). */
function rowWidth(t: Tensor | undefined, n: number): number {
  if (!t) return 0;
  if (t.shape[0] !== n || t.shape.length > 2) {
    throw InferdError.invalidArgument(`Expected output Tensor of shape [${n}] or [${n},k] but got [${t.shape.join(',')}]`);
  }
  return t.shape.length === 1 ? 1 : (t.shape[1] ?? 0);
}
