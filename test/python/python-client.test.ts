// An independent client: Debian's python3-grpcio + python3-grpc-tools compile the project's .proto files and call
// Predict and GetModelStatus on a real gRPC server over the real ModelServer + ONNX runtime (y = 0.5x + 2, input
// x of shape [batch, 1], the tutorial's "float [1,1] by name" request). Skips when those packages are missing.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { PROTO_ROOT } from '../../src/api/grpc/protos.ts';
import { startGrpcServer, type GrpcServer } from '../../src/api/grpc/server.ts';
import { OnnxRuntime } from '../../src/runtimes/onnx/index.ts';
import { ModelServer } from '../../src/server/model-server.ts';
import { halfPlusTwo } from '../support/models.ts';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools'], { encoding: 'utf8' });
const skip = probe.status === 0
  ? false
  : `needs Debian's python3-grpcio and python3-grpc-tools (apt-get install -y python3-grpcio python3-grpc-tools): ${PYTHON} -c "import grpc, grpc_tools" failed`;
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tfs_client.py');

describe('Python grpcio client', { skip }, () => {
  let dir: string;
  let models: ModelServer;
  let server: GrpcServer;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-py-'));
    await halfPlusTwo(path.join(dir, 'default', '123'), ['batch', 1]);
    models = await ModelServer.create({
      models: [{ name: 'default', basePath: path.join(dir, 'default') }],
      runtimes: [await OnnxRuntime.create()],
      pollWaitSeconds: 0,
    });
    await models.whenSettled();
    server = await startGrpcServer(models, { host: '127.0.0.1', port: 0 });
  });

  after(async () => {
    await server?.close();
    await models?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('compiles the protos, predicts [1,1] x=2.0 → 3.0 and reads the model status', async () => {
    const { stdout } = await promisify(execFile)(PYTHON, [
      SCRIPT, '--target', `127.0.0.1:${server.port}`, '--proto-root', PROTO_ROOT, '--model', 'default', '--input', 'x', '--value', '2.0',
    ], { timeout: 60_000 });
    const result = JSON.parse(stdout) as {
      outputs: Record<string, { dtype: string; shape: number[]; float_val: number[] }>;
      model_spec: { name: string; version: number; signature_name: string };
      error: { code: string; details: string } | null;
      status: { version: number; state: string; error_code: number; error_message: string }[];
    };
    assert.deepEqual(result.outputs, { y: { dtype: 'DT_FLOAT', shape: [1, 1], float_val: [3] } });
    assert.deepEqual(result.model_spec, { name: 'default', version: 123, signature_name: 'serving_default' });
    assert.deepEqual(result.error, { code: 'NOT_FOUND', details: 'Servable not found for request: Latest(no_such_model)' });
    assert.deepEqual(result.status, [{ version: 123, state: 'AVAILABLE', error_code: 0, error_message: '' }]);
  });
});
