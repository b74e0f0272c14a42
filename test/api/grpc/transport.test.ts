// Transport behaviour of the gRPC server (NOT a runtime test): classify/regress/multi-inference encoding, deadlines
// and cancellation reaching the facade's AbortSignal, message truncation, health, reflection, reload and the
// unix socket — against the test-only FakeApi (y = 0.5x + 2 in plain JS).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { parseChannelArguments, startGrpcServer, type GrpcServer } from '../../../src/api/grpc/server.ts';
import type { ModelServerConfig } from '../../../src/server/config/model-server-config.ts';
import { connect, expectError, floatTensor, type Msg, type TestClients } from './client.ts';
import { FakeApi } from './fake-api.ts';

const example = (x: number): Msg => ({ features: { feature: { x: { float_list: { value: [x] } } } } });

let api: FakeApi;
let server: GrpcServer;
let c: TestClients;
let allAvailable = false;
let reloaded: ModelServerConfig | undefined;
let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-grpc-t-'));
  api = new FakeApi();
  server = await startGrpcServer(api, {
    host: '127.0.0.1', port: 0, enableHealthCheck: true, allModelsAvailable: () => allAvailable,
    socketPath: path.join(dir, 'grpc.sock'),
    reloadConfig: async (config) => {
      reloaded = config;
    },
  });
  c = connect(server.port);
});

