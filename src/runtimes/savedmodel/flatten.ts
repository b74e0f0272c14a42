/**
 * Flattening a SavedModel meta graph into one function-free graph per signature, ready for tfjs-converter:
 * calls inlined, variables turned into constants (values from the checkpoint or their initializers),
 * ReadVariableOp → Identity, ResourceGather → GatherV2, the graph cut at the signature's input tensors (which
 * become Placeholders without shape constraints, as TensorFlow does not check fed shapes) and pruned to its
 * outputs. Functional control flow (While/If) keeps its bodies, converted the same way. Constant values go to
 * one weight table shared by all signatures. Signatures that mutate state are marked unavailable (UNIMPLEMENTED).
 * Hash tables are initialized at load (tables.ts) and bound as constants: LookupTableFind(V2) becomes the custom
 * op InferdLookupTableFind over the table's keys and values, LookupTableSize(V2) a Const, LookupTableExportV2 an
 * IdentityN of the two constants. Inference batch norms after convolutions are folded into them
 * (fold-batch-norm.ts), then convolution/MatMul + BiasAdd (+ Relu/Relu6) chains are fused (fuse.ts).
 */
import { InferdError } from '../../core/errors.ts';
import type { Tensor } from '../../core/tensor.ts';
import type { TensorBundle } from './bundle.ts';
import { canonicalTensor, OutputLayouts, parseTensorName } from './graph-util.ts';
import { bodyInGraphForm, inlineCalls } from './inline.ts';
import { applyAttrDefaults } from './op-defaults.ts';
import { fuseBiasActivations } from './fuse.ts';
import { foldBatchNorms } from './fold-batch-norm.ts';
import type { AttrObj, FunctionObj, MetaGraphObj, NodeObj } from './proto.ts';
import { tensorInfoName } from './reader.ts';
import { tensorFromProto } from './tensor-proto.ts';
import { bindVariables, type VariableSource } from './variables.ts';
import { tfName } from '../../core/dtype.ts';
import { assetPaths, initOpNames } from './assets.ts';
import { InitEvaluator } from './init-eval.ts';
import { LOOKUP_OP, TABLE_OPS, TABLE_WRITE_OPS, TableStore, type TableContents } from './tables.ts';

/** A function body in tfjs-converter's FunctionDef JSON shape (inputs in `node:i` form). */
export interface FlatFunction {
  signature: { name: string; inputArg: { name: string; type: string }[]; outputArg: { name: string; type: string }[] };
  nodeDef: NodeObj[];
  ret: Record<string, string>;
}

/** One signature, flattened. Plain data: it can be posted to a worker thread. */
export interface FlatSignature {
  /** Input alias → Placeholder node name and its TensorFlow dtype name. */
  readonly feeds: Record<string, { node: string; dtype: string }>;
  /** Output alias → tensor name `node:i`. */
  readonly fetches: Record<string, string>;
  /** Output alias → the TensorFlow dtype name the signature records (results are converted to it when possible). */
  readonly fetchTypes: Record<string, string>;
  readonly nodes: NodeObj[];
  readonly functions: FlatFunction[];
  /** True when the graph has control flow and must run with executeAsync. */
  readonly dynamic: boolean;
  /** Set when the signature cannot run; `run` fails with this code and message. */
  readonly unavailable?: { code: 'UNIMPLEMENTED' | 'FAILED_PRECONDITION'; message: string };
}

/** A flattened model: signatures plus the constants they share (by Const node name). */
export interface FlatModel {
  readonly signatures: Record<string, FlatSignature>;
  readonly weights: Record<string, Tensor>;
  /** Ops used by runnable signatures, with a node using each (for the unsupported-op check). */
  readonly ops: Map<string, string>;
}

const STATEFUL_OPS = new Set([
  'Assign', 'AssignAdd', 'AssignSub', 'AssignVariableOp', 'AssignAddVariableOp', 'AssignSubVariableOp',
  'ScatterUpdate', 'ScatterAdd', 'ScatterSub', 'ResourceScatterUpdate', 'ResourceScatterAdd', 'ResourceScatterSub',
  'SaveV2', 'MergeV2Checkpoints', 'RestoreV2', 'Save', 'Restore', 'DestroyResourceOp', ...TABLE_WRITE_OPS,
]);
/** Ops that write variables: a signature whose outputs depend on one (by data or control edges) cannot run. */
const VARIABLE_WRITE = /^(Assign|AssignAdd|AssignSub|AssignVariableOp|AssignAddVariableOp|AssignSubVariableOp|(Resource)?Scatter\w+|(Resource)?(Sparse)?Apply\w+)$/;
/**
 * Ops that make tfjs-converter require executeAsync: every op of its async `control` and `dynamic` executors
 * (control flow, TensorArray and TensorList ops, dynamic-shape ops), which return promises even outside a loop.
 */
