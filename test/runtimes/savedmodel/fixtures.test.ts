// The SavedModel runtime against TensorFlow Serving's own test SavedModels (shared/fixtures/tensorflow-serving),
// in-thread (workers: 0) plus one worker-pool load. Skips when the fixtures are absent.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import { encodeExample, type Example } from '../../../src/core/example.ts';
import { tfNameOfNumber, tfName } from '../../../src/core/dtype.ts';
import { InferdError } from '../../../src/core/errors.ts';
import type { Signature, TensorSpec } from '../../../src/core/signature.ts';
import type { Tensor } from '../../../src/core/tensor.ts';

const FIXTURES = path.resolve(fileURLToPath(import.meta.url), '../../../../../shared/fixtures/tensorflow-serving');
const skip = fs.existsSync(FIXTURES) ? false : `fixtures not found at ${FIXTURES}`;

const f32 = (shape: number[], values: number[]): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(values) });
const examples = (...xs: Example[]): Tensor => ({ dtype: 'string', shape: [xs.length], data: xs.map(encodeExample) });
const ex = (features: Record<string, number>): Example =>
  new Map(Object.entries(features).map(([k, v]) => [k, { kind: 'float' as const, values: [v] }]));
const values = (t: Tensor | undefined): number[] => Array.from(t?.data as Float32Array);

/** TensorSpec printed as TensorFlow Serving's JSON TensorInfo (what the metadata endpoint shows). */
function tensorInfoJson(s: TensorSpec): unknown {
  const out: Record<string, unknown> = { dtype: s.tfDataType !== undefined ? tfNameOfNumber(s.tfDataType) : tfName(s.dtype), name: s.name };
  if (s.shape !== undefined) {
    out['tensor_shape'] = s.shape === null
      ? { dim: [], unknown_rank: true }
      : { dim: s.shape.map((d) => ({ size: String(d), name: '' })), unknown_rank: false };
  }
  return out;
}
function signatureJson(sig: Signature): unknown {
  const map = (m: Readonly<Record<string, TensorSpec>>): unknown => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, tensorInfoJson(v)]));
  return { inputs: map(sig.inputs), outputs: map(sig.outputs), method_name: sig.methodName };
}
function stripDefaults(sigs: Record<string, Record<string, unknown>>): unknown {
  return Object.fromEntries(Object.entries(sigs).map(([k, v]) => {
    const { defaults: _d, ...rest } = v;
    return [k, rest];
  }));
}

