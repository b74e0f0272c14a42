// SavedModels shaped like TensorFlow 2 Keras exports (test/support/keras-models.ts: StatefulPartitionedCall
// chains, resource variables restored through __traced_restore, default attributes stripped as TF strips them),
// served by the SavedModel runtime and compared with plain-loop references over the same weights.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import { CNN, SENTIMENT, seededFloats, writeKerasCnn, writeKerasSentiment } from '../../support/keras-models.ts';
import { RNN, writeKerasBidirectional, writeKerasRecurrent } from '../../support/keras-recurrent.ts';

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `element ${i}: ${a} vs ${e}`);
  }
}

describe('Keras-shaped SavedModels', () => {
  let rt: SavedModelRuntime;
  let tmp: string;
  before(async () => {
    rt = await SavedModelRuntime.create({ workers: 0 });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-keras-'));
  });
  after(async () => {
    await rt?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('CNN (Conv2D, BatchNorm, DepthwiseConv2D, pooling, Dense) with stripped default attributes equals the plain-loop reference', async () => {
    const dir = path.join(tmp, 'cnn', '1');
    const reference = writeKerasCnn(dir);
    const m = await rt.load({ modelName: 'cnn', version: 1, path: dir });
    for (const n of [1, 3]) {
      const x = seededFloats(100 + n, n * CNN.size * CNN.size * CNN.channels, 1);
      const out = (await m.run({ signatureName: 'serving_default', inputs: { input_1: { dtype: 'float32', shape: [n, CNN.size, CNN.size, CNN.channels], data: x } } }))['dense'];
      assert.deepEqual(out?.shape, [n, CNN.classes]);
      assertClose(out?.data as Float32Array, reference(x, n));
    }
    await m.close();
  });

  it('sentiment classifier (Embedding via ResourceGather, GlobalAveragePooling1D, Dense) equals the plain-loop reference', async () => {
    const dir = path.join(tmp, 'sentiment', '1');
    const reference = writeKerasSentiment(dir);
    const m = await rt.load({ modelName: 'sentiment', version: 1, path: dir });
    const n = 3;
    const ids = Int32Array.from({ length: n * SENTIMENT.steps }, (_, i) => (i * 7) % SENTIMENT.vocab);
    const out = (await m.run({ signatureName: 'serving_default', inputs: { text: { dtype: 'int32', shape: [n, SENTIMENT.steps], data: ids } } }))['score'];
    assert.deepEqual(out?.shape, [n, 1]);
    assertClose(out?.data as Float32Array, reference(ids, n));
    await m.close();
  });

  for (const kind of ['lstm', 'gru'] as const) {
    it(`${kind.toUpperCase()} (While loop over TensorList ops, zero states sized from the batch) equals the plain-loop reference`, async () => {
      const dir = path.join(tmp, kind, '1');
      const reference = writeKerasRecurrent(dir, kind);
      const m = await rt.load({ modelName: kind, version: 1, path: dir });
      for (const n of [1, 4]) {
        const x = seededFloats(200 + n, n * RNN.steps * RNN.features, 1);
        const out = (await m.run({ signatureName: 'serving_default', inputs: { [`${kind}_input`]: { dtype: 'float32', shape: [n, RNN.steps, RNN.features], data: x } } }))['dense'];
        assert.deepEqual(out?.shape, [n, 1]);
        assertClose(out?.data as Float32Array, reference(x, n));
      }
      await m.close();
    });

    it(`Bidirectional(${kind.toUpperCase()}) (forward and go_backwards While loops, ReverseV2, ConcatV2) equals the plain-loop reference`, async () => {
      const dir = path.join(tmp, `bi-${kind}`, '1');
      const reference = writeKerasBidirectional(dir, kind);
      const m = await rt.load({ modelName: `bi-${kind}`, version: 1, path: dir });
      for (const n of [1, 3]) {
        const x = seededFloats(300 + n, n * RNN.steps * RNN.features, 1);
        const out = (await m.run({ signatureName: 'serving_default', inputs: { input_1: { dtype: 'float32', shape: [n, RNN.steps, RNN.features], data: x } } }))['dense'];
        assert.deepEqual(out?.shape, [n, 1]);
        assertClose(out?.data as Float32Array, reference(x, n));
      }
      await m.close();
    });
  }
});
