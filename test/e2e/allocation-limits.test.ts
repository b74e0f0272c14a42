// Issue 9 D2, D3, D6, D10 against a real `inferd serve`: a request that claims a huge shape is refused before the
// server allocates it (gRPC RESOURCE_EXHAUSTED, REST 413) with a message naming the limit; a gzip bomb is 413;
// an int64 version keeps its digits in error texts; and the server still answers a good request afterwards.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { halfPlusTwo, stringIdentity } from '../support/models.ts';
import { writeModel, type ModelSpec } from '../support/onnx-builder.ts';
import { postJson, startServer, type RunningServer } from '../support/serve.ts';
import { connect, expectError, floatTensor, floatsOf, type TestClients } from '../api/grpc/client.ts';

const LIMIT = 1024 * 1024; // --max_request_tensor_bytes for this server: 1 MiB

/** y = 1.5 everywhere, of the shape given by int64 input `dims`: a few request bytes, an answer of any size. */
const GROW: ModelSpec = {
  name: 'grow',
  inputs: [{ name: 'dims', dtype: 'int64', shape: [1] }],
  outputs: [{ name: 'y', dtype: 'float32', shape: ['n'] }],
  nodes: [{ op: 'ConstantOfShape', inputs: ['dims'], outputs: ['y'], attributes: { value: { t: { name: 'v', dtype: 'float32', dims: [1], data: new Float32Array([1.5]) } } } }],
};

