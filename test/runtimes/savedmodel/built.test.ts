// The SavedModel reader, bundle, flattener and runtime on SavedModels these tests write themselves
// (test/support/savedmodel-builder.ts): TF1 with VariableV2 + restore subgraph + snappy index block, a Keras-style
// TF2 graph (nested StatefulPartitionedCall, VarHandleOp/ReadVariableOp, ResourceGather, MatMul, BiasAdd), a
// StatelessWhile with a resource loop variable, an unsupported op, and int64 range checks.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import { TensorBundle } from '../../../src/runtimes/savedmodel/bundle.ts';
import { InferdError } from '../../../src/core/errors.ts';
import type { Tensor } from '../../../src/core/tensor.ts';
import { attr, constNode, strings, writeBundle, writeSavedModel, type FunctionSpec } from '../../support/savedmodel-builder.ts';

const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(values) });
const i32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'int32', shape, data: Int32Array.from(values) });
const vals = (t: Tensor | undefined): number[] => Array.from(t?.data as Float32Array, (v) => Math.round(v * 1e4) / 1e4);
const F = 'DT_FLOAT';
const R = 'DT_RESOURCE';

let tmp: string;
let rt: SavedModelRuntime;
before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-sm-'));
  rt = await SavedModelRuntime.create({ workers: 0 });
});
after(async () => {
  await rt?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});
const load = (dir: string) => rt.load({ modelName: 't', version: 1, path: dir });

