/**
 * An Estimator SavedModel shaped like `DNNLinearCombinedClassifier.export_saved_model` with a parsing serving input
 * receiver (TF 2.x Estimator: a TF1 graph with resource variables restored by `save/restore_all`, tables
 * initialized by the `legacy_init_op`), for tests. Feature columns, each traced with the ops TensorFlow emits:
 * - `age`: numeric_column (dense float [1], default 30) — ParseExampleV2's dense output;
 * - `age_bucketized`: bucketized_column(age, [25, 40, 60]) — Bucketize, then the id SparseTensor built from
 *   Range/Tile/Pack/Transpose as BucketizedColumn.get_sparse_tensors does;
 * - `occupation`: categorical_column_with_vocabulary_list(["doctor", "teacher", "engineer"]) — HashTableV2 +
 *   InitializeTableV2 (keys, Range values) and LookupTableFindV2 with default -1 on the sparse values;
 * - `city`: categorical_column_with_hash_bucket(7) — StringToHashBucketFast;
 * - `age_bucketized_X_city`: crossed_column(hash_bucket_size 11) — SparseCross with hashed_output and
 *   TensorFlow's default hash key;
 * - linear part: safe_embedding_lookup_sparse(combiner "sum") per categorical column (GreaterEqual/Where prune of
 *   invalid ids, SparseFillEmptyRows, Unique, ResourceGather, SparseSegmentSum, empty rows zeroed by
 *   Tile/ZerosLike/Select), MatMul for `age`, AddN + BiasAdd;
 * - DNN part: embedding_column(occupation, 2, combiner "mean") (SparseSegmentMean) beside `age`, ConcatV2 →
 *   Dense(4, relu) → Dense(1);
 * - binary head: logits = dnn + linear, logistic (Sigmoid), probabilities (Softmax over [0, logit]), class_ids
 *   (ArgMax), classes (AsString), and the classify/regress/predict signatures Estimators export.
 * `referenceEstimator` computes the same outputs from the raw feature values in plain JavaScript.
 */
import type { Tensor } from '../../src/core/tensor.ts';
import { attr, constNode, strings, type NodeSpec, writeSavedModel } from './savedmodel-builder.ts';
import { f32, seededFloats } from './keras-models.ts';
import { fingerprint64 } from '../../src/runtimes/savedmodel/feature-column-ops.ts';

/** The model's vocabulary, buckets and sizes. */
export const ESTIMATOR = { occupations: ['doctor', 'teacher', 'engineer'], boundaries: [25, 40, 60], cityBuckets: 7, crossBuckets: 11, embed: 2, hidden: 4, ageDefault: 30 } as const;

const F = attr.type('DT_FLOAT');
const I64 = attr.type('DT_INT64');
const I32 = attr.type('DT_INT32');
const S = attr.type('DT_STRING');
const i64 = (shape: number[], values: number[]): Tensor => ({ dtype: 'int64', shape, data: BigInt64Array.from(values.map(BigInt)) });
const i32c = (name: string, values: number[], shape = [values.length]): NodeSpec => constNode(name, { dtype: 'int32', shape, data: Int32Array.from(values) });
const n = (name: string, op: string, input: string[], a: Record<string, unknown> = {}): NodeSpec => ({ name, op, input, attr: a });

/** The model's weights (seeded). */
function weights() {
  const { occupations, boundaries, cityBuckets, crossBuckets, embed, hidden } = ESTIMATOR;
  return {
    age: seededFloats(91, 1, 0.05), bucket: seededFloats(92, boundaries.length + 1), city: seededFloats(93, cityBuckets), cross: seededFloats(94, crossBuckets),
    occupation: seededFloats(95, occupations.length), linearBias: seededFloats(96, 1, 0.1),
    embedding: seededFloats(97, occupations.length * embed), k1: seededFloats(98, (1 + embed) * hidden, 0.3), b1: seededFloats(99, hidden, 0.1),
    k2: seededFloats(100, hidden), b2: seededFloats(101, 1, 0.1),
  };
}