describe('request allocation limits (inferd serve, REST and gRPC)', { timeout: 60_000 }, () => {
  let dir: string;
  let server: RunningServer;
  let c: TestClients;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-limits-'));
    await halfPlusTwo(path.join(dir, 'hpt', '1'));
    await stringIdentity(path.join(dir, 'str', '1'));
    await writeModel(path.join(dir, 'grow', '1', 'model.onnx'), GROW);
    const config = path.join(dir, 'models.config');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(config, `model_config_list {
      config { name: "hpt" base_path: "${path.join(dir, 'hpt')}" model_platform: "onnx" }
      config { name: "str" base_path: "${path.join(dir, 'str')}" model_platform: "onnx" }
      config { name: "grow" base_path: "${path.join(dir, 'grow')}" model_platform: "onnx" }
    }`);
    server = await startServer([`--model_config_file=${config}`, `--max_request_tensor_bytes=${LIMIT}`, '--rest_api_max_body_bytes=65536']);
    c = connect(server.grpcPort);
  });

  after(async () => {
    c?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('D2: a DT_STRING tensor of shape [1e8] with one string_val is RESOURCE_EXHAUSTED, not 4 GiB', async () => {
    const x = { dtype: 'DT_STRING', tensor_shape: { dim: [{ size: 100_000_000 }] }, string_val: [Buffer.from('a')] };
    await expectError(c.prediction.Predict({ model_spec: { name: 'str' }, inputs: { x } }), status.RESOURCE_EXHAUSTED, /max_request_tensor_bytes/);
  });

  it('D3: a 41-byte float request of shape [1e8] is RESOURCE_EXHAUSTED, not a 400 MB answer', async () => {
    await expectError(c.prediction.Predict({ model_spec: { name: 'hpt' }, inputs: { x: floatTensor([1], [100_000_000]) } }),
      status.RESOURCE_EXHAUSTED, /x: float32 tensor of shape \[100000000\] needs 400000000 bytes.*at most 1048576 bytes \(max_request_tensor_bytes\)/);
    // Every dtype is charged: int64 of [1e6] is 8 MB > 1 MiB.
    const big = { dtype: 'DT_INT64', tensor_shape: { dim: [{ size: 1_000_000 }] }, int64_val: ['1'] };
    await expectError(c.prediction.Predict({ model_spec: { name: 'hpt' }, inputs: { x: big } }), status.RESOURCE_EXHAUSTED, /max_request_tensor_bytes/);
  });

  it('REST: a tensor over the limit is 413 with {"error"} naming the limit (exact and fast JSON paths)', async () => {
    // 300,000 zeros as float32 = 1.2 MB > 1 MiB; the body itself (600 KB) is under the body limit only gzipped.
    const body = gzipSync(Buffer.from(JSON.stringify({ inputs: new Array(300_000).fill(0) })));
    const res = await postJson(`${server.restUrl}/v1/models/hpt:predict`, body, { 'content-encoding': 'gzip' });
    assert.equal(res.status, 413, res.text);
  });

  it('REST: ragged lists whose first elements claim a huge shape never allocate it', async () => {
    // shapeOf() follows first elements: [[1000 × [1000 numbers]] ...] looks like 1e6 × ... elements.
    const row = new Array(1000).fill(1);
    const body = JSON.stringify({ inputs: [[row, [1]], [1]] });
    const res = await postJson(`${server.restUrl}/v1/models/hpt:predict`, body);
    assert.equal(res.status, 400, res.text);
    assert.match(res.text, /^\{"error":/);
  });

  it('D6: a gzip bomb is 413 (the documented status), not 429', async () => {
    const bomb = gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
    const res = await postJson(`${server.restUrl}/v1/models/hpt:predict`, bomb, { 'content-encoding': 'gzip' });
    assert.equal(res.status, 413, res.text);
    assert.match((res.body as { error: string }).error, /larger than the limit of 65536 bytes/);
  });

  it('D10: an int64 version keeps its digits in gRPC error texts', async () => {
    await expectError(c.prediction.Predict({ model_spec: { name: 'hpt', version: { value: '9223372036854775807' } }, inputs: { x: floatTensor([1], [1]) } }),
      status.NOT_FOUND, 'Servable not found for request: Specific(hpt, 9223372036854775807)');
    await expectError(c.model.GetModelStatus({ model_spec: { name: 'hpt', version: { value: '9223372036854775807' } } }),
      status.NOT_FOUND, 'Could not find version 9223372036854775807 of model hpt');
  });

  it('outputs: an answer past the limit in its own encoding is refused before it is built, naming the limit', async () => {
    // 200,000 float32 = 800,000 tensor bytes (< 1 MiB): gRPC's PredictResponse fits, REST's JSON text cannot.
    const dims = { dtype: 'DT_INT64', tensor_shape: { dim: [{ size: 1 }] }, int64_val: ['200000'] };
    const ok = await c.prediction.Predict({ model_spec: { name: 'grow' }, inputs: { dims } });
    const y = floatsOf(ok.outputs.y);
    assert.equal(y.length, 200_000);
    assert.ok(y.every((v) => v === 1.5));
    const rest = await postJson(`${server.restUrl}/v1/models/grow:predict`, { inputs: { dims: [200_000] } });
    assert.equal(rest.status, 413, rest.text);
    assert.match((rest.body as { error: string }).error,
      /^y: float32 output of shape \[200000\] as JSON needs \d+ bytes; the tensors of one response may use at most 1048576 bytes \(max_request_tensor_bytes\)$/);
    const oip = await postJson(`${server.restUrl}/v2/models/grow/infer`, { inputs: [{ name: 'dims', datatype: 'INT64', shape: [1], data: [200_000] }] });
    assert.equal(oip.status, 413, oip.text);
    assert.match((oip.body as { error: string }).error, /y: float32 output .* needs \d+ bytes.*\(max_request_tensor_bytes\)/);
    // The OIP binary extension answers the same tensor as raw bytes: 800,000 bytes fit.
    const bin = await postJson(`${server.restUrl}/v2/models/grow/infer`,
      { inputs: [{ name: 'dims', datatype: 'INT64', shape: [1], data: [200_000] }], parameters: { binary_data_output: true } });
    assert.equal(bin.status, 200, bin.text.slice(0, 200));
    // 300,000 float32 = 1.2 MB: gRPC refuses it too, as protobuf.
    await expectError(c.prediction.Predict({ model_spec: { name: 'grow' }, inputs: { dims: { ...dims, int64_val: ['300000'] } } }),
      status.RESOURCE_EXHAUSTED, /^y: float32 output of shape \[300000\] as protobuf needs \d+ bytes.*\(max_request_tensor_bytes\)$/);
  });

  it('still answers good requests on both transports', async () => {
    const res = await c.prediction.Predict({ model_spec: { name: 'hpt' }, inputs: { x: floatTensor([2, 4], [2]) } });
    assert.deepEqual(floatsOf(res.outputs.y), [3, 4]);
    const r = await postJson(`${server.restUrl}/v1/models/hpt:predict`, { instances: [1, 2] });
    assert.equal(r.status, 200, r.text);
  });
});