const CONTROL_FLOW = new Set([
  'While', 'StatelessWhile', 'If', 'StatelessIf', 'LoopCond', 'Enter', 'Exit', 'NextIteration', 'Switch', 'Merge',
  'Where', 'ListDiff', 'NonMaxSuppressionV2', 'NonMaxSuppressionV3', 'NonMaxSuppressionV4', 'NonMaxSuppressionV5',
  'TensorArrayV3', 'TensorArrayWriteV3', 'TensorArrayReadV3', 'TensorArrayGatherV3', 'TensorArrayScatterV3',
  'TensorArrayConcatV3', 'TensorArraySplitV3', 'TensorArraySizeV3', 'TensorArrayCloseV3', 'EmptyTensorList',
  'TensorListScatter', 'TensorListScatterV2', 'TensorListGather', 'TensorListGetItem', 'TensorListSetItem',
  'TensorListReserve', 'TensorListFromTensor', 'TensorListStack', 'TensorListSplit', 'TensorListConcat',
  'TensorListConcatV2', 'TensorListPopBack', 'TensorListPushBack', 'TensorListLength', 'TensorListResize',
]);
const FUNC_ATTRS = ['body', 'cond', 'then_branch', 'else_branch'];

class Unavailable extends Error {
  constructor(readonly code: 'UNIMPLEMENTED' | 'FAILED_PRECONDITION', message: string) {
    super(message);
  }
}

interface Ctx {
  readonly byName: ReadonlyMap<string, NodeObj>;
  readonly functions: ReadonlyMap<string, FunctionObj>;
  readonly layouts: OutputLayouts;
  readonly sources: ReadonlyMap<string, VariableSource>;
  readonly bundle: TensorBundle | undefined;
  readonly weights: Record<string, Tensor>;
  readonly ops: Map<string, string>;
  readonly converted: Map<string, FlatFunction>;
  readonly tables: TableStore;
}

function dtypeAttr(node: NodeObj): AttrObj {
  return node.attr['dtype'] ?? node.attr['T'] ?? { type: 'DT_FLOAT' };
}

function constNode(name: string, type: string): NodeObj {
  return { name, op: 'Const', input: [], attr: { dtype: { type } } };
}

/** The initialized contents of the table a table op reads (its input 0). */
function tableContents(node: NodeObj, ctx: Ctx, fnScope: string | undefined): { table: NodeObj; contents: TableContents } {
  if (fnScope !== undefined) throw new Unavailable('UNIMPLEMENTED', `hash table op ${node.name} inside function ${fnScope} (control flow) is not supported`);
  const table = ctx.tables.tableOf(node.input[0] ?? '');
  if (!table) throw new Unavailable('UNIMPLEMENTED', `${node.op} ${node.name} reads a table that is not a HashTable or MutableHashTable`);
  return { table, contents: ctx.tables.contents(table) };
}

/** Const nodes for a table's initialized keys and values (weights `inferd_table/<table>/keys|values`). */
function tableConsts(node: NodeObj, ctx: Ctx, fnScope: string | undefined): [NodeObj, NodeObj] {
  const { table, contents } = tableContents(node, ctx, fnScope);
  const keys = `inferd_table/${table.name}/keys`;
  const values = `inferd_table/${table.name}/values`;
  ctx.weights[keys] ??= contents.keys;
  ctx.weights[values] ??= contents.values;
  return [constNode(keys, tfName(contents.keys.dtype)), constNode(values, tfName(contents.values.dtype))];
}

