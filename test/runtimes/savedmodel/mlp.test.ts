/** The MLP written as a SavedModel gives the same answers as the plain-JS oracle (and so as the ONNX MLP). */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import { mlpReference } from '../../support/models.ts';
import { mlpSavedModel } from '../../support/savedmodel-models.ts';

describe('MLP as a SavedModel', () => {
  it('matches the reference computation for a batch of rows', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-smmlp-'));
    const opts = { inputSize: 6, hidden: [8, 5], outputs: 3 };
    const runtime = await SavedModelRuntime.create({ workers: 0 });
    try {
      await mlpSavedModel(path.join(dir, '1'), opts);
      const model = await runtime.load({ modelName: 'mlp', version: 1, path: path.join(dir, '1') });
      const x = Float32Array.from({ length: 4 * opts.inputSize }, (_, i) => Math.sin(i));
      const { y } = await model.run({ signatureName: 'serving_default', inputs: { x: { dtype: 'float32', shape: [4, opts.inputSize], data: x } } });
      const expected = mlpReference(opts, x, 4);
      assert.deepEqual(y?.shape, [4, 3]);
      [...(y?.data as Float32Array)].forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-4, `${i}: ${v} vs ${expected[i]}`));
      await model.close();
    } finally {
      await runtime.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
