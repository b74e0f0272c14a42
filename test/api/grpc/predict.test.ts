// gRPC PredictionService/ModelService against the real ModelServer facade with the ONNX runtime:
// half_plus_two (y = 0.5x + 2) in versions 1 and 2 (label stable → 1), plus a two-input/two-output model.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { startGrpcServer, type GrpcServer } from '../../../src/api/grpc/server.ts';
import { OnnxRuntime } from '../../../src/runtimes/onnx/index.ts';
import { ModelServer } from '../../../src/server/model-server.ts';
import { halfPlusTwo, twoInTwoOut } from '../../support/models.ts';
import { connect, expectError, floatTensor, floatsOf, type TestClients } from './client.ts';

let dir: string;
let models: ModelServer;
let grpcServer: GrpcServer;
let rawServer: GrpcServer;
let c: TestClients;
let raw: TestClients;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-grpc-'));
  await halfPlusTwo(path.join(dir, 'hpt', '1'));
  await halfPlusTwo(path.join(dir, 'hpt', '2'));
  await twoInTwoOut(path.join(dir, 'two', '7'));
  models = await ModelServer.create({
    models: [
      { name: 'hpt', basePath: path.join(dir, 'hpt'), versionPolicy: { kind: 'all' }, versionLabels: { stable: 1 } },
      { name: 'two', basePath: path.join(dir, 'two') },
    ],
    runtimes: [await OnnxRuntime.create()],
    pollWaitSeconds: 0,
  });
  await models.whenSettled();
  grpcServer = await startGrpcServer(models, { host: '127.0.0.1', port: 0 });
  rawServer = await startGrpcServer(models, { host: '127.0.0.1', port: 0, tensorContent: true, enableReflection: false });
  c = connect(grpcServer.port);
  raw = connect(rawServer.port);
});

after(async () => {
  c?.close();
  raw?.close();
  await grpcServer?.close();
  await rawServer?.close();
  await models?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Predict', () => {
  it('answers x=[2.0] shape [1] with y=[3.0] and the served spec', async () => {
    const res = await c.prediction.Predict({ model_spec: { name: 'hpt' }, inputs: { x: floatTensor([2], [1]) } });
    assert.deepEqual(Object.keys(res.outputs), ['y']);
    assert.equal(res.outputs.y.dtype, 'DT_FLOAT');
    assert.deepEqual(res.outputs.y.tensor_shape.dim.map((d: { size: string }) => d.size), ['1']);
    assert.deepEqual(floatsOf(res.outputs.y), [3]);
    assert.equal(res.outputs.y.tensor_content.length, 0, 'typed float_val by default');
    assert.equal(res.model_spec.name, 'hpt');
    assert.equal(res.model_spec.version.value, '2');
    assert.equal(res.model_spec.signature_name, 'serving_default');
  });

  it('decodes tensor_content inputs and encodes tensor_content outputs when enabled', async () => {
    const x = new Float32Array([1, 2, 10, 80]);
    const res = await raw.prediction.Predict({
      model_spec: { name: 'hpt', signature_name: 'serving_default' },
      inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 4 }] }, tensor_content: Buffer.from(x.buffer) } },
    });
    assert.ok(res.outputs.y.tensor_content.length === 16);
    assert.equal(res.outputs.y.float_val.length, 0);
    assert.deepEqual(floatsOf(res.outputs.y), [2.5, 3, 7, 42]);
  });

  it('round-trips a 4 MB tensor (beyond grpc-js default message limits)', async () => {
    const x = new Float32Array(1 << 20).map((_, i) => i % 100);
    const res = await raw.prediction.Predict({
      model_spec: { name: 'hpt' },
      inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: x.length }] }, tensor_content: Buffer.from(x.buffer) } },
    });
    const y = floatsOf(res.outputs.y);
    assert.equal(y.length, x.length);
    assert.equal(y[99], 0.5 * 99 + 2);
    assert.equal(y[x.length - 1], 0.5 * ((x.length - 1) % 100) + 2);
  });

  it('round-trips a large tensor as packed float_val both ways (the hand-written Predict codec)', async () => {
    const x = Array.from({ length: 1 << 18 }, (_, i) => (i % 1000) / 8 - 60);
    const res = await c.prediction.Predict({ model_spec: { name: 'hpt' }, inputs: { x: floatTensor(x, [x.length]) } });
    assert.equal(res.outputs.y.tensor_content.length, 0, 'typed float_val by default');
    const y = floatsOf(res.outputs.y);
    assert.equal(y.length, x.length);
    for (const i of [0, 1, 999, 1000, 123_457, x.length - 1]) assert.equal(y[i], 0.5 * x[i]! + 2, `y[${i}]`);
  });

  it('applies the fill rule (one value fills the shape)', async () => {
    const res = await c.prediction.Predict({ model_spec: { name: 'hpt' }, inputs: { x: floatTensor([4], [3]) } });
    assert.deepEqual(floatsOf(res.outputs.y), [4, 4, 4]);
  });

  it('resolves a version number and a version label', async () => {
    const byVersion = await c.prediction.Predict({ model_spec: { name: 'hpt', version: { value: 1 } }, inputs: { x: floatTensor([2], [1]) } });
    assert.equal(byVersion.model_spec.version.value, '1');
    const byLabel = await c.prediction.Predict({ model_spec: { name: 'hpt', version_label: 'stable' }, inputs: { x: floatTensor([2], [1]) } });
    assert.equal(byLabel.model_spec.version.value, '1');
    assert.deepEqual(floatsOf(byLabel.outputs.y), [3]);
  });

  it('returns only the outputs named by output_filter', async () => {
    const inputs = { a: floatTensor([1, 2], [1, 2]), b: floatTensor([3, 4], [1, 2]) };
    const all = await c.prediction.Predict({ model_spec: { name: 'two' }, inputs });
    assert.deepEqual(Object.keys(all.outputs).sort(), ['product', 'sum']);
    const one = await c.prediction.Predict({ model_spec: { name: 'two' }, inputs, output_filter: ['product'] });
    assert.deepEqual(Object.keys(one.outputs), ['product']);
    assert.deepEqual(floatsOf(one.outputs.product), [3, 8]);
  });
});

