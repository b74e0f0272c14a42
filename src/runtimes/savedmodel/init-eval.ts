/**
 * Load-time evaluation of the small subgraphs that feed table initializers (keys, values, vocabulary file names):
 * Const, Identity-like nodes, asset file tensors (replaced by `<export dir>/assets/<file>`, as TensorFlow's loader
 * feeds them), variables (checkpoint, constant initializer, or an assignment from an asset placeholder as TF2
 * writes them), RestoreV2 (checkpoint reads: MutableHashTable contents), Cast, Range, Reshape, Squeeze and
 * ExpandDims. Anything else is UNIMPLEMENTED naming the op and node. Values are core Tensors; no tfjs needed.
 */
import { dtypeOfTfName, type DType } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';
import { allocate, elementCount, stringTensor, type Tensor, type TensorData } from '../../core/tensor.ts';
import type { TensorBundle } from './bundle.ts';
import { canonicalTensor } from './graph-util.ts';
import type { NodeObj } from './proto.ts';
import { tensorFromProto } from './tensor-proto.ts';
import { resolveProducer, VARIABLE_OPS, type VariableSource, readVariable } from './variables.ts';

/** One element of a tensor as a JS value: number, bigint (64-bit integers) or bytes (strings). */
export type Element = number | bigint | Uint8Array;

/** The elements of a tensor in row-major order. */
export function elementsOf(t: Tensor): Element[] {
  return Array.from(t.data as ArrayLike<Element>);
}

/** Storage of `dtype` holding `values`, converted (numbers ↔ bigints, float → int truncates). */
export function storageOf(dtype: DType, values: readonly Element[], what: string): TensorData {
  const out = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as Element;
    if (dtype === 'string') {
      if (!(v instanceof Uint8Array)) throw InferdError.unimplemented(`${what}: cannot convert a number to string`);
      (out as Uint8Array[])[i] = v;
      continue;
    }
    if (v instanceof Uint8Array) throw InferdError.unimplemented(`${what}: cannot convert a string to ${dtype}`);
    if (dtype === 'int64' || dtype === 'uint64') (out as BigInt64Array)[i] = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
    else (out as Float32Array)[i] = Number(v);
  }
  return out;
}

const ASSIGN_OPS = new Set(['Assign', 'AssignVariableOp']);

/** Evaluates load-time tensors of one flat (inlined) graph. Results are cached by canonical tensor name. */
export class InitEvaluator {
  private readonly cache = new Map<string, Tensor>();
  private assigns: Map<string, string[]> | undefined;

  /**
   * @param byName the inlined graph's nodes by name
   * @param assets canonical tensor name → absolute path of the asset file (TensorFlow feeds these at load)
   */
  constructor(
    private readonly byName: ReadonlyMap<string, NodeObj>,
    private readonly sources: ReadonlyMap<string, VariableSource>,
    private readonly bundle: TensorBundle | undefined,
    private readonly assets: ReadonlyMap<string, string>,
  ) {}

  /** The value of tensor `ref` (`node:i`). `why` names what needs it, for error messages. */
  eval(ref: string, why: string): Tensor {
    const key = canonicalTensor(ref);
    const asset = this.assets.get(key);
    if (asset !== undefined) return stringTensor([], [asset]);
    const cached = this.cache.get(key);
    if (cached) return cached;
    const found = resolveProducer(this.byName, key);
    if (!found) throw InferdError.failedPrecondition(`${why}: tensor ${ref} is not in the graph`);
    const resolvedKey = `${found.node.name}:${found.index}`;
    const value = this.assets.has(resolvedKey) ? stringTensor([], [this.assets.get(resolvedKey) as string]) : this.evalNode(found.node, found.index, why);
    this.cache.set(key, value);
    return value;
  }

