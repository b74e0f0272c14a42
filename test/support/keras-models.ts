/**
 * Test models shaped like TensorFlow 2 Keras exports (written with kerasExport), each with a plain-loop reference
 * (reference-nets.ts) over the same weights. Weights come from a seeded generator.
 */
import type { Tensor } from '../../src/core/tensor.ts';
import { attr, constNode } from './savedmodel-builder.ts';
import { kerasExport, type KerasVariable } from './keras-export.ts';
import { batchNorm, conv2d, dense, globalAveragePool, gru, lstm, maxPool, perChannel, softmax, type Nhwc } from './reference-nets.ts';

/** Deterministic pseudo-random floats in [-scale, scale) (mulberry32). */
export function seededFloats(seed: number, n: number, scale = 0.5): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

const f32 = (shape: number[], data: Float32Array): Tensor => ({ dtype: 'float32', shape, data });
const F = attr.type('DT_FLOAT');

/** The small CNN's sizes: input [n, 12, 12, 3]. */
export const CNN = { size: 12, channels: 3, filters: 8, classes: 5 } as const;

/**
 * A MobileNet-like Keras CNN: Conv2D(8, 3×3, stride 2, same) + bias → BatchNormalization → ReLU6 →
 * DepthwiseConv2D(3×3, valid) → ReLU → MaxPooling2D(2) → GlobalAveragePooling2D → Dense(5) → softmax.
 * Written as TensorFlow writes it: no dilations/data_format/explicit_paddings/use_cudnn_on_gpu on the convolutions,
 * no data_format on BiasAdd/MaxPool/FusedBatchNormV3, no keep_dims on Mean, no transpose_a/b on MatMul.
 * Returns the reference forward pass.
 */
