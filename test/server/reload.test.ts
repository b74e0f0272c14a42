// ModelServer.reloadConfig against the real ONNX runtime on models built here (y = x + version): added, removed
// and changed models, the platform and poll-wait errors, TF Serving's label rule (with and without
// allowVersionLabelsForUnavailableModels), and new models that do not become available.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { InferdError } from '../../src/core/errors.ts';
import type { Tensor } from '../../src/core/tensor.ts';
import { OnnxRuntime } from '../../src/runtimes/onnx/index.ts';
import type { ModelConfig, ModelServerConfig } from '../../src/server/config/model-server-config.ts';
import { ModelServer, type ModelServerOptions } from '../../src/server/model-server.ts';
import { corruptModel } from '../support/models.ts';
import { addVersion, waitUntil } from './helpers.ts';

let dir: string;
let server: ModelServer | undefined;

const model = (name: string, extra: Partial<ModelConfig> = {}): ModelConfig => ({
  name, basePath: path.join(dir, name), versionPolicy: { kind: 'latest', numVersions: 1 }, versionLabels: {}, ...extra,
});
const config = (...models: ModelConfig[]): ModelServerConfig => ({ models });

async function start(models: ModelConfig[], extra: Partial<ModelServerOptions> = {}): Promise<ModelServer> {
  server = await ModelServer.create({
    models, runtimes: [await OnnxRuntime.create()], pollWaitSeconds: 0, maxLoadRetries: 0, ...extra,
  });
  await server.whenSettled();
  return server;
}

/** Predict x = [0] and return [the version that answered (from the handle), the value (= version of the model)]. */
async function ask(s: ModelServer, name: string, spec: { version?: number; label?: string } = {}): Promise<[number, number]> {
  const res = await s.predict({
    spec: { name, ...spec },
    decodeInputs: () => ({ x: { dtype: 'float32', shape: [1], data: new Float32Array([0]) } as Tensor }),
  });
  return [res.served.version, Number(res.outputs.y?.data[0])];
}

const states = (s: ModelServer, name: string) => s.status(name).map((v) => `${v.version}:${v.state}`);