  private evalNode(node: NodeObj, index: number, why: string): Tensor {
    const input = (i: number): Tensor => {
      const ref = node.input[i];
      if (ref === undefined) throw InferdError.failedPrecondition(`${why}: node ${node.name} (${node.op}) lacks input ${i}`);
      return this.eval(ref, why);
    };
    switch (node.op) {
      case 'Const': {
        const value = node.attr['value']?.tensor;
        if (!value) throw InferdError.failedPrecondition(`${why}: Const ${node.name} has no value`);
        return tensorFromProto(value, node.name);
      }
      case 'PlaceholderWithDefault':
        return input(0);
      case 'ReadVariableOp':
        return this.variable(node.input[0] ?? '', why);
      case 'VariableV2': case 'Variable':
        return this.variable(node.name, why);
      case 'RestoreV2': {
        const names = elementsOf(input(1));
        const name = names[index];
        if (!(name instanceof Uint8Array)) throw InferdError.failedPrecondition(`${why}: RestoreV2 ${node.name} has no tensor name ${index}`);
        if (!this.bundle) throw InferdError.failedPrecondition(`${why}: needs checkpoint tensor ${Buffer.from(name).toString()} but the SavedModel has no variables/ bundle`);
        return this.bundle.read(Buffer.from(name).toString('utf8'));
      }
      case 'Cast': {
        const x = input(0);
        const to = dtypeOfTfName(node.attr['DstT']?.type ?? '');
        if (!to) throw InferdError.unimplemented(`${why}: Cast ${node.name} to ${node.attr['DstT']?.type ?? '?'} is not supported`);
        return { dtype: to, shape: x.shape, data: storageOf(to, elementsOf(x), `Cast ${node.name}`) } as Tensor;
      }
      case 'Range': {
        const [start, limit, delta] = [input(0), input(1), input(2)].map((t) => Number(elementsOf(t)[0]));
        const dtype = dtypeOfTfName(node.attr['Tidx']?.type ?? 'DT_INT32') ?? 'int32';
        if (!delta) throw InferdError.invalidArgument(`${why}: Range ${node.name} has delta 0`);
        const values: number[] = [];
        for (let v = start as number; delta > 0 ? v < (limit as number) : v > (limit as number); v += delta) values.push(v);
        return { dtype, shape: [values.length], data: storageOf(dtype, values, `Range ${node.name}`) } as Tensor;
      }
      case 'Reshape': {
        const x = input(0);
        const dims = elementsOf(input(1)).map(Number);
        const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
        const shape = dims.map((d) => (d === -1 ? elementCount(x.shape) / (known || 1) : d));
        if (elementCount(shape) !== elementCount(x.shape)) throw InferdError.invalidArgument(`${why}: Reshape ${node.name} cannot reshape [${x.shape.join(',')}] to [${dims.join(',')}]`);
        return { ...x, shape };
      }
      case 'Squeeze':
        return { ...input(0), shape: input(0).shape.filter((d) => d !== 1) };
      case 'ExpandDims': {
        const x = input(0);
        let axis = Number(elementsOf(input(1))[0]);
        if (axis < 0) axis += x.shape.length + 1;
        return { ...x, shape: [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)] };
      }
      default:
        throw InferdError.unimplemented(`${why}: its value comes from op ${node.op} (node ${node.name}), which inferd cannot evaluate at load`);
    }
  }

  /**
   * The value a variable holds after restore and init: checkpoint or constant initializer, else a value assigned
   * to it that can be evaluated at load (e.g. TF2's asset-path variables, assigned from the asset placeholder).
   */
  variable(handleRef: string, why: string): Tensor {
    const found = resolveProducer(this.byName, handleRef);
    if (!found || !VARIABLE_OPS.has(found.node.op)) throw InferdError.failedPrecondition(`${why}: ${handleRef} is not a variable`);
    const name = found.node.name;
    const assigned = this.assignsTo(name);
    if (this.sources.has(name) || assigned.length === 0) return readVariable(name, this.sources, this.byName, this.bundle);
    let last: InferdError | undefined;
    for (const value of assigned) {
      try {
        return this.eval(value, why);
      } catch (err) {
        if (!(err instanceof InferdError)) throw err;
        last = err;
      }
    }
    throw InferdError.failedPrecondition(`Variable ${name} is not restored from the checkpoint and its assigned value cannot be computed at load (${last?.message ?? ''})`);
  }

  private assignsTo(variable: string): string[] {
    if (!this.assigns) {
      const map = new Map<string, string[]>();
      for (const n of this.byName.values()) {
        if (!ASSIGN_OPS.has(n.op) || n.input.length < 2) continue;
        const target = resolveProducer(this.byName, n.input[0] as string);
        if (!target || !VARIABLE_OPS.has(target.node.op)) continue;
        const list = map.get(target.node.name) ?? [];
        list.push(n.input[1] as string);
        map.set(target.node.name, list);
      }
      this.assigns = map;
    }
    return this.assigns.get(variable) ?? [];
  }
}

