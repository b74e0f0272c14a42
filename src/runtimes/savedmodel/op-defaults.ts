/**
 * Attribute defaults. TensorFlow strips attributes whose value equals the op's registered default when it saves a
 * graph (`strip_default_attrs`, on for every Keras/TF2 export): a Conv2D arrives without `dilations`,
 * `explicit_paddings` or `data_format`. TensorFlow restores them from the OpDefs recorded in
 * `MetaGraphDef.meta_info_def.stripped_op_list`; when that list lacks an op, its registry default applies.
 * `applyAttrDefaults` does both, so every node (graph and function bodies) carries its full attribute set.
 *
 * REGISTRY_DEFAULTS is inferd's table of the default-valued attributes of the ops it runs, written from
 * TensorFlow's op registrations (tensorflow/core/ops/*.cc: nn_ops, math_ops, array_ops, image_ops, list_ops,
 * functional_ops, string_ops, parsing_ops, boosted_trees_ops, logging_ops). Every public op's entry is checked line by
 * line against the newest stored OpDef in tensorflow/tensorflow's tensorflow/core/ops/compat/ops_history_v2/<Op>.pbtxt,
 * and attributes newer than that file against TensorFlow's tf.raw_ops reference (2026-12-04; op, file and commit are
 * listed in docs/runtimes.md "Attribute defaults: how the table was checked"). `_FusedConv2D`, `_FusedMatMul` and
 * `FusedDepthwiseConv2dNative` are grappler-internal (never in a saved graph; fuse.ts writes them with every attribute).
 * An attribute without a registry default (e.g. `num_args`) is never invented here: TensorFlow rejects such a node.
 */
import type { AttrObj, FunctionObj, NodeObj, OpDefObj } from './proto.ts';

const ints = (...v: number[]): AttrObj => ({ list: { i: v.map(String) } });
const emptyList = (): AttrObj => ({ list: {} });
const str = (v: string): AttrObj => ({ s: new TextEncoder().encode(v) });
const int = (v: number): AttrObj => ({ i: String(v) });
const bool = (v: boolean): AttrObj => ({ b: v });
const float = (v: number): AttrObj => ({ f: v });
const type = (v: string): AttrObj => ({ type: v });

const NHWC = { data_format: str('NHWC') };
const conv2d = { use_cudnn_on_gpu: bool(true), explicit_paddings: emptyList(), ...NHWC, dilations: ints(1, 1, 1, 1) };
const conv3d = { data_format: str('NDHWC'), dilations: ints(1, 1, 1, 1, 1) };
const batchNorm = { epsilon: float(0.0001), exponential_avg_factor: float(1), ...NHWC, is_training: bool(true) };
const fused = { fused_ops: emptyList(), epsilon: float(0.0001), leakyrelu_alpha: float(0.2) };
const keepDims = { keep_dims: bool(false), Tidx: type('DT_INT32') };
const resize = { align_corners: bool(false), half_pixel_centers: bool(false) };
const seeds = { seed: int(0), seed2: int(0) };
const loop = { output_shapes: emptyList(), parallel_iterations: int(10) };
const unknownShape = (): AttrObj => ({ shape: { dim: [], unknownRank: true } });
const sparseSegment = { Tidx: type('DT_INT32'), Tsegmentids: type('DT_INT32'), sparse_gradient: bool(false) };

