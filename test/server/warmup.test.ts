// Model warmup (TensorFlow Serving's assets.extra/tf_serving_warmup_requests) on real runtimes: an ONNX model and a
// SavedModel that parses tf.Examples (ParseExample), with TFRecord files from the independent writer in
// test/support/tfrecord.ts. A counting decoration proves each record ran `iterations` times before AVAILABLE;
// failures (bad request, damaged file, unsupported or empty record, too many records) fail the load naming the
// file and record, while the previous version keeps serving.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { protoTypes } from '../../src/api/grpc/protos.ts';
import { predictionLogReplayer } from '../../src/api/grpc/warmup-replay.ts';
import type { LoadedModel, Runtime } from '../../src/core/runtime.ts';
import { OnnxRuntime } from '../../src/runtimes/onnx/index.ts';
import { SavedModelRuntime } from '../../src/runtimes/savedmodel/runtime.ts';
import { ModelServer } from '../../src/server/model-server.ts';
import { halfPlusTwo } from '../support/models.ts';
import { attr, constNode, strings, writeSavedModel } from '../support/savedmodel-builder.ts';
import { exampleInput, floatTensorProto, predictionLog, tfRecordFrame, writeWarmupFile } from '../support/tfrecord.ts';

const F = 'DT_FLOAT';

/** y = 0.5·x + 3 over tf.Examples with a float feature `x` (classify `scores`, regress `outputs`), and predict on x. */
function writeExampleModel(dir: string): void {
  writeSavedModel(dir, {
    nodes: [
      { name: 'tf_example', op: 'Placeholder', attr: { dtype: attr.type('DT_STRING'), shape: attr.shape([-1]) } },
      constNode('names', strings([0], [])),
      constNode('key_x', strings([], ['x'])),
      constNode('default_x', { dtype: 'float32', shape: [0], data: new Float32Array(0) }),
      {
        name: 'parse', op: 'ParseExample', input: ['tf_example', 'names', 'key_x', 'default_x'],
        attr: { Nsparse: attr.i(0), Ndense: attr.i(1), sparse_types: attr.types([]), Tdense: attr.types([F]), dense_shapes: attr.shapes([[1]]) },
      },
      { name: 'x', op: 'Placeholder', attr: { dtype: attr.type(F), shape: attr.shape(null) } },
      constNode('half', { dtype: 'float32', shape: [], data: Float32Array.of(0.5) }),
      constNode('three', { dtype: 'float32', shape: [], data: Float32Array.of(3) }),
      { name: 'mul', op: 'Mul', input: ['parse', 'half'], attr: { T: attr.type(F) } },
      { name: 'y', op: 'AddV2', input: ['mul', 'three'], attr: { T: attr.type(F) } },
      { name: 'xmul', op: 'Mul', input: ['x', 'half'], attr: { T: attr.type(F) } },
      { name: 'xy', op: 'AddV2', input: ['xmul', 'three'], attr: { T: attr.type(F) } },
    ],
    signatures: {
      serving_default: { inputs: { x: { name: 'x:0', dtype: F, shape: null } }, outputs: { y: { name: 'xy:0', dtype: F, shape: null } } },
      classify_x: {
        inputs: { inputs: { name: 'tf_example:0', dtype: 'DT_STRING', shape: [-1] } }, outputs: { scores: { name: 'y:0', dtype: F, shape: [-1, 1] } },
        methodName: 'tensorflow/serving/classify',
      },
      regress_x: {
        inputs: { inputs: { name: 'tf_example:0', dtype: 'DT_STRING', shape: [-1] } }, outputs: { outputs: { name: 'y:0', dtype: F, shape: [-1, 1] } },
        methodName: 'tensorflow/serving/regress',
      },
    },
  });
}