export function writeKerasCnn(dir: string): (x: Float32Array, n: number) => Float32Array {
  const { channels: C, filters: K, classes: M } = CNN;
  const w = {
    kernel: seededFloats(1, 3 * 3 * C * K), bias: seededFloats(2, K, 0.1),
    gamma: seededFloats(3, K, 0.2).map((v) => 1 + v), beta: seededFloats(4, K, 0.1),
    mean: seededFloats(5, K, 0.1), variance: seededFloats(6, K, 0.3).map((v) => 1 + v),
    dw: seededFloats(7, 3 * 3 * K), dense: seededFloats(8, K * M), denseBias: seededFloats(9, M, 0.1),
  };
  const variables: KerasVariable[] = [
    { name: 'conv2d/kernel', key: 'layer_with_weights-0/kernel', value: f32([3, 3, C, K], w.kernel) },
    { name: 'conv2d/bias', key: 'layer_with_weights-0/bias', value: f32([K], w.bias) },
    { name: 'batch_normalization/gamma', key: 'layer_with_weights-1/gamma', value: f32([K], w.gamma) },
    { name: 'batch_normalization/beta', key: 'layer_with_weights-1/beta', value: f32([K], w.beta) },
    { name: 'batch_normalization/moving_mean', key: 'layer_with_weights-1/moving_mean', value: f32([K], w.mean) },
    { name: 'batch_normalization/moving_variance', key: 'layer_with_weights-1/moving_variance', value: f32([K], w.variance) },
    { name: 'depthwise_conv2d/depthwise_kernel', key: 'layer_with_weights-2/depthwise_kernel', value: f32([3, 3, K, 1], w.dw) },
    { name: 'dense/kernel', key: 'layer_with_weights-3/kernel', value: f32([K, M], w.dense) },
    { name: 'dense/bias', key: 'layer_with_weights-3/bias', value: f32([M], w.denseBias) },
  ];
  kerasExport(dir, {
    input: { name: 'input_1', dtype: 'DT_FLOAT', shape: [-1, CNN.size, CNN.size, C] },
    output: { name: 'dense', dtype: 'DT_FLOAT', shape: [-1, M] },
    variables,
    body: ({ input, read }) => ({
      nodes: [
        { name: 'conv2d/Conv2D', op: 'Conv2D', input: [input, read('conv2d/kernel')], attr: { T: F, strides: { list: { i: [1, 2, 2, 1] } }, padding: attr.s('SAME') } },
        { name: 'conv2d/BiasAdd', op: 'BiasAdd', input: ['conv2d/Conv2D:output:0', read('conv2d/bias')], attr: { T: F } },
        {
          name: 'batch_normalization/FusedBatchNormV3', op: 'FusedBatchNormV3',
          input: ['conv2d/BiasAdd:output:0', read('batch_normalization/gamma'), read('batch_normalization/beta'), read('batch_normalization/moving_mean'), read('batch_normalization/moving_variance')],
          attr: { T: F, U: F, epsilon: { f: 0.001 }, is_training: attr.b(false) },
        },
        { name: 're_lu/Relu6', op: 'Relu6', input: ['batch_normalization/FusedBatchNormV3:y:0'], attr: { T: F } },
        {
          name: 'depthwise_conv2d/depthwise', op: 'DepthwiseConv2dNative', input: ['re_lu/Relu6:activations:0', read('depthwise_conv2d/depthwise_kernel')],
          attr: { T: F, strides: { list: { i: [1, 1, 1, 1] } }, padding: attr.s('VALID') },
        },
        { name: 're_lu_1/Relu', op: 'Relu', input: ['depthwise_conv2d/depthwise:output:0'], attr: { T: F } },
        { name: 'max_pooling2d/MaxPool', op: 'MaxPool', input: ['re_lu_1/Relu:activations:0'], attr: { T: F, ksize: { list: { i: [1, 2, 2, 1] } }, strides: { list: { i: [1, 2, 2, 1] } }, padding: attr.s('VALID') } },
        constNode('global_average_pooling2d/Mean/reduction_indices', { dtype: 'int32', shape: [2], data: Int32Array.from([1, 2]) }),
        { name: 'global_average_pooling2d/Mean', op: 'Mean', input: ['max_pooling2d/MaxPool:output:0', 'global_average_pooling2d/Mean/reduction_indices:output:0'], attr: { T: F } },
        { name: 'dense/MatMul', op: 'MatMul', input: ['global_average_pooling2d/Mean:output:0', read('dense/kernel')], attr: { T: F } },
        { name: 'dense/BiasAdd', op: 'BiasAdd', input: ['dense/MatMul:product:0', read('dense/bias')], attr: { T: F } },
        { name: 'dense/Softmax', op: 'Softmax', input: ['dense/BiasAdd:output:0'], attr: { T: F } },
      ],
      output: 'dense/Softmax:softmax:0',
    }),
  });
  return (x, n) => {
    let t: Nhwc = { n, h: CNN.size, w: CNN.size, c: C, data: x };
    t = conv2d(t, w.kernel, 3, 3, K, 2, true);
    t = perChannel(t, (v, c) => v + (w.bias[c] as number));
    t = batchNorm(t, w.gamma, w.beta, w.mean, w.variance, 0.001);
    t = perChannel(t, (v) => Math.min(6, Math.max(0, v)));
    t = conv2d(t, w.dw, 3, 3, K, 1, false, true);
    t = perChannel(t, (v) => Math.max(0, v));
    t = maxPool(t, 2, 2);
    return softmax(dense(globalAveragePool(t), n, w.dense, w.denseBias), n);
  };
}

/** The sentiment model's sizes: token ids [n, 6] over a 20-word vocabulary. */
export const SENTIMENT = { steps: 6, vocab: 20, dims: 4, hidden: 3 } as const;

/**
 * The seed's sentiment classifier as Keras exports it: Embedding (ResourceGather on the variable handle) →
 * GlobalAveragePooling1D (Mean over axis 1) → Dense(3, relu) → Dense(1, sigmoid). Returns the reference.
 */
