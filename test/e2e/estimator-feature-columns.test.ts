// An Estimator with feature columns (test/support/estimator-export.ts: ParseExampleV2, vocabulary lookup, hash
// bucket, bucketize, hashed cross, sparse embeddings, DNN + linear, binary head) served by `inferd serve` through
// :classify, :regress and :predict with tf.Example inputs, compared with a plain-JavaScript computation of the
// same columns from the raw feature values.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encodeMessage } from '../../src/runtimes/savedmodel/proto.ts';
import { referenceEstimator, writeEstimator, type EstimatorExample } from '../support/estimator-export.ts';
import { postJson, startServer, type RunningServer } from '../support/serve.ts';

const EXAMPLES: EstimatorExample[] = [
  { age: 33, city: ['paris'], occupation: ['doctor'] },
  { age: 61.5, city: ['tokyo', 'lima'], occupation: ['pilot', 'teacher'] },
  {},
  { age: 25, city: ['oslo'], occupation: ['engineer', 'engineer'] },
  { age: 18, occupation: ['doctor'] },
  { age: 47, city: ['paris', 'paris', 'cairo'], occupation: ['nurse'] },
];

/** TF Serving's JSON example form; floats keep a decimal point (a bare integer would be an int64 feature). */
function jsonExample(e: EstimatorExample): string {
  const parts: string[] = [];
  if (e.age !== undefined) parts.push(`"age": ${Number.isInteger(e.age) ? e.age.toFixed(1) : String(e.age)}`);
  if (e.city) parts.push(`"city": ${JSON.stringify(e.city)}`);
  if (e.occupation) parts.push(`"occupation": ${JSON.stringify(e.occupation)}`);
  return `{${parts.join(', ')}}`;
}

/** A serialized tf.Example. */
function serialized(e: EstimatorExample): string {
  const feature: Record<string, unknown> = {};
  if (e.age !== undefined) feature['age'] = { floatList: { value: [e.age] } };
  if (e.city) feature['city'] = { bytesList: { value: e.city.map((c) => Buffer.from(c)) } };
  if (e.occupation) feature['occupation'] = { bytesList: { value: e.occupation.map((c) => Buffer.from(c)) } };
  return Buffer.from(encodeMessage('tensorflow.Example', { features: { feature } })).toString('base64');
}

const close = (a: number, e: number, what: string): void => assert.ok(Math.abs(a - e) <= 1e-5, `${what}: ${a} vs ${e}`);

describe('Estimator with feature columns over tf.Example', () => {
  let dir: string;
  let server: RunningServer | undefined;
  let base: string;
  const expected = referenceEstimator(EXAMPLES);
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-estimator-'));
    writeEstimator(path.join(dir, 'est', '1'));
    server = await startServer(['--model_name=est', `--model_base_path=${path.join(dir, 'est')}`], { grpc: false });
    base = `${server.restUrl}/v1/models/est`;
  });
  after(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(':classify (serving_default) answers the class labels and probabilities', async () => {
    const res = await postJson(`${base}:classify`, `{"examples": [${EXAMPLES.map(jsonExample).join(', ')}]}`);
    assert.equal(res.status, 200, res.text);
    const results = (res.body as { results: [string, number][][] }).results;
    assert.equal(results.length, EXAMPLES.length);
    results.forEach((r, i) => {
      const p = (expected[i] as { logistic: number }).logistic;
      assert.deepEqual(r.map(([label]) => label), ['0', '1']);
      close(r[0]?.[1] as number, 1 - p, `example ${i} class 0`);
      close(r[1]?.[1] as number, p, `example ${i} class 1`);
    });
  });

  it(':regress (regression signature) answers the logistic; context features apply to every example', async () => {
    const res = await postJson(`${base}:regress`, `{"signature_name": "regression", "examples": [${EXAMPLES.map(jsonExample).join(', ')}]}`);
    assert.equal(res.status, 200, res.text);
    (res.body as { results: number[] }).results.forEach((v, i) => close(v, (expected[i] as { logistic: number }).logistic, `example ${i}`));
    const withContext = await postJson(`${base}:regress`, '{"signature_name": "regression", "context": {"city": ["lima"]}, "examples": [{"age": 52.0}, {"age": 20.0, "occupation": ["teacher"]}]}');
    assert.equal(withContext.status, 200, withContext.text);
    const want = referenceEstimator([{ age: 52, city: ['lima'] }, { age: 20, city: ['lima'], occupation: ['teacher'] }]);
    (withContext.body as { results: number[] }).results.forEach((v, i) => close(v, (want[i] as { logistic: number }).logistic, `context example ${i}`));
  });

  it(':predict (predict signature) on serialized examples answers logits, probabilities, class ids and classes', async () => {
    const res = await postJson(`${base}:predict`, { signature_name: 'predict', instances: EXAMPLES.map((e) => ({ b64: serialized(e) })) });
    assert.equal(res.status, 200, res.text);
    const predictions = (res.body as { predictions: { logits: number[]; logistic: number[]; probabilities: number[]; class_ids: number[]; classes: string[] }[] }).predictions;
    predictions.forEach((p, i) => {
      const e = expected[i] as { logit: number; logistic: number; classId: number };
      close(p.logits[0] as number, e.logit, `example ${i} logit`);
      close(p.probabilities[1] as number, e.logistic, `example ${i} probability`);
      assert.deepEqual([p.class_ids, p.classes], [[e.classId], [String(e.classId)]]);
    });
    const bad = await postJson(`${base}:predict`, { signature_name: 'predict', instances: [{ b64: Buffer.from('not a tf.Example').toString('base64') }] });
    assert.equal(bad.status, 400, bad.text);
    assert.match((bad.body as { error: string }).error, /parse example/i);
  });
});
