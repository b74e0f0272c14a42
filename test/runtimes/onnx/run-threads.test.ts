/**
 * ONNX run threads (issue 11 item 3): sessions on worker threads answer exactly what a session on the event loop
 * answers, many runs at once grow the pool up to its limit and no further, and bad input keeps onnxruntime's
 * message. Oracle for values: the float64 reference MLP.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import type { LoadedModel } from '../../../src/core/runtime.ts';
import { tensor, type Tensor } from '../../../src/core/tensor.ts';
import { OnnxRuntime } from '../../../src/runtimes/onnx/index.ts';
import { IdleThreads } from '../../../src/core/thread-pool.ts';
import { RunThreads } from '../../../src/runtimes/onnx/run-threads.ts';
import { mlp, mlpReference, type MlpOptions } from '../../support/models.ts';
import { rejectsWithCode } from '../conformance.ts';

const OPTS: MlpOptions = { inputSize: 16, hidden: [32], outputs: 4 };

let root: string;
let file: string;
const open: { close(): Promise<void> }[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'inferd-onnx-threads-'));
  file = await mlp(join(root, 'mlp', '1'), OPTS);
});
after(async () => {
  await Promise.all(open.map((m) => m.close()));
  await rm(root, { recursive: true, force: true });
});

async function loadWith(runThreads: number): Promise<LoadedModel> {
  const rt = await OnnxRuntime.create({ runThreads });
  const m = await rt.load({ modelName: 'mlp', version: 1, path: join(root, 'mlp', '1') });
  open.push({ close: async () => { await m.close(); await rt.close(); } });
  return m;
}

function rows(batch: number, seed: number): Float32Array {
  const x = new Float32Array(batch * OPTS.inputSize);
  for (let i = 0; i < x.length; i++) x[i] = Math.sin(seed * 31 + i) * 2;
  return x;
}

function assertClose(actual: Tensor, expected: Float32Array): void {
  assert.equal(actual.dtype, 'float32');
  const got = actual.data as Float32Array;
  assert.equal(got.length, expected.length);
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i]! - expected[i]!) <= 1e-4 * (1 + Math.abs(expected[i]!)), `element ${i}: ${got[i]} vs ${expected[i]}`);
}

const run = (m: LoadedModel, x: Float32Array, batch: number): Promise<Readonly<Record<string, Tensor>>> =>
  m.run({ signatureName: 'serving_default', inputs: { x: tensor('float32', [batch, OPTS.inputSize], x) }, signal: new AbortController().signal });

describe('ONNX run threads', () => {
  it('answer the reference MLP and the same metadata as a session on the event loop', async () => {
    const [threaded, inline] = [await loadWith(2), await loadWith(0)];
    assert.deepEqual(threaded.metadata, inline.metadata);
    for (const batch of [1, 3, 8]) {
      const x = rows(batch, batch);
      const [a, b] = [await run(threaded, x, batch), await run(inline, x, batch)];
      assertClose(a['y']!, mlpReference(OPTS, x, batch));
      assert.deepEqual(a['y']!.shape, [batch, OPTS.outputs]);
      assert.deepEqual(a, b);
    }
  });

  it('input that is a view into a larger buffer sends only its own rows', async () => {
    const m = await loadWith(1);
    const big = rows(10, 7);
    const view = big.subarray(3 * OPTS.inputSize, 5 * OPTS.inputSize);
    const out = await run(m, view, 2);
    assertClose(out['y']!, mlpReference(OPTS, Float32Array.from(view), 2));
    assert.equal(big.length, 10 * OPTS.inputSize, 'the caller keeps its buffer');
  });

  it('concurrent runs start threads up to the limit, each answering its own request', async () => {
    const pool = await RunThreads.start(file, { executionProviders: ['cpu'], intraOpNumThreads: 1 }, 3);
    open.push({ close: () => pool.release() });
    assert.equal(pool.threadCount, 1);
    for (let wave = 0; wave < 4; wave++) {
      const inputs = Array.from({ length: 12 }, (_, i) => rows(2, wave * 100 + i));
      const outs = await Promise.all(inputs.map((x) => pool.run({ x: new ort.Tensor('float32', x, [2, OPTS.inputSize]) }, ['y'])));
      outs.forEach((o, i) => {
        const y = o['y'] as ort.Tensor;
        const expected = mlpReference(OPTS, inputs[i]!, 2);
        const got = y.data as Float32Array;
        for (let k = 0; k < got.length; k++) assert.ok(Math.abs(got[k]! - expected[k]!) <= 1e-4 * (1 + Math.abs(expected[k]!)));
      });
    }
    assert.ok(pool.threadCount >= 1 && pool.threadCount <= 3, `threads: ${pool.threadCount}`);
  });

  it('bad input keeps onnxruntime\'s message as INVALID_ARGUMENT; the thread keeps serving', async () => {
    const m = await loadWith(1);
    const wrong = m.run({ signatureName: 'serving_default', inputs: { x: tensor('float32', [1, 3], new Float32Array(3)) }, signal: new AbortController().signal });
    await rejectsWithCode(wrong, 'INVALID_ARGUMENT');
    await assert.rejects(m.run({ signatureName: 'serving_default', inputs: { x: tensor('float32', [1, 3], new Float32Array(3)) }, signal: new AbortController().signal }), /dimensions|Got: 3/i);
    const x = rows(1, 5);
    assertClose((await run(m, x, 1))['y']!, mlpReference(OPTS, x, 1));
  });

  it('threads of a released version wait idle and serve the next load (no new OS thread per load)', async () => {
    const idle = new IdleThreads(2);
    open.push(idle);
    const options = { executionProviders: ['cpu'], intraOpNumThreads: 1 };
    const first = await RunThreads.start(file, options, 2, idle);
    await first.release();
    assert.equal(idle.size, 1, 'the released thread waits idle');
    await assert.rejects(RunThreads.start(join(root, 'missing.onnx'), options, 2, idle), /missing\.onnx|No such file|Load model/i);
    assert.equal(idle.size, 1, 'a failed load hands its thread back');
    const second = await RunThreads.start(file, options, 2, idle);
    assert.equal(idle.size, 0, 'the next load took the idle thread');
    const x = rows(3, 9);
    const y = (await second.run({ x: new ort.Tensor('float32', x, [3, OPTS.inputSize]) }, ['y']))['y'] as ort.Tensor;
    const expected = mlpReference(OPTS, x, 3);
    (y.data as Float32Array).forEach((v, k) => assert.ok(Math.abs(v - expected[k]!) <= 1e-4 * (1 + Math.abs(expected[k]!))));
    await second.release();
    await idle.close();
    assert.equal(idle.size, 0, 'close ends the idle threads');
  });

  it('a closed version rejects runs with UNAVAILABLE', async () => {
    const m = await loadWith(1);
    await m.close();
    await rejectsWithCode(run(m, rows(1, 1), 1), 'UNAVAILABLE');
  });
});
