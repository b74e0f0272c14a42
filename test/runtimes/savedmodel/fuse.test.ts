// Conv/MatMul + BiasAdd (+ Relu/Relu6) fusion on flattened graphs (fuse.ts): which chains fuse, which stay, and
// that a fused Keras-shaped model still equals its plain-loop reference (keras-exports.test.ts covers the CNN).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fuseBiasActivations } from '../../../src/runtimes/savedmodel/fuse.ts';
import { foldBatchNorms } from '../../../src/runtimes/savedmodel/fold-batch-norm.ts';
import type { Tensor } from '../../../src/core/tensor.ts';
import type { AttrObj, NodeObj } from '../../../src/runtimes/savedmodel/proto.ts';

const F: AttrObj = { type: 'DT_FLOAT' };
const NHWC: AttrObj = { s: new TextEncoder().encode('NHWC') };
const n = (name: string, op: string, input: string[], attr: Record<string, AttrObj> = {}): NodeObj => ({ name, op, input, attr: { T: F, ...attr } });
const ops = (nodes: NodeObj[]): string[] => nodes.map((x) => `${x.name}:${x.op}`);
const fusedOps = (node: NodeObj | undefined): string[] => (node?.attr['fused_ops']?.list?.s ?? []).map((b) => new TextDecoder().decode(b));

describe('fuseBiasActivations', () => {
  it('fuses Conv2D + BiasAdd + Relu6, DepthwiseConv2dNative + BiasAdd, MatMul + BiasAdd + Relu under the last node\'s name', () => {
    const nodes = [
      n('x', 'Placeholder', []), n('w', 'Const', []), n('b', 'Const', []),
      n('conv', 'Conv2D', ['x', 'w'], { data_format: NHWC }), n('bias', 'BiasAdd', ['conv', 'b'], { data_format: NHWC }), n('relu', 'Relu6', ['bias']),
      n('dw', 'DepthwiseConv2dNative', ['relu', 'w'], { data_format: NHWC }), n('dwb', 'BiasAdd', ['dw:0', 'b'], { data_format: NHWC }),
      n('mm', 'MatMul', ['dwb', 'w']), n('mmb', 'BiasAdd', ['mm', 'b'], { data_format: NHWC }), n('out', 'Relu', ['mmb']),
    ];
    const fused = fuseBiasActivations(nodes, ['out:0']);
    assert.deepEqual(ops(fused), ['x:Placeholder', 'w:Const', 'b:Const', 'relu:_FusedConv2D', 'dwb:FusedDepthwiseConv2dNative', 'out:_FusedMatMul']);
    const byName = new Map(fused.map((x) => [x.name, x]));
    assert.deepEqual(byName.get('relu')?.input, ['x', 'w', 'b']);
    assert.deepEqual(fusedOps(byName.get('relu')), ['BiasAdd', 'Relu6']);
    assert.deepEqual(fusedOps(byName.get('dwb')), ['BiasAdd']);
    assert.deepEqual(byName.get('relu')?.attr['num_args'], { i: '1' });
  });

  it('leaves chains alone when an intermediate is fetched or shared, the layout is NCHW, or the dtype is not float', () => {
    const nodes = [
      n('x', 'Placeholder', []), n('w', 'Const', []), n('b', 'Const', []),
      n('conv', 'Conv2D', ['x', 'w'], { data_format: NHWC }), n('bias', 'BiasAdd', ['conv', 'b'], { data_format: NHWC }),
      n('conv2', 'Conv2D', ['x', 'w'], { data_format: NHWC }), n('bias2', 'BiasAdd', ['conv2', 'b'], { data_format: NHWC }), n('other', 'Identity', ['conv2']),
      n('nchw', 'Conv2D', ['x', 'w'], { data_format: { s: new TextEncoder().encode('NCHW') } }), n('bias3', 'BiasAdd', ['nchw', 'b'], { data_format: NHWC }),
      n('half', 'MatMul', ['x', 'w'], { T: { type: 'DT_HALF' } }), n('bias4', 'BiasAdd', ['half', 'b'], { data_format: NHWC }),
    ];
    const fused = fuseBiasActivations(nodes, ['conv:0', 'bias:0', 'bias2:0', 'other:0', 'bias3:0', 'bias4:0']);
    assert.deepEqual(ops(fused), ops(nodes));
    // The BiasAdd's output fetched: the conv still fuses, the activation after it does not join.
    const partial = fuseBiasActivations([...nodes.slice(0, 5), n('act', 'Relu', ['bias'])], ['bias:0', 'act:0']);
    assert.deepEqual(ops(partial).slice(3), ['bias:_FusedConv2D', 'act:Relu']);
  });
});

describe('foldBatchNorms', () => {
  const f32 = (shape: number[], v: number[]): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(v) });
  const graph = (bnUse: string): { nodes: NodeObj[]; weights: Record<string, Tensor> } => ({
    nodes: [
      n('x', 'Placeholder', []), n('w', 'Const', []), n('w/read', 'Identity', ['w']),
      n('gamma', 'Const', []), n('beta', 'Const', []), n('mean', 'Const', []), n('var', 'Const', []),
      n('conv', 'Conv2D', ['x', 'w/read'], { data_format: NHWC }),
      n('bn', 'FusedBatchNormV3', ['conv', 'gamma', 'beta', 'mean', 'var'], { data_format: NHWC, is_training: { b: false }, epsilon: { f: 0.001 } }),
      n('relu', 'Relu', [bnUse]),
    ],
    weights: { w: f32([1, 1, 1, 2], [2, 3]), gamma: f32([2], [1, 2]), beta: f32([2], [0.5, -1]), mean: f32([2], [1, 0]), var: f32([2], [3, 0.25]) },
  });

  it('folds a Keras Conv (no bias) → BatchNormalization → ReLU into filter·s and a bias, then fuses to one kernel', () => {
    const { nodes, weights } = graph('bn');
    const folded = foldBatchNorms(nodes, ['relu:0'], weights);
    const s = [1 / Math.sqrt(3.001), 2 / Math.sqrt(0.251)];
    const w = weights['conv/inferd_folded_filter'];
    const b = weights['bn/inferd_folded_bias'];
    assert.deepEqual(w?.shape, [1, 1, 1, 2]);
    [2 * (s[0] as number), 3 * (s[1] as number)].forEach((e, i) => assert.ok(Math.abs(((w?.data as Float32Array)[i] as number) - e) < 1e-6));
    [-1 * (s[0] as number) + 0.5, -1].forEach((e, i) => assert.ok(Math.abs(((b?.data as Float32Array)[i] as number) - e) < 1e-6));
    assert.equal(weights['w']?.data[0], 2, 'the original filter is untouched');
    const fused = fuseBiasActivations(folded, ['relu:0']);
    assert.deepEqual(fused.filter((x) => !['Const', 'Identity', 'Placeholder'].includes(x.op)).map((x) => `${x.name}:${x.op}`), ['relu:_FusedConv2D']);
  });

  it('leaves the batch norm alone when its statistics outputs are used or it is in training mode', () => {
    const { nodes, weights } = graph('bn:1');
    assert.deepEqual(ops(foldBatchNorms(nodes, ['relu:0'], weights)), ops(nodes));
    const training = graph('bn');
    training.nodes[8] = { ...(training.nodes[8] as NodeObj), attr: { ...(training.nodes[8] as NodeObj).attr, is_training: { b: true } } };
    assert.deepEqual(ops(foldBatchNorms(training.nodes, ['relu:0'], training.weights)), ops(training.nodes));
  });
});
