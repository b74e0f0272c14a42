// The operator API (Open Inference Protocol repository extension) on a real REST server over 127.0.0.1, backed by
// a real ModelServer with the ONNX runtime: index, load (known model, new model with parameters.config), unload,
// and the error bodies. Plus ConfigFileWatcher: a changed file is applied, a bad file is reported and the old stays.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { managementPlugin } from '../../src/api/rest/management.ts';
import { startRestServer, type RestServer } from '../../src/api/rest/server.ts';
import type { InferdError } from '../../src/core/errors.ts';
import { OnnxRuntime } from '../../src/runtimes/onnx/index.ts';
import { ModelServer } from '../../src/server/model-server.ts';
import { ConfigFileWatcher } from '../../src/server/reload.ts';
import { postJson } from '../support/serve.ts';
import { addVersion, waitUntil } from './helpers.ts';

let dir: string;
let server: ModelServer;
let rest: RestServer;
let url: string;
const changes: string[] = [];

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-mgmt-'));
  await addVersion(path.join(dir, 'a'), 1);
  await addVersion(path.join(dir, 'b'), 4);
  await addVersion(path.join(dir, 'b'), 5);
  server = await ModelServer.create({
    models: [{ name: 'a', basePath: path.join(dir, 'a') }], runtimes: [await OnnxRuntime.create()], pollWaitSeconds: 0, maxLoadRetries: 0,
  });
  await server.whenSettled();
  rest = await startRestServer(server, {
    host: '127.0.0.1', port: 0, plugins: [managementPlugin(server, { onChange: (action, model) => changes.push(`${action} ${model}`) })],
  });
  url = `http://127.0.0.1:${rest.port}`;
});
after(async () => {
  await rest?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const predict = (model: string) => postJson(`${url}/v1/models/${model}:predict`, { instances: [0] });

describe('model management (repository extension)', () => {
  it('indexes the served models', async () => {
    const res = await postJson(`${url}/v2/repository/index`, {});
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, [{ name: 'a', version: '1', state: 'READY', reason: '' }]);
    const empty = await fetch(`${url}/v2/repository/index`, { method: 'POST' });
    assert.equal(empty.status, 200, 'an empty body is {}');
  });

  it('loads a new model from parameters.config and answers once it is READY', async () => {
    const config = JSON.stringify({ base_path: path.join(dir, 'b'), model_platform: 'onnx', model_version_policy: { all: {} } });
    const res = await postJson(`${url}/v2/repository/models/b/load`, { parameters: { config } });
    assert.deepEqual([res.status, res.body], [200, {}]);
    const p = await predict('b');
    assert.deepEqual([p.status, p.body], [200, { predictions: [5] }]);
    const index = await postJson(`${url}/v2/repository/index`, { ready: true });
    assert.deepEqual(index.body, [
      { name: 'a', version: '1', state: 'READY', reason: '' },
      { name: 'b', version: '5', state: 'READY', reason: '' },
      { name: 'b', version: '4', state: 'READY', reason: '' },
    ]);
    assert.deepEqual(changes, ['load b']);
  });

  it('unloads a model; it stays in the index and loads again without a config', async () => {
    const res = await postJson(`${url}/v2/repository/models/b/unload`, {});
    assert.deepEqual([res.status, res.body], [200, {}]);
    assert.equal((await predict('b')).status, 404);
    await waitUntil(() => server.status('b').every((s) => s.state === 'END'), 'b to unload');
    const index = await postJson(`${url}/v2/repository/index`, {});
    assert.deepEqual((index.body as { name: string; state: string; reason: string }[]).filter((r) => r.name === 'b'), [
      { name: 'b', version: '5', state: 'UNAVAILABLE', reason: 'unloaded' },
      { name: 'b', version: '4', state: 'UNAVAILABLE', reason: 'unloaded' },
    ]);
    const again = await postJson(`${url}/v2/repository/models/b/load`, {});
    assert.equal(again.status, 200);
    assert.deepEqual((await predict('b')).body, { predictions: [5] });
    assert.deepEqual(server.modelNames(), ['a', 'b']);
  });

  it('answers errors as {"error": ...}', async () => {
    const unknown = await postJson(`${url}/v2/repository/models/zzz/load`, {});
    assert.equal(unknown.status, 404);
    assert.match((unknown.body as { error: string }).error, /^Model zzz is not in the model repository/);
    const unloadUnknown = await postJson(`${url}/v2/repository/models/zzz/unload`, {});
    assert.deepEqual([unloadUnknown.status, unloadUnknown.body], [404, { error: 'Model zzz is not in the model repository' }]);
    const relative = await postJson(`${url}/v2/repository/models/c/load`, { parameters: { config: { base_path: 'rel/c' } } });
    assert.deepEqual([relative.status, relative.body], [400, { error: 'Expected model c to have an absolute path or URI; got base_path()=rel/c' }]);
    const missing = await postJson(`${url}/v2/repository/models/d/load`, { parameters: { config: { base_path: path.join(dir, 'nope') } } });
    assert.equal(missing.status, 500);
    assert.match((missing.body as { error: string }).error, /^1 model\(s\) did not become available: \{\{name: d version: none\} due to error: NOT_FOUND: Could not find base path/);
    const malformed = await postJson(`${url}/v2/repository/index`, '{nope');
    assert.equal(malformed.status, 400);
    const pushed = await postJson(`${url}/v2/repository/models/e/load`, { parameters: { config: '{}', 'file:1/model.onnx': 'AAAA' } });
    assert.equal(pushed.status, 501);
  });
});

describe('ConfigFileWatcher', () => {
  it('applies a changed file, keeps the old config on a bad one, and retries a rejected one', async () => {
    const file = path.join(dir, 'models.config');
    const text = (names: string[]) =>
      `model_config_list {\n${names.map((n) => `  config { name: "${n}" base_path: "${path.join(dir, n)}" model_platform: "onnx" }\n`).join('')}}\n`;
    const s = await ModelServer.create({ models: [], runtimes: [await OnnxRuntime.create()], pollWaitSeconds: 0, maxLoadRetries: 0 });
    const errors: InferdError[] = [];
    const applied: string[][] = [];
    const watcher = ConfigFileWatcher.start({
      path: file, pollWaitSeconds: 0, reload: (c) => s.reloadConfig(c),
      onError: (e) => errors.push(e), onApplied: (c) => applied.push(c.models.map((m) => m.name)),
    });
    try {
      await writeFile(file, text(['a']));
      await watcher.pollNow();
      assert.deepEqual(applied, [['a']]);
      assert.deepEqual(s.modelNames(), ['a']);
      await watcher.pollNow();
      assert.equal(applied.length, 1, 'an unchanged file is not re-applied');
      await writeFile(file, 'model_config_list { config { name: "a" base_path: ');
      await watcher.pollNow();
      await watcher.pollNow();
      assert.equal(errors.length, 1, 'a failure is reported once');
      assert.equal(errors[0]?.message, `Invalid protobuf file: '${file}'`);
      assert.deepEqual(s.modelNames(), ['a'], 'the old config stays');
      await writeFile(file, ''); // a rewrite caught between truncation and write
      await watcher.pollNow();
      assert.match(errors.at(-1)?.message ?? '', /is empty; keeping the previous config$/);
      assert.deepEqual(s.modelNames(), ['a'], 'an empty file unloads nothing');
      await writeFile(file, text(['a', 'b']).replace('"onnx" }\n}', '"onnx" version_labels { key: "stable" value: 9 } }\n}'));
      await watcher.pollNow();
      assert.equal(errors.at(-1)?.code, 'FAILED_PRECONDITION');
      await writeFile(file, text(['b']));
      await watcher.pollNow();
      assert.deepEqual(applied.at(-1), ['b']);
      assert.deepEqual(s.modelNames(), ['b']);
    } finally {
      await watcher.close();
      await s.close();
    }
  });
});