export function writeKerasSentiment(dir: string): (ids: Int32Array, n: number) => Float32Array {
  const { steps, vocab, dims, hidden } = SENTIMENT;
  const w = { emb: seededFloats(21, vocab * dims), k1: seededFloats(22, dims * hidden), b1: seededFloats(23, hidden, 0.1), k2: seededFloats(24, hidden), b2: seededFloats(25, 1, 0.1) };
  kerasExport(dir, {
    input: { name: 'text', dtype: 'DT_INT32', shape: [-1, steps] },
    output: { name: 'score', dtype: 'DT_FLOAT', shape: [-1, 1] },
    variables: [
      { name: 'embedding/embeddings', key: 'layer_with_weights-0/embeddings', value: f32([vocab, dims], w.emb) },
      { name: 'dense/kernel', key: 'layer_with_weights-1/kernel', value: f32([dims, hidden], w.k1) },
      { name: 'dense/bias', key: 'layer_with_weights-1/bias', value: f32([hidden], w.b1) },
      { name: 'dense_1/kernel', key: 'layer_with_weights-2/kernel', value: f32([hidden, 1], w.k2) },
      { name: 'dense_1/bias', key: 'layer_with_weights-2/bias', value: f32([1], w.b2) },
    ],
    body: ({ input, read, handle }) => ({
      nodes: [
        {
          name: 'embedding/embedding_lookup', op: 'ResourceGather', input: [handle('embedding/embeddings'), input],
          attr: { dtype: F, Tindices: attr.type('DT_INT32'), validate_indices: attr.b(true) },
        },
        { name: 'embedding/embedding_lookup/Identity', op: 'Identity', input: ['embedding/embedding_lookup:output:0'], attr: { T: F } },
        constNode('global_average_pooling1d/Mean/reduction_indices', { dtype: 'int32', shape: [], data: Int32Array.from([1]) }),
        { name: 'global_average_pooling1d/Mean', op: 'Mean', input: ['embedding/embedding_lookup/Identity:output:0', 'global_average_pooling1d/Mean/reduction_indices:output:0'], attr: { T: F } },
        { name: 'dense/MatMul', op: 'MatMul', input: ['global_average_pooling1d/Mean:output:0', read('dense/kernel')], attr: { T: F } },
        { name: 'dense/BiasAdd', op: 'BiasAdd', input: ['dense/MatMul:product:0', read('dense/bias')], attr: { T: F } },
        { name: 'dense/Relu', op: 'Relu', input: ['dense/BiasAdd:output:0'], attr: { T: F } },
        { name: 'dense_1/MatMul', op: 'MatMul', input: ['dense/Relu:activations:0', read('dense_1/kernel')], attr: { T: F } },
        { name: 'dense_1/BiasAdd', op: 'BiasAdd', input: ['dense_1/MatMul:product:0', read('dense_1/bias')], attr: { T: F } },
        { name: 'dense_1/Sigmoid', op: 'Sigmoid', input: ['dense_1/BiasAdd:output:0'], attr: { T: F } },
      ],
      output: 'dense_1/Sigmoid:y:0',
    }),
  });
  return (ids, n) => {
    const pooled = new Float32Array(n * dims);
    for (let r = 0; r < n; r++) for (let t = 0; t < steps; t++) for (let d = 0; d < dims; d++) {
      pooled[r * dims + d] = (pooled[r * dims + d] as number) + (w.emb[(ids[r * steps + t] as number) * dims + d] as number) / steps;
    }
    return dense(dense(pooled, n, w.k1, w.b1, true), n, w.k2, w.b2).map((v) => 1 / (1 + Math.exp(-v)));
  };
}

/** The recurrent models' sizes: input [n, 5, 2]. */
export const RNN = { steps: 5, features: 2, units: 3 } as const;