/** Rewrite one node for tfjs; may add weights and helper nodes. `inFunction` forbids variable nodes. */
function transformNode(node: NodeObj, ctx: Ctx, fnScope: string | undefined): NodeObj[] {
  if (STATEFUL_OPS.has(node.op)) {
    throw new Unavailable('UNIMPLEMENTED', `it modifies state (op ${node.op} in node ${node.name}); stateful signatures are not supported`);
  }
  if (TABLE_OPS.has(node.op)) {
    throw new Unavailable('UNIMPLEMENTED', `hash table ${node.name} is used by an op inferd does not support (only LookupTableFind, LookupTableSize, LookupTableExport)`);
  }
  switch (node.op) {
    case 'LookupTableFindV2': case 'LookupTableFind': {
      const [keys, values] = tableConsts(node, ctx, fnScope);
      if (!ctx.ops.has(LOOKUP_OP)) ctx.ops.set(LOOKUP_OP, node.name);
      return [keys, values, { name: node.name, op: LOOKUP_OP, input: [keys.name, values.name, ...node.input.slice(1, 3)], attr: {} }];
    }
    case 'LookupTableSizeV2': case 'LookupTableSize': {
      const n = tableContents(node, ctx, fnScope).contents.keys.shape[0] ?? 0;
      ctx.weights[node.name] ??= { dtype: 'int64', shape: [], data: new BigInt64Array([BigInt(n)]) };
      return [constNode(node.name, 'DT_INT64')];
    }
    case 'LookupTableExportV2': {
      const [keys, values] = tableConsts(node, ctx, fnScope);
      const types = [keys.attr['dtype']?.type ?? 'DT_STRING', values.attr['dtype']?.type ?? 'DT_INT64'];
      return [keys, values, { name: node.name, op: 'IdentityN', input: [`${keys.name}:0`, `${values.name}:0`], attr: { T: { list: { type: types } } } }];
    }
    case 'Const': {
      const value = node.attr['value']?.tensor;
      if (!value) throw new Unavailable('FAILED_PRECONDITION', `Const ${node.name} has no value`);
      ctx.weights[node.name] ??= tensorFromProto(value, node.name);
      return [constNode(node.name, value.dtype ?? 'DT_FLOAT')];
    }
    case 'VariableV2': case 'Variable': case 'VarHandleOp': {
      if (fnScope !== undefined) throw new Unavailable('UNIMPLEMENTED', `variable ${node.name} created inside function ${fnScope}`);
      const t = (ctx.weights[node.name] ??= ctx.tables.init.variable(node.name, `Variable ${node.name}`));
      return [constNode(node.name, tfName(t.dtype))];
    }
    case 'ReadVariableOp':
      return [{ name: node.name, op: 'Identity', input: node.input.slice(0, 1), attr: { T: dtypeAttr(node) } }];
    case 'VarIsInitializedOp':
      ctx.weights[node.name] ??= { dtype: 'bool', shape: [], data: new Uint8Array([1]) };
      return [constNode(node.name, 'DT_BOOL')];
    case 'ResourceGather': {
      const axis = `${node.name}/inferd_axis`;
      ctx.weights[axis] ??= { dtype: 'int32', shape: [], data: new Int32Array([0]) };
      const attr: Record<string, AttrObj> = { Tparams: dtypeAttr(node), Tindices: node.attr['Tindices'] ?? { type: 'DT_INT32' } };
      if (node.attr['batch_dims']) attr['batch_dims'] = node.attr['batch_dims'];
      return [constNode(axis, 'DT_INT32'), { name: node.name, op: 'GatherV2', input: [...node.input.slice(0, 2), axis], attr }];
    }
    case 'ResourceGatherNd':
      return [{ name: node.name, op: 'GatherNd', input: node.input.slice(0, 2), attr: { Tparams: dtypeAttr(node), Tindices: node.attr['Tindices'] ?? { type: 'DT_INT32' } } }];
    case 'Placeholder': {
      const { shape: _shape, ...attr } = node.attr;
      return [{ ...node, attr }];
    }
    default:
      break;
  }
  for (const key of FUNC_ATTRS) {
    const fname = node.attr[key]?.func?.name;
    if (fname !== undefined) convertFunction(fname, ctx);
  }
  if (!ctx.ops.has(node.op)) ctx.ops.set(node.op, node.name);
  return [node];
}

