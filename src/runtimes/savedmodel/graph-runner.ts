/**
 * Executes a FlatModel with tfjs-converter's graph executor in the current thread: one GraphModel per runnable
 * signature, all sharing one table of weight tensors. Calls are serialized per runner (tfjs keeps one engine
 * per thread; interleaved async executions would mix scopes). Owns its tfjs tensors until dispose().
 */
import * as tf from '@tensorflow/tfjs-core';
import { GraphModel, registerOp } from '@tensorflow/tfjs-converter';
import type { io } from '@tensorflow/tfjs-core';
import { dtypeOfTfName, tfShortName } from '../../core/dtype.ts';
import { InferdError, throwIfAborted, toInferdError } from '../../core/errors.ts';
import type { RunResult } from '../../core/runtime.ts';
import type { Tensor } from '../../core/tensor.ts';
import type { FlatModel, FlatSignature } from './flatten.ts';
import type { AttrObj, NodeObj } from './proto.ts';
import { fromTfjs, toTfjs } from './tfjs-tensors.ts';
import { PARSE_EXAMPLE_OPS } from './parse-example.ts';
import { TABLE_OPS } from './table-ops.ts';
import { TENSOR_LIST_OPS } from './tensor-list-ops.ts';
import { EXTRA_OPS } from './extra-ops.ts';
import { IMAGE_OPS } from './image-ops.ts';
import { STRING_OPS } from './string-ops.ts';
import { FEATURE_COLUMN_OPS } from './feature-column-ops.ts';
import { describeFailure, faultNode, isFault, trackNodes, type FaultNode } from './faults.ts';

/** A run request as the runner sees it (plain data, so it can come from another thread). */
export interface RunnerRequest {
  readonly signatureName: string;
  readonly inputs: Readonly<Record<string, Tensor>>;
  readonly outputFilter?: readonly string[] | undefined;
}

function tfjsAttr(a: AttrObj): unknown {
  const out: Record<string, unknown> = { ...a };
  if (a.s) out['s'] = Array.from(a.s);
  if (a.list) {
    // Only the list's non-empty field: tfjs picks the first present field to decide the list's kind.
    const list: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(a.list)) {
      if (Array.isArray(v) && v.length > 0) list[k] = k === 's' ? (v as Uint8Array[]).map((x) => Array.from(x)) : v;
    }
    out['list'] = list;
  }
  delete out['tensor'];
  return out;
}

/** A NodeDef in the JSON shape tfjs-converter reads (bytes as number arrays, no tensor values). */
export function tfjsNode(n: NodeObj): Record<string, unknown> {
  const attr: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(n.attr)) attr[k] = tfjsAttr(v);
  return { name: n.name, op: n.op, input: n.input, attr };
}

interface MappedGraph {
  nodes: Record<string, { op: string; category?: string; name: string }>;
  functions?: Record<string, MappedGraph>;
}

/** Ops of a built model that tfjs-converter cannot execute (no mapper and no custom op), with one node each. */
function unsupportedOps(model: GraphModel, into: Map<string, string>): void {
  const graph = (model as unknown as { executor: { graph: MappedGraph } }).executor.graph;
  const visit = (g: MappedGraph): void => {
    for (const n of Object.values(g.nodes)) if (n.category === undefined && !into.has(n.op)) into.set(n.op, n.name);
    for (const f of Object.values(g.functions ?? {})) visit(f);
  };
  visit(graph);
}

function buildModel(sig: FlatSignature, weights: tf.NamedTensorMap): GraphModel {
  const topology = {
    node: sig.nodes.map(tfjsNode),
    library: { function: sig.functions.map((f) => ({ ...f, nodeDef: f.nodeDef.map(tfjsNode) })) },
    versions: { producer: 1, minConsumer: 0 },
  };
  const model = new GraphModel({ load: () => Promise.reject(new Error('not used')) } as io.IOHandler);
  // loadWithWeightMap is private in the typings but is the documented path behind loadSync; it takes tensors we own.
  (model as unknown as { loadWithWeightMap(a: io.ModelArtifacts, w: tf.NamedTensorMap): void })
    .loadWithWeightMap({ modelTopology: topology } as io.ModelArtifacts, weights);
  trackNodes(model);
  return model;
}

let registered = false;

/** Register inferd's custom ops in this thread's tfjs-converter (idempotent; the registry is per thread). */
function registerCustomOps(): void {
  if (registered) return;
  registered = true;
  for (const ops of [PARSE_EXAMPLE_OPS, TABLE_OPS, TENSOR_LIST_OPS, EXTRA_OPS, IMAGE_OPS, STRING_OPS, FEATURE_COLUMN_OPS]) {
    for (const [name, op] of Object.entries(ops)) registerOp(name, op);
  }
}

/**
 * Ops of the runnable signatures that neither tfjs-converter nor inferd can execute, with one node each. Needs no
 * tfjs backend and no weights (for `inferd inspect --ops`).
 */
export function unsupportedOpsOf(flat: FlatModel): Map<string, string> {
  registerCustomOps();
  const missing = new Map<string, string>();
  for (const sig of Object.values(flat.signatures)) if (!sig.unavailable) unsupportedOps(buildModel(sig, {}), missing);
  return missing;
}