describe('Predict errors', () => {
  const x = { x: floatTensor([2], [1]) };
  const cases: [string, () => object, status, string | RegExp][] = [
    ['no model_spec', () => ({ inputs: x }), status.INVALID_ARGUMENT, 'Missing ModelSpec'],
    ['empty name', () => ({ model_spec: { name: '' }, inputs: x }), status.INVALID_ARGUMENT, 'ModelSpec has no name specified.'],
    ['unknown model', () => ({ model_spec: { name: 'nope' }, inputs: x }), status.NOT_FOUND, 'Servable not found for request: Latest(nope)'],
    ['unknown version', () => ({ model_spec: { name: 'hpt', version: { value: 9 } }, inputs: x }), status.NOT_FOUND, 'Servable not found for request: Specific(hpt, 9)'],
    ['unknown label', () => ({ model_spec: { name: 'hpt', version_label: 'canary' }, inputs: x }), status.INVALID_ARGUMENT, 'Unrecognized servable version label: canary'],
    ['unknown signature', () => ({ model_spec: { name: 'hpt', signature_name: 'sig' }, inputs: x }), status.FAILED_PRECONDITION, 'Serving signature key "sig" not found.'],
    ['extra input', () => ({ model_spec: { name: 'hpt' }, inputs: { ...x, z: floatTensor([1], [1]) } }), status.INVALID_ARGUMENT,
      'input size does not match signature: 2!=1 len({x,z}) != len({x}). Sent extra: {z}. Missing but required: {}.'],
    ['no input', () => ({ model_spec: { name: 'hpt' }, inputs: {} }), status.INVALID_ARGUMENT,
      'input size does not match signature: 0!=1 len({}) != len({x}). Sent extra: {}. Missing but required: {x}.'],
    ['wrong alias', () => ({ model_spec: { name: 'hpt' }, inputs: { z: floatTensor([1], [1]) } }), status.INVALID_ARGUMENT,
      'Signature input alias: x(feed name: x) not found in request and no default value provided. Inputs expected to be in the request {z}, or default input alias set: '],
    ['bad tensor', () => ({ model_spec: { name: 'hpt' }, inputs: { x: { dtype: 'DT_FLOAT', tensor_shape: { dim: [{ size: 2 }] }, tensor_content: Buffer.alloc(3) } } }),
      status.INVALID_ARGUMENT, 'tensor parsing error: x'],
    ['unknown output alias', () => ({ model_spec: { name: 'hpt' }, inputs: x, output_filter: ['q'] }), status.INVALID_ARGUMENT,
      'output tensor alias not found in signature: q Outputs expected to be in the set {y}.'],
    ['duplicate output alias', () => ({ model_spec: { name: 'hpt' }, inputs: x, output_filter: ['y', 'y'] }), status.INVALID_ARGUMENT,
      'duplicate output tensor alias: y'],
    ['wrong dtype', () => ({ model_spec: { name: 'hpt' }, inputs: { x: { dtype: 'DT_DOUBLE', double_val: [1], tensor_shape: { dim: [{ size: 1 }] } } } }),
      status.INVALID_ARGUMENT, /./],
  ];
  for (const [what, request, code, message] of cases) {
    it(what, async () => {
      await expectError(c.prediction.Predict(request()), code, message);
    });
  }
});

