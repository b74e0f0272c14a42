/**
 * Small SavedModels for the leak, variables and reload tests, written with savedmodel-builder: a TF1 affine model
 * with a restore subgraph (y = x·w + b from the checkpoint, or no variables/ folder at all when asked), a graph
 * without variables (y = x + c), and one-op models over a float input of unknown rank (unary, reductions).
 */
import type { Tensor } from '../../src/core/tensor.ts';
import { attr, constNode, strings, writeSavedModel, type NodeSpec } from './savedmodel-builder.ts';

const F = 'DT_FLOAT';
const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(values) });

/** TF1 y = x·w + b (scalars w, b restored from the checkpoint through save/restore_all); `variables: false` omits variables/. */
export function writeAffineTf1(dir: string, w: number, b: number, options: { variables?: boolean } = {}): void {
  writeSavedModel(dir, {
    nodes: [
      { name: 'x', op: 'Placeholder', attr: { dtype: attr.type(F), shape: attr.shape(null) } },
      { name: 'w', op: 'VariableV2', attr: { dtype: attr.type(F), shape: attr.shape([]) } },
      { name: 'w/read', op: 'Identity', input: ['w'], attr: { T: attr.type(F) } },
      { name: 'b', op: 'VariableV2', attr: { dtype: attr.type(F), shape: attr.shape([]) } },
      { name: 'b/read', op: 'Identity', input: ['b'], attr: { T: attr.type(F) } },
      { name: 'mul', op: 'Mul', input: ['x', 'w/read'], attr: { T: attr.type(F) } },
      { name: 'y', op: 'AddV2', input: ['mul', 'b/read'], attr: { T: attr.type(F) } },
      constNode('save/Const', strings([], ['model'])),
      constNode('save/RestoreV2/tensor_names', strings([2], ['b', 'w'])),
      constNode('save/RestoreV2/shape_and_slices', strings([2], ['', ''])),
      { name: 'save/RestoreV2', op: 'RestoreV2', input: ['save/Const', 'save/RestoreV2/tensor_names', 'save/RestoreV2/shape_and_slices'], attr: { dtypes: attr.types([F, F]) } },
      { name: 'save/Assign', op: 'Assign', input: ['b', 'save/RestoreV2'], attr: { T: attr.type(F) } },
      { name: 'save/Assign_1', op: 'Assign', input: ['w', 'save/RestoreV2:1'], attr: { T: attr.type(F) } },
      { name: 'save/restore_all', op: 'NoOp', input: ['^save/Assign', '^save/Assign_1'] },
    ],
    saverDef: { filenameTensorName: 'save/Const:0', restoreOpName: 'save/restore_all' },
    ...(options.variables === false ? {} : { variables: { w: f32([], [w]), b: f32([], [b]) } }),
    signatures: { serving_default: { inputs: { x: { name: 'x:0', dtype: F, shape: null } }, outputs: { y: { name: 'y:0', dtype: F, shape: null } } } },
  });
}

/** y = x + c with no variables (and no variables/ folder). */
export function writeAddConstant(dir: string, c: number): void {
  writeSavedModel(dir, {
    nodes: [
      { name: 'x', op: 'Placeholder', attr: { dtype: attr.type(F), shape: attr.shape(null) } },
      constNode('c', f32([], [c])),
      { name: 'y', op: 'AddV2', input: ['x', 'c'], attr: { T: attr.type(F) } },
    ],
    signatures: { serving_default: { inputs: { x: { name: 'x:0', dtype: F, shape: null } }, outputs: { y: { name: 'y:0', dtype: F, shape: null } } } },
  });
}

/** A TF reduction op over `axis` of a float input of unknown rank (keep_dims false). */
export type ReductionOp = 'Mean' | 'Sum' | 'Max' | 'Min' | 'Prod' | 'ArgMax';

/** y = op(x, axis): a one-op model over float32 x of any shape; ArgMax answers int64. */
export function writeReduction(dir: string, op: ReductionOp, axis: number): void {
  const nodes: NodeSpec[] = [
    { name: 'x', op: 'Placeholder', attr: { dtype: attr.type(F), shape: attr.shape(null) } },
    constNode('axis', { dtype: 'int32', shape: [], data: new Int32Array([axis]) }),
    op === 'ArgMax'
      ? { name: 'y', op, input: ['x', 'axis'], attr: { T: attr.type(F), Tidx: attr.type('DT_INT32'), output_type: attr.type('DT_INT64') } }
      : { name: 'y', op, input: ['x', 'axis'], attr: { T: attr.type(F), Tidx: attr.type('DT_INT32'), keep_dims: attr.b(false) } },
  ];
  writeSavedModel(dir, {
    nodes,
    signatures: { serving_default: { inputs: { x: { name: 'x:0', dtype: F, shape: null } }, outputs: { y: { name: 'y:0', dtype: op === 'ArgMax' ? 'DT_INT64' : F, shape: null } } } },
  });
}

