/** ONNX-specific behaviour beyond the conformance suite: metadata mapping, options, messages, error mapping, memory. */
import v8 from 'node:v8';
import vm from 'node:vm';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InferdError } from '../../../src/core/errors.ts';
import type { LoadedModel } from '../../../src/core/runtime.ts';
import { tensor } from '../../../src/core/tensor.ts';
import { OnnxRuntime } from '../../../src/runtimes/onnx/index.ts';
import { mapRunError } from '../../../src/runtimes/onnx/errors.ts';
import { readDeclaredShapes } from '../../../src/runtimes/onnx/model-proto.ts';
import { corruptModel, halfPlusTwo, identity, mlp, mlpReference, twoInTwoOut } from '../../support/models.ts';
import { rejectsWithCode } from '../conformance.ts';

let root: string;
let rt: OnnxRuntime;
let n = 0;
const open: LoadedModel[] = [];
const dir = (): string => join(root, `m${n++}`, '1');
const load = async (write: (d: string) => Promise<unknown>, runtime: OnnxRuntime = rt): Promise<LoadedModel> => {
  const path = dir();
  await write(path);
  const m = await runtime.load({ modelName: 'm', version: 1, path });
  open.push(m);
  return m;
};

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'inferd-onnx-rt-'));
  rt = await OnnxRuntime.create();
});
after(async () => {
  await Promise.all(open.map((m) => m.close()));
  await rt.close();
  await rm(root, { recursive: true, force: true });
});

describe('OnnxRuntime metadata', () => {
  it('maps names, dtypes, symbolic dims (-1 + dimNames) and fixed dims', async () => {
    const m = await load(twoInTwoOut);
    assert.equal(rt.platform, 'onnx');
    assert.deepEqual(m.metadata, {
      signatures: {
        serving_default: {
          inputs: {
            a: { name: 'a', dtype: 'float32', shape: [-1, 2], dimNames: ['batch', ''] },
            b: { name: 'b', dtype: 'float32', shape: [-1, 2], dimNames: ['batch', ''] },
          },
          outputs: {
            sum: { name: 'sum', dtype: 'float32', shape: [-1, 2], dimNames: ['batch', ''] },
            product: { name: 'product', dtype: 'float32', shape: [-1, 2], dimNames: ['batch', ''] },
          },
          methodName: 'tensorflow/serving/predict',
        },
      },
    });
  });

  it('tells unknown rank (shape null) from scalars (shape []) and unnamed unknown dims (-1, no dimNames)', async () => {
    const unknown = await load((d) => identity(d, 'float32', null));
    assert.deepEqual(unknown.metadata.signatures['serving_default']?.inputs['x'], { name: 'x', dtype: 'float32', shape: null });
    const scalar = await load((d) => identity(d, 'int64', []));
    assert.deepEqual(scalar.metadata.signatures['serving_default']?.inputs['x'], { name: 'x', dtype: 'int64', shape: [] });
    const unnamed = await load((d) => identity(d, 'uint8', [null, 3]));
    assert.deepEqual(unnamed.metadata.signatures['serving_default']?.outputs['y'], { name: 'y', dtype: 'uint8', shape: [-1, 3] });
    const { y } = await scalar.run({ signatureName: 'serving_default', inputs: { x: tensor('int64', [], new BigInt64Array([9n])) } });
    assert.deepEqual(y?.shape, []);
  });

  it('readDeclaredShapes reads inputs and outputs past initializers', async () => {
    const file = await mlp(dir(), { inputSize: 3, hidden: [4], outputs: 2 });
    const declared = readDeclaredShapes(await readFile(file));
    assert.deepEqual([...declared.seen].sort(), ['x', 'y']);
    assert.deepEqual([...declared.withShape].sort(), ['x', 'y']);
    const none = readDeclaredShapes(await readFile(await identity(dir(), 'float32', null)));
    assert.deepEqual([...none.seen].sort(), ['x', 'y']);
    assert.equal(none.withShape.size, 0);
  });
});

describe('OnnxRuntime options and loading', () => {
  it('rejects invalid thread counts and runs with more intra-op threads', async () => {
    await rejectsWithCode(OnnxRuntime.create({ intraOpNumThreads: -1 }), 'INVALID_ARGUMENT');
    await rejectsWithCode(OnnxRuntime.create({ interOpNumThreads: 1.5 }), 'INVALID_ARGUMENT');
    const two = await OnnxRuntime.create({ intraOpNumThreads: 2, graphOptimizationLevel: 'basic' });
    const opts = { inputSize: 6, hidden: [32], outputs: 4 };
    const m = await load((d) => mlp(d, opts), two);
    const x = Float32Array.from({ length: 12 }, (_, i) => i / 7 - 0.5);
    const { y } = await m.run({ signatureName: 'serving_default', inputs: { x: tensor('float32', [2, 6], x) } });
    const want = mlpReference(opts, x, 2);
    (y?.data as Float32Array).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `y[${i}]`));
    await two.close();
  });

  it('missing model file is NOT_FOUND naming the directory; corrupt model is INVALID_ARGUMENT naming the file', async () => {
    const empty = dir();
    const err = await rejectsWithCode(rt.load({ modelName: 'm', version: 1, path: empty }), 'NOT_FOUND');
    assert.ok(err.message.includes(empty));
    const bad = dir();
    const file = await corruptModel(bad);
    const err2 = await rejectsWithCode(rt.load({ modelName: 'm', version: 1, path: bad }), 'INVALID_ARGUMENT');
    assert.ok(err2.message.includes(file), err2.message);
  });

  it('an aborted load signal rejects with CANCELLED', async () => {
    const path = dir();
    await halfPlusTwo(path);
    await rejectsWithCode(rt.load({ modelName: 'm', version: 1, path, signal: AbortSignal.abort() }), 'CANCELLED');
  });
});