/** Default-valued attributes of the ops inferd runs, by op (TensorFlow's registry defaults). */
export const REGISTRY_DEFAULTS: Readonly<Record<string, Readonly<Record<string, AttrObj>>>> = {
  // convolution, pooling, normalization
  Conv2D: conv2d,
  Conv2DBackpropInput: conv2d,
  _FusedConv2D: { ...conv2d, ...fused },
  DepthwiseConv2dNative: { explicit_paddings: emptyList(), ...NHWC, dilations: ints(1, 1, 1, 1) },
  FusedDepthwiseConv2dNative: { ...NHWC, dilations: ints(1, 1, 1, 1), fused_ops: emptyList(), epsilon: float(0.0001), leakyrelu_alpha: float(0.2) },
  Conv3D: conv3d,
  BiasAdd: NHWC,
  MaxPool: { T: type('DT_FLOAT'), explicit_paddings: emptyList(), ...NHWC },
  AvgPool: NHWC,
  MaxPool3D: { data_format: str('NDHWC') },
  AvgPool3D: { data_format: str('NDHWC') },
  MaxPoolWithArgmax: { Targmax: type('DT_INT64'), include_batch_in_index: bool(false) },
  FusedBatchNorm: batchNorm,
  FusedBatchNormV2: batchNorm,
  FusedBatchNormV3: batchNorm,
  LRN: { depth_radius: int(5), bias: float(1), alpha: float(1), beta: float(0.5), T: type('DT_FLOAT') },
  LeakyRelu: { alpha: float(0.2), T: type('DT_FLOAT') },
  DepthToSpace: NHWC,
  SpaceToDepth: NHWC,
  // matrices
  MatMul: { transpose_a: bool(false), transpose_b: bool(false), grad_a: bool(false), grad_b: bool(false) },
  _FusedMatMul: { transpose_a: bool(false), transpose_b: bool(false), ...fused },
  BatchMatMul: { adj_x: bool(false), adj_y: bool(false) },
  BatchMatMulV2: { adj_x: bool(false), adj_y: bool(false), grad_x: bool(false), grad_y: bool(false) },
  BatchMatMulV3: { adj_x: bool(false), adj_y: bool(false), grad_x: bool(false), grad_y: bool(false) },
  // reductions and scans
  Sum: keepDims, Mean: keepDims, Max: keepDims, Min: keepDims, Prod: keepDims, All: keepDims, Any: keepDims,
  EuclideanNorm: keepDims,
  ArgMax: { Tidx: type('DT_INT32'), output_type: type('DT_INT64') },
  ArgMin: { Tidx: type('DT_INT32'), output_type: type('DT_INT64') },
  Cumsum: { exclusive: bool(false), reverse: bool(false), Tidx: type('DT_INT32') },
  Cumprod: { exclusive: bool(false), reverse: bool(false), Tidx: type('DT_INT32') },
  DenseBincount: { binary_output: bool(false) },
  TopKV2: { sorted: bool(true), Tk: type('DT_INT32'), index_type: type('DT_INT32') },
  Unique: { out_idx: type('DT_INT32') },
  UniqueV2: { Taxis: type('DT_INT64'), out_idx: type('DT_INT32') },
  LowerBound: { out_type: type('DT_INT32') },
  UpperBound: { out_type: type('DT_INT32') },
  // array ops
  Squeeze: { squeeze_dims: emptyList() },
  StridedSlice: { begin_mask: int(0), end_mask: int(0), ellipsis_mask: int(0), new_axis_mask: int(0), shrink_axis_mask: int(0) },
  Pack: { axis: int(0) },
  Unpack: { axis: int(0) },
  ConcatV2: { Tidx: type('DT_INT32') },
  GatherV2: { batch_dims: int(0) },
  Gather: { validate_indices: bool(true) },
  OneHot: { axis: int(-1), TI: type('DT_INT64') },
  Shape: { out_type: type('DT_INT32') },
  ShapeN: { out_type: type('DT_INT32') },
  Size: { out_type: type('DT_INT32') },
  Fill: { index_type: type('DT_INT32') },
  Range: { Tidx: type('DT_INT32') },
  ExpandDims: { Tdim: type('DT_INT32') },
  Reshape: { Tshape: type('DT_INT32') },
  Tile: { Tmultiples: type('DT_INT32') },
  ReverseV2: { Tidx: type('DT_INT32') },
  Transpose: { Tperm: type('DT_INT32') },
  Pad: { Tpaddings: type('DT_INT32') },
  PadV2: { Tpaddings: type('DT_INT32') },
  MirrorPad: { Tpaddings: type('DT_INT32') },
  SplitV: { Tlen: type('DT_INT64') },
  BroadcastTo: { Tidx: type('DT_INT32') },
  SparseToDense: { validate_indices: bool(true) },
  Cast: { Truncate: bool(false) },
  Placeholder: { shape: unknownShape() },
  FakeQuantWithMinMaxVars: { num_bits: int(8), narrow_range: bool(false) },
  NonMaxSuppressionV4: { T: type('DT_FLOAT'), pad_to_max_output_size: bool(false), T_threshold: type('DT_FLOAT') },
  NonMaxSuppressionV5: { T: type('DT_FLOAT'), pad_to_max_output_size: bool(false) },
  Where: { T: type('DT_BOOL') },
  // image
  ResizeBilinear: resize,
  ResizeNearestNeighbor: resize,
  ResizeBicubic: resize,
  CropAndResize: { method: str('bilinear'), extrapolation_value: float(0) },
  ImageProjectiveTransformV3: { fill_mode: str('CONSTANT') },
  DecodeJpeg: { channels: int(0), ratio: int(1), fancy_upscaling: bool(true), try_recover_truncated: bool(false), acceptable_fraction: float(1), dct_method: str('') },
  DecodePng: { channels: int(0), dtype: type('DT_UINT8') },
  DecodeImage: { channels: int(0), dtype: type('DT_UINT8'), expand_animations: bool(true) },
  // random
  RandomUniform: seeds, RandomStandardNormal: seeds, TruncatedNormal: seeds,
  RandomUniformInt: seeds,
  Multinomial: { ...seeds, output_dtype: type('DT_INT64') },
  // control flow and lists
  While: loop,
  StatelessWhile: loop,
  If: { output_shapes: emptyList() },
  StatelessIf: { output_shapes: emptyList() },
  TensorListStack: { num_elements: int(-1) },
  TensorListConcat: { element_shape: unknownShape() },
  // TF1 control flow and TensorArrays (tf.while_loop / dynamic_rnn graphs)
  Enter: { is_constant: bool(false), parallel_iterations: int(10) },
  TensorArrayV3: { element_shape: unknownShape(), dynamic_size: bool(false), clear_after_read: bool(true), identical_element_shapes: bool(false), tensor_array_name: str('') },
  TensorArrayGatherV3: { element_shape: unknownShape() },
  // strings, parsing, sparse
  StringSplit: { skip_empty: bool(true) },
  StaticRegexReplace: { replace_global: bool(true) },
  RegexReplace: { replace_global: bool(true) },
  AsString: { precision: int(-1), scientific: bool(false), shortest: bool(false), width: int(-1), fill: str('') },
  StringSplitV2: { maxsplit: int(-1) },
  StringLower: { encoding: str('') },
  StringUpper: { encoding: str('') },
  Equal: { incompatible_shape_error: bool(true) },
  NotEqual: { incompatible_shape_error: bool(true) },
  SparseSegmentSum: sparseSegment,
  SparseSegmentMean: sparseSegment,
  SparseSegmentSqrtN: sparseSegment,
  SparseSegmentSqrtNWithNumSegments: { ...sparseSegment, Tnumsegments: type('DT_INT32') },
  HashTable: { container: str(''), shared_name: str(''), use_node_name_sharing: bool(false) },
  HashTableV2: { container: str(''), shared_name: str(''), use_node_name_sharing: bool(false) },
  Assert: { summarize: int(3) },
  Print: { message: str(''), first_n: int(-1), summarize: int(3) },
};

