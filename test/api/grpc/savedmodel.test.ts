// The TensorFlow Serving test flows over gRPC on the shared SavedModel fixtures (real ModelServer + SavedModel
// runtime, in-thread): half_plus_two as model "default" version 123, and half_plus_three. Skips when
// ../shared/fixtures is absent (the ONNX-based tests in predict.test.ts stand alone).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { protoTypes } from '../../../src/api/grpc/protos.ts';
import { startGrpcServer, type GrpcServer } from '../../../src/api/grpc/server.ts';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import { ModelServer } from '../../../src/server/model-server.ts';
import { SHARED_FIXTURES } from '../../support/serve.ts';
import { connect, floatTensor, floatsOf, type Msg, type TestClients } from './client.ts';

const skip = existsSync(SHARED_FIXTURES) ? false : `shared fixtures not found at ${SHARED_FIXTURES}`;
const example = (x: number): Msg => ({ features: { feature: { x: { float_list: { value: [x] } } } } });
const input = { example_list: { examples: [example(2)] } };

describe('SavedModel fixtures over gRPC', { skip }, () => {
  let models: ModelServer;
  let server: GrpcServer;
  let c: TestClients;

  before(async () => {
    models = await ModelServer.create({
      models: [
        { name: 'default', basePath: path.join(SHARED_FIXTURES, 'saved_model_half_plus_two_cpu'), platform: 'tensorflow' },
        { name: 'three', basePath: path.join(SHARED_FIXTURES, 'saved_model_half_plus_three'), platform: 'tensorflow' },
      ],
      runtimes: [await SavedModelRuntime.create({ workers: 0 })],
      pollWaitSeconds: 0,
    });
    await models.whenSettled();
    server = await startGrpcServer(models, { host: '127.0.0.1', port: 0 });
    c = connect(server.port);
  });

  after(async () => {
    c?.close();
    await server?.close();
    await models?.close();
  });

  it('Predict x=[2.0] shape [1] → y=[3.0], with and without output_filter', async () => {
    for (const output_filter of [[], ['y']]) {
      const res = await c.prediction.Predict({ model_spec: { name: 'default' }, inputs: { x: floatTensor([2], [1]) }, output_filter });
      assert.deepEqual(Object.keys(res.outputs), ['y']);
      assert.equal(res.outputs.y.dtype, 'DT_FLOAT');
      assert.deepEqual(floatsOf(res.outputs.y), [3]);
      assert.deepEqual(res.model_spec, { name: 'default', version: { value: '123' }, signature_name: 'serving_default', version_choice: 'version' });
    }
    const three = await c.prediction.Predict({ model_spec: { name: 'three' }, inputs: { x: floatTensor([2], [1]) } });
    assert.deepEqual(floatsOf(three.outputs.y), [4]);
  });

  it('Predict a scalar x (no shape) → scalar y', async () => {
    const res = await c.prediction.Predict({ model_spec: { name: 'default' }, inputs: { x: { dtype: 'DT_FLOAT', float_val: [2] } } });
    assert.deepEqual(res.outputs.y.tensor_shape.dim, []);
    assert.deepEqual(floatsOf(res.outputs.y), [3]);
  });

  it('Classify, Regress and MultiInference with Example x=2.0 → 3.0', async () => {
    const cls = await c.prediction.Classify({ model_spec: { name: 'default', signature_name: 'classify_x_to_y' }, input });
    assert.equal(cls.result.classifications[0].classes[0].score, 3);
    const reg = await c.prediction.Regress({ model_spec: { name: 'default', signature_name: 'regress_x_to_y' }, input });
    assert.equal(reg.result.regressions[0].value, 3);
    assert.equal(reg.model_spec.signature_name, 'regress_x_to_y');
    const multi = await c.prediction.MultiInference({
      tasks: [
        { model_spec: { name: 'default', signature_name: 'classify_x_to_y' }, method_name: 'tensorflow/serving/classify' },
        { model_spec: { name: 'default', signature_name: 'regress_x_to_y' }, method_name: 'tensorflow/serving/regress' },
      ],
      input,
    });
    assert.equal(multi.results[0].classification_result.classifications[0].classes[0].score, 3);
    assert.equal(multi.results[1].regression_result.regressions[0].value, 3);
  });

  it('GetModelStatus: one entry, version 123, error_code 0', async () => {
    const res = await c.model.GetModelStatus({ model_spec: { name: 'default' } });
    assert.deepEqual(res.model_version_status, [{ version: '123', state: 'AVAILABLE', status: { error_code: 0, error_message: '' } }]);
  });

  it('GetModelMetadata matches half_plus_two_model_metadata.json', async () => {
    const res = await c.prediction.GetModelMetadata({ model_spec: { name: 'default' }, metadata_field: ['signature_def'] });
    assert.equal(res.model_spec.name, 'default');
    assert.equal(res.model_spec.version.value, '123');
    assert.deepEqual(Object.keys(res.metadata), ['signature_def']);
    const T = protoTypes().SignatureDefMap;
    const got = T.toObject(T.decode(res.metadata.signature_def.value), { longs: String, enums: String, defaults: true });
    const expected = JSON.parse(await readFile(path.join(SHARED_FIXTURES, 'half_plus_two_model_metadata.json'), 'utf8'));
    const want = expected.metadata.signature_def.signature_def as Record<string, Msg>;
    assert.deepEqual(Object.keys(got.signature_def).sort(), Object.keys(want).sort());
    for (const [key, sig] of Object.entries(want)) {
      const g = got.signature_def[key];
      assert.equal(g.method_name, sig.method_name, key);
      for (const side of ['inputs', 'outputs'] as const) {
        for (const [alias, info] of Object.entries(sig[side] as Record<string, Msg>)) {
          assert.equal(g[side][alias].name, info.name, `${key}.${side}.${alias}`);
          assert.equal(g[side][alias].dtype, info.dtype, `${key}.${side}.${alias}`);
          const dims = (s: Msg | undefined) => (s ? { unknown_rank: Boolean(s.unknown_rank), dim: (s.dim ?? []).map((d: Msg) => String(d.size)) } : undefined);
          assert.deepEqual(dims(g[side][alias].tensor_shape ?? undefined), dims(info.tensor_shape), `${key}.${side}.${alias} shape`);
        }
      }
    }
  });
});