async function rejects(p: Promise<unknown>, code: string, message: string | RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof InferdError, `expected an InferdError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-reload-'));
  for (const [name, versions] of [['a', [1, 2]], ['b', [5]], ['c', [1]]] as const) {
    for (const v of versions) await addVersion(path.join(dir, name), v);
  }
  await corruptModel(path.join(dir, 'bad', '3'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ModelServer.reloadConfig', () => {
  it('adds a model and returns once it is AVAILABLE; removing it unloads it and its status stays', async () => {
    const s = await start([model('a')]);
    await s.reloadConfig(config(model('a'), model('b')));
    assert.deepEqual(states(s, 'b'), ['5:AVAILABLE']);
    assert.deepEqual(await ask(s, 'b'), [5, 5]);
    assert.deepEqual(s.modelNames().sort(), ['a', 'b']);
    await s.reloadConfig(config(model('a')));
    assert.deepEqual(s.modelNames(), ['a']);
    await waitUntil(() => states(s, 'b')[0] === '5:END', 'b v5 to unload');
    assert.deepEqual(states(s, 'b'), ['5:END'], 'every version ever seen stays in status');
    await rejects(ask(s, 'b'), 'NOT_FOUND', 'Servable not found for request: Latest(b)');
    assert.deepEqual(await ask(s, 'a'), [2, 2]);
  });

  it('applies a changed version policy and a changed base path', async () => {
    const s = await start([model('a')]);
    assert.deepEqual(states(s, 'a'), ['2:AVAILABLE']);
    await s.reloadConfig(config(model('a', { versionPolicy: { kind: 'all' } })));
    assert.deepEqual(states(s, 'a'), ['2:AVAILABLE', '1:AVAILABLE']);
    assert.deepEqual(await ask(s, 'a', { version: 1 }), [1, 1]);
    await s.reloadConfig(config(model('a', { basePath: path.join(dir, 'c') })));
    assert.deepEqual(s.currentConfig().models[0]?.basePath, path.join(dir, 'c'));
    await waitUntil(() => s.status('a').find((v) => v.version === 2)?.state === 'END', 'version 2 (not under the new base path) to unload');
    assert.deepEqual(states(s, 'a'), ['2:END', '1:AVAILABLE']);
    assert.deepEqual(await ask(s, 'a'), [1, 1]);
  });

  it('rejects a platform change and a poll-wait change before changing anything', async () => {
    const s = await start([model('a')]);
    await rejects(s.reloadConfig(config(model('a', { platform: 'tensorflow' }), model('b'))), 'INVALID_ARGUMENT',
      "Illegal to change a model's platform. For model a platform was onnx and new platform requested is tensorflow");
    await rejects(s.reloadConfig(config(model('a')), { fileSystemPollWaitSeconds: 5 }), 'INVALID_ARGUMENT',
      'Changing file_system_poll_wait_seconds is not supported');
    assert.deepEqual(s.modelNames(), ['a']);
  });

  it('reports new models that do not become available, with the reference text', async () => {
    const s = await start([model('a')]);
    await rejects(s.reloadConfig(config(model('a'), model('bad'))), 'UNKNOWN',
      /^1 model\(s\) did not become available: \{\{name: bad version: 3\} due to error: .+\}, \}$/);
    await rejects(s.reloadConfig(config(model('a'), model('nowhere'))), 'UNKNOWN',
      /^1 model\(s\) did not become available: \{\{name: nowhere version: none\} due to error: NOT_FOUND: Could not find base path/);
    assert.deepEqual(await ask(s, 'a'), [2, 2], 'model a is untouched');
  });

  it('binds labels only to AVAILABLE versions and moves them atomically', async () => {
    const s = await start([model('a', { versionPolicy: { kind: 'all' } })]);
    await s.reloadConfig(config(model('a', { versionPolicy: { kind: 'all' }, versionLabels: { stable: 1, canary: 2 } })));
    assert.deepEqual(await ask(s, 'a', { label: 'stable' }), [1, 1]);
    assert.deepEqual(await ask(s, 'a', { label: 'canary' }), [2, 2]);
    await rejects(s.reloadConfig(config(model('a', { versionPolicy: { kind: 'all' }, versionLabels: { stable: 2, canary: 9 } }))), 'FAILED_PRECONDITION',
      'Request to assign label to version 9 of model a, which is not currently available for inference');
    assert.deepEqual(await ask(s, 'a', { label: 'stable' }), [1, 1], 'a rejected label map leaves the old one in force');
    await s.reloadConfig(config(model('a', { versionPolicy: { kind: 'all' }, versionLabels: { stable: 2 } })));
    assert.deepEqual(await ask(s, 'a', { label: 'stable' }), [2, 2]);
    await rejects(ask(s, 'a', { label: 'canary' }), 'INVALID_ARGUMENT', 'Unrecognized servable version label: canary');
    assert.deepEqual(s.currentConfig().models[0]?.versionLabels, { stable: 2 });
  });

  it('with allowVersionLabelsForUnavailableModels binds an unbound label to any version, never moves a bound one there', async () => {
    const s = await start([model('a', { versionPolicy: { kind: 'all' }, versionLabels: { stable: 1 } })], { allowVersionLabelsForUnavailableModels: true });
    await s.reloadConfig(config(model('a', { versionPolicy: { kind: 'all' }, versionLabels: { stable: 1, next: 3 } })));
    await rejects(ask(s, 'a', { label: 'next' }), 'NOT_FOUND', 'Servable not found for request: Specific(a, 3)');
    await rejects(s.reloadConfig(config(model('a', { versionPolicy: { kind: 'all' }, versionLabels: { stable: 7, next: 3 } }))), 'FAILED_PRECONDITION',
      'Request to assign label to version 7 of model a, which is not currently available for inference');
    await addVersion(path.join(dir, 'a'), 3);
    try {
      await s.reloadConfig(config(model('a', { versionPolicy: { kind: 'all' }, versionLabels: { stable: 1, next: 3 } })));
      await s.pollNow();
      await s.whenSettled();
      assert.deepEqual(await ask(s, 'a', { label: 'next' }), [3, 3]);
    } finally {
      await rm(path.join(dir, 'a', '3'), { recursive: true, force: true });
    }
  });

  it('runs concurrent reloads one after another', async () => {
    const s = await start([model('a')]);
    await Promise.all([
      s.reloadConfig(config(model('a'), model('b'))),
      s.reloadConfig(config(model('a'), model('c'))),
      s.reloadConfig(config(model('a'), model('b'), model('c'))),
    ]);
    assert.deepEqual(s.modelNames().sort(), ['a', 'b', 'c']);
    await s.whenSettled();
    assert.deepEqual(await ask(s, 'c'), [1, 1]);
  });
});