describe('ModelService.GetModelStatus', () => {
  it('lists every version, highest first, AVAILABLE with OK', async () => {
    const res = await c.model.GetModelStatus({ model_spec: { name: 'hpt' } });
    assert.deepEqual(res.model_version_status.map((s: { version: string }) => s.version), ['2', '1']);
    for (const s of res.model_version_status) {
      assert.equal(s.state, 'AVAILABLE');
      assert.equal(s.status.error_code, 0);
      assert.equal(s.status.error_message, '');
    }
  });
  it('reports one version', async () => {
    const res = await c.model.GetModelStatus({ model_spec: { name: 'two', version: { value: 7 } } });
    assert.equal(res.model_version_status.length, 1);
    assert.equal(res.model_version_status[0].version, '7');
  });
  it('maps unknown models and versions to NOT_FOUND', async () => {
    await expectError(c.model.GetModelStatus({ model_spec: { name: 'nope' } }), status.NOT_FOUND, 'Could not find any versions of model nope');
    await expectError(c.model.GetModelStatus({ model_spec: { name: 'hpt', version: { value: 5 } } }), status.NOT_FOUND, 'Could not find version 5 of model hpt');
    await expectError(c.model.GetModelStatus({}), status.INVALID_ARGUMENT, 'Missing ModelSpec');
  });
  it('answers HandleReloadConfigRequest with UNIMPLEMENTED when no reload callback is wired', async () => {
    await expectError(c.model.HandleReloadConfigRequest({ config: { model_config_list: { config: [] } } }), status.UNIMPLEMENTED);
  });
});

describe('GetModelMetadata', () => {
  it('returns the SignatureDefMap packed in Any', async () => {
    const { protoTypes } = await import('../../../src/api/grpc/protos.ts');
    const res = await c.prediction.GetModelMetadata({ model_spec: { name: 'hpt', version: { value: 1 } }, metadata_field: ['signature_def'] });
    assert.equal(res.model_spec.name, 'hpt');
    assert.equal(res.model_spec.version.value, '1');
    assert.deepEqual(Object.keys(res.metadata), ['signature_def']);
    assert.equal(res.metadata.signature_def.type_url, 'type.googleapis.com/tensorflow.serving.SignatureDefMap');
    const map = protoTypes().SignatureDefMap.toObject(protoTypes().SignatureDefMap.decode(res.metadata.signature_def.value), { longs: String, enums: String });
    const sig = map.signature_def.serving_default;
    assert.equal(sig.method_name, 'tensorflow/serving/predict');
    assert.equal(sig.inputs.x.name, 'x');
    assert.equal(sig.inputs.x.dtype, 'DT_FLOAT');
    assert.deepEqual(sig.inputs.x.tensor_shape.dim.map((d: { size: string }) => d.size), ['-1']);
    assert.equal(sig.outputs.y.dtype, 'DT_FLOAT');
  });
  it('rejects requests without a supported metadata_field', async () => {
    await expectError(c.prediction.GetModelMetadata({ model_spec: { name: 'hpt' } }), status.INVALID_ARGUMENT,
      'GetModelMetadataRequest must specify at least one metadata_field');
    await expectError(c.prediction.GetModelMetadata({ model_spec: { name: 'hpt' }, metadata_field: ['other'] }), status.INVALID_ARGUMENT,
      'Metadata field other is not supported');
    await expectError(c.prediction.GetModelMetadata({ metadata_field: ['signature_def'] }), status.INVALID_ARGUMENT, 'Missing ModelSpec');
    await expectError(c.prediction.GetModelMetadata({ model_spec: { name: 'zz' }, metadata_field: ['signature_def'] }), status.NOT_FOUND,
      'Servable not found for request: Latest(zz)');
  });
});