after(async () => {
  c?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('Classify / Regress / MultiInference', () => {
  it('regresses Example x=2.0 to 3.0', async () => {
    const res = await c.prediction.Regress({ model_spec: { name: 'default' }, input: { example_list: { examples: [example(2)] } } });
    assert.deepEqual(res.result.regressions.map((r: Msg) => r.value), [3]);
    assert.equal(res.model_spec.signature_name, 'serving_default');
    assert.equal(res.model_spec.version.value, '123');
  });

  it('classifies with example_list_with_context (context reaches the facade)', async () => {
    const res = await c.prediction.Classify({
      model_spec: { name: 'default', signature_name: 'classify_x_to_y' },
      input: { example_list_with_context: { examples: [{ features: { feature: {} } }, example(4)], context: example(2) } },
    });
    assert.deepEqual(res.result.classifications.map((k: Msg) => k.classes.map((cl: Msg) => [cl.label, cl.score])), [[['', 3]], [['', 4]]]);
    assert.equal(res.model_spec.signature_name, 'classify_x_to_y');
  });

  it('rejects an empty Input', async () => {
    await expectError(c.prediction.Regress({ model_spec: { name: 'default' }, input: {} }), grpc.status.INVALID_ARGUMENT, 'Input is empty.');
    await expectError(c.prediction.Classify({ model_spec: { name: 'default' }, input: { example_list: { examples: [] } } }),
      grpc.status.INVALID_ARGUMENT, 'Input is empty.');
    await expectError(c.prediction.Classify({ input: { example_list: { examples: [example(1)] } } }), grpc.status.INVALID_ARGUMENT, 'Missing ModelSpec');
  });

  it('runs several tasks over the same examples', async () => {
    const res = await c.prediction.MultiInference({
      tasks: [
        { model_spec: { name: 'default', signature_name: 'classify_x_to_y' }, method_name: 'tensorflow/serving/classify' },
        { model_spec: { name: 'default', signature_name: 'regress_x_to_y' }, method_name: 'tensorflow/serving/regress' },
      ],
      input: { example_list: { examples: [example(2)] } },
    });
    assert.equal(res.results.length, 2);
    assert.equal(res.results[0].result, 'classification_result');
    assert.equal(res.results[0].classification_result.classifications[0].classes[0].score, 3);
    assert.equal(res.results[0].model_spec.signature_name, 'classify_x_to_y');
    assert.equal(res.results[1].regression_result.regressions[0].value, 3);
    assert.equal(res.results[1].model_spec.version.value, '123');
  });

  it('checks MultiInference tasks', async () => {
    const input = { example_list: { examples: [example(2)] } };
    const task = (name: string, sig: string, method = 'tensorflow/serving/regress'): Msg => ({ model_spec: { name, signature_name: sig }, method_name: method });
    await expectError(c.prediction.MultiInference({ tasks: [], input }), grpc.status.INVALID_ARGUMENT, 'Expected at least one task');
    await expectError(c.prediction.MultiInference({ tasks: [task('default', 'a'), task('other', 'b')], input }), grpc.status.INVALID_ARGUMENT,
      'All ModelSpecs in a MultiInferenceRequest must access the same model name.');
    await expectError(c.prediction.MultiInference({ tasks: [task('default', 'a'), task('default', 'a')], input }), grpc.status.INVALID_ARGUMENT,
      'Duplicate evaluation of signature: a');
    await expectError(c.prediction.MultiInference({ tasks: [task('default', 'a', 'tensorflow/serving/predict')], input }), grpc.status.UNIMPLEMENTED,
      'Unsupported signature method_name: tensorflow/serving/predict');
  });
});

describe('deadlines and cancellation', () => {
  it('answers DEADLINE_EXCEEDED and aborts the facade signal with DEADLINE_EXCEEDED', async () => {
    const before = api.aborts.length;
    await expectError(c.prediction.Predict({ model_spec: { name: 'slow' }, inputs: { x: floatTensor([1], [1]) } }, { deadlineMs: 150 }),
      grpc.status.DEADLINE_EXCEEDED);
    for (let i = 0; i < 50 && api.aborts.length === before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(api.aborts[before]?.code, 'DEADLINE_EXCEEDED');
  });

  it('aborts the facade signal with CANCELLED when the client cancels', async () => {
    const before = api.aborts.length;
    const call = (c.prediction.raw as unknown as Record<string, (req: Msg, cb: (err: grpc.ServiceError | null) => void) => grpc.ClientUnaryCall>)
      .Predict!({ model_spec: { name: 'slow' }, inputs: { x: floatTensor([1], [1]) } }, () => {});
    await new Promise((r) => setTimeout(r, 100));
    call.cancel();
    for (let i = 0; i < 50 && api.aborts.length === before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(api.aborts[before]?.code, 'CANCELLED');
  });
});

describe('errors', () => {
  it('truncates messages over 1024 characters', async () => {
    const err = await expectError(c.prediction.Predict({ model_spec: { name: 'long' }, inputs: {} }), grpc.status.INVALID_ARGUMENT);
    assert.equal(err.details, `${'e'.repeat(1024)}...TRUNCATED`);
  });
});

describe('health', () => {
  it('reports the services SERVING and "" per allModelsAvailable', async () => {
    assert.equal((await c.health.Check({ service: 'tensorflow.serving.PredictionService' })).status, 'SERVING');
    assert.equal((await c.health.Check({ service: 'tensorflow.serving.ModelService' })).status, 'SERVING');
    allAvailable = false;
    assert.equal((await c.health.Check({ service: '' })).status, 'NOT_SERVING');
    allAvailable = true;
    assert.equal((await c.health.Check({})).status, 'SERVING');
    await expectError(c.health.Check({ service: 'nope' }), grpc.status.NOT_FOUND);
  });

  it('streams the current status on Watch', async () => {
    const stream = (c.health.raw as unknown as Record<string, (req: Msg) => grpc.ClientReadableStream<Msg>>).Watch!({ service: 'tensorflow.serving.ModelService' });
    const first = await new Promise<Msg>((resolve, reject) => {
      stream.once('data', resolve);
      stream.once('error', reject);
    });
    assert.equal(first.status, 'SERVING');
    stream.cancel();
    stream.on('error', () => {}); // CANCELLED after cancel()
  });
});

describe('reflection', () => {
  it('lists the TensorFlow Serving services', async () => {
    const def = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', {
      includeDirs: [path.join(path.dirname(import.meta.resolve('@grpc/reflection').replace('file://', '')), '..', 'proto')],
      keepCase: true,
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const Reflection = (grpc.loadPackageDefinition(def) as any).grpc.reflection.v1.ServerReflection;
    const client = new Reflection(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()) as grpc.Client;
    const stream = (client as unknown as Record<string, () => grpc.ClientDuplexStream<Msg, Msg>>).ServerReflectionInfo!();
    const answer = new Promise<Msg>((resolve, reject) => {
      stream.once('data', resolve);
      stream.once('error', reject);
    });
    stream.write({ list_services: '' });
    const res = await answer;
    stream.end();
    client.close();
    const names = res.list_services_response.service.map((s: Msg) => s.name);
    assert.ok(names.includes('tensorflow.serving.PredictionService'), names.join(','));
    assert.ok(names.includes('tensorflow.serving.ModelService'));
  });
});

describe('ModelService.HandleReloadConfigRequest', () => {
  it('hands the decoded config to the reload callback', async () => {
    const res = await c.model.HandleReloadConfigRequest({
      config: {
        model_config_list: {
          config: [{
            name: 'm', base_path: '/abs/m', model_platform: 'onnx',
            model_version_policy: { specific: { versions: [1, 2] } }, version_labels: { stable: 1 },
          }],
        },
      },
    });
    assert.equal(res.status.error_code, 0);
    assert.deepEqual(reloaded?.models.map((m) => ({ ...m })), [{
      name: 'm', basePath: '/abs/m', platform: 'onnx', versionPolicy: { kind: 'specific', versions: [1, 2] }, versionLabels: { stable: 1 },
    }]);
  });
  it('rejects a custom_model_config', async () => {
    await expectError(c.model.HandleReloadConfigRequest({ config: { custom_model_config: { type_url: 'x', value: Buffer.alloc(0) } } }),
      grpc.status.INVALID_ARGUMENT,
      'ServerModelConfig type not supported by HandleReloadConfigRequest. Only ModelConfigList is currently supported');
  });
});

describe('listeners and options', () => {
  it('also serves on the unix socket', async () => {
    const u = connect(`unix:${path.join(dir, 'grpc.sock')}`);
    try {
      const res = await u.model.GetModelStatus({ model_spec: { name: 'default' } });
      assert.equal(res.model_version_status[0].version, '123');
    } finally {
      u.close();
    }
  });
  it('parses --grpc_channel_arguments', () => {
    assert.deepEqual(parseChannelArguments('grpc.max_concurrent_streams=10, grpc.primary_user_agent=x'),
      { 'grpc.max_concurrent_streams': 10, 'grpc.primary_user_agent': 'x' });
    assert.throws(() => parseChannelArguments('novalue'));
  });
});
