/**
 * `inferd serve` on TF.js model folders, as a user would: a LayersModel (Dense classifier) over REST and gRPC
 * metadata, answers checked against plain-loop arithmetic on the model's own weights, and version 2 swapped in.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeDenseClassifier, writeHalfPlusTwoGraph } from '../support/tfjs-models.ts';
import { getJson, postJson, type RunningServer, startServer } from '../support/serve.ts';

/** softmax(relu(x·W1 + b1)·W2 + b2), in float64. */
function reference(x: number[], w: { w1: number[][]; b1: number[]; w2: number[][]; b2: number[] }): number[] {
  const hidden = w.b1.map((b, j) => Math.max(0, b + x.reduce((s, xi, i) => s + xi * (w.w1[i]?.[j] ?? 0), 0)));
  const logits = w.b2.map((b, k) => b + hidden.reduce((s, h, j) => s + h * (w.w2[j]?.[k] ?? 0), 0));
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp(l - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

describe('inferd serve: TF.js models', () => {
  let root: string;
  let server: RunningServer;
  let weights: Awaited<ReturnType<typeof writeDenseClassifier>>;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'inferd-tfjs-e2e-'));
    await mkdir(join(root, 'classifier', '1'), { recursive: true });
    weights = await writeDenseClassifier(join(root, 'classifier', '1'));
    await mkdir(join(root, 'half', '1'), { recursive: true });
    await writeHalfPlusTwoGraph(join(root, 'half', '1'));
    const config = join(root, 'models.config');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(config, `model_config_list {
  config { name: "classifier" base_path: "${join(root, 'classifier')}" model_platform: "tfjs" }
  config { name: "half" base_path: "${join(root, 'half')}" }
}`);
    server = await startServer([`--model_config_file=${config}`]);
  });
  after(async () => {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('metadata shows the LayersModel signature (layer names as aliases)', async () => {
    const { status, body } = await getJson(`${server.restUrl}/v1/models/classifier/metadata`);
    assert.equal(status, 200);
    const sig = (body as { metadata: { signature_def: { signature_def: Record<string, { inputs: Record<string, { dtype: string }>; outputs: Record<string, unknown> }> } } })
      .metadata.signature_def.signature_def['serving_default'];
    assert.ok(sig);
    assert.deepEqual(Object.keys(sig.inputs), ['x']);
    assert.equal(sig.inputs['x']?.dtype, 'DT_FLOAT');
    assert.deepEqual(Object.keys(sig.outputs), ['probs']);
  });

  it('predict (row and columnar) equals the plain-loop reference', async () => {
    const rows = [[1, 2, 3], [-1, 0.5, 2], [0, 0, 0]];
    const { status, body } = await postJson(`${server.restUrl}/v1/models/classifier:predict`, { instances: rows });
    assert.equal(status, 200, JSON.stringify(body));
    const predictions = (body as { predictions: number[][] }).predictions;
    rows.forEach((x, i) => {
      const want = reference(x, weights);
      want.forEach((v, k) => assert.ok(Math.abs((predictions[i]?.[k] ?? NaN) - v) < 1e-5, `row ${i} class ${k}: ${predictions[i]?.[k]} vs ${v}`));
    });
    const columnar = await postJson(`${server.restUrl}/v1/models/classifier:predict`, { inputs: { x: rows } });
    assert.equal(columnar.status, 200);
    assert.deepEqual((columnar.body as { outputs: number[][] }).outputs, predictions);
  });

  it('a GraphModel with a stored signature answers by its aliases', async () => {
    const { status, body } = await postJson(`${server.restUrl}/v1/models/half:predict`, { instances: [1, 2, 5] });
    assert.equal(status, 200);
    assert.deepEqual(body, { predictions: [2.5, 3, 4.5] });
  });

  it('a wrong shape is a 400 with a message, and the model keeps serving', async () => {
    const { status, body } = await postJson(`${server.restUrl}/v1/models/classifier:predict`, { instances: [[1, 2]] });
    assert.equal(status, 400);
    assert.match((body as { error: string }).error, /shape|expected/i);
    const again = await postJson(`${server.restUrl}/v1/models/classifier:predict`, { instances: [[1, 2, 3]] });
    assert.equal(again.status, 200);
  });
});
