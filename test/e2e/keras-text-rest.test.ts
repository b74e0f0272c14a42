// A Keras TextVectorization model (test/support/keras-text.ts) served by `inferd serve`: raw sentences in over REST
// (row and columnar forms) reach the string ops (StringLower, StaticRegexReplace, StringSplitV2, the vocabulary
// table, RaggedTensorToTensor) and answer the plain tokenizer's scores.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeKerasTextVectorization } from '../support/keras-text.ts';
import { postJson, startServer, type RunningServer } from '../support/serve.ts';

describe('Keras TextVectorization over REST', () => {
  let dir: string;
  let server: RunningServer | undefined;
  let base: string;
  let reference: (texts: string[]) => Float32Array;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-text-rest-'));
    reference = writeKerasTextVectorization(path.join(dir, 'text', '1'));
    server = await startServer(['--model_name=text', `--model_base_path=${path.join(dir, 'text')}`], { grpc: false });
    base = `${server.restUrl}/v1/models/text`;
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers sentences given as instances and as columnar inputs', async () => {
    const texts = ['What a GREAT movie!', 'the plot... was bad; the acting, not great', 'Ünïcode wörds + [UNK]', ''];
    const want = Array.from(reference(texts));
    const rows = await postJson(`${base}:predict`, { instances: texts.map((t) => [t]) });
    assert.equal(rows.status, 200, rows.text);
    const got = (rows.body as { predictions: number[][] }).predictions.map((p) => p[0] as number);
    got.forEach((v, i) => assert.ok(Math.abs(v - (want[i] as number)) < 1e-5, `row ${i}: ${v} vs ${want[i]}`));
    const cols = await postJson(`${base}:predict`, { inputs: { text: texts.map((t) => [t]) } });
    assert.equal(cols.status, 200, cols.text);
    assert.deepEqual((cols.body as { outputs: number[][] }).outputs.map((p) => p[0]), got);
  });
});
