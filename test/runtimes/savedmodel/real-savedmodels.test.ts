// The SavedModel runtime against SavedModels written by TensorFlow in public repositories
// (../shared/fixtures/real-savedmodels, see its README): each serves as the README says, with outputs compared to
// references computed independently of the runtime (the model's own weights read from its bundle, plain loops).
// Skips when the fixtures are absent.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import { TensorBundle } from '../../../src/runtimes/savedmodel/bundle.ts';
import { InferdError } from '../../../src/core/errors.ts';
import type { Tensor } from '../../../src/core/tensor.ts';
import { dense, lstm } from '../../support/reference-nets.ts';

const FIXTURES = path.resolve(fileURLToPath(import.meta.url), '../../../../../shared/fixtures/real-savedmodels');
const skip = fs.existsSync(FIXTURES) ? false : `real SavedModel fixtures not found at ${FIXTURES}`;
const version = (name: string): string => path.join(FIXTURES, name, '1');
const f32 = (shape: number[], values: ArrayLike<number>): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(values) });

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `element ${i}: ${a} vs ${e}`);
  }
}

describe('SavedModel runtime on real TensorFlow exports', { skip }, () => {
  let rt: SavedModelRuntime;
  before(async () => {
    rt = await SavedModelRuntime.create({ workers: 0 });
  });
  after(async () => {
    await rt?.close();
  });
  const load = (name: string) => rt.load({ modelName: name, version: 1, path: version(name) });

  it('stock_lstm (Keras 2.2, two stacked LSTMs in While loops with TensorList ops) equals a plain-loop LSTM', async () => {
    const bundle = TensorBundle.open(path.join(version('stock_lstm'), 'variables', 'variables'));
    const v = (k: string) => bundle.read(`${k}/.ATTRIBUTES/VARIABLE_VALUE`).data as Float32Array;
    const tv = (i: number) => v(`trainable_variables/${i}`);
    const n = 3;
    const x = Float32Array.from({ length: n * 60 }, (_, i) => 0.5 + 0.4 * Math.sin(i / 3));
    const h1 = lstm(x, n, 60, { kernel: tv(0), recurrent: tv(1), bias: tv(2) }, true);
    const h2 = lstm(h1, n, 60, { kernel: tv(3), recurrent: tv(4), bias: tv(5) }, false);
    const d1 = dense(h2, n, v('layer_with_weights-2/kernel'), v('layer_with_weights-2/bias'));
    const expected = dense(d1, n, v('layer_with_weights-3/kernel'), v('layer_with_weights-3/bias'));
    const m = await load('stock_lstm');
    for (let round = 0; round < 2; round++) {
      const out = (await m.run({ signatureName: 'serving_default', inputs: { lstm_input: f32([n, 60, 1], x) } }))['dense_1'];
      assert.deepEqual(out?.shape, [n, 1]);
      assertClose(out?.data as Float32Array, expected);
    }
    await m.close();
  });

  it('stock_dense (Keras 2.2 Dense stack) equals plain loops over its weights', async () => {
    const bundle = TensorBundle.open(path.join(version('stock_dense'), 'variables', 'variables'));
    const keys = bundle.keys().filter((k) => /^layer_with_weights-\d+\/kernel\/.ATTRIBUTES\/VARIABLE_VALUE$/.test(k)).sort();
    const n = 2;
    let h: Float32Array = Float32Array.from({ length: n * 10 }, (_, i) => Math.cos(i));
    keys.forEach((k, l) => {
      const layer = k.split('/')[0] as string;
      h = dense(h, n, bundle.read(k).data as Float32Array, bundle.read(`${layer}/bias/.ATTRIBUTES/VARIABLE_VALUE`).data as Float32Array, l < keys.length - 1);
    });
    const m = await load('stock_dense');
    const out = (await m.run({ signatureName: 'serving_default', inputs: { dense_input: f32([n, 10], Float32Array.from({ length: n * 10 }, (_, i) => Math.cos(i))) } }))['dense_3'];
    assert.deepEqual(out?.shape, [n, 3]);
    assertClose(out?.data as Float32Array, h);
    await m.close();
  });

  it('rust_regression_tf2_train: the variable-updating train signature is UNIMPLEMENTED, the readers serve', async () => {
    const m = await load('rust_regression_tf2_train');
    await assert.rejects(
      m.run({ signatureName: 'train', inputs: { x: f32([2], [1, 2]), y: f32([2], [3, 5]) } }),
      (e: unknown) => e instanceof InferdError && e.code === 'UNIMPLEMENTED' && /modifies state/.test(e.message),
    );
    const w = (await m.run({ signatureName: 'w', inputs: {} }))['output'];
    assert.deepEqual(w?.shape, [1]);
    await m.close();
  });
});
