// Health endpoints through a model's life: configured but no version yet (not ready), a version AVAILABLE
// (ready), a second model still missing (not ready), draining (not ready), over REST (/v2/health/*,
// /v2/models/{m}[/versions/{v}]/ready) and grpc.health.v1 Check on "" — both read the same readiness.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { startGrpcServer, type GrpcServer } from '../../../src/api/grpc/server.ts';
import { buildRestApp } from '../../../src/api/rest/server.ts';
import { OnnxRuntime } from '../../../src/runtimes/onnx/index.ts';
import { ModelServer } from '../../../src/server/model-server.ts';
import { addVersion } from '../../server/helpers.ts';
import { connect, type TestClients } from '../grpc/client.ts';

const SERVING = 'SERVING';
const NOT_SERVING = 'NOT_SERVING';

describe('health: /v2/health/*, model ready, grpc.health.v1', () => {
  let dir: string;
  let server: ModelServer;
  let app: FastifyInstance;
  let grpc: GrpcServer;
  let client: TestClients;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-health-'));
    await mkdir(path.join(dir, 'a'));
    server = await ModelServer.create({
      models: [{ name: 'a', basePath: path.join(dir, 'a') }],
      runtimes: [await OnnxRuntime.create()],
      pollWaitSeconds: 0,
    });
    app = await buildRestApp(server, { readiness: server });
    grpc = await startGrpcServer(server, { host: '127.0.0.1', port: 0, enableHealthCheck: true, allModelsAvailable: () => server.isReady() });
    client = connect(grpc.port);
  });

  after(async () => {
    client?.close();
    await grpc?.close();
    await app?.close();
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const get = async (url: string) => {
    const res = await app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: JSON.parse(res.body) as unknown };
  };
  const grpcStatus = async () => (await client.health.Check({ service: '' })).status as string;

  it('is live but not ready while the only model has no version', async () => {
    assert.deepEqual(await get('/v2/health/live'), { status: 200, body: { live: true } });
    assert.deepEqual(await get('/v2/health/ready'), { status: 503, body: { ready: false } });
    assert.deepEqual(await get('/v2/models/a/ready'), { status: 503, body: { name: 'a', ready: false } });
    assert.equal(await grpcStatus(), NOT_SERVING);
  });

  it('answers 404 for a model never configured and 400 for a bad version', async () => {
    const missing = await get('/v2/models/nope/ready');
    assert.equal(missing.status, 404);
    assert.match((missing.body as { error: string }).error, /nope/);
    assert.equal((await get('/v2/models/a/versions/x1/ready')).status, 400);
  });

  it('turns ready once a version is AVAILABLE (model and version ready too)', async () => {
    await addVersion(path.join(dir, 'a'), 1);
    await server.pollNow();
    await server.whenSettled();
    assert.deepEqual(await get('/v2/health/ready'), { status: 200, body: { ready: true } });
    assert.deepEqual(await get('/v2/models/a/ready'), { status: 200, body: { name: 'a', ready: true } });
    assert.deepEqual(await get('/v2/models/a/versions/1/ready'), { status: 200, body: { name: 'a', version: '1', ready: true } });
    assert.deepEqual(await get('/v2/models/a/versions/2/ready'), { status: 503, body: { name: 'a', version: '2', ready: false } });
    assert.equal(await grpcStatus(), SERVING);
  });

  it('is not ready while another configured model has no AVAILABLE version', async () => {
    await mkdir(path.join(dir, 'b'));
    await server.addModel({ name: 'b', basePath: path.join(dir, 'b') });
    assert.equal((await get('/v2/health/ready')).status, 503);
    assert.equal(await grpcStatus(), NOT_SERVING);
    await server.removeModel('b');
    assert.equal((await get('/v2/health/ready')).status, 200);
  });

  it('is not ready while draining, but still live and still serving', async () => {
    server.startDraining();
    assert.equal(server.draining, true);
    assert.deepEqual(await get('/v2/health/ready'), { status: 503, body: { ready: false } });
    assert.deepEqual(await get('/v2/models/a/ready'), { status: 503, body: { name: 'a', ready: false } });
    assert.deepEqual(await get('/v2/health/live'), { status: 200, body: { live: true } });
    assert.equal(await grpcStatus(), NOT_SERVING);
    const res = await app.inject({ method: 'POST', url: '/v1/models/a:predict', payload: '{"instances": [1]}' });
    assert.equal(res.statusCode, 200);
  });
});