describe('SavedModel runtime on TF Serving fixtures', { skip }, () => {
  let rt: SavedModelRuntime;
  before(async () => {
    rt = await SavedModelRuntime.create({ workers: 0 });
  });
  after(async () => {
    await rt?.close();
  });
  const load = (rel: string) => rt.load({ modelName: 'm', version: 1, path: path.join(FIXTURES, rel) });

  it('detects SavedModel directories', async () => {
    assert.equal(await rt.detect(path.join(FIXTURES, 'saved_model_half_plus_two_cpu/00000123')), true);
    assert.equal(await rt.detect(path.join(FIXTURES, 'bad_half_plus_two/00000123')), false);
  });

  for (const [rel, file] of [
    ['saved_model_half_plus_two_cpu/00000123', 'half_plus_two_model_metadata.json'],
    ['saved_model_half_plus_two_2_versions/00000123', 'saved_model_half_plus_two_2_versions_metadata.json'],
    ['saved_model_half_plus_two_tf2_cpu/00000123', 'saved_model_half_plus_two_tf2_2_versions_metadata.json'],
  ] as const) {
    it(`metadata of ${rel} equals ${file}`, async () => {
      const m = await load(rel);
      const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')).metadata.signature_def.signature_def;
      const actual = Object.fromEntries(Object.entries(m.metadata.signatures).map(([k, s]) => [k, signatureJson(s)]));
      assert.deepEqual(actual, stripDefaults(expected));
      await m.close();
    });
  }

  it('half_plus_two predicts, classifies and regresses (TF1, ParseExample)', async () => {
    const m = await load('saved_model_half_plus_two_cpu/00000123');
    const p = await m.run({ signatureName: 'serving_default', inputs: { x: f32([3], [1, 2, 5]) } });
    assert.deepEqual(values(p['y']), [2.5, 3, 4.5]);
    const c = await m.run({ signatureName: 'classify_x_to_y', inputs: { inputs: examples(ex({ x: 20 })) } });
    assert.deepEqual(values(c['scores']), [12]);
    assert.deepEqual(c['scores']?.shape, [1, 1]);
    const r = await m.run({ signatureName: 'regress_x_to_y', inputs: { inputs: examples(ex({ x: 80 }), ex({ x: 2 })) } });
    assert.deepEqual(values(r['outputs']), [42, 3]);
    const r2 = await m.run({ signatureName: 'regress_x_to_y2', inputs: { inputs: examples(ex({ x: 2 })) } });
    assert.deepEqual(values(r2['outputs']), [4]);
    const r3 = await m.run({ signatureName: 'regress_x2_to_y3', inputs: { inputs: f32([], [2]) } });
    assert.deepEqual(values(r3['outputs']), [4]);
    assert.deepEqual(r3['outputs']?.shape, []);
    await assert.rejects(
      m.run({ signatureName: 'regress_x_to_y', inputs: { inputs: examples(ex({ x2: 1 })) } }),
      (e: unknown) => e instanceof InferdError && e.code === 'INVALID_ARGUMENT' && /x/.test(e.message),
    );
    await assert.rejects(
      m.run({ signatureName: 'serving_default', inputs: { x: { dtype: 'int64', shape: [1], data: new BigInt64Array([1n]) } } }),
      (e: unknown) => e instanceof InferdError && e.code === 'INVALID_ARGUMENT',
    );
    await m.close();
  });

  it('half_plus_three, matrix_half_plus_two (constants only) and the 2-versions model', async () => {
    const three = await load('saved_model_half_plus_three/00000123');
    assert.deepEqual(values((await three.run({ signatureName: 'serving_default', inputs: { x: f32([3], [1, 2, 5]) } }))['y']), [3.5, 4, 5.5]);
    assert.deepEqual(three.metadata.signatures['tensorflow/serving/regress']?.inputs['inputs'], { name: 'tf_example:0', dtype: 'float32' });
    await three.close();
    const matrix = await load('matrix_half_plus_two/1');
    const y = (await matrix.run({ signatureName: 'serving_default', inputs: { x: f32([1, 3, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9]) } }))['y'];
    assert.deepEqual(values(y), [2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5]);
    assert.deepEqual(y?.shape, [1, 3, 3]);
    await matrix.close();
    const v124 = await load('saved_model_half_plus_two_2_versions/00000124');
    assert.deepEqual(values((await v124.run({ signatureName: 'classify_x2_to_y3', inputs: { inputs: f32([1, 1], [2]) } }))['scores']), [4]);
    await v124.close();
  });

  it('TF2 half_plus_two runs through inlined StatefulPartitionedCall with a relaxed batch dimension', async () => {
    const m = await load('saved_model_half_plus_two_tf2_cpu/00000123');
    assert.deepEqual(values((await m.run({ signatureName: 'serving_default', inputs: { x: f32([3], [1, 2, 5]) } }))['y']), [2.5, 3, 4.5]);
    const c = await m.run({ signatureName: 'classify_x_to_y', inputs: { inputs: examples(ex({ x: 2 })) } });
    assert.deepEqual(values(c['scores']), [3]);
    const r = await m.run({ signatureName: 'regress_x_to_y2', inputs: { inputs: examples(ex({ x: 2 }), ex({ x: 80 })) } });
    assert.deepEqual(values(r['outputs']), [4, 43]);
    await assert.rejects(m.run({ signatureName: '__saved_model_init_op', inputs: {} }), (e: unknown) => e instanceof InferdError && e.code === 'UNIMPLEMENTED');
    await m.close();
  });

  it('saved_model_counter: get_counter reads 0, mutating signatures are UNIMPLEMENTED', async () => {
    const m = await load('saved_model_counter/00000123');
    assert.equal(m.metadata.signatures['get_counter']?.outputs['output']?.tfDataType, 101);
    const g = await m.run({ signatureName: 'get_counter', inputs: {} });
    assert.deepEqual(values(g['output']), [0]);
    await assert.rejects(m.run({ signatureName: 'incr_counter', inputs: {} }), (e: unknown) => e instanceof InferdError && e.code === 'UNIMPLEMENTED' && /AssignAdd/.test(e.message));
    await m.close();
  });

  it('bad_half_plus_two fails to load with TensorFlow\'s message', async () => {
    await assert.rejects(load('bad_half_plus_two/00000123'), (e: unknown) =>
      e instanceof InferdError && e.code === 'NOT_FOUND' && e.message.startsWith('Could not find SavedModel .pb or .pbtxt at supplied export directory path:'));
  });

  it('a worker pool serves concurrent requests and closes', async () => {
    const pooled = await SavedModelRuntime.create({ workers: 2 });
    try {
      const m = await pooled.load({ modelName: 'm', version: 1, path: path.join(FIXTURES, 'saved_model_half_plus_two_cpu/00000123') });
      const outs = await Promise.all(Array.from({ length: 8 }, (_, i) => m.run({ signatureName: 'serving_default', inputs: { x: f32([1], [i]) } })));
      assert.deepEqual(outs.map((o) => values(o['y'])[0]), Array.from({ length: 8 }, (_, i) => 0.5 * i + 2));
      await m.close();
      await assert.rejects(m.run({ signatureName: 'serving_default', inputs: { x: f32([1], [1]) } }), (e: unknown) => e instanceof InferdError && e.code === 'UNAVAILABLE');
    } finally {
      await pooled.close();
    }
  });
});
