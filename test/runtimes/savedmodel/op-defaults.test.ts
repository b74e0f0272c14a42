// Restoring stripped default attributes: the SavedModel's stripped_op_list first, TensorFlow's registry defaults next.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyAttrDefaults, REGISTRY_DEFAULTS } from '../../../src/runtimes/savedmodel/op-defaults.ts';
import type { FunctionObj, NodeObj, OpDefObj } from '../../../src/runtimes/savedmodel/proto.ts';

const node = (op: string, attr: NodeObj['attr'] = {}): NodeObj => ({ name: op.toLowerCase(), op, input: [], attr });

describe('applyAttrDefaults', () => {
  it('fills a stripped Conv2D from the registry table and keeps the attributes it has', () => {
    const conv = node('Conv2D', { padding: { s: new TextEncoder().encode('SAME') }, data_format: { s: new TextEncoder().encode('NCHW') } });
    const { nodes } = applyAttrDefaults([conv], [], []);
    const a = nodes[0]?.attr ?? {};
    assert.deepEqual(a['dilations'], { list: { i: ['1', '1', '1', '1'] } });
    assert.deepEqual(a['explicit_paddings'], { list: {} });
    assert.equal(new TextDecoder().decode(a['data_format']?.s), 'NCHW');
    assert.equal(new TextDecoder().decode(a['padding']?.s), 'SAME');
    assert.equal(conv.attr['dilations'], undefined, 'the input node is not mutated');
  });

  it('prefers the stripped_op_list default over the registry and reaches function bodies', () => {
    const opDefs: OpDefObj[] = [{ name: 'LeakyRelu', inputArg: [], outputArg: [], attr: [{ name: 'alpha', type: 'float', defaultValue: { f: 0.3 } }] }];
    const fn: FunctionObj = { signature: { name: 'f', inputArg: [], outputArg: [], attr: [] }, attr: {}, nodeDef: [node('LeakyRelu'), node('MatMul')], ret: {}, controlRet: {} };
    const { functions } = applyAttrDefaults([], [fn], opDefs);
    assert.deepEqual(functions[0]?.nodeDef[0]?.attr['alpha'], { f: 0.3 });
    assert.deepEqual(functions[0]?.nodeDef[1]?.attr['transpose_b'], { b: false });
  });

  it('matches the OpDefs of tensorflow/core/ops/compat/ops_history_v2 checked for this table', () => {
    // Values copied from TensorFlow's recorded OpDefs (see docs/runtimes.md for the files and commits).
    const t = (op: string, a: string) => REGISTRY_DEFAULTS[op]?.[a];
    assert.deepEqual(t('MaxPool', 'T'), { type: 'DT_FLOAT' });
    assert.deepEqual(t('LeakyRelu', 'T'), { type: 'DT_FLOAT' });
    assert.deepEqual(t('TopKV2', 'index_type'), { type: 'DT_INT32' });
    assert.deepEqual(t('BatchMatMulV3', 'grad_y'), { b: false });
    assert.deepEqual(t('FusedBatchNormV3', 'exponential_avg_factor'), { f: 1 });
    assert.deepEqual(t('StringSplitV2', 'maxsplit'), { i: '-1' });
    assert.equal(t('DenseBincount', 'Tidx'), undefined, 'Tidx has no default');
    assert.equal(REGISTRY_DEFAULTS['SparseCross'], undefined, 'SparseCross has no defaulted attributes');
  });

  it('matches the second check (ops_history_v2 and tf.raw_ops, docs/runtimes.md): attributes added or removed', () => {
    const t = (op: string, a: string) => REGISTRY_DEFAULTS[op]?.[a];
    assert.deepEqual(t('LRN', 'T'), { type: 'DT_FLOAT' });
    assert.deepEqual(t('LRN', 'depth_radius'), { i: '5' });
    assert.deepEqual(t('UniqueV2', 'Taxis'), { type: 'DT_INT64' });
    assert.deepEqual(t('UniqueV2', 'out_idx'), { type: 'DT_INT32' });
    assert.deepEqual(t('BatchMatMulV2', 'grad_x'), { b: false });
    assert.deepEqual(t('BatchMatMulV2', 'grad_y'), { b: false });
    assert.deepEqual(t('MatMul', 'grad_a'), { b: false });
    assert.deepEqual(t('MatMul', 'grad_b'), { b: false });
    for (const op of ['SparseSegmentSum', 'SparseSegmentMean', 'SparseSegmentSqrtN', 'SparseSegmentSqrtNWithNumSegments']) {
      assert.deepEqual(t(op, 'sparse_gradient'), { b: false }, op);
      assert.deepEqual(t(op, 'Tsegmentids'), { type: 'DT_INT32' }, op);
    }
    assert.deepEqual(t('SparseSegmentSqrtNWithNumSegments', 'Tnumsegments'), { type: 'DT_INT32' });
    assert.equal(t('_FusedConv2D', 'num_args'), undefined, 'num_args has no registry default');
    assert.equal(t('FusedDepthwiseConv2dNative', 'num_args'), undefined, 'num_args has no registry default');
    assert.deepEqual(t('TensorArrayV3', 'clear_after_read'), { b: true });
    assert.deepEqual(t('TensorArrayV3', 'element_shape'), { shape: { dim: [], unknownRank: true } });
    assert.deepEqual(t('Enter', 'parallel_iterations'), { i: '10' });
    assert.deepEqual(t('RegexReplace', 'replace_global'), { b: true });
    assert.deepEqual(t('HashTable', 'use_node_name_sharing'), { b: false });
    assert.deepEqual(t('TensorListConcat', 'element_shape'), { shape: { dim: [], unknownRank: true } });
    assert.equal(t('MaxPool3D', 'T'), undefined, "MaxPool3D's T has no default (MaxPool's T does)");
  });

  it('leaves unknown ops and complete nodes untouched', () => {
    const n = node('SomethingElse');
    assert.equal(applyAttrDefaults([n], [], []).nodes[0], n);
    assert.ok(Object.keys(REGISTRY_DEFAULTS).length > 80);
  });
});
