/**
 * The TypeScript client against a real `inferd serve`: REST and gRPC give the same typed tensors (int64 exact over
 * gRPC, strings as bytes), errors keep the server's code and message, deadlines and retries behave, and
 * `inferd predict` prints the outputs.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GrpcClient, InferdError, RestClient, stringTensor, tensor } from '../../src/client/index.ts';
import { decodeString } from '../../src/core/tensor.ts';
import { addOne, halfPlusTwo, stringIdentity } from '../support/models.ts';
import { REPO_ROOT, type RunningServer, startServer } from '../support/serve.ts';

describe('TypeScript client', () => {
  let root: string;
  let server: RunningServer;
  let rest: RestClient;
  let grpc: GrpcClient;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'inferd-client-'));
    for (const [name, write] of [['half', halfPlusTwo], ['add', (d: string) => addOne(d, 'int64')], ['strings', stringIdentity]] as const) {
      await mkdir(join(root, name, '1'), { recursive: true });
      await write(join(root, name, '1'));
    }
    await writeFile(join(root, 'models.config'), `model_config_list {
${['half', 'add', 'strings'].map((n) => `  config { name: "${n}" base_path: "${join(root, n)}" }`).join('\n')}
}`);
    server = await startServer([`--model_config_file=${join(root, 'models.config')}`]);
    rest = new RestClient({ url: server.restUrl });
    grpc = new GrpcClient({ address: `127.0.0.1:${server.grpcPort}` });
  });
  after(async () => {
    await rest?.close();
    await grpc?.close();
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  for (const kind of ['rest', 'grpc'] as const) {
    const client = (): RestClient | GrpcClient => (kind === 'rest' ? rest : grpc);

    it(`${kind}: predict float32 answers a Float32Array of the right shape`, async () => {
      const { y } = await client().predict('half', { x: tensor('float32', [3], new Float32Array([1, 2, 5])) });
      assert.equal(y?.dtype, 'float32');
      assert.deepEqual(y?.shape, [3]);
      assert.deepEqual([...(y?.data as Float32Array)], [2.5, 3, 4.5]);
    });

    it(`${kind}: int64 in and out`, async () => {
      const x = BigInt64Array.from([1n, -5n, 2n ** 40n]);
      const { y } = await client().predict('add', { x: tensor('int64', [3], x) });
      assert.equal(y?.dtype, 'int64');
      assert.deepEqual([...(y?.data as BigInt64Array)], [2n, -4n, 2n ** 40n + 1n]);
    });

    it(`${kind}: strings round-trip as bytes`, async () => {
      const values = ['hello', 'wörld ✓', ''];
      const out = await client().predict('strings', { x: stringTensor([3], values) });
      const [first] = Object.values(out);
      assert.equal(first?.dtype, 'string');
      assert.deepEqual((first?.data as Uint8Array[]).map(decodeString), values);
    });

    it(`${kind}: metadata gives the signature with dtypes`, async () => {
      const meta = await client().metadata('half');
      assert.equal(meta.signatures['serving_default']?.inputs['x']?.dtype, 'float32');
    });

    it(`${kind}: an unknown model is NOT_FOUND with the server's message`, async () => {
      await assert.rejects(client().predict('nope', { x: tensor('float32', [1], new Float32Array(1)) }), (err) => {
        assert.ok(err instanceof InferdError);
        assert.equal(err.code, 'NOT_FOUND');
        assert.match(err.message, /nope/);
        return true;
      });
    });
  }

  it('rest: Open Inference Protocol infer answers typed tensors with their shapes', async () => {
    const { y } = await rest.infer('half', { x: tensor('float32', [3], new Float32Array([1, 2, 5])) }, { id: 'r1' });
    assert.equal(y?.dtype, 'float32');
    assert.deepEqual(y?.shape, [3]);
    assert.deepEqual([...(y?.data as Float32Array)], [2.5, 3, 4.5]);
    const added = await rest.infer('add', { x: tensor('int64', [2], BigInt64Array.from([7n, -1n])) }, { version: 1 });
    assert.deepEqual([...(added['y']?.data as BigInt64Array)], [8n, 0n]);
  });

  it('retries a call while the server answers 503, and gives up after `retries` with UNAVAILABLE', async () => {
    let hits = 0;
    let failFirst = 2;
    const flaky = http.createServer((_req, res) => {
      hits++;
      if (hits <= failFirst) {
        res.writeHead(503, { 'content-type': 'application/json' }).end('{"error": "draining"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"model_version_status": []}');
    });
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const { port } = flaky.address() as AddressInfo;
    const client = new RestClient({ url: `http://127.0.0.1:${port}`, retries: 2, retryDelayMs: 5 });
    try {
      assert.deepEqual(await client.status('m'), { model_version_status: [] });
      assert.equal(hits, 3, 'two 503 answers, then the third attempt succeeded');
      hits = 0;
      failFirst = 10;
      await assert.rejects(client.status('m'), (err) => err instanceof InferdError && err.code === 'UNAVAILABLE' && err.message === 'draining');
      assert.equal(hits, 3, 'one attempt and two retries');
    } finally {
      await client.close();
      await new Promise((resolve) => flaky.close(resolve));
    }
  });

  it('a deadline of 1 ms is DEADLINE_EXCEEDED (gRPC)', async () => {
    await assert.rejects(grpc.predict('half', { x: tensor('float32', [1], new Float32Array(1)) }, { timeoutMs: 1 }), (err) => {
      assert.ok(err instanceof InferdError);
      assert.equal(err.code, 'DEADLINE_EXCEEDED');
      return true;
    });
  });

  it('inferd predict prints the outputs over REST and gRPC', async () => {
    const input = join(root, 'input.json');
    await writeFile(input, JSON.stringify({ instances: [1, 2, 5] }));
    for (const target of [`--url=${server.restUrl}`, `--grpc=127.0.0.1:${server.grpcPort}`]) {
      const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'inferd.js'), 'predict', target, '--model=half', `--input=${input}`], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, err);
      assert.deepEqual(JSON.parse(out), { y: [2.5, 3, 4.5] });
    }
  });
});
