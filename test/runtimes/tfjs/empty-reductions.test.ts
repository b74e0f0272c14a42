/**
 * The TF.js runtime answers TensorFlow's values for reductions over an empty axis (issue 17): the mean of nothing is
 * NaN (the shared kernel guards), as in the Keras sentiment model's GlobalAveragePooling1D of an empty sequence.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { LoadedModel } from '../../../src/core/runtime.ts';
import { tensor } from '../../../src/core/tensor.ts';
import { TfjsRuntime } from '../../../src/runtimes/tfjs/index.ts';
import { placeholder, writeGraphModel } from '../../support/tfjs-models.ts';

describe('TF.js runtime: empty reductions', () => {
  let dir: string;
  let model: LoadedModel;
  let runtime: TfjsRuntime;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inferd-tfjs-empty-'));
    await writeGraphModel(dir, {
      consts: [{ name: 'axis', dtype: 'int32', shape: [1], values: [1] }],
      nodes: [
        placeholder('x', 'DT_FLOAT'),
        { name: 'mean', op: 'Mean', input: ['x', 'axis'], attr: { T: { type: 'DT_FLOAT' }, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } },
        { name: 'sum', op: 'Sum', input: ['x', 'axis'], attr: { T: { type: 'DT_FLOAT' }, Tidx: { type: 'DT_INT32' }, keep_dims: { b: false } } },
      ],
      inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT' } },
      outputs: { mean: { name: 'mean:0', dtype: 'DT_FLOAT' }, sum: { name: 'sum:0', dtype: 'DT_FLOAT' } },
    });
    runtime = await TfjsRuntime.create();
    model = await runtime.load({ modelName: 'm', version: 1, path: dir });
  });
  after(async () => {
    await model?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('Mean over an empty axis is NaN and Sum is 0, after a non-empty request', async () => {
    const full = await model.run({ signatureName: 'serving_default', inputs: { x: tensor('float32', [2, 2], new Float32Array([1, 3, 5, 7])) } });
    assert.deepEqual([...(full['mean']?.data as Float32Array)], [2, 6]);
    const empty = await model.run({ signatureName: 'serving_default', inputs: { x: tensor('float32', [2, 0], new Float32Array(0)) } });
    assert.deepEqual(empty['mean']?.shape, [2]);
    assert.ok([...(empty['mean']?.data as Float32Array)].every(Number.isNaN), `mean of nothing: ${[...(empty['mean']?.data as Float32Array)]}`);
    assert.deepEqual([...(empty['sum']?.data as Float32Array)], [0, 0]);
  });
});