/** Convert a library function used by control flow into tfjs form (once per name). */
function convertFunction(name: string, ctx: Ctx): void {
  if (ctx.converted.has(name)) return;
  const fn = ctx.functions.get(name);
  if (!fn) throw new Unavailable('FAILED_PRECONDITION', `function ${name} is not in the graph's library`);
  const placeholder: FlatFunction = { signature: { name, inputArg: [], outputArg: [] }, nodeDef: [], ret: {} };
  ctx.converted.set(name, placeholder);
  const body = bodyInGraphForm(fn, ctx.layouts);
  const p = `${name}/`;
  const argNames = new Set(fn.signature.inputArg.map((a) => a.name));
  const rename = (ref: string): string => {
    const r = parseTensorName(ref);
    return argNames.has(r.node) ? `${p}${r.node}` : `${p}${r.node}:${r.index}`;
  };
  const inlined = inlineCalls(body.nodes, ctx.functions, ctx.layouts)
    .map((n) => ({ ...n, name: `${p}${n.name}`, input: n.input.filter((i) => !i.startsWith('^')).map(rename) }));
  const nodes: NodeObj[] = [];
  for (const n of inlined) nodes.push(...transformNode(n, ctx, name));
  const ret: Record<string, string> = {};
  fn.signature.outputArg.forEach((a, i) => {
    const src = body.ret[a.name];
    if (src === undefined) throw new Unavailable('FAILED_PRECONDITION', `function ${name} has no return value for ${a.name}`);
    const id = `${p}inferd_ret_${i}`;
    nodes.push({ name: id, op: 'Identity', input: [rename(src)], attr: {} });
    ret[a.name] = `${id}:0`;
  });
  placeholder.signature.inputArg = fn.signature.inputArg.map((a) => ({ name: `${p}${a.name}`, type: a.type ?? 'DT_FLOAT' }));
  placeholder.signature.outputArg = fn.signature.outputArg.map((a) => ({ name: a.name, type: a.type ?? 'DT_FLOAT' }));
  placeholder.nodeDef = nodes;
  placeholder.ret = ret;
}

/**
 * Fail when a fetched node depends on a variable write through data or control edges (TF2 function bodies tie
 * their updates to the outputs by control edges; TensorFlow runs them with every call, inferd cannot).
 */
function assertNoVariableWrites(fetchNodes: readonly string[], byName: ReadonlyMap<string, NodeObj>, feeds: ReadonlySet<string>): void {
  const seen = new Set<string>();
  const stack = [...fetchNodes];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (seen.has(name) || feeds.has(name)) continue;
    seen.add(name);
    const node = byName.get(name);
    if (!node) continue;
    if (VARIABLE_WRITE.test(node.op)) {
      throw new Unavailable('UNIMPLEMENTED', `it modifies state (op ${node.op} in node ${node.name}); stateful signatures are not supported`);
    }
    for (const i of node.input) stack.push(parseTensorName(i).node);
  }
}

function feedDtype(node: NodeObj | undefined, index: number, recorded: string | undefined): string {
  if (node?.op.startsWith('Placeholder') && node.attr['dtype']?.type) return node.attr['dtype'].type;
  if (index === 0 && node?.attr['T']?.type) return node.attr['T'].type;
  return (recorded ?? 'DT_FLOAT').replace(/_REF$/, '');
}

/**
 * Flatten every signature of `metaGraph`. Never throws for one bad signature: it is marked unavailable.
 * `exportDir` (the version directory) locates asset files for table initializers.
 */
