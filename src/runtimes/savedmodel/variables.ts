/**
 * Binding variables to values. A SavedModel's graph restores its variables through a restore subgraph
 * (TF1: `save/restore_all` → Assign(var, RestoreV2:i); TF2: the `__traced_restore` function → AssignVariableOp(handle,
 * Identity(RestoreV2:i))); after inlining both are plain nodes. Each variable node (VariableV2, VarHandleOp) maps
 * to a checkpoint key when such an assignment exists, else to the Const of an initializer assignment.
 */
import { InferdError } from '../../core/errors.ts';
import type { Tensor } from '../../core/tensor.ts';
import type { TensorBundle } from './bundle.ts';
import { parseTensorName } from './graph-util.ts';
import type { NodeObj } from './proto.ts';
import { tensorFromProto } from './tensor-proto.ts';

/** Ops that hold variable state. */
export const VARIABLE_OPS = new Set(['VariableV2', 'Variable', 'VarHandleOp']);
const ASSIGN_OPS = new Set(['Assign', 'AssignVariableOp']);
const PASS_THROUGH = new Set(['Identity', 'IdentityN', 'Snapshot']);

/** Where a variable's value comes from. */
export type VariableSource = { kind: 'checkpoint'; key: string } | { kind: 'const'; node: string };

/** Follow Identity-like nodes from a tensor name to its producer. */
export function resolveProducer(byName: ReadonlyMap<string, NodeObj>, tensor: string): { node: NodeObj; index: number } | undefined {
  let ref = parseTensorName(tensor);
  for (let guard = 0; guard < 1000; guard++) {
    const node = byName.get(ref.node);
    if (!node) return undefined;
    if (!PASS_THROUGH.has(node.op)) return { node, index: ref.index };
    const next = node.input[node.op === 'IdentityN' ? ref.index : 0];
    if (next === undefined) return { node, index: ref.index };
    ref = parseTensorName(next);
  }
  return undefined;
}

function constStrings(node: NodeObj): string[] {
  const t = node.attr['value']?.tensor;
  if (!t) return [];
  const tensor = tensorFromProto(t, node.name);
  if (tensor.dtype !== 'string') return [];
  return (tensor.data as Uint8Array[]).map((b) => Buffer.from(b).toString('utf8'));
}

/** Find the value source of every variable node in a flat (inlined) graph. */
export function bindVariables(nodes: readonly NodeObj[]): Map<string, VariableSource> {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const out = new Map<string, VariableSource>();
  for (const n of nodes) {
    if (!ASSIGN_OPS.has(n.op) || n.input.length < 2) continue;
    const target = resolveProducer(byName, n.input[0] as string);
    if (!target || !VARIABLE_OPS.has(target.node.op)) continue;
    const value = resolveProducer(byName, n.input[1] as string);
    if (!value) continue;
    if (value.node.op === 'RestoreV2') {
      const namesNode = resolveProducer(byName, value.node.input[1] ?? '');
      const keys = namesNode ? constStrings(namesNode.node) : [];
      const key = keys[value.index];
      if (key !== undefined) out.set(target.node.name, { kind: 'checkpoint', key });
    } else if (value.node.op === 'Const' && out.get(target.node.name)?.kind !== 'checkpoint') {
      out.set(target.node.name, { kind: 'const', node: value.node.name });
    }
  }
  return out;
}

/** Read a variable's value. FAILED_PRECONDITION when it has no source or the checkpoint is missing. */
export function readVariable(
  name: string,
  sources: ReadonlyMap<string, VariableSource>,
  byName: ReadonlyMap<string, NodeObj>,
  bundle: TensorBundle | undefined,
): Tensor {
  const src = sources.get(name);
  if (!src) throw InferdError.failedPrecondition(`Variable ${name} is neither restored from the checkpoint nor initialized from a constant`);
  if (src.kind === 'checkpoint') {
    if (!bundle) throw InferdError.failedPrecondition(`Variable ${name} needs checkpoint key ${src.key} but the SavedModel has no variables/ bundle`);
    return bundle.read(src.key);
  }
  const c = byName.get(src.node)?.attr['value']?.tensor;
  if (!c) throw InferdError.failedPrecondition(`Initializer ${src.node} of variable ${name} has no value`);
  return tensorFromProto(c, src.node);
}