describe('OnnxRuntime run', () => {
  it('names the expected and provided dtypes, missing and unknown inputs', async () => {
    const m = await load(twoInTwoOut);
    const f = tensor('float32', [1, 2], new Float32Array(2));
    const i = tensor('int32', [1, 2], new Int32Array(2));
    const run = (inputs: Record<string, typeof f | typeof i>) => m.run({ signatureName: 'serving_default', inputs });
    const e1 = await rejectsWithCode(run({ a: f, b: i }), 'INVALID_ARGUMENT');
    assert.equal(e1.message, "Expects input 'b' to be float but int32 is provided");
    const e2 = await rejectsWithCode(run({ a: f }), 'INVALID_ARGUMENT');
    assert.match(e2.message, /Missing input 'b'/);
    const e3 = await rejectsWithCode(run({ a: f, b: f, c: f }), 'INVALID_ARGUMENT');
    assert.match(e3.message, /Unknown input 'c'/);
    const e4 = await rejectsWithCode(run({ a: tensor('float32', [2], new Float32Array(2)), b: f }), 'INVALID_ARGUMENT');
    assert.match(e4.message, /rank/i);
  });

  it('reads inputs that are views into a larger buffer (no copy assumptions about offsets)', async () => {
    const m = await load((d) => halfPlusTwo(d));
    const big = new Float32Array([100, 100, 1, 2, 5, 100]);
    const { y } = await m.run({ signatureName: 'serving_default', inputs: { x: tensor('float32', [3], big.subarray(2, 5)) } });
    assert.deepEqual([...(y?.data as Float32Array)], [2.5, 3, 4.5]);
  });

  it('loading and closing a model many times does not leak sessions', async () => {
    const path = dir();
    await mlp(path, { inputSize: 1024, hidden: [1024], outputs: 10 }); // ~4 MB of weights per session
    const x = tensor('float32', [1, 1024], new Float32Array(1024));
    const cycle = async (): Promise<void> => {
      const m = await rt.load({ modelName: 'm', version: 1, path });
      await m.run({ signatureName: 'serving_default', inputs: { x } });
      await m.close();
    };
    // Force collections so JS garbage from other tests running in this process does not read as a leak.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    for (let k = 0; k < 5; k++) await cycle();
    gc();
    const before = process.memoryUsage().rss;
    for (let k = 0; k < 20; k++) {
      await cycle();
      gc();
    }
    const grown = process.memoryUsage().rss - before;
    // Measured: ~1 MB with close(), ~150 MB when sessions are never released. 20 leaked sessions hold >= 80 MB of weights.
    assert.ok(grown < 40 * 1024 * 1024, `RSS grew by ${(grown / 1048576).toFixed(1)} MB over 20 load/close cycles`);
  });
});

describe('onnx error mapping', () => {
  it('maps input problems to INVALID_ARGUMENT and the rest to INTERNAL', () => {
    const cases: [string, InferdError['code']][] = [
      ['Unexpected input data type. Actual: (tensor(double)) , expected: (tensor(float))', 'INVALID_ARGUMENT'],
      ['Invalid rank for input: x Got: 2 Expected: 1 Please fix either the inputs/outputs or the model.', 'INVALID_ARGUMENT'],
      ['Got invalid dimensions for input: a for the following indices\n index: 1 Got: 3 Expected: 2', 'INVALID_ARGUMENT'],
      ["input 'b' is missing in 'feeds'.", 'INVALID_ARGUMENT'],
      ['Non-zero status code returned while running Add node. Attempting to broadcast an axis by a dimension other than 1. 2 by 3', 'INVALID_ARGUMENT'],
      ['Session already disposed.', 'INTERNAL'],
      ['std::bad_alloc', 'INTERNAL'],
    ];
    for (const [message, code] of cases) {
      const err = mapRunError(new Error(message));
      assert.equal(err.code, code, message);
      assert.ok(!err.message.includes('\n'), 'single-line message');
    }
    const own = InferdError.cancelled();
    assert.equal(mapRunError(own), own);
  });
});