const I32 = attr.type('DT_INT32');
const VARIANT = 'DT_VARIANT';
const i32 = (name: string, values: number[], shape: number[] = values.length === 1 ? [] : [values.length]) =>
  constNode(name, { dtype: 'int32', shape, data: Int32Array.from(values) });
const op = (name: string, o: string, input: string[], a: Record<string, unknown> = { T: F }) => ({ name, op: o, input, attr: a });

/**
 * A Keras LSTM or GRU layer (TF2 `standard_lstm` / `standard_gru`, reset_after) followed by Dense(1), written as
 * TensorFlow traces it: the input transposed to time-major and unstacked into a TensorList, a TensorListReserve for
 * the outputs, zero states sized from the batch (Shape → StridedSlice → Pack → Fill), a While loop whose body reads
 * step `time` (TensorListGetItem), computes the gates (MatMul, Split, Sigmoid, Tanh) and writes h
 * (TensorListSetItem), then TensorListStack and the last step (StridedSlice with shrink_axis_mask).
 * Returns the plain-loop reference.
 */
export function writeKerasRecurrent(dir: string, kind: 'lstm' | 'gru'): (x: Float32Array, n: number) => Float32Array {
  const { steps, features, units } = RNN;
  const g = kind === 'lstm' ? 4 : 3;
  const w = {
    kernel: seededFloats(31, features * g * units), recurrent: seededFloats(32, units * g * units),
    bias: seededFloats(33, (kind === 'lstm' ? 1 : 2) * g * units, 0.2), dense: seededFloats(34, units), denseBias: seededFloats(35, 1, 0.1),
  };
  const biasShape = kind === 'lstm' ? [g * units] : [2, g * units];
  const loopTypes = ['DT_INT32', 'DT_INT32', 'DT_INT32', VARIANT, 'DT_FLOAT', ...(kind === 'lstm' ? ['DT_FLOAT'] : []), VARIANT, 'DT_FLOAT', 'DT_FLOAT', 'DT_FLOAT'];
  const argNames = ['loop_counter', 'max_iterations', 'time', 'output_list', 'h', ...(kind === 'lstm' ? ['c'] : []), 'input_list', 'kernel', 'recurrent_kernel', 'bias'];
  const args = argNames.map((name, i) => ({ name, type: loopTypes[i] as string }));
  const body: import('./savedmodel-builder.ts').NodeSpec[] = [
    i32('one', [1]),
    i32('element_shape', [-1, features]),
    op('x_t', 'TensorListGetItem', ['input_list', 'time', 'element_shape:output:0'], { element_dtype: F }),
    op('xw', 'MatMul', ['x_t:item:0', 'kernel']),
    op('hw', 'MatMul', ['h', 'recurrent_kernel']),
    i32('split_dim', [1]),
  ];
  let hNew: string;
  let cNew: string | undefined;
  if (kind === 'lstm') {
    body.push(
      op('z0', 'AddV2', ['xw:product:0', 'hw:product:0']),
      op('z', 'BiasAdd', ['z0:z:0', 'bias']),
      op('split', 'Split', ['split_dim:output:0', 'z:output:0'], { T: F, num_split: attr.i(4) }),
      op('i', 'Sigmoid', ['split:output:0']), op('f', 'Sigmoid', ['split:output:1']), op('o', 'Sigmoid', ['split:output:3']),
      op('g_tanh', 'Tanh', ['split:output:2']),
      op('fc', 'Mul', ['f:y:0', 'c']), op('ig', 'Mul', ['i:y:0', 'g_tanh:y:0']), op('c_new', 'AddV2', ['fc:z:0', 'ig:z:0']),
      op('c_tanh', 'Tanh', ['c_new:z:0']), op('h_new', 'Mul', ['o:y:0', 'c_tanh:y:0']),
    );
    hNew = 'h_new:z:0';
    cNew = 'c_new:z:0';
  } else {
    body.push(
      op('biases', 'Unpack', ['bias'], { T: F, num: attr.i(2) }),
      op('mx', 'BiasAdd', ['xw:product:0', 'biases:output:0']),
      op('mh', 'BiasAdd', ['hw:product:0', 'biases:output:1']),
      op('sx', 'Split', ['split_dim:output:0', 'mx:output:0'], { T: F, num_split: attr.i(3) }),
      op('sh', 'Split', ['split_dim:output:0', 'mh:output:0'], { T: F, num_split: attr.i(3) }),
      op('z_in', 'AddV2', ['sx:output:0', 'sh:output:0']), op('z', 'Sigmoid', ['z_in:z:0']),
      op('r_in', 'AddV2', ['sx:output:1', 'sh:output:1']), op('r', 'Sigmoid', ['r_in:z:0']),
      op('rh', 'Mul', ['r:y:0', 'sh:output:2']), op('hh_in', 'AddV2', ['sx:output:2', 'rh:z:0']), op('hh', 'Tanh', ['hh_in:z:0']),
      op('zh', 'Mul', ['z:y:0', 'h']),
      constNode('one_f', { dtype: 'float32', shape: [], data: Float32Array.from([1]) }),
      op('one_minus_z', 'Sub', ['one_f:output:0', 'z:y:0']), op('zhh', 'Mul', ['one_minus_z:z:0', 'hh:y:0']),
      op('h_new', 'AddV2', ['zh:z:0', 'zhh:z:0']),
    );
    hNew = 'h_new:z:0';
  }
  body.push(
    op('set', 'TensorListSetItem', ['output_list', 'time', hNew], { element_dtype: F }),
    op('time_next', 'AddV2', ['time', 'one:output:0'], { T: I32 }),
    op('counter_next', 'AddV2', ['loop_counter', 'one:output:0'], { T: I32 }),
  );
  const bodyRet: Record<string, string> = {
    loop_counter_out: 'counter_next:z:0', max_iterations_out: 'max_iterations', time_out: 'time_next:z:0', output_list_out: 'set:output_handle:0',
    h_out: hNew, ...(cNew ? { c_out: cNew } : {}), input_list_out: 'input_list', kernel_out: 'kernel', recurrent_kernel_out: 'recurrent_kernel', bias_out: 'bias',
  };
  const outs = argNames.map((name, i) => ({ name: `${name}_out`, type: loopTypes[i] as string }));
  const whileBody = { name: `__inference_while_body_${kind}_2001`, inputs: args, outputs: outs, nodes: body, ret: bodyRet };
  const whileCond = {
    name: `__inference_while_cond_${kind}_2002`, inputs: args, outputs: [{ name: 'identity', type: 'DT_BOOL' }],
    nodes: [op('less', 'Less', ['loop_counter', 'max_iterations'], { T: I32 }), op('Identity', 'Identity', ['less:z:0'], { T: attr.type('DT_BOOL') })],
    ret: { identity: 'Identity:output:0' },
  };
  const layer = kind;
  kerasExport(dir, {
    input: { name: `${kind}_input`, dtype: 'DT_FLOAT', shape: [-1, steps, features] },
    output: { name: 'dense', dtype: 'DT_FLOAT', shape: [-1, 1] },
    variables: [
      { name: `${layer}/${layer}_cell/kernel`, key: 'layer_with_weights-0/cell/kernel', value: f32([features, g * units], w.kernel) },
      { name: `${layer}/${layer}_cell/recurrent_kernel`, key: 'layer_with_weights-0/cell/recurrent_kernel', value: f32([units, g * units], w.recurrent) },
      { name: `${layer}/${layer}_cell/bias`, key: 'layer_with_weights-0/cell/bias', value: f32(biasShape, w.bias) },
      { name: 'dense/kernel', key: 'layer_with_weights-1/kernel', value: f32([units, 1], w.dense) },
      { name: 'dense/bias', key: 'layer_with_weights-1/bias', value: f32([1], w.denseBias) },
    ],
    functions: [whileBody, whileCond],
    body: ({ input, read }) => {
      const states = kind === 'lstm' ? ['zeros:output:0', 'zeros_1:output:0'] : ['zeros:output:0'];
      const nodes: import('./savedmodel-builder.ts').NodeSpec[] = [
        op(`${layer}/Shape`, 'Shape', [input]),
        i32('begin', [0], [1]), i32('end', [1], [1]), i32('strides', [1], [1]),
        op(`${layer}/strided_slice`, 'StridedSlice', [`${layer}/Shape:output:0`, 'begin:output:0', 'end:output:0', 'strides:output:0'], { T: I32, Index: I32, shrink_axis_mask: attr.i(1) }),
        i32('units', [units]),
        op(`${layer}/zeros/packed`, 'Pack', [`${layer}/strided_slice:output:0`, 'units:output:0'], { T: I32, N: attr.i(2) }),
        constNode('zero', { dtype: 'float32', shape: [], data: Float32Array.from([0]) }),
        op('zeros', 'Fill', [`${layer}/zeros/packed:output:0`, 'zero:output:0']),
        op('zeros_1', 'Fill', [`${layer}/zeros/packed:output:0`, 'zero:output:0']),
        i32('perm', [1, 0, 2]),
        op(`${layer}/transpose`, 'Transpose', [input, 'perm:output:0'], { T: F, Tperm: I32 }),
        i32('in_element_shape', [-1, features]),
        op('TensorArrayUnstack/TensorListFromTensor', 'TensorListFromTensor', [`${layer}/transpose:y:0`, 'in_element_shape:output:0'], { element_dtype: F, shape_type: I32 }),
        i32('out_element_shape', [-1, units]),
        i32('num_steps', [steps]),
        op('TensorArrayV2', 'TensorListReserve', ['out_element_shape:output:0', 'num_steps:output:0'], { element_dtype: F, shape_type: I32 }),
        i32('zero_i', [0]),
        {
          name: 'while', op: 'While',
          input: ['zero_i:output:0', 'num_steps:output:0', 'zero_i:output:0', 'TensorArrayV2:handle:0', ...states, 'TensorArrayUnstack/TensorListFromTensor:output_handle:0',
            read(`${layer}/${layer}_cell/kernel`), read(`${layer}/${layer}_cell/recurrent_kernel`), read(`${layer}/${layer}_cell/bias`)],
          attr: { T: attr.types(loopTypes), body: attr.func(whileBody.name), cond: attr.func(whileCond.name), parallel_iterations: attr.i(32), _num_original_outputs: attr.i(loopTypes.length) },
        },
        op('TensorArrayV2Stack/TensorListStack', 'TensorListStack', ['while:output:3', 'out_element_shape:output:0'], { element_dtype: F, num_elements: attr.i(steps) }),
        i32('last_begin', [-1], [1]), i32('last_end', [0], [1]),
        op(`${layer}/strided_slice_last`, 'StridedSlice', ['TensorArrayV2Stack/TensorListStack:tensor:0', 'last_begin:output:0', 'last_end:output:0', 'strides:output:0'], { T: F, Index: I32, shrink_axis_mask: attr.i(1) }),
        op('dense/MatMul', 'MatMul', [`${layer}/strided_slice_last:output:0`, read('dense/kernel')]),
        op('dense/BiasAdd', 'BiasAdd', ['dense/MatMul:product:0', read('dense/bias')]),
      ];
      return { nodes, output: 'dense/BiasAdd:output:0' };
    },
  });
  return (x, n) => {
    const weights = { kernel: w.kernel, recurrent: w.recurrent, bias: w.bias };
    const h = kind === 'lstm' ? lstm(x, n, steps, weights, false) : gru(x, n, steps, weights, false);
    return dense(h, n, w.dense, w.denseBias);
  };
}
