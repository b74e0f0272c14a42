/**
 * Batching end to end: `inferd serve --enable_batching` with a parameters file, real ONNX models, concurrent REST
 * clients. Batched answers must equal what the model computes for each request alone (checked against a plain-JS
 * oracle), and bad parameters must stop startup with TensorFlow Serving's message.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { mlp, mlpReference, twoInTwoOut } from '../support/models.ts';
import { mlpSavedModel } from '../support/savedmodel-models.ts';
import { postJson, runInferd, startServer, type RunningServer } from '../support/serve.ts';

const MLP = { inputSize: 8, hidden: [16], outputs: 3 };

describe('inferd serve --enable_batching', () => {
  let dir: string;
  let server: RunningServer;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-batch-'));
    await mlp(path.join(dir, 'mlp', '1'), MLP);
    await twoInTwoOut(path.join(dir, 'pair', '1'));
    await mlpSavedModel(path.join(dir, 'mlp_tf', '1'), MLP);
    await writeFile(path.join(dir, 'batching.txt'), 'max_batch_size { value: 16 }\nbatch_timeout_micros { value: 2000 }\nmax_enqueued_batches { value: 100 }\nnum_batch_threads { value: 1 }\nallowed_batch_sizes: 4\nallowed_batch_sizes: 16\n');
    await writeFile(
      path.join(dir, 'models.config'),
      `model_config_list {\n  config { name: "mlp" base_path: "${path.join(dir, 'mlp')}" model_platform: "onnx" }\n  config { name: "pair" base_path: "${path.join(dir, 'pair')}" }\n  config { name: "mlp_tf" base_path: "${path.join(dir, 'mlp_tf')}" }\n}\n`,
    );
    server = await startServer([`--model_config_file=${path.join(dir, 'models.config')}`, '--enable_batching', `--batching_parameters_file=${path.join(dir, 'batching.txt')}`], { grpc: false });
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  for (const model of ['mlp', 'mlp_tf']) {
  it(`answers concurrent requests exactly as the model computes each one alone (${model === 'mlp' ? 'ONNX' : 'SavedModel'})`, async () => {
    const requests = Array.from({ length: 64 }, (_, i) => {
      const rows = 1 + (i % 3);
      const x = Float32Array.from({ length: rows * MLP.inputSize }, (_, k) => Math.fround(Math.sin(i * 31 + k)));
      return { rows, x };
    });
    const answers = await Promise.all(requests.map(({ rows, x }) => {
      const instances = Array.from({ length: rows }, (_, r) => Array.from(x.subarray(r * MLP.inputSize, (r + 1) * MLP.inputSize)));
      return postJson(`${server.restUrl}/v1/models/${model}:predict`, { instances });
    }));
    answers.forEach((res, i) => {
      assert.equal(res.status, 200, res.text);
      const req = requests[i]!;
      const expected = mlpReference(MLP, req.x, req.rows);
      const got = (res.body as { predictions: number[][] }).predictions.flat();
      assert.equal(got.length, expected.length);
      got.forEach((v, k) => assert.ok(Math.abs(v - expected[k]!) < 1e-4, `request ${i} value ${k}: ${v} vs ${expected[k]}`));
    });
  });
  }

  it('keeps multi-input requests and models apart', async () => {
    const calls = Array.from({ length: 20 }, (_, i) =>
      postJson(`${server.restUrl}/v1/models/pair:predict`, { inputs: { a: [[i, 1]], b: [[2, i]] } }).then((r) => ({ i, r })));
    for (const { i, r } of await Promise.all(calls)) {
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.body, { outputs: { sum: [[i + 2, 1 + i]], product: [[2 * i, i]] } });
    }
  });
});

describe('batching parameters validation at startup', () => {
  it('exits with the allowed_batch_sizes message', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-batchbad-'));
    try {
      await twoInTwoOut(path.join(dir, 'm', '1'));
      const file = path.join(dir, 'b.txt');
      await writeFile(file, 'max_batch_size { value: 8 }\nallowed_batch_sizes: 2\nallowed_batch_sizes: 4\n');
      const res = await runInferd(['serve', '--rest_api_port=0', '--port=0', `--model_base_path=${path.join(dir, 'm')}`, '--enable_batching', `--batching_parameters_file=${file}`]);
      assert.notEqual(res.code, 0);
      assert.match(res.stderr, /Last entry in allowed_batch_sizes must match max_batch_size; last entry was 4; expected 8/);
      const noFlag = await runInferd(['serve', '--rest_api_port=0', '--port=0', `--model_base_path=${path.join(dir, 'm')}`, `--batching_parameters_file=${file}`]);
      assert.notEqual(noFlag.code, 0);
      assert.match(noFlag.stderr, /requires --enable_batching/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
