// An independent OIP gRPC client: Debian's python3-grpcio + python3-grpc-tools generate stubs from the official
// open_inference_grpc.proto (kserve/open-inference-protocol, beside this file) and call every core RPC of
// inference.GRPCInferenceService, typed and raw, every datatype. Skips when those packages are missing.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { OFFICIAL_PROTO, startFixture, type OipFixture } from './support.ts';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools'], { encoding: 'utf8' });
const skip = probe.status === 0
  ? false
  : `needs Debian's python3-grpcio and python3-grpc-tools (apt-get install -y python3-grpcio python3-grpc-tools): ${PYTHON} -c "import grpc, grpc_tools" failed`;
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'oip_client.py');

describe('Python grpcio client of the official OIP proto', { skip }, () => {
  let fx: OipFixture;
  before(async () => {
    fx = await startFixture();
  });
  after(async () => {
    await fx?.close();
  });

  it('live/ready/metadata, typed FP32 infer, raw infer of every datatype, NOT_FOUND for an unknown model', async () => {
    const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, '--target', `127.0.0.1:${fx.grpc.port}`, '--proto', OFFICIAL_PROTO], { timeout: 60_000 });
    const r = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(r.live, true);
    assert.equal(r.ready, true);
    assert.equal(r.model_ready, true);
    assert.deepEqual(r.server, { name: 'inferd', version: '0.1.0', extensions: ['binary_tensor_data'] });
    assert.deepEqual(r.model, { name: 'half', versions: ['7'], platform: 'onnx_onnxv1', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }] });
    assert.deepEqual(r.typed, { id: 'py-typed', model_version: '7', outputs: [{ name: 'y', datatype: 'FP32', shape: [2, 1], fp32: [2.5, 4] }] });
    const raw = r.raw as { id: string; outputs: { name: string; datatype: string; shape: number[] }[]; equal: boolean[] };
    assert.equal(raw.id, 'py-raw');
    assert.equal(raw.outputs.length, 13);
    assert.ok(raw.outputs.every((o) => o.name === `y_${o.datatype}` && o.shape.join() === '2,2'));
    assert.deepEqual(raw.equal, Array(13).fill(true));
    assert.deepEqual(r.error, { code: 'NOT_FOUND', details: 'Servable not found for request: Latest(no_such_model)' });
  });
});