describe('TensorBundle', () => {
  it('reads numeric and string tensors across plain and snappy blocks, verifying checksums', () => {
    const prefix = path.join(tmp, 'bundle', 'variables');
    const tensors: Record<string, Tensor> = {
      a: f32([2], [1.5, -2]), b: i32([3], [1, 2, 3]), c: strings([2], ['hello', '']), d: f32([], [7]),
      e: { dtype: 'int64', shape: [1], data: new BigInt64Array([1n << 40n]) },
    };
    writeBundle(prefix, tensors, true);
    const b = TensorBundle.open(prefix);
    assert.deepEqual(b.keys(), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(Array.from(b.read('a').data as Float32Array), [1.5, -2]);
    assert.deepEqual(Array.from(b.read('b').data as Int32Array), [1, 2, 3]);
    assert.deepEqual((b.read('c').data as Uint8Array[]).map((x) => Buffer.from(x).toString()), ['hello', '']);
    assert.deepEqual(b.read('d').shape, []);
    assert.equal((b.read('e').data as BigInt64Array)[0], 1n << 40n);
    const data = `${prefix}.data-00000-of-00001`;
    const bytes = fs.readFileSync(data);
    bytes[0] = (bytes[0] as number) ^ 0xff;
    fs.writeFileSync(data, bytes);
    assert.throws(() => TensorBundle.open(prefix).read('a'), (e: unknown) => e instanceof InferdError && e.code === 'DATA_LOSS');
  });
});

describe('TF1 SavedModel with variables', () => {
  it('restores VariableV2 through save/restore_all and computes x*w+b', async () => {
    const dir = path.join(tmp, 'tf1', '1');
    writeSavedModel(dir, {
      nodes: [
        { name: 'x', op: 'Placeholder', attr: { dtype: attr.type(F), shape: attr.shape([-1, 3]) } },
        { name: 'w', op: 'VariableV2', attr: { dtype: attr.type(F), shape: attr.shape([3]) } },
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
      variables: { w: f32([3], [1, 2, 3]), b: f32([], [0.5]), unused: strings([1], ['x']) },
      snappy: true,
      signatures: { serving_default: { inputs: { x: { name: 'x:0', dtype: F, shape: [-1, 3] } }, outputs: { y: { name: 'y:0', dtype: F, shape: [-1, 3] } } } },
    });
    const m = await load(dir);
    assert.deepEqual(m.metadata.signatures['serving_default']?.inputs['x'], { name: 'x:0', dtype: 'float32', shape: [-1, 3] });
    const out = await m.run({ signatureName: 'serving_default', inputs: { x: f32([2, 3], [1, 1, 1, 2, 2, 2]) } });
    assert.deepEqual(vals(out['y']), [1.5, 2.5, 3.5, 2.5, 4.5, 6.5]);
    await m.close();
  });

  it('names every unsupported op in one load error', async () => {
    const dir = path.join(tmp, 'unsupported', '1');
    writeSavedModel(dir, {
      nodes: [
        { name: 'x', op: 'Placeholder', attr: { dtype: attr.type(F) } },
        { name: 'a', op: 'FrobnicateV9', input: ['x'] },
        { name: 'b', op: 'Quuxify', input: ['a'] },
      ],
      signatures: { serving_default: { inputs: { x: { name: 'x:0', dtype: F } }, outputs: { y: { name: 'b:0', dtype: F } } } },
    });
    await assert.rejects(load(dir), (e: unknown) => e instanceof InferdError && e.code === 'UNIMPLEMENTED' && /FrobnicateV9/.test(e.message) && /Quuxify/.test(e.message));
  });

  it('rejects int64 inputs that do not fit int32 and accepts those that do', async () => {
    const dir = path.join(tmp, 'int64', '1');
    writeSavedModel(dir, {
      nodes: [
        { name: 'ids', op: 'Placeholder', attr: { dtype: attr.type('DT_INT64') } },
        constNode('one', { dtype: 'int64', shape: [], data: new BigInt64Array([1n]) }),
        { name: 'y', op: 'AddV2', input: ['ids', 'one'], attr: { T: attr.type('DT_INT64') } },
      ],
      signatures: { serving_default: { inputs: { ids: { name: 'ids:0', dtype: 'DT_INT64', shape: [-1] } }, outputs: { y: { name: 'y:0', dtype: 'DT_INT64', shape: [-1] } } } },
    });
    const m = await load(dir);
    const ok = await m.run({ signatureName: 'serving_default', inputs: { ids: { dtype: 'int64', shape: [2], data: new BigInt64Array([1n, 41n]) } } });
    assert.equal(ok['y']?.dtype, 'int64');
    assert.deepEqual(Array.from(ok['y']?.data as BigInt64Array), [2n, 42n]);
    await assert.rejects(
      m.run({ signatureName: 'serving_default', inputs: { ids: { dtype: 'int64', shape: [1], data: new BigInt64Array([1n << 40n]) } } }),
      (e: unknown) => e instanceof InferdError && e.code === 'INVALID_ARGUMENT' && /int32/.test(e.message),
    );
    await m.close();
  });
});

describe('Keras-style TF2 SavedModel', () => {
  const emb = f32([4, 3], [0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const kernel = f32([3, 2], [1, 2, 3, 4, 5, 6]);
  const bias = f32([2], [0.5, -0.5]);
  const inner: FunctionSpec = {
    name: '__inference_call_10',
    inputs: [{ name: 'ids', type: 'DT_INT32' }, { name: 'emb_res', type: R }, { name: 'k_res', type: R }, { name: 'b_res', type: R }],
    outputs: [{ name: 'identity', type: F }],
    nodes: [
      { name: 'embedding/embedding_lookup', op: 'ResourceGather', input: ['emb_res', 'ids'], attr: { dtype: attr.type(F), Tindices: attr.type('DT_INT32') } },
      constNode('mean/axis', i32([], [1])),
      { name: 'mean', op: 'Mean', input: ['embedding/embedding_lookup:output:0', 'mean/axis:output:0'], attr: { T: attr.type(F), Tidx: attr.type('DT_INT32'), keep_dims: attr.b(false) } },
      { name: 'dense/MatMul/ReadVariableOp', op: 'ReadVariableOp', input: ['k_res'], attr: { dtype: attr.type(F) } },
      { name: 'dense/MatMul', op: 'MatMul', input: ['mean:output:0', 'dense/MatMul/ReadVariableOp:value:0'], attr: { T: attr.type(F), transpose_a: attr.b(false), transpose_b: attr.b(false) } },
      { name: 'dense/BiasAdd/ReadVariableOp', op: 'ReadVariableOp', input: ['b_res'], attr: { dtype: attr.type(F) } },
      { name: 'dense/BiasAdd', op: 'BiasAdd', input: ['dense/MatMul:product:0', 'dense/BiasAdd/ReadVariableOp:value:0'], attr: { T: attr.type(F) } },
      { name: 'Identity', op: 'Identity', input: ['dense/BiasAdd:output:0', '^NoOp'], attr: { T: attr.type(F) } },
      { name: 'NoOp', op: 'NoOp', input: ['^dense/MatMul/ReadVariableOp'] },
    ],
    ret: { identity: 'Identity:output:0' },
  };
  const wrapper: FunctionSpec = {
    name: '__inference_signature_wrapper_20',
    inputs: [{ name: 'ids', type: 'DT_INT32' }, { name: 'unknown', type: R }, { name: 'unknown_0', type: R }, { name: 'unknown_1', type: R }],
    outputs: [{ name: 'output_0', type: F }],
    nodes: [
      { name: 'StatefulPartitionedCall', op: 'StatefulPartitionedCall', input: ['ids', 'unknown', 'unknown_0', 'unknown_1'], attr: { f: attr.func(inner.name), Tin: attr.types(['DT_INT32', R, R, R]), Tout: attr.types([F]) } },
      { name: 'Identity', op: 'Identity', input: ['StatefulPartitionedCall:output:0'], attr: { T: attr.type(F) } },
    ],
    ret: { output_0: 'Identity:output:0' },
  };
  const restore: FunctionSpec = {
    name: '__inference__traced_restore_30',
    inputs: [{ name: 'file_prefix', type: 'DT_STRING' }, { name: 'a0', type: R }, { name: 'a1', type: R }, { name: 'a2', type: R }],
    outputs: [{ name: 'identity', type: 'DT_STRING' }],
    nodes: [
      constNode('RestoreV2/tensor_names', strings([3], ['layer-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE', 'layer-1/kernel/.ATTRIBUTES/VARIABLE_VALUE', 'layer-1/bias/.ATTRIBUTES/VARIABLE_VALUE'])),
      constNode('RestoreV2/shape_and_slices', strings([3], ['', '', ''])),
      { name: 'RestoreV2', op: 'RestoreV2', input: ['file_prefix', 'RestoreV2/tensor_names:output:0', 'RestoreV2/shape_and_slices:output:0'], attr: { dtypes: attr.types([F, F, F]) } },
      ...[0, 1, 2].flatMap((i) => [
        { name: `Identity_${i}`, op: 'Identity', input: [`RestoreV2:tensors:${i}`], attr: { T: attr.type(F) } },
        { name: `AssignVariableOp_${i}`, op: 'AssignVariableOp', input: [`a${i}`, `Identity_${i}:output:0`], attr: { dtype: attr.type(F) } },
      ]),
      { name: 'Identity', op: 'Identity', input: ['file_prefix', '^AssignVariableOp_0'], attr: { T: attr.type('DT_STRING') } },
    ],
    ret: { identity: 'Identity:output:0' },
  };

  it('inlines nested calls, binds VarHandleOps through the restore function, gathers and multiplies', async () => {
    const dir = path.join(tmp, 'keras', '1');
    writeSavedModel(dir, {
      nodes: [
        { name: 'serving_default_ids', op: 'Placeholder', attr: { dtype: attr.type('DT_INT32'), shape: attr.shape([1, 2]) } },
        { name: 'embeddings', op: 'VarHandleOp', attr: { dtype: attr.type(F), shape: attr.shape([4, 3]), shared_name: attr.s('embeddings') } },
        { name: 'kernel', op: 'VarHandleOp', attr: { dtype: attr.type(F), shape: attr.shape([3, 2]), shared_name: attr.s('kernel') } },
        { name: 'bias', op: 'VarHandleOp', attr: { dtype: attr.type(F), shape: attr.shape([2]), shared_name: attr.s('bias') } },
        { name: 'StatefulPartitionedCall', op: 'StatefulPartitionedCall', input: ['serving_default_ids', 'embeddings', 'kernel', 'bias'], attr: { f: attr.func(wrapper.name), Tin: attr.types(['DT_INT32', R, R, R]), Tout: attr.types([F]) } },
        { name: 'saver_filename', op: 'Placeholder', attr: { dtype: attr.type('DT_STRING'), shape: attr.shape([]) } },
        { name: 'StatefulPartitionedCall_1', op: 'StatefulPartitionedCall', input: ['saver_filename', 'embeddings', 'kernel', 'bias'], attr: { f: attr.func(restore.name), Tin: attr.types(['DT_STRING', R, R, R]), Tout: attr.types(['DT_STRING']) } },
      ],
      functions: [inner, wrapper, restore],
      saverDef: { filenameTensorName: 'saver_filename:0', restoreOpName: 'StatefulPartitionedCall_1' },
      variables: {
        'layer-0/embeddings/.ATTRIBUTES/VARIABLE_VALUE': emb,
        'layer-1/kernel/.ATTRIBUTES/VARIABLE_VALUE': kernel,
        'layer-1/bias/.ATTRIBUTES/VARIABLE_VALUE': bias,
      },
      signatures: { serving_default: { inputs: { ids: { name: 'serving_default_ids:0', dtype: 'DT_INT32', shape: [1, 2] } }, outputs: { output_0: { name: 'StatefulPartitionedCall:0', dtype: F, shape: [1, 2] } } } },
    });
    const m = await load(dir);
    // ids [1,2] → mean of one-hot rows e1,e2 = [0.5,0.5,0]; @ kernel = [2,3]; + bias = [2.5,2.5]. Batch of 2 (fixed dim relaxed).
    const out = await m.run({ signatureName: 'serving_default', inputs: { ids: i32([2, 2], [1, 2, 3, 3]) } });
    assert.deepEqual(out['output_0']?.shape, [2, 2]);
    assert.deepEqual(vals(out['output_0']), [2.5, 2.5, 5.5, 5.5]);
    await m.close();
  });
});

describe('functional control flow', () => {
  it('runs StatelessWhile whose body reads a resource loop variable', async () => {
    const cond: FunctionSpec = {
      name: 'while_cond_1',
      inputs: [{ name: 'i', type: 'DT_INT32' }, { name: 'acc', type: F }, { name: 'v', type: R }],
      outputs: [{ name: 'identity', type: 'DT_BOOL' }],
      nodes: [
        constNode('limit', i32([], [3])),
        { name: 'Less', op: 'Less', input: ['i', 'limit:output:0'], attr: { T: attr.type('DT_INT32') } },
      ],
      ret: { identity: 'Less:z:0' },
    };
    const body: FunctionSpec = {
      name: 'while_body_2',
      inputs: [{ name: 'i', type: 'DT_INT32' }, { name: 'acc', type: F }, { name: 'v', type: R }],
      outputs: [{ name: 'i_next', type: 'DT_INT32' }, { name: 'acc_next', type: F }, { name: 'v_out', type: R }],
      nodes: [
        constNode('one', i32([], [1])),
        { name: 'add_i', op: 'AddV2', input: ['i', 'one:output:0'], attr: { T: attr.type('DT_INT32') } },
        { name: 'read', op: 'ReadVariableOp', input: ['v'], attr: { dtype: attr.type(F) } },
        { name: 'add_acc', op: 'AddV2', input: ['acc', 'read:value:0'], attr: { T: attr.type(F) } },
      ],
      ret: { i_next: 'add_i:z:0', acc_next: 'add_acc:z:0', v_out: 'v' },
    };
    const dir = path.join(tmp, 'while', '1');
    writeSavedModel(dir, {
      nodes: [
        { name: 'x', op: 'Placeholder', attr: { dtype: attr.type(F) } },
        { name: 'v', op: 'VarHandleOp', attr: { dtype: attr.type(F), shape: attr.shape([]) } },
        constNode('v/init', f32([], [10])),
        { name: 'v/Assign', op: 'AssignVariableOp', input: ['v', 'v/init'], attr: { dtype: attr.type(F) } },
        constNode('zero', i32([], [0])),
        { name: 'loop', op: 'StatelessWhile', input: ['zero', 'x', 'v'], attr: { T: attr.types(['DT_INT32', F, R]), cond: attr.func(cond.name), body: attr.func(body.name), parallel_iterations: attr.i(10) } },
      ],
      functions: [cond, body],
      signatures: { serving_default: { inputs: { x: { name: 'x:0', dtype: F, shape: null } }, outputs: { y: { name: 'loop:1', dtype: F, shape: null } } } },
    });
    const m = await load(dir);
    const out = await m.run({ signatureName: 'serving_default', inputs: { x: f32([2], [1, 2]) } });
    assert.deepEqual(vals(out['y']), [31, 32]);
    await m.close();
  });
});