/** Runs the signatures of one flattened model. */
export class GraphRunner {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private readonly weightSet: Set<tf.Tensor>;

  private constructor(
    private readonly flat: FlatModel,
    private readonly weights: tf.NamedTensorMap,
    private readonly models: Map<string, GraphModel>,
  ) {
    this.weightSet = new Set(Object.values(weights));
  }

  /** Build every runnable signature's GraphModel (tfjs must be initialized: see initBackend). */
  static create(flat: FlatModel): GraphRunner {
    registerCustomOps();
    const weights: tf.NamedTensorMap = {};
    try {
      for (const [name, t] of Object.entries(flat.weights)) weights[name] = toTfjs(t, `Constant ${name}`);
      const models = new Map<string, GraphModel>();
      for (const [key, sig] of Object.entries(flat.signatures)) if (!sig.unavailable) models.set(key, buildModel(sig, weights));
      const missing = new Map<string, string>();
      for (const m of models.values()) unsupportedOps(m, missing);
      if (missing.size > 0) {
        const list = [...missing].sort().map(([op, node]) => `${op} (e.g. node ${node})`).join(', ');
        throw InferdError.unimplemented(`The SavedModel uses TensorFlow ops that inferd cannot run: ${list}`);
      }
      return new GraphRunner(flat, weights, models);
    } catch (err) {
      for (const t of Object.values(weights)) t.dispose();
      throw toInferdError(err, 'INTERNAL');
    }
  }

  /** Run one signature; calls are queued so only one executes at a time. */
  run(request: RunnerRequest, signal?: AbortSignal): Promise<RunResult> {
    const next = this.queue.then(() => this.runNow(request, signal));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async runNow(request: RunnerRequest, signal: AbortSignal | undefined): Promise<RunResult> {
    throwIfAborted(signal);
    if (this.closed) throw InferdError.unavailable('Model version is unloading');
    const sig = this.flat.signatures[request.signatureName];
    if (!sig) throw InferdError.failedPrecondition(`Serving signature key "${request.signatureName}" not found.`);
    if (sig.unavailable) throw new InferdError(sig.unavailable.code, sig.unavailable.message);
    const model = this.models.get(request.signatureName) as GraphModel;
    const aliases = request.outputFilter && request.outputFilter.length > 0 ? [...request.outputFilter] : Object.keys(sig.fetches);
    const names = [...new Set(aliases.map((a) => {
      const t = sig.fetches[a];
      if (t === undefined) throw InferdError.invalidArgument(`output tensor alias not found in signature: ${a}`);
      return t;
    }))];
    const feeds: tf.NamedTensorMap = {};
    let outputs: tf.Tensor[] = [];
    try {
      let i = 0;
      for (const [alias, feed] of Object.entries(sig.feeds)) {
        const t = request.inputs[alias];
        if (!t) throw InferdError.invalidArgument(`Missing input ${alias}`);
        const want = dtypeOfTfName(feed.dtype);
        if (want && want !== t.dtype) {
          throw InferdError.invalidArgument(`Expects arg[${i}] to be ${tfShortName(want)} but ${tfShortName(t.dtype)} is provided`);
        }
        feeds[feed.node] = toTfjs(t, `Input ${alias}`);
        i++;
      }
      try {
        const res = sig.dynamic ? await model.executeAsync(feeds, names) : model.execute(feeds, names);
        outputs = Array.isArray(res) ? res : [res];
      } catch (err) {
        throw describeFailure(err, request.signatureName, await this.locateFault(err, model, sig, feeds, names));
      }
      const byName = new Map<string, Tensor>();
      for (let k = 0; k < names.length; k++) {
        const alias = aliases.find((a) => sig.fetches[a] === names[k]) as string;
        byName.set(names[k] as string, await fromTfjs(outputs[k] as tf.Tensor, dtypeOfTfName(sig.fetchTypes[alias] ?? '')));
      }
      const result: RunResult = {};
      for (const a of aliases) result[a] = byName.get(sig.fetches[a] as string) as Tensor;
      return result;
    } finally {
      for (const t of Object.values(feeds)) t.dispose();
      for (const t of outputs) if (!this.weightSet.has(t)) t.dispose();
    }
  }

  /**
   * The node a fault came from: recorded by the tracked executor, or, for the synchronous path (which records
   * nothing), found by running the same feeds once more through executeAsync.
   */
  private async locateFault(err: unknown, model: GraphModel, sig: FlatSignature, feeds: tf.NamedTensorMap, names: string[]): Promise<FaultNode | undefined> {
    const known = faultNode(err);
    if (known || sig.dynamic || !isFault(err)) return known;
    try {
      const res = await model.executeAsync(feeds, names);
      for (const t of Array.isArray(res) ? res : [res]) if (!this.weightSet.has(t)) t.dispose();
      return undefined;
    } catch (again) {
      return faultNode(again);
    }
  }

  /** Dispose every tensor and model. Idempotent; queued runs finish first. */
  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    for (const t of Object.values(this.weights)) t.dispose();
    this.models.clear();
  }
}
