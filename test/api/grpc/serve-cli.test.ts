// End to end: `inferd serve` started as a child process (as a user would), spoken to over gRPC with a client built
// from the project's .proto files: ONNX half_plus_two model built here, health check, tensor_content flag.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { halfPlusTwo } from '../../support/models.ts';
import { startServer, type RunningServer } from '../../support/serve.ts';
import { connect, expectError, floatTensor, floatsOf, type TestClients } from './client.ts';

describe('inferd serve over gRPC', () => {
  let dir: string;
  let server: RunningServer;
  let c: TestClients;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-grpc-e2e-'));
    await halfPlusTwo(path.join(dir, 'hpt', '5'));
    server = await startServer([
      '--model_name=hpt', `--model_base_path=${path.join(dir, 'hpt')}`,
      '--enable_grpc_healthcheck_service=true', '--enable_serialization_as_tensor_content=true',
      '--grpc_channel_arguments=grpc.max_concurrent_streams=64', '--grpc_max_threads=8',
    ]);
    c = connect(server.grpcPort);
  });

  after(async () => {
    c?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('predicts, with outputs as tensor_content', async () => {
    const res = await c.prediction.Predict({ model_spec: { name: 'hpt' }, inputs: { x: floatTensor([2, 4], [2]) } });
    assert.ok(res.outputs.y.tensor_content.length === 8);
    assert.deepEqual(floatsOf(res.outputs.y), [3, 4]);
    assert.equal(res.model_spec.version.value, '5');
  });

  it('reports status and health', async () => {
    const st = await c.model.GetModelStatus({ model_spec: { name: 'hpt' } });
    assert.deepEqual(st.model_version_status.map((s: { version: string; state: string }) => [s.version, s.state]), [['5', 'AVAILABLE']]);
    assert.equal((await c.health.Check({ service: '' })).status, 'SERVING');
    assert.equal((await c.health.Check({ service: 'tensorflow.serving.PredictionService' })).status, 'SERVING');
  });

  it('maps errors to gRPC status codes', async () => {
    await expectError(c.prediction.Predict({ model_spec: { name: 'zz' }, inputs: { x: floatTensor([2], [1]) } }), status.NOT_FOUND,
      'Servable not found for request: Latest(zz)');
  });
});
