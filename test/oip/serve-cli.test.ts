// `inferd serve` speaks the Open Inference Protocol on both ports as a user starts it: GET /v2 with the package's
// version and extensions, a binary-extension inference over a real socket, inference.GRPCInferenceService listed by
// reflection beside TensorFlow Serving's services, and the repository RPCs when --enable_model_management is on.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_ROOT } from '../../src/api/grpc/protos.ts';
import { halfPlusTwo } from '../support/models.ts';
import { REPO_ROOT, startServer, type RunningServer } from '../support/serve.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = Record<string, any>;

describe('inferd serve: Open Inference Protocol on the REST and gRPC ports', () => {
  let dir: string;
  let server: RunningServer;
  let version: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-oip-cli-'));
    await halfPlusTwo(path.join(dir, 'half', '3'), ['batch', 1]);
    server = await startServer(['--model_name=half', `--model_base_path=${path.join(dir, 'half')}`, '--enable_model_management']);
    version = (JSON.parse(await readFile(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('GET /v2 and a binary inference over HTTP', async () => {
    const md = await (await fetch(`${server.restUrl}/v2`)).json();
    assert.deepEqual(md, { name: 'inferd', version, extensions: ['binary_tensor_data', 'model_repository'] });
    const header = JSON.stringify({ inputs: [{ name: 'x', shape: [2, 1], datatype: 'FP32', parameters: { binary_data_size: 8 } }], parameters: { binary_data_output: true } });
    const x = Buffer.alloc(8);
    x.writeFloatLE(2, 0);
    x.writeFloatLE(6, 4);
    const res = await fetch(`${server.restUrl}/v2/models/half/versions/3/infer`, {
      method: 'POST', body: Buffer.concat([Buffer.from(header), x]),
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.length) },
    });
    assert.equal(res.status, 200);
    const n = Number(res.headers.get('inference-header-content-length'));
    const body = Buffer.from(await res.arrayBuffer());
    assert.deepEqual(JSON.parse(body.subarray(0, n).toString()).outputs, [{ name: 'y', datatype: 'FP32', shape: [2, 1], parameters: { binary_data_size: 8 } }]);
    assert.deepEqual([body.readFloatLE(n), body.readFloatLE(n + 4)], [3, 5]);
  });

  it('reflection lists inference.GRPCInferenceService; repository RPCs answer with management on', async () => {
    const reflectionDef = protoLoader.loadSync('grpc/reflection/v1/reflection.proto', {
      includeDirs: [path.join(path.dirname(import.meta.resolve('@grpc/reflection').replace('file://', '')), '..', 'proto')], keepCase: true,
    });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const Reflection = (grpc.loadPackageDefinition(reflectionDef) as any).grpc.reflection.v1.ServerReflection;
    const reflection = new Reflection(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure()) as grpc.Client;
    const stream = (reflection as unknown as Record<string, () => grpc.ClientDuplexStream<Msg, Msg>>).ServerReflectionInfo!();
    const answer = new Promise<Msg>((resolve, reject) => {
      stream.once('data', resolve);
      stream.once('error', reject);
    });
    stream.write({ list_services: '' });
    const names = (await answer).list_services_response.service.map((s: Msg) => s.name) as string[];
    stream.end();
    reflection.close();
    assert.ok(names.includes('inference.GRPCInferenceService'), names.join(','));
    assert.ok(names.includes('tensorflow.serving.PredictionService'));

    const def = protoLoader.loadSync('inference/grpc_service.proto', { includeDirs: [PROTO_ROOT], keepCase: true, defaults: true });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const Service = (grpc.loadPackageDefinition(def) as any).inference.GRPCInferenceService as typeof grpc.Client;
    const client = new Service(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
    const call = (name: string, req: Msg) => new Promise<Msg>((resolve, reject) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (client as any)[name](req, (err: Error | null, res: Msg) => (err ? reject(err) : resolve(res)));
    });
    try {
      assert.deepEqual((await call('ServerMetadata', {})).extensions, ['binary_tensor_data', 'model_repository']);
      assert.deepEqual((await call('RepositoryIndex', { ready: true })).models, [{ name: 'half', version: '3', state: 'READY', reason: '' }]);
      await call('RepositoryModelUnload', { model_name: 'half' });
      assert.deepEqual((await call('ModelReady', { name: 'half' })).ready, false);
      await call('RepositoryModelLoad', { model_name: 'half' });
      assert.deepEqual((await call('ModelReady', { name: 'half' })).ready, true);
    } finally {
      client.close();
    }
  });
});