/** safe_embedding_lookup_sparse over ids (indices, values, dense shape) → [batch, dim] at `<p>/Select:0`. */
function safeLookup(p: string, indices: string, values: string, shape: string, variable: string, dim: number, combiner: 'Sum' | 'Mean'): NodeSpec[] {
  return [
    constNode(`${p}/GreaterEqual/y`, i64([], [0])),
    n(`${p}/GreaterEqual`, 'GreaterEqual', [values, `${p}/GreaterEqual/y`], { T: I64 }),
    n(`${p}/Where`, 'Where', [`${p}/GreaterEqual`], { T: attr.type('DT_BOOL') }),
    i32c(`${p}/Reshape/shape`, [-1]),
    n(`${p}/Reshape`, 'Reshape', [`${p}/Where`, `${p}/Reshape/shape`], { T: I64, Tshape: I32 }),
    i32c(`${p}/GatherV2/axis`, [0], []),
    n(`${p}/GatherV2`, 'GatherV2', [indices, `${p}/Reshape`, `${p}/GatherV2/axis`], { Tparams: I64, Tindices: I64, Taxis: I32 }),
    n(`${p}/GatherV2_1`, 'GatherV2', [values, `${p}/Reshape`, `${p}/GatherV2/axis`], { Tparams: I64, Tindices: I64, Taxis: I32 }),
    constNode(`${p}/SparseFillEmptyRows/Const`, i64([], [0])),
    n(`${p}/SparseFillEmptyRows/SparseFillEmptyRows`, 'SparseFillEmptyRows', [`${p}/GatherV2`, `${p}/GatherV2_1`, shape, `${p}/SparseFillEmptyRows/Const`], { T: I64 }),
    i32c(`${p}/strided_slice/stack`, [0, 0]), i32c(`${p}/strided_slice/stack_1`, [0, 1]), i32c(`${p}/strided_slice/stack_2`, [1, 1]),
    n(`${p}/strided_slice`, 'StridedSlice', [`${p}/SparseFillEmptyRows/SparseFillEmptyRows`, `${p}/strided_slice/stack`, `${p}/strided_slice/stack_1`, `${p}/strided_slice/stack_2`],
      { T: I64, Index: I32, begin_mask: attr.i(1), end_mask: attr.i(1), shrink_axis_mask: attr.i(2) }),
    n(`${p}/Cast`, 'Cast', [`${p}/strided_slice`], { SrcT: I64, DstT: I32 }),
    n(`${p}/Unique`, 'Unique', [`${p}/SparseFillEmptyRows/SparseFillEmptyRows:1`], { T: I64, out_idx: I32 }),
    n(`${p}/embedding_lookup`, 'ResourceGather', [variable, `${p}/Unique`], { dtype: F, Tindices: I64, validate_indices: attr.b(true) }),
    n(`${p}/embedding_lookup/Identity`, 'Identity', [`${p}/embedding_lookup`], { T: F }),
    n(`${p}/embedding_lookup_sparse`, `SparseSegment${combiner}`, [`${p}/embedding_lookup/Identity`, `${p}/Unique:1`, `${p}/Cast`], { T: F, Tidx: I32, Tsegmentids: I32 }),
    i32c(`${p}/Reshape_1/shape`, [-1, 1]),
    n(`${p}/Reshape_1`, 'Reshape', [`${p}/SparseFillEmptyRows/SparseFillEmptyRows:2`, `${p}/Reshape_1/shape`], { T: attr.type('DT_BOOL'), Tshape: I32 }),
    i32c(`${p}/Tile/multiples`, [1, dim]),
    n(`${p}/Tile`, 'Tile', [`${p}/Reshape_1`, `${p}/Tile/multiples`], { T: attr.type('DT_BOOL'), Tmultiples: I32 }),
    n(`${p}/zeros_like`, 'ZerosLike', [`${p}/embedding_lookup_sparse`], { T: F }),
    n(`${p}/Select`, 'Select', [`${p}/Tile`, `${p}/zeros_like`, `${p}/embedding_lookup_sparse`], { T: F }),
  ];
}

