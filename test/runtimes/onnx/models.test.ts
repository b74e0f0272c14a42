/**
 * The test-model builder and every test model, checked directly on onnxruntime-node (no inferd code in the
 * way), plus the demo-model script. If these fail, the runtime tests above them mean nothing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { makeDemoModels } from '../../../scripts/make-demo-models.ts';
import { decodeModel, encodeModel } from '../../support/onnx-builder.ts';
import {
  addOne, halfPlusTwo, halfPlusTwoSpec, identity, logicalNot, mlp, mlpReference, stringIdentity, twoInTwoOut,
} from '../../support/models.ts';

let root: string;
let n = 0;
const dir = (): string => join(root, `v${n++}`);
const open = async (file: Promise<string>): Promise<ort.InferenceSession> => ort.InferenceSession.create(await file);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'inferd-onnx-models-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('onnx-builder', () => {
  it('encodes a ModelProto that decodes back with the same graph', () => {
    const decoded = decodeModel(encodeModel(halfPlusTwoSpec())) as {
      ir_version: string; opset_import: { version: string }[];
      graph: { node: { op_type: string }[]; input: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: { dim_param: string }[] } } } }[] };
    };
    assert.equal(decoded.ir_version, '8');
    assert.equal(decoded.opset_import[0]?.version, '17');
    assert.deepEqual(decoded.graph.node.map((x) => x.op_type), ['Mul', 'Add']);
    assert.equal(decoded.graph.input[0]?.name, 'x');
    assert.equal(decoded.graph.input[0]?.type.tensor_type.elem_type, 1);
    assert.equal(decoded.graph.input[0]?.type.tensor_type.shape.dim[0]?.dim_param, 'batch');
  });
});

describe('test models run on onnxruntime-node', () => {
  it('half_plus_two: y = 0.5x + 2 with a symbolic batch dim', async () => {
    const s = await open(halfPlusTwo(dir()));
    assert.deepEqual(s.inputMetadata[0], { name: 'x', isTensor: true, type: 'float32', shape: ['batch'] });
    const { y } = await s.run({ x: new ort.Tensor('float32', new Float32Array([1, 2, 5]), [3]) });
    assert.deepEqual([...(y?.data as Float32Array)], [2.5, 3, 4.5]);
    await s.release();
  });

  it('two_in_two_out: sum and product', async () => {
    const s = await open(twoInTwoOut(dir()));
    const a = new ort.Tensor('float32', new Float32Array([1, 2]), [1, 2]);
    const b = new ort.Tensor('float32', new Float32Array([3, 4]), [1, 2]);
    const out = await s.run({ a, b });
    assert.deepEqual([...(out['sum']?.data as Float32Array)], [4, 6]);
    assert.deepEqual([...(out['product']?.data as Float32Array)], [3, 8]);
    await s.release();
  });

  it('mlp matches its plain-JS reference for batches 1 and 3', async () => {
    const opts = { inputSize: 5, hidden: [8, 6], outputs: 3 };
    const s = await open(mlp(dir(), opts));
    assert.deepEqual(s.inputMetadata[0], { name: 'x', isTensor: true, type: 'float32', shape: ['batch', 5] });
    for (const batch of [1, 3]) {
      const x = Float32Array.from({ length: batch * 5 }, (_, i) => Math.sin(i) * 2);
      const { y } = await s.run({ x: new ort.Tensor('float32', x, [batch, 5]) });
      assert.deepEqual(y?.dims, [batch, 3]);
      const want = mlpReference(opts, x, batch);
      (y?.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `y[${i}] = ${v}, want ${want[i]}`));
    }
    await s.release();
  });

  it('int64 add_one, bool not, string identity', async () => {
    const i64 = await open(addOne(dir(), 'int64'));
    const r1 = await i64.run({ x: new ort.Tensor('int64', new BigInt64Array([-1n, 2n ** 62n]), [2]) });
    assert.deepEqual([...(r1['y']?.data as BigInt64Array)], [0n, 2n ** 62n + 1n]);
    const not = await open(logicalNot(dir()));
    const r2 = await not.run({ x: new ort.Tensor('bool', new Uint8Array([1, 0]), [2]) });
    assert.deepEqual([...(r2['y']?.data as Uint8Array)], [0, 1]);
    const str = await open(stringIdentity(dir()));
    const r3 = await str.run({ x: new ort.Tensor('string', ['a', 'ß'], [2]) });
    assert.deepEqual(r3['y']?.data, ['a', 'ß']);
    await Promise.all([i64.release(), not.release(), str.release()]);
  });

  it('add_one for float32, float64, int32 and identity for uint8', async () => {
    for (const [dtype, data] of [['float32', new Float32Array([1.5])], ['float64', new Float64Array([1.5])], ['int32', new Int32Array([7])]] as const) {
      const s = await open(addOne(dir(), dtype));
      const { y } = await s.run({ x: new ort.Tensor(dtype, data, [1]) });
      assert.equal(Number(y?.data[0]), Number(data[0]) + 1, dtype);
      await s.release();
    }
    const u8 = await open(identity(dir(), 'uint8'));
    const { y } = await u8.run({ x: new ort.Tensor('uint8', new Uint8Array([0, 255]), [2]) });
    assert.deepEqual([...(y?.data as Uint8Array)], [0, 255]);
    await u8.release();
  });
});

describe('scripts/make-demo-models', () => {
  it('writes both models and a config with absolute base paths, idempotently', async () => {
    const out = join(root, 'demo');
    const first = await makeDemoModels(out);
    const bytes = await readFile(join(out, 'mlp', '1', 'model.onnx'));
    const second = await makeDemoModels(out);
    assert.deepEqual(first.map((f) => f.written), [true, true, true]);
    assert.deepEqual(second.map((f) => f.written), [false, false, false], 'a second run leaves the files untouched');
    assert.deepEqual(second.map((f) => f.file), first.map((f) => f.file));
    assert.deepEqual(await readFile(join(out, 'mlp', '1', 'model.onnx')), bytes, 'same bytes on a second run');
    const config = await readFile(join(out, 'models.config'), 'utf8');
    assert.match(config, /^model_config_list \{/);
    assert.ok(config.includes(`base_path: "${join(out, 'half_plus_two')}"`), config);
    assert.ok(config.includes(`base_path: "${join(out, 'mlp')}"`), config);
    assert.equal(config.match(/model_platform: "onnx"/g)?.length, 2);
    const s = await ort.InferenceSession.create(join(out, 'mlp', '1', 'model.onnx'));
    const { y } = await s.run({ x: new ort.Tensor('float32', new Float32Array(8), [2, 4]) });
    assert.deepEqual(y?.dims, [2, 3]);
    await s.release();
  });
});
