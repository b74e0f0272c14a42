/**
 * Whether a SavedModel needs its variables/ checkpoint (issue 9 D4): a graph that restores variables has a
 * RestoreV2 (or Restore/RestoreSlice) node, in the graph or in a function (TF2's `__traced_restore`), whose
 * `tensor_names` constant lists checkpoint keys. TF2 exports also restore `_CHECKPOINTABLE_OBJECT_GRAPH`, which
 * holds no variable: a graph whose only key is that one needs no checkpoint.
 */
import type { MetaGraphObj, NodeObj } from './proto.ts';
import { tensorFromProto } from './tensor-proto.ts';

const RESTORE_OPS = new Set(['RestoreV2', 'Restore', 'RestoreSlice']);
const OBJECT_GRAPH_KEY = '_CHECKPOINTABLE_OBJECT_GRAPH';

/** `node:0`, `node:output:0`, `^node` → `node`. */
function producerName(input: string): string {
  return input.replace(/^\^/, '').split(':')[0] ?? '';
}

function keysOf(restore: NodeObj, scope: ReadonlyMap<string, NodeObj>): string[] | undefined {
  const names = scope.get(producerName(restore.input[restore.op === 'RestoreV2' ? 1 : 0] ?? ''));
  const proto = names?.op === 'Const' ? names.attr['value']?.tensor : undefined;
  if (!proto) return undefined;
  const t = tensorFromProto(proto, names?.name);
  return t.dtype === 'string' ? (t.data as Uint8Array[]).map((b) => Buffer.from(b).toString('utf8')) : undefined;
}

/**
 * A checkpoint key the graph restores a variable from, or undefined when it restores none. A restore whose keys
 * cannot be read statically counts as needing the checkpoint (`'<unknown>'`).
 */
export function firstRestoredVariable(metaGraph: MetaGraphObj): string | undefined {
  const graph = metaGraph.graphDef;
  const scopes: NodeObj[][] = [graph?.node ?? [], ...(graph?.library?.function ?? []).map((f) => f.nodeDef ?? [])];
  for (const nodes of scopes) {
    const scope = new Map(nodes.map((n) => [n.name, n]));
    for (const n of nodes) {
      if (!RESTORE_OPS.has(n.op)) continue;
      const keys = keysOf(n, scope);
      if (keys === undefined) return '<unknown>';
      const variable = keys.find((k) => k !== OBJECT_GRAPH_KEY);
      if (variable !== undefined) return variable;
    }
  }
  return undefined;
}
