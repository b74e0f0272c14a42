/**
 * The model server: ModelLifecycle (models, sources, policy, manager, reloads, operator API; model-lifecycle.ts)
 * plus the facade (ServingApi) that every transport calls. It names no concrete runtime: they are injected (see
 * compose.ts).
 */
import { InferdError } from '../core/errors.ts';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../core/limits.ts';
import type { ServableHandle } from '../core/lifecycle/handle.ts';
import { LifecycleManager } from '../core/lifecycle/manager.ts';
import type { VersionStatus } from '../core/lifecycle/state.ts';
import { ModelLifecycle, type ModelServerOptions } from './model-lifecycle.ts';
import type {
  ClassifyResult, ExampleCall, MetadataResult, ModelSpec, PredictCall, PredictResult, ReadinessApi, RegressResult, ServingApi,
} from './serving-api.ts';
import { classifyOn, predictOn, regressOn, type ServingTarget } from './version-calls.ts';

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
    if (all.length === 0) {
      // A configured model whose base path cannot be listed (or holds no version) says why.
      const problem = this.sourceProblem(name);
      throw InferdError.notFound(`Could not find any versions of model ${name}${problem ? `: ${problem}` : ''}`);
    }
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
    return this.onHandle(call.spec, (target) => predictOn(target, call, this.limits));
  }

  /** @inheritdoc */
  async classify(call: ExampleCall): Promise<ClassifyResult> {
    return this.onHandle(call.spec, (target) => classifyOn(target, call, this.limits));
  }

  /** @inheritdoc */
  async regress(call: ExampleCall): Promise<RegressResult> {
    return this.onHandle(call.spec, (target) => regressOn(target, call, this.limits));
  }

  // ---- internals ----

  private get limits(): RequestLimits {
    return this.options.requestLimits ?? DEFAULT_REQUEST_LIMITS;
  }

  /** Run `work` on the version `spec` resolves to, holding its handle until the work settles. */
  private async onHandle<T>(spec: ModelSpec, work: (target: ServingTarget) => Promise<T>): Promise<T> {
    const handle = this.acquire(spec);
    try {
      return await work({ name: spec.name, version: handle.version, model: handle.model });
    } finally {
      handle.release();
    }
  }

  private acquire(spec: ModelSpec): ServableHandle {
    return this.manager.acquire({
      name: spec.name,
      ...(spec.version !== undefined ? { version: spec.version } : {}),
      ...(spec.label !== undefined ? { label: spec.label } : {}),
    });
  }
}
