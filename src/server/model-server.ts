/**
 * The model server: ModelLifecycle (models, sources, policy, manager, reloads, operator API; model-lifecycle.ts)
 * plus the facade (ServingApi) that every transport calls. It names no concrete runtime: they are injected (see
 * compose.ts).
 */
import { type Example, encodeExample, withContext } from '../core/example.ts';
import { InferdError } from '../core/errors.ts';
import { AllocationBudget, DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../core/limits.ts';
import type { ServableHandle } from '../core/lifecycle/handle.ts';
import { LifecycleManager } from '../core/lifecycle/manager.ts';
import type { VersionStatus } from '../core/lifecycle/state.ts';
import type { RunStats } from '../core/request-outcome.ts';
import { DEFAULT_SIGNATURE } from '../core/signature.ts';
import { decodeString, type Tensor } from '../core/tensor.ts';
import { checkExampleSignature, rowWidth } from './example-signatures.ts';
import { ModelLifecycle, type ModelServerOptions } from './model-lifecycle.ts';
import type {
  ClassifyResult, ExampleCall, MetadataResult, ModelSpec, PredictCall, PredictResult, ReadinessApi, RegressResult, ServingApi,
} from './serving-api.ts';

/** Re-exported: the model and option types (defined with the lifecycle). */
export type { ModelServerOptions, ServedModel } from './model-lifecycle.ts';

/** The model server: lifecycle (ModelLifecycle) plus the ServingApi facade. Construct with `ModelServer.create`. */
export class ModelServer extends ModelLifecycle implements ServingApi, ReadinessApi {
  private drainingNow = false;

  private constructor(options: ModelServerOptions, manager: LifecycleManager) {
    super(options, manager);
  }

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

  // ---- ReadinessApi ----

  /**
   * Start draining (graceful shutdown): readiness turns false at once so load balancers stop sending traffic,
   * while requests already admitted (and new ones) are still served until the transports close. Idempotent.
   */
  startDraining(): void {
    this.drainingNow = true;
  }

  /** @inheritdoc */
  get draining(): boolean {
    return this.drainingNow;
  }

  /** @inheritdoc */
  isReady(): boolean {
    if (this.drainingNow) return false;
    return this.modelNames().every((name) => this.manager.status(name).some((s) => s.state === 'AVAILABLE'));
  }

  /** @inheritdoc */
  isModelReady(name: string, version?: number): boolean | undefined {
    const statuses = this.manager.status(name);
    if (!this.modelNames().includes(name) && statuses.length === 0) return undefined;
    if (this.drainingNow) return false;
    return statuses.some((s) => s.state === 'AVAILABLE' && (version === undefined || s.version === version));
  }

  // ---- ServingApi ----

  /** @inheritdoc */
  status(name: string, version?: number | bigint): readonly VersionStatus[] {
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
      const platform = this.platformOf(spec.name);
      return { name: spec.name, version: handle.version, signatures: handle.model.metadata.signatures, ...(platform !== undefined ? { platform } : {}) };
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
      const limits = this.options.requestLimits ?? DEFAULT_REQUEST_LIMITS;
      const inputs = call.decodeInputs(signature, signatureName, new AllocationBudget(limits, 'request'));
      let batchSize: number | undefined;
      const started = performance.now();
      const outputs = await handle.model.run({
        signatureName,
        inputs,
        ...(call.outputFilter && call.outputFilter.length > 0 ? { outputFilter: call.outputFilter } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
        onBatched: (size) => { batchSize = Math.max(batchSize ?? 0, size); },
      });
      chargeOutputs(outputs, limits);
      const run = { runMicros: (performance.now() - started) * 1000, ...(batchSize !== undefined ? { batchSize } : {}) };
      return { served: { name: call.spec.name, version: handle.version, signatureName }, signature, outputs, run };
    } finally {
      handle.release();
    }
  }

  /** @inheritdoc */
  async classify(call: ExampleCall): Promise<ClassifyResult> {
    const { served, outputs, run } = await this.runExamples(call, 'classify');
    const scores = outputs.scores;
    const classes = outputs.classes;
    const n = call.examples.length;
    const k = n === 0 ? 0 : rowWidth(scores ?? classes, n);
    const classifications = Array.from({ length: n }, (_, i) => {
      return Array.from({ length: k }, (_, j) => ({
        label: classes ? decodeString((classes.data as Uint8Array[])[i * k + j] ?? new Uint8Array()) : '',
        score: scores ? Number(scores.data[i * k + j]) : 0,
      }));
    });
    return { served, classifications, run };
  }

  /** @inheritdoc */
  async regress(call: ExampleCall): Promise<RegressResult> {
    const { served, outputs, run } = await this.runExamples(call, 'regress');
    const out = outputs.outputs;
    if (!out || rowWidth(out, call.examples.length) !== 1) {
      throw InferdError.invalidArgument(`Expected output Tensor shape to be [${call.examples.length}] or [${call.examples.length},1]`);
    }
    return { served, values: Array.from(out.data as ArrayLike<number>, Number), run };
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
  private async runExamples(
    call: ExampleCall, method: 'classify' | 'regress',
  ): Promise<{ served: PredictResult['served']; outputs: Readonly<Record<string, Tensor>>; run: RunStats }> {
    const handle = this.acquire(call.spec);
    try {
      const signatureName = call.spec.signatureName || DEFAULT_SIGNATURE;
      const signature = handle.model.metadata.signatures[signatureName];
      if (!signature) throw InferdError.invalidArgument(`No signature was found with the name: ${signatureName}`);
      checkExampleSignature(signature, method);
      const examples = call.examples.map((e: Example) => encodeExample(withContext(e, call.context)));
      const inputs = { inputs: { dtype: 'string', shape: [examples.length], data: examples } as Tensor };
      let batchSize: number | undefined;
      const started = performance.now();
      const outputs = await handle.model.run({
        signatureName, inputs, ...(call.signal ? { signal: call.signal } : {}),
        onBatched: (size) => { batchSize = Math.max(batchSize ?? 0, size); },
      });
      chargeOutputs(outputs, this.options.requestLimits ?? DEFAULT_REQUEST_LIMITS);
      const run = { runMicros: (performance.now() - started) * 1000, ...(batchSize !== undefined ? { batchSize } : {}) };
      return { served: { name: call.spec.name, version: handle.version, signatureName }, outputs, run };
    } finally {
      handle.release();
    }
  }
}

/** Charge a run's outputs to a response budget before any transport encodes them (RESOURCE_EXHAUSTED past it). */
function chargeOutputs(outputs: Readonly<Record<string, Tensor>>, limits: RequestLimits): void {
  const budget = new AllocationBudget(limits, 'response');
  for (const [alias, t] of Object.entries(outputs)) budget.chargeTensor(alias, t);
}