/** Write the Estimator SavedModel into `dir` (a version directory). */
export function writeEstimator(dir: string): void {
  const { occupations, boundaries, cityBuckets, crossBuckets, embed, hidden, ageDefault } = ESTIMATOR;
  const w = weights();
  const L = 'linear/linear_model';
  const D = 'dnn/input_from_feature_columns/input_layer';
  const vars: [string, Tensor][] = [
    [`${L}/age/weights`, f32([1, 1], w.age)],
    [`${L}/age_bucketized/weights`, f32([boundaries.length + 1, 1], w.bucket)],
    [`${L}/city/weights`, f32([cityBuckets, 1], w.city)],
    [`${L}/age_bucketized_X_city/weights`, f32([crossBuckets, 1], w.cross)],
    [`${L}/occupation/weights`, f32([occupations.length, 1], w.occupation)],
    [`${L}/bias_weights`, f32([1], w.linearBias)],
    [`${D}/occupation_embedding/embedding_weights`, f32([occupations.length, embed], w.embedding)],
    ['dnn/hiddenlayer_0/kernel', f32([1 + embed, hidden], w.k1)],
    ['dnn/hiddenlayer_0/bias', f32([hidden], w.b1)],
    ['dnn/logits/kernel', f32([hidden, 1], w.k2)],
    ['dnn/logits/bias', f32([1], w.b2)],
  ];
  const nodes: NodeSpec[] = [];
  for (const [name, t] of vars) {
    nodes.push({ name, op: 'VarHandleOp', attr: { dtype: F, shape: attr.shape([...t.shape]), shared_name: attr.s(name) } });
    nodes.push(n(`${name}/Read/ReadVariableOp`, 'ReadVariableOp', [name], { dtype: F }));
  }
  const read = (name: string): string => `${name}/Read/ReadVariableOp`;
  const PE = 'ParseExample/ParseExampleV2';
  nodes.push(
    { name: 'input_example_tensor', op: 'Placeholder', attr: { dtype: S, shape: attr.shape([-1]) } },
    constNode('ParseExample/Const', f32([1], Float32Array.from([ageDefault]))),
    constNode('ParseExample/ParseExampleV2/names', strings([0], [])),
    constNode('ParseExample/ParseExampleV2/sparse_keys', strings([2], ['city', 'occupation'])),
    constNode('ParseExample/ParseExampleV2/dense_keys', strings([1], ['age'])),
    constNode('ParseExample/ParseExampleV2/ragged_keys', strings([0], [])),
    n(PE, 'ParseExampleV2', ['input_example_tensor', 'ParseExample/ParseExampleV2/names', 'ParseExample/ParseExampleV2/sparse_keys', 'ParseExample/ParseExampleV2/dense_keys', 'ParseExample/ParseExampleV2/ragged_keys', 'ParseExample/Const'], {
      Tdense: attr.types(['DT_FLOAT']), num_sparse: attr.i(2), sparse_types: attr.types(['DT_STRING', 'DT_STRING']), ragged_value_types: attr.types([]), ragged_split_types: attr.types([]), dense_shapes: attr.shapes([[1]]),
    }),
  );
  // Outputs of ParseExampleV2: sparse indices 0-1, values 2-3, shapes 4-5 (city, occupation), dense 6 (age).
  const city = { indices: `${PE}:0`, values: `${PE}:2`, shape: `${PE}:4` };
  const occ = { indices: `${PE}:1`, values: `${PE}:3`, shape: `${PE}:5` };
  const age = `${PE}:6`;

  // occupation: vocabulary list table, initialized by the legacy init op.
  nodes.push(
    { name: 'occupation_lookup/hash_table', op: 'HashTableV2', attr: { key_dtype: S, value_dtype: I64, shared_name: attr.s('hash_table_occupation') } },
    constNode('occupation_lookup/Const', strings([occupations.length], [...occupations])),
    constNode('occupation_lookup/Size', i64([], [occupations.length])),
    constNode('occupation_lookup/range/start', i64([], [0])), constNode('occupation_lookup/range/delta', i64([], [1])),
    n('occupation_lookup/range', 'Range', ['occupation_lookup/range/start', 'occupation_lookup/Size', 'occupation_lookup/range/delta'], { Tidx: I64 }),
    n('occupation_lookup/hash_table/table_init', 'InitializeTableV2', ['occupation_lookup/hash_table', 'occupation_lookup/Const', 'occupation_lookup/range'], { Tkey: S, Tval: I64 }),
    constNode('occupation_lookup/hash_table/Const', i64([], [-1])),
    n('occupation_lookup/hash_table_Lookup/LookupTableFindV2', 'LookupTableFindV2', ['occupation_lookup/hash_table', occ.values, 'occupation_lookup/hash_table/Const'], { Tin: S, Tout: I64 }),
    n('init_all_tables', 'NoOp', ['^occupation_lookup/hash_table/table_init']),
    n('legacy_init_op', 'NoOp', ['^init_all_tables']),
  );
  const occIds = 'occupation_lookup/hash_table_Lookup/LookupTableFindV2';
  // city: hash bucket.
  nodes.push(n('city_lookup/StringToHashBucketFast', 'StringToHashBucketFast', [city.values], { num_buckets: attr.i(cityBuckets) }));
  // age_bucketized: Bucketize, then BucketizedColumn.get_sparse_tensors.
  const B = `${L}/age_bucketized`;
  nodes.push(
    n(`${B}/Bucketize`, 'Bucketize', [age], { T: F, boundaries: { list: { f: [...boundaries] } } }),
    n(`${B}/Shape`, 'Shape', [`${B}/Bucketize`], { T: I32, out_type: I32 }),
    i32c(`${B}/strided_slice/stack`, [0]), i32c(`${B}/strided_slice/stack_1`, [1]), i32c(`${B}/strided_slice/stack_2`, [1]),
    n(`${B}/strided_slice`, 'StridedSlice', [`${B}/Shape`, `${B}/strided_slice/stack`, `${B}/strided_slice/stack_1`, `${B}/strided_slice/stack_2`], { T: I32, Index: I32, shrink_axis_mask: attr.i(1) }),
    i32c(`${B}/range/start`, [0], []), i32c(`${B}/range/delta`, [1], []),
    n(`${B}/range`, 'Range', [`${B}/range/start`, `${B}/strided_slice`, `${B}/range/delta`], { Tidx: I32 }),
    i32c(`${B}/ExpandDims/dim`, [1], []),
    n(`${B}/ExpandDims`, 'ExpandDims', [`${B}/range`, `${B}/ExpandDims/dim`], { T: I32, Tdim: I32 }),
    i32c(`${B}/Tile/multiples`, [1, 1]),
    n(`${B}/Tile`, 'Tile', [`${B}/ExpandDims`, `${B}/Tile/multiples`], { T: I32, Tmultiples: I32 }),
    i32c(`${B}/Reshape/shape`, [-1]),
    n(`${B}/Reshape`, 'Reshape', [`${B}/Tile`, `${B}/Reshape/shape`], { T: I32, Tshape: I32 }),
    i32c(`${B}/range_1/limit`, [1], []),
    n(`${B}/range_1`, 'Range', [`${B}/range/start`, `${B}/range_1/limit`, `${B}/range/delta`], { Tidx: I32 }),
    n(`${B}/Tile_1/multiples`, 'Pack', [`${B}/strided_slice`], { T: I32, N: attr.i(1) }),
    n(`${B}/Tile_1`, 'Tile', [`${B}/range_1`, `${B}/Tile_1/multiples`], { T: I32, Tmultiples: I32 }),
    n(`${B}/Reshape_1`, 'Reshape', [`${B}/Bucketize`, `${B}/Reshape/shape`], { T: I32, Tshape: I32 }),
    i32c(`${B}/mul/x`, [boundaries.length + 1], []),
    n(`${B}/mul`, 'Mul', [`${B}/mul/x`, `${B}/Tile_1`], { T: I32 }),
    n(`${B}/add`, 'AddV2', [`${B}/Reshape_1`, `${B}/mul`], { T: I32 }),
    n(`${B}/stack`, 'Pack', [`${B}/Reshape`, `${B}/Tile_1`], { T: I32, N: attr.i(2) }),
    i32c(`${B}/transpose/perm`, [1, 0]),
    n(`${B}/transpose`, 'Transpose', [`${B}/stack`, `${B}/transpose/perm`], { T: I32, Tperm: I32 }),
    n(`${B}/Cast`, 'Cast', [`${B}/transpose`], { SrcT: I32, DstT: I64 }),
    i32c(`${B}/stack_1/1`, [1], []),
    n(`${B}/stack_1`, 'Pack', [`${B}/strided_slice`, `${B}/stack_1/1`], { T: I32, N: attr.i(2) }),
    n(`${B}/Cast_1`, 'Cast', [`${B}/stack_1`], { SrcT: I32, DstT: I64 }),
    n(`${B}/Cast_2`, 'Cast', [`${B}/add`], { SrcT: I32, DstT: I64 }),
  );
  const bucket = { indices: `${B}/Cast`, values: `${B}/Cast_2`, shape: `${B}/Cast_1` };
  // crossed column: SparseCross(hashed) of [age_bucketized, city].
  const X = `${L}/age_bucketized_X_city`;
  nodes.push(n(`${X}/SparseCross`, 'SparseCross', [bucket.indices, city.indices, bucket.values, city.values, bucket.shape, city.shape], {
    N: attr.i(2), hashed_output: attr.b(true), num_buckets: attr.i(crossBuckets), hash_key: { i: String(0xdecafcaffen) },
    sparse_types: attr.types(['DT_INT64', 'DT_STRING']), dense_types: attr.types([]), out_type: I64, internal_type: I64,
  }));
  // Linear model.
  nodes.push(
    ...safeLookup(`${B}/weighted_sum`, bucket.indices, bucket.values, bucket.shape, `${B}/weights`, 1, 'Sum'),
    ...safeLookup(`${L}/city/weighted_sum`, city.indices, 'city_lookup/StringToHashBucketFast', city.shape, `${L}/city/weights`, 1, 'Sum'),
    ...safeLookup(`${X}/weighted_sum`, `${X}/SparseCross`, `${X}/SparseCross:1`, `${X}/SparseCross:2`, `${X}/weights`, 1, 'Sum'),
    ...safeLookup(`${L}/occupation/weighted_sum`, occ.indices, occIds, occ.shape, `${L}/occupation/weights`, 1, 'Sum'),
    n(`${L}/age/weighted_sum`, 'MatMul', [age, read(`${L}/age/weights`)], { T: F }),
    n(`${L}/weighted_sum_no_bias`, 'AddN', [`${L}/age/weighted_sum`, `${B}/weighted_sum/Select`, `${L}/city/weighted_sum/Select`, `${X}/weighted_sum/Select`, `${L}/occupation/weighted_sum/Select`], { T: F, N: attr.i(5) }),
    n(`${L}/weighted_sum`, 'BiasAdd', [`${L}/weighted_sum_no_bias`, read(`${L}/bias_weights`)], { T: F }),
  );
  // DNN.
  nodes.push(
    ...safeLookup(`${D}/occupation_embedding/occupation_embedding_weights`, occ.indices, occIds, occ.shape, `${D}/occupation_embedding/embedding_weights`, embed, 'Mean'),
    i32c(`${D}/concat/axis`, [1], []),
    n(`${D}/concat`, 'ConcatV2', [age, `${D}/occupation_embedding/occupation_embedding_weights/Select`, `${D}/concat/axis`], { T: F, N: attr.i(2), Tidx: I32 }),
    n('dnn/hiddenlayer_0/MatMul', 'MatMul', [`${D}/concat`, read('dnn/hiddenlayer_0/kernel')], { T: F }),
    n('dnn/hiddenlayer_0/BiasAdd', 'BiasAdd', ['dnn/hiddenlayer_0/MatMul', read('dnn/hiddenlayer_0/bias')], { T: F }),
    n('dnn/hiddenlayer_0/Relu', 'Relu', ['dnn/hiddenlayer_0/BiasAdd'], { T: F }),
    n('dnn/logits/MatMul', 'MatMul', ['dnn/hiddenlayer_0/Relu', read('dnn/logits/kernel')], { T: F }),
    n('dnn/logits/BiasAdd', 'BiasAdd', ['dnn/logits/MatMul', read('dnn/logits/bias')], { T: F }),
  );
  // Binary head.
  const H = 'head/predictions';
  nodes.push(
    n('add', 'AddV2', ['dnn/logits/BiasAdd', `${L}/weighted_sum`], { T: F }),
    n(`${H}/logistic`, 'Sigmoid', ['add'], { T: F }),
    n(`${H}/zeros_like`, 'ZerosLike', ['add'], { T: F }),
    i32c(`${H}/two_class_logits/axis`, [-1], []),
    n(`${H}/two_class_logits`, 'ConcatV2', [`${H}/zeros_like`, 'add', `${H}/two_class_logits/axis`], { T: F, N: attr.i(2), Tidx: I32 }),
    n(`${H}/probabilities`, 'Softmax', [`${H}/two_class_logits`], { T: F }),
    i32c(`${H}/class_ids/dimension`, [-1], []),
    n(`${H}/class_ids`, 'ArgMax', [`${H}/two_class_logits`, `${H}/class_ids/dimension`], { T: F, Tidx: I32, output_type: I64 }),
    i32c(`${H}/ExpandDims/dim`, [-1], []),
    n(`${H}/ExpandDims`, 'ExpandDims', [`${H}/class_ids`, `${H}/ExpandDims/dim`], { T: I64, Tdim: I32 }),
    n(`${H}/str_classes`, 'AsString', [`${H}/ExpandDims`], { T: I64 }),
    n(`${H}/Shape`, 'Shape', [`${H}/probabilities`], { T: F, out_type: I32 }),
    i32c(`${H}/strided_slice/stack`, [0]), i32c(`${H}/strided_slice/stack_1`, [1]), i32c(`${H}/strided_slice/stack_2`, [1]),
    n(`${H}/strided_slice`, 'StridedSlice', [`${H}/Shape`, `${H}/strided_slice/stack`, `${H}/strided_slice/stack_1`, `${H}/strided_slice/stack_2`], { T: I32, Index: I32, shrink_axis_mask: attr.i(1) }),
    constNode('head/Tile/input', strings([1, 2], ['0', '1'])),
    i32c('head/Tile/multiples/1', [1], []),
    n('head/Tile/multiples', 'Pack', [`${H}/strided_slice`, 'head/Tile/multiples/1'], { T: I32, N: attr.i(2) }),
    n('head/Tile', 'Tile', ['head/Tile/input', 'head/Tile/multiples'], { T: S, Tmultiples: I32 }),
  );
  // Saver: restore every variable from the checkpoint.
  nodes.push(
    constNode('save/Const', strings([], ['model'])),
    constNode('save/RestoreV2/tensor_names', strings([vars.length], vars.map(([k]) => k))),
    constNode('save/RestoreV2/shape_and_slices', strings([vars.length], vars.map(() => ''))),
    n('save/RestoreV2', 'RestoreV2', ['save/Const', 'save/RestoreV2/tensor_names', 'save/RestoreV2/shape_and_slices'], { dtypes: attr.types(vars.map(() => 'DT_FLOAT')) }),
  );
  vars.forEach(([name], i) => {
    nodes.push(n(`save/Identity_${i}`, 'Identity', [`save/RestoreV2:${i}`], { T: F }));
    nodes.push(n(`save/AssignVariableOp_${i}`, 'AssignVariableOp', [name, `save/Identity_${i}`], { dtype: F }));
  });
  nodes.push(n('save/restore_all', 'NoOp', vars.map((_, i) => `^save/AssignVariableOp_${i}`)));
  const examples = { name: 'input_example_tensor:0', dtype: 'DT_STRING', shape: [-1] };
  const classify = {
    inputs: { inputs: examples },
    outputs: { classes: { name: 'head/Tile:0', dtype: 'DT_STRING', shape: [-1, 2] }, scores: { name: `${H}/probabilities:0`, dtype: 'DT_FLOAT', shape: [-1, 2] } },
    methodName: 'tensorflow/serving/classify',
  };
  writeSavedModel(dir, {
    nodes,
    signatures: {
      serving_default: classify,
      classification: classify,
      regression: { inputs: { inputs: examples }, outputs: { outputs: { name: `${H}/logistic:0`, dtype: 'DT_FLOAT', shape: [-1, 1] } }, methodName: 'tensorflow/serving/regress' },
      predict: {
        inputs: { examples },
        outputs: {
          logits: { name: 'add:0', dtype: 'DT_FLOAT', shape: [-1, 1] },
          logistic: { name: `${H}/logistic:0`, dtype: 'DT_FLOAT', shape: [-1, 1] },
          probabilities: { name: `${H}/probabilities:0`, dtype: 'DT_FLOAT', shape: [-1, 2] },
          class_ids: { name: `${H}/ExpandDims:0`, dtype: 'DT_INT64', shape: [-1, 1] },
          classes: { name: `${H}/str_classes:0`, dtype: 'DT_STRING', shape: [-1, 1] },
        },
      },
    },
    saverDef: { filenameTensorName: 'save/Const:0', restoreOpName: 'save/restore_all' },
    nodeCollections: { legacy_init_op: ['legacy_init_op'], table_initializer: ['occupation_lookup/hash_table/table_init'] },
    variables: Object.fromEntries(vars),
  });
}

