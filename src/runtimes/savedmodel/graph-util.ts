/**
 * Small graph helpers shared by the inliner and the flattener: tensor-name parsing and the output-argument layout
 * of ops, which maps a FunctionDef reference `node:out_arg:k` to the flat output index `node:i` a GraphDef uses.
 * Layouts come from the SavedModel's stripped_op_list when present, else from a built-in table of multi-output ops
 * (any op not listed has one output argument).
 */
import type { AttrObj, NodeObj, OpDefObj } from './proto.ts';

/** A parsed tensor reference: node name, flat output index, control flag. */
export interface TensorRef {
  readonly node: string;
  readonly index: number;
  readonly control: boolean;
}

/** Parse `node`, `node:3` or `^node` (GraphDef form). */
export function parseTensorName(name: string): TensorRef {
  if (name.startsWith('^')) return { node: name.slice(1), index: 0, control: true };
  const m = /^(.*):(\d+)$/.exec(name);
  if (m) return { node: m[1] as string, index: Number(m[2]), control: false };
  return { node: name, index: 0, control: false };
}

/** Canonical `node:i` form of a tensor name (`x` → `x:0`). */
export function canonicalTensor(name: string): string {
  const r = parseTensorName(name);
  return `${r.node}:${r.index}`;
}

type Count = number | string | { list: string };
const BUILTIN_OUTPUTS: Record<string, readonly (readonly [string, Count])[]> = {
  Unpack: [['output', 'num']],
  Split: [['output', 'num_split']],
  SplitV: [['output', 'num_split']],
  TopKV2: [['values', 1], ['indices', 1]],
  TopK: [['values', 1], ['indices', 1]],
  Unique: [['y', 1], ['idx', 1]],
  UniqueV2: [['y', 1], ['idx', 1]],
  FusedBatchNorm: [['y', 1], ['batch_mean', 1], ['batch_variance', 1], ['reserve_space_1', 1], ['reserve_space_2', 1]],
  FusedBatchNormV2: [['y', 1], ['batch_mean', 1], ['batch_variance', 1], ['reserve_space_1', 1], ['reserve_space_2', 1]],
  FusedBatchNormV3: [['y', 1], ['batch_mean', 1], ['batch_variance', 1], ['reserve_space_1', 1], ['reserve_space_2', 1], ['reserve_space_3', 1]],
  ParseExample: [['sparse_indices', 'Nsparse'], ['sparse_values', { list: 'sparse_types' }], ['sparse_shapes', 'Nsparse'], ['dense_values', { list: 'Tdense' }]],
  ParseExampleV2: [
    ['sparse_indices', 'num_sparse'], ['sparse_values', { list: 'sparse_types' }], ['sparse_shapes', 'num_sparse'],
    ['dense_values', { list: 'Tdense' }], ['ragged_values', { list: 'ragged_value_types' }], ['ragged_row_splits', { list: 'ragged_split_types' }],
  ],
  IdentityN: [['output', { list: 'T' }]],
  While: [['output', { list: 'T' }]],
  StatelessWhile: [['output', { list: 'T' }]],
  If: [['output', { list: 'Tout' }]],
  StatelessIf: [['output', { list: 'Tout' }]],
  Case: [['output', { list: 'Tout' }]],
  StatelessCase: [['output', { list: 'Tout' }]],
  StatefulPartitionedCall: [['output', { list: 'Tout' }]],
  PartitionedCall: [['output', { list: 'Tout' }]],
  Switch: [['output_false', 1], ['output_true', 1]],
  Merge: [['output', 1], ['value_index', 1]],
  RestoreV2: [['tensors', { list: 'dtypes' }]],
  NonMaxSuppressionV4: [['selected_indices', 1], ['valid_outputs', 1]],
  NonMaxSuppressionV5: [['selected_indices', 1], ['selected_scores', 1], ['valid_outputs', 1]],
  StringSplit: [['indices', 1], ['values', 1], ['shape', 1]],
  StringSplitV2: [['indices', 1], ['values', 1], ['shape', 1]],
  BroadcastGradientArgs: [['r0', 1], ['r1', 1]],
  LookupTableExportV2: [['keys', 1], ['values', 1]],
  SparseFillEmptyRows: [['output_indices', 1], ['output_values', 1], ['empty_row_indicator', 1], ['reverse_index_map', 1]],
  SparseReshape: [['output_indices', 1], ['output_shape', 1]],
  RaggedTensorToSparse: [['sparse_indices', 1], ['sparse_values', 1], ['sparse_dense_shape', 1]],
  Svd: [['s', 1], ['u', 1], ['v', 1]],
  Qr: [['q', 1], ['r', 1]],
  BoostedTreesBucketize: [['buckets', 'num_features']],
};

function countOf(c: Count, attr: Record<string, AttrObj>): number {
  if (typeof c === 'number') return c;
  if (typeof c === 'string') return Number(attr[c]?.i ?? 1);
  return attr[c.list]?.list?.type?.length ?? 0;
}

/** Output layout of ops: from OpDefs when known, else the built-in table, else one output argument. */
export class OutputLayouts {
  private readonly opDefs = new Map<string, OpDefObj>();

  constructor(opDefs: readonly OpDefObj[] = [], functions: readonly OpDefObj[] = []) {
    for (const d of opDefs) this.opDefs.set(d.name, d);
    for (const d of functions) this.opDefs.set(d.name, d);
  }

  /** Flat output index of output argument `arg`, element `k`, of `node`. Unknown args fall back to `k`. */
  flatIndex(node: NodeObj, arg: string, k: number): number {
    const def = this.opDefs.get(node.op);
    let layout: [string, Count][] | undefined;
    if (def && !BUILTIN_OUTPUTS[node.op]) {
      layout = def.outputArg.map((a) => [a.name, a.numberAttr ? a.numberAttr : a.typeListAttr ? { list: a.typeListAttr } : 1]);
    } else if (BUILTIN_OUTPUTS[node.op]) {
      layout = BUILTIN_OUTPUTS[node.op]?.map(([n, c]) => [n, c]);
    }
    if (!layout) return k;
    let offset = 0;
    for (const [name, c] of layout) {
      if (name === arg) return offset + k;
      offset += countOf(c, node.attr);
    }
    return k;
  }
}
