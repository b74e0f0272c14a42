/**
 * Function inlining: replaces every call node (StatefulPartitionedCall, PartitionedCall, or a node whose op is a
 * library function) by the function's body, nested calls included, so a TF2 SavedModel becomes one flat graph.
 * Body nodes are renamed `<call node>/<body node>`; the call node itself becomes an IdentityN over the function's
 * return tensors, so references to `<call>:i` keep working. Control inputs are kept (`^<call>/<node>`), and the
 * IdentityN gets control inputs on the body's control outputs (`control_ret`: the stateful ops TensorFlow runs with
 * every call), so the flattener can see that a signature's outputs depend on a variable update; it executes only
 * the data edges.
 */
import { InferdError } from '../../core/errors.ts';
import { parseTensorName, type OutputLayouts } from './graph-util.ts';
import type { FunctionObj, NodeObj } from './proto.ts';

const CALL_OPS = new Set(['StatefulPartitionedCall', 'PartitionedCall']);
const MAX_DEPTH = 64;

/** The library function a node calls, or undefined when it is not a call. */
export function calledFunction(node: NodeObj, functions: ReadonlyMap<string, FunctionObj>): FunctionObj | undefined {
  if (CALL_OPS.has(node.op)) {
    const name = node.attr['f']?.func?.name;
    const fn = name === undefined ? undefined : functions.get(name);
    if (!fn) throw InferdError.failedPrecondition(`Node ${node.name} calls function ${name ?? '<none>'}, which is not in the graph's library`);
    return fn;
  }
  return functions.get(node.op);
}

/**
 * Rewrite one FunctionDef body reference (`node:out_arg:k`, `node`, or an argument name) to GraphDef form
 * (`node:i` or the argument name), or undefined for control inputs.
 */
export function bodyRefToGraphForm(ref: string, byName: ReadonlyMap<string, NodeObj>, layouts: OutputLayouts, keepControl = false): string | undefined {
  if (ref.startsWith('^')) return keepControl ? ref : undefined;
  const parts = ref.split(':');
  if (parts.length === 3) {
    const node = byName.get(parts[0] as string);
    const k = Number(parts[2]);
    return `${parts[0]}:${node ? layouts.flatIndex(node, parts[1] as string, k) : k}`;
  }
  return ref;
}

/**
 * A FunctionDef body in GraphDef form: inputs `node:i`, arguments referenced by their names; control inputs
 * (`^node`) only when `keepControl`.
 */
export function bodyInGraphForm(fn: FunctionObj, layouts: OutputLayouts, keepControl = false): { nodes: NodeObj[]; ret: Record<string, string> } {
  const byName = new Map(fn.nodeDef.map((n) => [n.name, n]));
  const conv = (r: string): string | undefined => bodyRefToGraphForm(r, byName, layouts, keepControl);
  const nodes = fn.nodeDef.map((n) => ({ ...n, input: n.input.map(conv).filter((x): x is string => x !== undefined) }));
  const ret: Record<string, string> = {};
  for (const [k, v] of Object.entries(fn.ret)) ret[k] = conv(v) ?? v;
  return { nodes, ret };
}

/**
 * Inline all calls in `nodes` (GraphDef form). Returns a new node list; input nodes are not mutated.
 * `argNames` lists names that are function arguments (for bodies), which are left as they are.
 */
export function inlineCalls(nodes: readonly NodeObj[], functions: ReadonlyMap<string, FunctionObj>, layouts: OutputLayouts): NodeObj[] {
  const out: NodeObj[] = [];
  const queue: { node: NodeObj; depth: number }[] = nodes.map((n) => ({ node: n, depth: 0 }));
  while (queue.length > 0) {
    const { node, depth } = queue.shift() as { node: NodeObj; depth: number };
    const fn = calledFunction(node, functions);
    if (!fn) {
      out.push(node);
      continue;
    }
    if (depth > MAX_DEPTH) throw InferdError.failedPrecondition(`Function calls nested deeper than ${MAX_DEPTH} at ${node.name} (recursion?)`);
    const body = bodyInGraphForm(fn, layouts, true);
    const args = new Map<string, string>();
    fn.signature.inputArg.forEach((a, i) => {
      const actual = node.input[i];
      if (actual === undefined) throw InferdError.failedPrecondition(`Call ${node.name} passes too few inputs to ${fn.signature.name}`);
      args.set(a.name, actual);
    });
    const prefix = node.name;
    const mapRef = (ref: string): string => {
      const r = parseTensorName(ref);
      if (r.control) return args.has(r.node) ? `^${parseTensorName(args.get(r.node) as string).node}` : `^${prefix}/${r.node}`;
      const arg = args.get(r.node);
      if (arg !== undefined) return arg;
      return `${prefix}/${r.node}:${r.index}`;
    };
    for (const b of body.nodes) {
      queue.push({ node: { ...b, name: `${prefix}/${b.name}`, input: b.input.map(mapRef) }, depth: depth + 1 });
    }
    const rets = fn.signature.outputArg.map((a) => {
      const r = body.ret[a.name];
      if (r === undefined) throw InferdError.failedPrecondition(`Function ${fn.signature.name} has no return value for ${a.name}`);
      return mapRef(r);
    });
    const types = node.attr['Tout']?.list?.type ?? fn.signature.outputArg.map((a) => a.type ?? 'DT_FLOAT');
    const bodyControls = Object.values(fn.controlRet ?? {}).map((c) => `^${prefix}/${c}`);
    const callControls = node.input.filter((i) => i.startsWith('^'));
    const controls = [...new Set([...bodyControls, ...callControls])];
    out.push({ name: node.name, op: 'IdentityN', input: [...rets, ...controls], attr: { T: { list: { type: [...types] } } } });
  }
  return out;
}
