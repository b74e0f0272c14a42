/**
 * examples/sentiment end to end, reduced: train the text classifier with TensorFlow.js, export it, serve it with
 * `inferd serve`, and check that `{"instances": [[token ids…]]}` answers what the in-process model answers.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as tf from '@tensorflow/tfjs';
import { saveToDirectory } from '../../src/runtimes/tfjs/model-files.ts';
import { pad, tokenize } from '../../examples/sentiment/src/data.ts';
import { predictInProcess, train } from '../../examples/sentiment/src/model.ts';
import { classifySentences } from '../../examples/sentiment/src/predict.ts';
import { postJson, type RunningServer, startServer } from '../support/serve.ts';

const SENTENCES = ['what a wonderful film', 'the plot was boring and the acting awful', 'a very fun story', 'so dull', 'unknown words here'];

describe('examples/sentiment', () => {
  let root: string;
  let model: tf.LayersModel;
  let server: RunningServer;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'inferd-sentiment-'));
    ({ model } = await train({ epochs: 8, examples: 200 }));
    await mkdir(join(root, 'sentiment', '1'), { recursive: true });
    await model.save(saveToDirectory(join(root, 'sentiment', '1')));
    server = await startServer(['--model_name=sentiment', `--model_base_path=${join(root, 'sentiment')}`], { grpc: false });
  });
  after(async () => {
    model?.dispose();
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('served probabilities equal the in-process model (rows padded to the longest sentence)', async () => {
    const ids = SENTENCES.map(tokenize);
    const length = Math.max(...ids.map((r) => r.length));
    const want = predictInProcess(model, ids.map((r) => pad(r, length)));
    const got = await classifySentences(server.restUrl, SENTENCES);
    want.forEach((p, i) => assert.ok(Math.abs((got[i] ?? NaN) - p) < 1e-6, `${SENTENCES[i]}: ${got[i]} vs ${p}`));
  });

  it('metadata shows the Keras tutorial names with a variable-length input', async () => {
    const res = await fetch(`${server.restUrl}/v1/models/sentiment/metadata`);
    const sig = ((await res.json()) as { metadata: { signature_def: { signature_def: Record<string, { inputs: Record<string, { tensor_shape: { dim: { size: string }[] } }>; outputs: Record<string, unknown> }> } } })
      .metadata.signature_def.signature_def['serving_default'];
    assert.deepEqual(sig?.inputs['embedding_input']?.tensor_shape.dim.map((d) => d.size), ['-1', '-1']);
    assert.deepEqual(Object.keys(sig?.outputs ?? {}), ['dense_1']);
  });

  it('a request of another length answers too', async () => {
    const row = tokenize('great great great');
    const { status, body } = await postJson(`${server.restUrl}/v1/models/sentiment:predict`, { instances: [row] });
    assert.equal(status, 200);
    const p = (body as { predictions: number[][] }).predictions[0]?.[0];
    assert.ok(Math.abs((p ?? NaN) - (predictInProcess(model, [row])[0] ?? NaN)) < 1e-6);
  });
});