/** y = MatMul(x, w) with w a [k, n] constant of ones (k may be 0: then y is zeros of [m, n]). */
export function writeMatMul(dir: string, k: number, n: number): void {
  writeSavedModel(dir, {
    nodes: [
      { name: 'x', op: 'Placeholder', attr: { dtype: attr.type(F), shape: attr.shape([-1, k]) } },
      constNode('w', f32([k, n], Array<number>(k * n).fill(1))),
      { name: 'y', op: 'MatMul', input: ['x', 'w'], attr: { T: attr.type(F), transpose_a: attr.b(false), transpose_b: attr.b(false) } },
    ],
    signatures: { serving_default: { inputs: { x: { name: 'x:0', dtype: F, shape: [-1, k] } }, outputs: { y: { name: 'y:0', dtype: F, shape: [-1, n] } } } },
  });
}

/** y = x + c for an integer dtype (DT_INT32 or DT_INT64), any shape. */
export function writeAddInteger(dir: string, dtype: 'int32' | 'int64', c: number): void {
  const tf = dtype === 'int32' ? 'DT_INT32' : 'DT_INT64';
  const value: Tensor = dtype === 'int32' ? { dtype, shape: [], data: new Int32Array([c]) } : { dtype, shape: [], data: new BigInt64Array([BigInt(c)]) };
  writeSavedModel(dir, {
    nodes: [
      { name: 'x', op: 'Placeholder', attr: { dtype: attr.type(tf), shape: attr.shape(null) } },
      constNode('c', value),
      { name: 'y', op: 'AddV2', input: ['x', 'c'], attr: { T: attr.type(tf) } },
    ],
    signatures: { serving_default: { inputs: { x: { name: 'x:0', dtype: tf, shape: null } }, outputs: { y: { name: 'y:0', dtype: tf, shape: null } } } },
  });
}

/**
 * Issue 17's model shape (Keras Embedding → GlobalAveragePooling1D → Dense → Dense(sigmoid)), small: float ids
 * x [-1, -1] → Cast int32 → GatherV2 from a [20, 4] table (row r is r/10) → Mean over axis 1 → MatMul with ones
 * [4, 1] → Sigmoid. An empty sequence averages to NaN, as in TensorFlow.
 */
export function writePooledEmbedding(dir: string): void {
  const table = Array.from({ length: 20 * 4 }, (_, i) => Math.floor(i / 4) / 10);
  writeSavedModel(dir, {
    nodes: [
      { name: 'x', op: 'Placeholder', attr: { dtype: attr.type(F), shape: attr.shape([-1, -1]) } },
      { name: 'ids', op: 'Cast', input: ['x'], attr: { SrcT: attr.type(F), DstT: attr.type('DT_INT32'), Truncate: attr.b(false) } },
      constNode('table', f32([20, 4], table)),
      constNode('gather_axis', { dtype: 'int32', shape: [], data: new Int32Array([0]) }),
      { name: 'embedded', op: 'GatherV2', input: ['table', 'ids', 'gather_axis'], attr: { Tparams: attr.type(F), Tindices: attr.type('DT_INT32'), Taxis: attr.type('DT_INT32'), batch_dims: attr.i(0) } },
      constNode('pool_axis', { dtype: 'int32', shape: [], data: new Int32Array([1]) }),
      { name: 'pooled', op: 'Mean', input: ['embedded', 'pool_axis'], attr: { T: attr.type(F), Tidx: attr.type('DT_INT32'), keep_dims: attr.b(false) } },
      constNode('w', f32([4, 1], [1, 1, 1, 1])),
      { name: 'logit', op: 'MatMul', input: ['pooled', 'w'], attr: { T: attr.type(F), transpose_a: attr.b(false), transpose_b: attr.b(false) } },
      { name: 'y', op: 'Sigmoid', input: ['logit'], attr: { T: attr.type(F) } },
    ],
    signatures: { serving_default: { inputs: { x: { name: 'x:0', dtype: F, shape: [-1, -1] } }, outputs: { y: { name: 'y:0', dtype: F, shape: [-1, 1] } } } },
  });
}
