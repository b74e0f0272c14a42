/**
 * Kernel checks on the caller's values are the caller's error: an out-of-range Gather index (a word id beyond an
 * embedding's vocabulary) is INVALID_ARGUMENT with tfjs' message, as TensorFlow answers, not INTERNAL (HTTP 500).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InferdError } from '../../../src/core/errors.ts';
import type { LoadedModel } from '../../../src/core/runtime.ts';
import { tensor } from '../../../src/core/tensor.ts';
import { TfjsRuntime } from '../../../src/runtimes/tfjs/index.ts';
import { placeholder, writeGraphModel } from '../../support/tfjs-models.ts';

describe('TF.js runtime: errors caused by input values', () => {
  let dir: string;
  let model: LoadedModel;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inferd-tfjs-gather-'));
    await writeGraphModel(dir, {
      consts: [
        { name: 'table', dtype: 'float32', shape: [3], values: [10, 20, 30] },
        { name: 'axis', dtype: 'int32', shape: [], values: [0] },
      ],
      nodes: [
        placeholder('ids', 'DT_INT32'),
        { name: 'y', op: 'GatherV2', input: ['table', 'ids', 'axis'], attr: { Tparams: { type: 'DT_FLOAT' }, Tindices: { type: 'DT_INT32' }, Taxis: { type: 'DT_INT32' }, batch_dims: { i: '0' } } },
      ],
      inputs: { ids: { name: 'ids:0', dtype: 'DT_INT32' } },
      outputs: { y: { name: 'y:0', dtype: 'DT_FLOAT' } },
    });
    model = await (await TfjsRuntime.create()).load({ modelName: 'm', version: 1, path: dir });
  });
  after(async () => {
    await model?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gathers in-range ids, and an out-of-range id is INVALID_ARGUMENT naming the index', async () => {
    const ok = await model.run({ signatureName: 'serving_default', inputs: { ids: tensor('int32', [2], new Int32Array([2, 0])) } });
    assert.deepEqual([...(ok['y']?.data as Float32Array)], [30, 10]);
    for (const bad of [7, -1]) {
      await assert.rejects(model.run({ signatureName: 'serving_default', inputs: { ids: tensor('int32', [1], new Int32Array([bad])) } }), (err) => {
        assert.ok(err instanceof InferdError);
        assert.equal(err.code, 'INVALID_ARGUMENT', err.message);
        assert.match(err.message, new RegExp(`${bad}`));
        return true;
      });
    }
  });
});
