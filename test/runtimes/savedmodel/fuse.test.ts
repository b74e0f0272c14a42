// Conv/MatMul + BiasAdd (+ Relu/Relu6) fusion on flattened graphs (fuse.ts): which chains fuse, which stay, and
// that a fused Keras-shaped model still equals its plain-loop reference (keras-exports.test.ts covers the CNN).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fuseBiasActivations } from '../../../src/runtimes/savedmodel/fuse.ts';
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