/** Fill each node's missing attributes: the SavedModel's own OpDef defaults first, then the registry table. */
function fillNode(node: NodeObj, opDefs: ReadonlyMap<string, OpDefObj>): NodeObj {
  const fromOpDef = opDefs.get(node.op)?.attr ?? [];
  const registry = REGISTRY_DEFAULTS[node.op];
  let attr: Record<string, AttrObj> | undefined;
  for (const a of fromOpDef) {
    if (a.defaultValue !== undefined && node.attr[a.name] === undefined) (attr ??= { ...node.attr })[a.name] = a.defaultValue;
  }
  for (const [name, value] of Object.entries(registry ?? {})) {
    if ((attr ?? node.attr)[name] === undefined) (attr ??= { ...node.attr })[name] = value;
  }
  return attr ? { ...node, attr } : node;
}

/**
 * Nodes and functions with every stripped default attribute restored (`opDefs`: the meta graph's
 * stripped_op_list). Nodes that already carry all their attributes are returned as they are.
 */
export function applyAttrDefaults(
  nodes: readonly NodeObj[],
  functions: readonly FunctionObj[],
  opDefs: readonly OpDefObj[],
): { nodes: NodeObj[]; functions: FunctionObj[] } {
  const byOp = new Map(opDefs.map((d) => [d.name, d]));
  return {
    nodes: nodes.map((n) => fillNode(n, byOp)),
    functions: functions.map((f) => ({ ...f, nodeDef: f.nodeDef.map((n) => fillNode(n, byOp)) })),
  };
}