export function flattenMetaGraph(metaGraph: MetaGraphObj, bundle: TensorBundle | undefined, exportDir?: string): FlatModel {
  const opDefs = metaGraph.metaInfoDef?.strippedOpList?.op ?? [];
  const graph = applyAttrDefaults(metaGraph.graphDef?.node ?? [], metaGraph.graphDef?.library?.function ?? [], opDefs);
  const functions = new Map(graph.functions.map((f) => [f.signature.name, f]));
  const layouts = new OutputLayouts(opDefs, [...functions.values()].map((f) => f.signature));
  const nodes = inlineCalls(graph.nodes, functions, layouts);
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const sources = bindVariables(nodes);
  const tables = new TableStore(nodes, byName, new InitEvaluator(byName, sources, bundle, assetPaths(metaGraph, exportDir)), exportDir);
  const ctxBase = { byName, functions, layouts, sources, bundle, weights: {} as Record<string, Tensor>, ops: new Map<string, string>(), tables };
  const initOps = new Set(initOpNames(metaGraph));
  const signatures: Record<string, FlatSignature> = {};
  for (const [key, def] of Object.entries(metaGraph.signatureDef)) {
    const ops = new Map<string, string>();
    const ctx: Ctx = { ...ctxBase, ops, converted: new Map() };
    const feeds: Record<string, { node: string; dtype: string }> = {};
    const fetches: Record<string, string> = {};
    const fetchTypes: Record<string, string> = {};
    for (const [alias, info] of Object.entries(def.outputs)) fetchTypes[alias] = (info.dtype ?? 'DT_FLOAT').replace(/_REF$/, '');
    const cut = new Map<string, string>();
    try {
      for (const [alias, info] of Object.entries(def.inputs)) {
        const tensor = canonicalTensor(tensorInfoName(info));
        const ref = parseTensorName(tensor);
        const producer = byName.get(ref.node);
        if (!producer) throw new Unavailable('FAILED_PRECONDITION', `input ${alias} names tensor ${tensor}, which is not in the graph`);
        const isPlaceholder = ref.index === 0 && producer.op.startsWith('Placeholder');
        const feedNode = isPlaceholder ? ref.node : `inferd_feed/${alias}`;
        feeds[alias] = { node: feedNode, dtype: feedDtype(producer, ref.index, info.dtype) };
        cut.set(tensor, `${feedNode}:0`);
      }
      for (const [alias, info] of Object.entries(def.outputs)) {
        const tensor = canonicalTensor(tensorInfoName(info));
        const producer = byName.get(parseTensorName(tensor).node);
        if (!producer) throw new Unavailable('FAILED_PRECONDITION', `output ${alias} names tensor ${tensor}, which is not in the graph`);
        if (producer.op === 'NoOp') {
          const init = initOps.has(producer.name) ? ' (the init op: inferd applies its table initializers at load)' : '';
          throw new Unavailable('UNIMPLEMENTED', `output ${alias} is the operation ${producer.name}${init}, not a tensor`);
        }
        fetches[alias] = cut.get(tensor) ?? tensor;
      }
      const out: NodeObj[] = [];
      for (const f of Object.values(feeds)) {
        out.push({ name: f.node, op: 'Placeholder', input: [], attr: { dtype: { type: f.dtype } } });
      }
      const seen = new Set<string>(Object.values(feeds).map((f) => f.node));
      const stack = Object.values(fetches).map((t) => parseTensorName(t).node);
      assertNoVariableWrites(stack, byName, seen);
      while (stack.length > 0) {
        const name = stack.pop() as string;
        if (seen.has(name)) continue;
        seen.add(name);
        const node = byName.get(name);
        if (!node) throw new Unavailable('FAILED_PRECONDITION', `node ${name} is referenced but not in the graph`);
        const input = node.input.filter((i) => !i.startsWith('^')).map((i) => cut.get(canonicalTensor(i)) ?? i);
        // Traverse the rewritten nodes' inputs (a rewrite may drop inputs, e.g. a table handle); helper nodes
        // shared by several rewrites (table constants) are emitted once.
        const rewritten = transformNode({ ...node, input }, ctx, undefined).filter((n) => n.name === name || !seen.has(n.name));
        for (const n of rewritten) seen.add(n.name);
        out.push(...rewritten);
        for (const n of rewritten) for (const i of n.input) stack.push(parseTensorName(i).node);
      }
      const dynamic = out.some((n) => CONTROL_FLOW.has(n.op));
      const fetched = Object.values(fetches);
      const optimized = fuseBiasActivations(foldBatchNorms(out, fetched, ctxBase.weights), fetched);
      signatures[key] = { feeds, fetches, fetchTypes, nodes: optimized, functions: [...ctx.converted.values()], dynamic };
      for (const [op, node] of ops) if (!ctxBase.ops.has(op)) ctxBase.ops.set(op, node);
    } catch (err) {
      if (!(err instanceof Unavailable) && !(err instanceof InferdError)) throw err;
      const code = err instanceof Unavailable ? err.code : 'FAILED_PRECONDITION';
      if (err instanceof InferdError && err.code !== 'FAILED_PRECONDITION') throw err;
      signatures[key] = { feeds, fetches, fetchTypes, nodes: [], functions: [], dynamic: false, unavailable: { code, message: `Signature ${key} cannot run: ${err.message}` } };
    }
  }
  return { signatures, weights: ctxBase.weights, ops: ctxBase.ops };
}
