// A model whose base path has a typo (it does not exist yet) and whose version then fails to load and is retried:
// with --allow_unavailable_models_at_startup the ports open anyway; the status APIs (REST GET /v1/models/{m}, gRPC
// GetModelStatus) say why there is no version, then show version 1 LOADING with the last attempt's error while
// the load is retried; every failed attempt is a log line with its reason and the next attempt's time; once the
// model file appears the version becomes AVAILABLE and serves. Waits poll for states; nothing checks timing.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, type CallError, type TestClients } from '../api/grpc/client.ts';
import { halfPlusTwo } from '../support/models.ts';
import { getJson, postJson, startServer, type RunningServer } from '../support/serve.ts';
import { waitUntil } from '../server/helpers.ts';

interface StatusBody {
  model_version_status?: { version: string; state: string; status: { error_code: string; error_message: string } }[];
  error?: string;
}

describe('load retries are visible (typo\'d base path that later appears)', () => {
  let dir: string;
  let base: string;
  let server: RunningServer;
  let grpc: TestClients;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-retries-'));
    base = path.join(dir, 'models', 'm');
    server = await startServer([
      '--model_name=m', `--model_base_path=${base}`, '--allow_unavailable_models_at_startup',
      '--max_num_load_retries=1000', '--load_retry_interval_micros=200000', '--file_system_poll_wait_seconds=1',
    ]);
    grpc = connect(server.grpcPort);
  });
  after(async () => {
    grpc?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const restStatus = async (): Promise<{ status: number; body: StatusBody }> => {
    const res = await getJson(`${server.restUrl}/v1/models/m`);
    return { status: res.status, body: res.body as StatusBody };
  };

  it('opens the ports and says why the model has no version while its base path is missing', async () => {
    const { status, body } = await restStatus();
    assert.equal(status, 404);
    assert.match(body.error ?? '', /^Could not find any versions of model m: Could not find base path .*models\/m for servable m/);
    await assert.rejects(grpc.model.GetModelStatus({ model_spec: { name: 'm' } }), (err: CallError) => {
      assert.equal(err.code, 5);
      assert.match(err.details, /Could not find base path/);
      return true;
    });
    assert.equal((await getJson(`${server.restUrl}/v2/health/ready`)).status, 503);
    assert.match(server.stderr(), /Could not find base path .* \(polling again every 1 s\)/);
  });

  it('shows version 1 LOADING with the last error while its load is retried, and logs every attempt', async () => {
    // The base path appears, holding a version folder without a model file yet.
    const staging = path.join(dir, 'staging');
    await mkdir(path.join(staging, '1'), { recursive: true });
    await mkdir(path.dirname(base), { recursive: true });
    await rename(staging, base);
    await waitUntil(async () => (await restStatus()).body.model_version_status?.[0]?.state === 'LOADING' && /load attempt 2 of 1001 failed/.test(server.stderr()),
      'version 1 LOADING after two failed attempts', 30_000, 100);
    const [v1] = (await restStatus()).body.model_version_status ?? [];
    assert.equal(v1?.version, '1');
    assert.equal(v1?.status.error_code, 'NOT_FOUND');
    assert.match(v1?.status.error_message ?? '', /Could not find SavedModel .pb or .pbtxt \(nor an ONNX model.onnx\)/);
    const rpc = await grpc.model.GetModelStatus({ model_spec: { name: 'm' } });
    assert.equal(rpc.model_version_status[0].state, 'LOADING');
    assert.equal(rpc.model_version_status[0].status.error_code, 5, 'NOT_FOUND');
    assert.match(rpc.model_version_status[0].status.error_message, /Could not find SavedModel/);
    const attempts = server.stderr().split('\n').filter((l) => l.includes('"attempt":')).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(attempts.length >= 2);
    for (const [i, a] of attempts.slice(0, 2).entries()) {
      assert.equal(a.attempt, i + 1);
      assert.equal(a.attempts, 1001);
      assert.equal(a.model, 'm');
      assert.match(String(a.error), /^NOT_FOUND: Could not find SavedModel/);
      assert.match(String(a.nextAttemptAt), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.match(String(a.msg), new RegExp(`^m v1: load attempt ${i + 1} of 1001 failed: NOT_FOUND: .*; next attempt at ${String(a.nextAttemptAt).replace(/\./g, '\\.')} \\(in \\d+ s\\)$`));
    }
  });

  it('becomes AVAILABLE once the model file appears, with the error cleared', async () => {
    const staging = path.join(dir, 'file-staging');
    await halfPlusTwo(staging);
    await rename(path.join(staging, 'model.onnx'), path.join(base, '1', 'model.onnx'));
    await waitUntil(async () => (await restStatus()).body.model_version_status?.[0]?.state === 'AVAILABLE', 'version 1 AVAILABLE', 30_000, 100);
    const [v1] = (await restStatus()).body.model_version_status ?? [];
    assert.deepEqual(v1?.status, { error_code: 'OK', error_message: '' });
    const res = await postJson(`${server.restUrl}/v1/models/m:predict`, { instances: [2] });
    assert.deepEqual(res.body, { predictions: [3] });
    assert.equal((await getJson(`${server.restUrl}/v2/health/ready`)).status, 200);
  });
});