/** The raw features of one example. */
export interface EstimatorExample {
  readonly age?: number;
  readonly city?: readonly string[];
  readonly occupation?: readonly string[];
}

const utf8 = new TextEncoder();
const MASK64 = (1n << 64n) - 1n;
const K_MUL = 0xc6a4a7935bd1e995n;
const mix = (v: bigint): bigint => v ^ (v >> 47n);
/** FingerprintCat64 as tensorflow/core/platform/fingerprint.h writes it (written here again for the oracle). */
function cat64(a: bigint, b: bigint): bigint {
  let r = a ^ K_MUL;
  r ^= (mix((b * K_MUL) & MASK64) * K_MUL) & MASK64;
  r = (r * K_MUL) & MASK64;
  r = (mix(r) * K_MUL) & MASK64;
  return mix(r);
}

/**
 * The model's outputs for raw examples, in plain JavaScript: logit, logistic and class id per example. String
 * hashes use farmhash Fingerprint64 (tfjs-core's port, pinned to TensorFlow's published values by
 * feature-column-ops.test.ts); everything else is computed here from the definitions of the columns.
 */
export function referenceEstimator(examples: readonly EstimatorExample[]): { logit: number; logistic: number; classId: number }[] {
  const { occupations, boundaries, cityBuckets, crossBuckets, embed, hidden, ageDefault } = ESTIMATOR;
  const w = weights();
  return examples.map((ex) => {
    const age = ex.age ?? ageDefault;
    const bucket = boundaries.filter((b) => b <= age).length;
    let linear = age * (w.age[0] as number) + (w.bucket[bucket] as number) + (w.linearBias[0] as number);
    for (const c of ex.city ?? []) {
      const fp = fingerprint64(utf8.encode(c));
      linear += w.city[Number(fp % BigInt(cityBuckets))] as number;
      linear += w.cross[Number(cat64(cat64(0xdecafcaffen, BigInt(bucket)), fp) % BigInt(crossBuckets))] as number;
    }
    const ids = (ex.occupation ?? []).map((o) => occupations.indexOf(o as (typeof occupations)[number])).filter((i) => i >= 0);
    for (const i of ids) linear += w.occupation[i] as number;
    const emb = new Array<number>(embed).fill(0);
    for (const i of ids) for (let d = 0; d < embed; d++) emb[d] = (emb[d] as number) + (w.embedding[i * embed + d] as number) / ids.length;
    const x = [age, ...emb];
    let dnn = w.b2[0] as number;
    for (let j = 0; j < hidden; j++) {
      let h = w.b1[j] as number;
      for (let k = 0; k < x.length; k++) h += (x[k] as number) * (w.k1[k * hidden + j] as number);
      dnn += Math.max(0, h) * (w.k2[j] as number);
    }
    const logit = dnn + linear;
    return { logit, logistic: 1 / (1 + Math.exp(-logit)), classId: logit > 0 ? 1 : 0 };
  });
}
