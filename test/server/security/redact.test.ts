// --redact_paths_in_errors: base paths become <model>, other absolute paths their last component; the facade view
// redacts version statuses, repository reasons and thrown errors, over a real ModelServer whose version fails to load.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildRestApp } from '../../../src/api/rest/server.ts';
import { InferdError } from '../../../src/core/errors.ts';
import { OnnxRuntime } from '../../../src/runtimes/onnx/index.ts';
import { ModelServer } from '../../../src/server/model-server.ts';
import { redactingFacade, redactPaths } from '../../../src/server/security/redact.ts';

describe('redactPaths', () => {
  const models = [{ name: 'm', basePath: '/srv/models/m' }, { name: 'mm', basePath: '/srv/models/m/inner' }];
  it('names models instead of their base paths and shortens other absolute paths', () => {
    const table: [string, string][] = [
      ['Could not find SavedModel at supplied export directory path: /srv/models/m/1', 'Could not find SavedModel at supplied export directory path: <m>/1'],
      ['x /srv/models/m/inner/2 y', 'x <mm>/2 y'],
      ["NOT_FOUND: /etc/secret/dir/file.pb; No such file or directory", 'NOT_FOUND: …/file.pb; No such file or directory'],
      ["open '/var/lib/x/model.onnx' failed", "open '…/model.onnx' failed"],
      ['base_path()=/opt/m', 'base_path()=…/m'],
      ['see https://example.com/a/b and GET /v1/models/x', 'see https://example.com/a/b and GET …/x'],
      ['no paths here', 'no paths here'],
    ];
    for (const [input, want] of table) assert.equal(redactPaths(input, models), want);
  });
});

describe('redactingFacade over a ModelServer', () => {
  let dir: string;
  let server: ModelServer;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-redact-'));
    await mkdir(path.join(dir, 'broken', '1'), { recursive: true });
    server = await ModelServer.create({
      models: [{ name: 'broken', basePath: path.join(dir, 'broken'), platform: 'onnx' }],
      runtimes: [await OnnxRuntime.create()],
      pollWaitSeconds: 0,
      maxLoadRetries: 0,
    });
    await server.whenSettled();
  });
  after(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('redacts statuses, repository reasons and thrown errors; the server itself is unchanged', async () => {
    const raw = server.status('broken')[0]?.error?.message ?? '';
    assert.ok(raw.includes(dir), `the unredacted status names the path: ${raw}`);
    const facade = redactingFacade(server, () => server.models());
    const status = facade.status('broken')[0]?.error;
    assert.ok(status instanceof InferdError);
    assert.ok(!status.message.includes(dir), status.message);
    assert.match(status.message, /<broken>\/1/);
    assert.ok(facade.repositoryIndex().every((r) => !r.reason.includes(dir)));
    await assert.rejects(facade.loadModel('other', { config: { base_path: path.join(dir, 'nope'), model_platform: 'onnx' } }), (err: unknown) => {
      assert.ok(err instanceof InferdError);
      assert.ok(!err.message.includes(dir), err.message);
      return true;
    });
    assert.equal(server.status('broken')[0]?.error?.message, raw, 'the stored error is not touched');

    const app = await buildRestApp(facade);
    try {
      const res = await app.inject({ method: 'GET', url: '/v1/models/broken' });
      assert.ok(!res.body.includes(dir), res.body);
      assert.match(res.body, /<broken>/);
    } finally {
      await app.close();
    }
  });
});
