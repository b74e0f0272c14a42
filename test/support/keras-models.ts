/**
 * Test models shaped like TensorFlow 2 Keras exports (written with kerasExport), each with a plain-loop reference
 * (reference-nets.ts) over the same weights. Weights come from a seeded generator.
 */
import type { Tensor } from '../../src/core/tensor.ts';
import { attr, constNode } from './savedmodel-builder.ts';
import { kerasExport, type KerasVariable } from './keras-export.ts';
import { prng } from '../../src/loadgen/inputs.ts';
import { batchNorm, conv2d, dense, globalAveragePool, maxPool, perChannel, softmax, type Nhwc } from './reference-nets.ts';

/** Deterministic pseudo-random floats in [-scale, scale) (mulberry32). */
export function seededFloats(seed: number, n: number, scale = 0.5): Float32Array {
  const random = prng(seed);
  return Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
}

/** A float32 core tensor. */
export const f32 = (shape: number[], data: Float32Array): Tensor => ({ dtype: 'float32', shape, data });
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