describe('model warmup', () => {
  let dir: string;
  let runtimes: Runtime[];
  /** Runs per model name, counted by a decoration (so warmup runs are seen exactly as the batcher would see them). */
  const runs = new Map<string, number>();
  const warmups: { path: string; status: string }[] = [];
  const servers: ModelServer[] = [];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-warmup-'));
    runtimes = [await OnnxRuntime.create(), await SavedModelRuntime.create({ workers: 0 })];
  });
  after(async () => {
    for (const s of servers) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A server for one model at `base`, warmup on, no retries; resolves once its first versions settled. */
  async function serve(name: string, base: string, iterations = 1): Promise<ModelServer> {
    const server = await ModelServer.create({
      models: [{ name, basePath: base }],
      runtimes,
      pollWaitSeconds: 0,
      maxLoadRetries: 0,
      decorate: (model: LoadedModel, modelName: string): LoadedModel => ({
        ...model,
        metadata: model.metadata,
        run: (request) => {
          runs.set(modelName, (runs.get(modelName) ?? 0) + 1);
          return model.run(request);
        },
        close: () => model.close(),
      }),
      warmup: { replay: predictionLogReplayer(protoTypes()), iterations, onWarmup: (p, status) => warmups.push({ path: p, status }) },
    });
    servers.push(server);
    await server.whenSettled();
    return server;
  }

  const predictX = (values: number[], signature?: string) => predictionLog('predict_log', {
    model_spec: { name: 'whatever', ...(signature ? { signature_name: signature } : {}) }, inputs: { x: floatTensorProto(values, [values.length]) },
  });

  it('replays predict records on an ONNX model `iterations` times before it is AVAILABLE', async () => {
    const base = path.join(dir, 'onnx');
    await halfPlusTwo(path.join(base, '1'));
    writeWarmupFile(path.join(base, '1'), [predictX([1, 2]), predictX([3])]);
    const server = await serve('onnx', base, 3);
    assert.equal(server.status('onnx')[0]?.state, 'AVAILABLE');
    assert.equal(runs.get('onnx'), 6, '2 records × 3 iterations');
    assert.deepEqual(warmups.filter((w) => w.path === path.join(base, '1')), [{ path: path.join(base, '1'), status: 'OK' }]);
    const answer = await server.predict({ spec: { name: 'onnx' }, decodeInputs: () => ({ x: { dtype: 'float32', shape: [1], data: Float32Array.of(4) } }) });
    assert.deepEqual([...(answer.outputs.y?.data as Float32Array)], [4]);
  });

  it('replays every record kind on a SavedModel (predict, classify, regress, multi_inference)', async () => {
    const base = path.join(dir, 'examples');
    writeExampleModel(path.join(base, '1'));
    const input = exampleInput('x', [2, 4]);
    writeWarmupFile(path.join(base, '1'), [
      predictX([2]),
      predictionLog('classify_log', { model_spec: { name: 'm', signature_name: 'classify_x' }, input }),
      predictionLog('regress_log', { model_spec: { signature_name: 'regress_x' }, input }),
      predictionLog('multi_inference_log', {
        tasks: [
          { model_spec: { name: 'm', signature_name: 'classify_x' }, method_name: 'tensorflow/serving/classify' },
          { model_spec: { name: 'm', signature_name: 'regress_x' }, method_name: 'tensorflow/serving/regress' },
        ],
        input,
      }),
    ]);
    const server = await serve('examples', base);
    assert.equal(server.status('examples')[0]?.state, 'AVAILABLE', String(server.status('examples')[0]?.error));
    assert.equal(runs.get('examples'), 5, 'predict 1 + classify 1 + regress 1 + multi_inference 2');
    const regress = await server.regress({ spec: { name: 'examples', signatureName: 'regress_x' }, examples: [new Map([['x', { kind: 'float', values: [2] }]])] });
    assert.deepEqual(regress.values, [4]);
  });

  /** Load `base` (version 1 plus whatever the test adds) and return version 1's END error. */
  async function failedLoad(name: string, records: readonly Uint8Array[] | Buffer): Promise<{ message: string; code: string }> {
    const base = path.join(dir, name);
    await halfPlusTwo(path.join(base, '1'));
    const file = writeWarmupFile(path.join(base, '1'), records);
    const server = await serve(name, base);
    const [status] = server.status(name);
    assert.equal(status?.state, 'END');
    assert.ok(status?.error, 'the failed version carries its error');
    assert.ok(status.error.message.includes(file), `names the file: ${status.error.message}`);
    await assert.rejects(server.predict({ spec: { name }, decodeInputs: () => ({}) }), /Servable not found/);
    return { message: status.error.message, code: status.error.code };
  }

  it('fails the load when a warmup request fails, naming the record', async () => {
    const bad = predictionLog('predict_log', { model_spec: { name: 'm' }, inputs: { nope: floatTensorProto([1], [1]) } });
    const { message, code } = await failedLoad('bad-request', [predictX([1]), bad]);
    assert.equal(code, 'INVALID_ARGUMENT');
    assert.match(message, /^Warmup request failed: record 1 of .*tf_serving_warmup_requests: .*nope/);
    assert.equal(warmups.at(-1)?.status, 'INVALID_ARGUMENT');
  });

  it('fails the load on a damaged file (DATA_LOSS) and on unsupported or empty records', async () => {
    const frames = Buffer.concat([tfRecordFrame(predictX([1])), tfRecordFrame(predictX([2]))]);
    frames.writeUInt8(frames.readUInt8(frames.length - 1) ^ 0xff, frames.length - 1);
    const damaged = await failedLoad('damaged', frames);
    assert.equal(damaged.code, 'DATA_LOSS');
    assert.match(damaged.message, /record 1: corrupted record at \d+\. Please verify your warmup data is in TFRecord format\.$/);
    const session = await failedLoad('session-run', [predictionLog('session_run_log', {})]);
    assert.equal(session.code, 'UNIMPLEMENTED');
    assert.match(session.message, /record 0 .*Unsupported log_type for warmup: session_run_log/);
    const empty = await failedLoad('empty-record', [new Uint8Array()]);
    assert.equal(empty.code, 'INVALID_ARGUMENT');
    assert.match(empty.message, /no log_type set/);
    const garbage = await failedLoad('garbage-record', [Uint8Array.of(0x32, 0x05, 0x01)]);
    assert.match(garbage.message, /Failed to parse warmup record/);
  });

  it('allows 1000 records and refuses the 1001st, as TensorFlow Serving', async () => {
    const record = predictX([1]);
    const { message } = await failedLoad('too-many', Array.from({ length: 1001 }, () => record));
    assert.match(message, /^Number of warmup records exceeds the maximum \(1000\) at .*tf_serving_warmup_requests$/);
  });

  it('keeps the previous version serving when the new version\'s warmup fails', async () => {
    const base = path.join(dir, 'rollout');
    await halfPlusTwo(path.join(base, '1'));
    const server = await serve('rollout', base);
    await halfPlusTwo(path.join(base, '2'));
    writeWarmupFile(path.join(base, '2'), [predictionLog('predict_log', { model_spec: { name: 'rollout' }, inputs: {} })]);
    await server.pollNow();
    await server.whenSettled();
    const states = server.status('rollout').map((s) => [s.version, s.state]);
    assert.deepEqual(states, [[2, 'END'], [1, 'AVAILABLE']]);
    const answer = await server.predict({ spec: { name: 'rollout' }, decodeInputs: () => ({ x: { dtype: 'float32', shape: [1], data: Float32Array.of(2) } }) });
    assert.equal(answer.served.version, 1);
  });
});
