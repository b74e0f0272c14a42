// Issue 9 D4: a SavedModel version whose graph restores variables but has no variables/ folder must fail to load
// (END with the error) while the previous version keeps serving; a graph without variables loads without the folder.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SavedModelRuntime } from '../../src/runtimes/savedmodel/runtime.ts';
import { ModelServer } from '../../src/server/model-server.ts';
import type { Tensor } from '../../src/core/tensor.ts';
import { writeAddConstant, writeAffineTf1 } from '../support/savedmodel-small.ts';
import { waitUntil } from './helpers.ts';

const x: Tensor = { dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) };

describe('SavedModel without its variables/ folder', () => {
  let dir: string;
  let server: ModelServer;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-novars-'));
    writeAffineTf1(path.join(dir, 'affine', '1'), 2, 1);
    writeAddConstant(path.join(dir, 'plain', '1'), 10);
    server = await ModelServer.create({
      models: [{ name: 'affine', basePath: path.join(dir, 'affine') }, { name: 'plain', basePath: path.join(dir, 'plain') }],
      runtimes: [await SavedModelRuntime.create({ workers: 0 })],
      pollWaitSeconds: 0,
      maxLoadRetries: 0,
    });
    await server.whenSettled();
  });
  after(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const predict = async (name: string) => {
    const res = await server.predict({ spec: { name }, decodeInputs: () => ({ x }) });
    return { version: res.served.version, y: Array.from(res.outputs['y']?.data as Float32Array) };
  };

  it('a graph without variables loads without the folder', async () => {
    assert.deepEqual(await predict('plain'), { version: 1, y: [11, 12] });
  });

  it('a version that restores variables but lacks variables/ ends with the error; the previous version keeps serving', async () => {
    assert.deepEqual(await predict('affine'), { version: 1, y: [3, 5] });
    writeAffineTf1(path.join(dir, 'affine', '2'), 3, 0, { variables: false });
    await server.pollNow();
    await waitUntil(() => server.status('affine').some((s) => s.version === 2 && s.state === 'END'), 'version 2 END');
    const v2 = server.status('affine').find((s) => s.version === 2);
    assert.match(v2?.error?.message ?? '', /restores variables .* no variables bundle/);
    assert.equal(server.status('affine').find((s) => s.version === 1)?.state, 'AVAILABLE');
    assert.deepEqual(await predict('affine'), { version: 1, y: [3, 5] });
  });
});
