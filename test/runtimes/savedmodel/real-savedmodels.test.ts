// The SavedModel runtime against SavedModels written by TensorFlow in public repositories
// (../shared/fixtures/real-savedmodels, see its README): each serves as the README says, with outputs compared to
// references computed independently of the runtime (the model's own weights read from its bundle, plain loops).
// Skips when the fixtures are absent.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import { TensorBundle } from '../../../src/runtimes/savedmodel/bundle.ts';
import { InferdError } from '../../../src/core/errors.ts';
import type { Tensor } from '../../../src/core/tensor.ts';
import { dense, lstm } from '../../support/reference-nets.ts';
import { encodeExample, type Example, type Feature } from '../../../src/core/example.ts';
import { readSavedModel } from '../../../src/runtimes/savedmodel/reader.ts';
import { fingerprint64 } from '../../../src/runtimes/savedmodel/feature-column-ops.ts';

const FIXTURES = path.resolve(fileURLToPath(import.meta.url), '../../../../../shared/fixtures/real-savedmodels');
const skip = fs.existsSync(FIXTURES) ? false : `real SavedModel fixtures not found at ${FIXTURES}`;
const version = (name: string): string => path.join(FIXTURES, name, '1');
const f32 = (shape: number[], values: ArrayLike<number>): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(values) });

/**
 * The Const tensors a TF2 export passes into the serving call that produces signature output `output`, in capture
 * order (float scalars and matrices, decoded from float_val / tensor_content here, not by the runtime).
 */
function capturedConstants(dir: string, output: string): Tensor[] {
  const mg = readSavedModel(dir).metaGraphs[0] as unknown as {
    graphDef: { node: { name: string; op: string; input: string[]; attr: Record<string, { tensor?: { dtype: string; tensorShape?: { dim?: { size: string | number }[] }; floatVal?: number[]; tensorContent?: Uint8Array } }> }[] };
    signatureDef: Record<string, { outputs: Record<string, { name: string }> }>;
  };
  const byName = new Map(mg.graphDef.node.map((n) => [n.name, n]));
  const call = byName.get((mg.signatureDef['serving_default']?.outputs[output]?.name ?? '').split(':')[0] as string);
  const out: Tensor[] = [];
  for (const ref of call?.input ?? []) {
    const t = byName.get(ref.split(':')[0] as string)?.attr['value']?.tensor;
    if (!t || t.dtype !== 'DT_FLOAT') continue;
    const shape = (t.tensorShape?.dim ?? []).map((d) => Number(d.size));
    const data = t.tensorContent && t.tensorContent.length > 0
      ? new Float32Array(Uint8Array.from(t.tensorContent).buffer)
      : Float32Array.from(t.floatVal ?? []);
    out.push({ dtype: 'float32', shape, data });
  }
  return out;
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `element ${i}: ${a} vs ${e}`);
  }
}

describe('SavedModel runtime on real TensorFlow exports', { skip }, () => {
  let rt: SavedModelRuntime;
  before(async () => {
    rt = await SavedModelRuntime.create({ workers: 0 });
  });
  after(async () => {
    await rt?.close();
  });
  const load = (name: string) => rt.load({ modelName: name, version: 1, path: version(name) });

  it('stock_lstm (Keras 2.2, two stacked LSTMs in While loops with TensorList ops) equals a plain-loop LSTM', async () => {
    const bundle = TensorBundle.open(path.join(version('stock_lstm'), 'variables', 'variables'));
    const v = (k: string) => bundle.read(`${k}/.ATTRIBUTES/VARIABLE_VALUE`).data as Float32Array;
    const tv = (i: number) => v(`trainable_variables/${i}`);
    const n = 3;
    const x = Float32Array.from({ length: n * 60 }, (_, i) => 0.5 + 0.4 * Math.sin(i / 3));
    const h1 = lstm(x, n, 60, { kernel: tv(0), recurrent: tv(1), bias: tv(2) }, true);
    const h2 = lstm(h1, n, 60, { kernel: tv(3), recurrent: tv(4), bias: tv(5) }, false);
    const d1 = dense(h2, n, v('layer_with_weights-2/kernel'), v('layer_with_weights-2/bias'));
    const expected = dense(d1, n, v('layer_with_weights-3/kernel'), v('layer_with_weights-3/bias'));
    const m = await load('stock_lstm');
    for (let round = 0; round < 2; round++) {
      const out = (await m.run({ signatureName: 'serving_default', inputs: { lstm_input: f32([n, 60, 1], x) } }))['dense_1'];
      assert.deepEqual(out?.shape, [n, 1]);
      assertClose(out?.data as Float32Array, expected);
    }
    await m.close();
  });

  it('stock_dense (Keras 2.2 Dense stack) equals plain loops over its weights', async () => {
    const bundle = TensorBundle.open(path.join(version('stock_dense'), 'variables', 'variables'));
    const keys = bundle.keys().filter((k) => /^layer_with_weights-\d+\/kernel\/.ATTRIBUTES\/VARIABLE_VALUE$/.test(k)).sort();
    const n = 2;
    let h: Float32Array = Float32Array.from({ length: n * 10 }, (_, i) => Math.cos(i));
    keys.forEach((k, l) => {
      const layer = k.split('/')[0] as string;
      h = dense(h, n, bundle.read(k).data as Float32Array, bundle.read(`${layer}/bias/.ATTRIBUTES/VARIABLE_VALUE`).data as Float32Array, l < keys.length - 1);
    });
    const m = await load('stock_dense');
    const out = (await m.run({ signatureName: 'serving_default', inputs: { dense_input: f32([n, 10], Float32Array.from({ length: n * 10 }, (_, i) => Math.cos(i))) } }))['dense_3'];
    assert.deepEqual(out?.shape, [n, 3]);
    assertClose(out?.data as Float32Array, h);
    await m.close();
  });

  it('rust_regression_tf2_train: the variable-updating train signature is UNIMPLEMENTED, the readers serve', async () => {
    const m = await load('rust_regression_tf2_train');
    await assert.rejects(
      m.run({ signatureName: 'train', inputs: { x: f32([2], [1, 2]), y: f32([2], [3, 5]) } }),
      (e: unknown) => e instanceof InferdError && e.code === 'UNIMPLEMENTED' && /modifies state/.test(e.message),
    );
    const w = (await m.run({ signatureName: 'w', inputs: {} }))['output'];
    assert.deepEqual(w?.shape, [1]);
    await m.close();
  });
  const taxiExample = (fare: number, payment: string, hour: bigint): Example => new Map<string, Feature>([
    ['company', { kind: 'bytes', values: [Buffer.from('Flash Cab')] }],
    ['payment_type', { kind: 'bytes', values: [Buffer.from(payment)] }],
    ['fare', { kind: 'float', values: [fare] }], ['trip_miles', { kind: 'float', values: [fare / 4] }],
    ['pickup_latitude', { kind: 'float', values: [41.9] }], ['pickup_longitude', { kind: 'float', values: [-87.6] }],
    ['dropoff_latitude', { kind: 'float', values: [41.88] }], ['dropoff_longitude', { kind: 'float', values: [-87.63] }],
    ['trip_seconds', { kind: 'int64', values: [600n] }], ['trip_start_hour', { kind: 'int64', values: [hour] }],
    ['trip_start_day', { kind: 'int64', values: [3n] }], ['trip_start_month', { kind: 'int64', values: [5n] }],
    ['pickup_community_area', { kind: 'int64', values: [8n] }], ['dropoff_community_area', { kind: 'int64', values: [32n] }],
    ['pickup_census_tract', { kind: 'int64', values: [0n] }], ['dropoff_census_tract', { kind: 'int64', values: [0n] }],
    ['trip_start_timestamp', { kind: 'int64', values: [1400000000n] }],
  ]);

  it('tfx_taxi_estimator (TF 2.9 DNNLinearCombined Estimator: ParseExampleV2, vocabularies, AsString) serves consistent heads', async () => {
    const m = await load('tfx_taxi_estimator');
    const rows = [taxiExample(12.5, 'Cash', 14n), taxiExample(40, 'Credit Card', 2n), new Map() as Example];
    const batch: Tensor = { dtype: 'string', shape: [rows.length], data: rows.map(encodeExample) };
    const p = await m.run({ signatureName: 'predict', inputs: { examples: batch } });
    const logits = p['logits']?.data as Float32Array;
    const logistic = p['logistic']?.data as Float32Array;
    const probs = p['probabilities']?.data as Float32Array;
    assert.deepEqual(p['probabilities']?.shape, [3, 2]);
    for (let r = 0; r < rows.length; r++) {
      assertClose([logistic[r] as number], [1 / (1 + Math.exp(-(logits[r] as number)))], 1e-5);
      assertClose([probs[2 * r] as number, probs[2 * r + 1] as number], [1 - (logistic[r] as number), logistic[r] as number], 1e-5);
      const cls = Buffer.from((p['classes']?.data as Uint8Array[])[r] as Uint8Array).toString();
      assert.equal(cls, (logistic[r] as number) > 0.5 ? '1' : '0', 'AsString of the class id');
      assert.equal((p['class_ids']?.data as BigInt64Array)[r], BigInt(cls));
    }
    assert.deepEqual((p['all_classes']?.data as Uint8Array[]).map((b) => Buffer.from(b).toString()), ['0', '1', '0', '1', '0', '1']);
    // Each row is computed independently of the batch, and the classify and regress signatures agree with predict.
    const alone = await m.run({ signatureName: 'predict', inputs: { examples: { dtype: 'string', shape: [1], data: [encodeExample(rows[1] as Example)] } } });
    assertClose(alone['logits']?.data as Float32Array, [logits[1] as number], 1e-5);
    const c = await m.run({ signatureName: 'serving_default', inputs: { inputs: batch } });
    assertClose(c['scores']?.data as Float32Array, probs, 1e-6);
    const r = await m.run({ signatureName: 'regression', inputs: { inputs: batch } });
    assertClose(r['outputs']?.data as Float32Array, logistic, 1e-6);
    await m.close();
  });

  it('tfx_taxi_transform (TF 2.5 tf.Transform graph) equals TFX\'s documented preprocessing_fn over its analyzer outputs', async () => {
    // The oracle is TFX's chicago-taxi preprocessing_fn (tfx/examples/chicago_taxi_pipeline/taxi_utils.py), written
    // here in plain JavaScript: _fill_in_missing ('' / 0 for an absent value), scale_to_z_score (x − mean) / √var for
    // trip_miles, fare, trip_seconds; compute_and_apply_vocabulary (line number in the vocabulary asset, else
    // vocab size + Fingerprint64 % 10 OOV buckets) for payment_type, company; tft.apply_buckets (the number of
    // boundaries ≤ x, its documented example) for the four coordinates; identity for the categorical ints; tips_xf =
    // isnan(fare) ? 0 : tips > fare · 0.1. The analyzer outputs (means, variances, quantile boundaries) are the
    // constants the graph captures, read from saved_model.pb in capture order; vocabularies are read from the asset
    // files. Nothing here runs through the runtime's graph execution.
    const dir = version('tfx_taxi_transform');
    const captured = capturedConstants(dir, 'fare_xf');
    const scalars = captured.filter((t) => t.shape.length === 0 && t.dtype === 'float32').map((t) => (t.data as Float32Array)[0] as number);
    const bounds = captured.filter((t) => t.shape.length === 2).map((t) => Array.from(t.data as Float32Array));
    assert.equal(scalars.length, 6, 'three (mean, variance) pairs');
    assert.equal(bounds.length, 4, 'four boundary lists');
    const z = { trip_miles: scalars.slice(0, 2), fare: scalars.slice(2, 4), trip_seconds: scalars.slice(4, 6) } as Record<string, number[]>;
    const boundaries = { pickup_latitude: bounds[0], pickup_longitude: bounds[1], dropoff_latitude: bounds[2], dropoff_longitude: bounds[3] } as Record<string, number[]>;
    const vocab = (file: string) => fs.readFileSync(path.join(dir, 'assets', file), 'utf8').split('\n').filter((l, i, all) => i < all.length - 1 || l !== '');
    const vocabularies: Record<string, string[]> = { payment_type: vocab('vocab_compute_and_apply_vocabulary_vocabulary'), company: vocab('vocab_compute_and_apply_vocabulary_1_vocabulary') };
    const FEATURES = ['company', 'dropoff_census_tract', 'dropoff_community_area', 'dropoff_latitude', 'dropoff_longitude', 'fare', 'payment_type', 'pickup_census_tract',
      'pickup_community_area', 'pickup_latitude', 'pickup_longitude', 'tips', 'trip_miles', 'trip_seconds', 'trip_start_day', 'trip_start_hour', 'trip_start_month', 'trip_start_timestamp'];
    const KIND: Record<string, 's' | 'i' | 'f'> = Object.fromEntries(FEATURES.map((f) => [f, ['company', 'payment_type'].includes(f) ? 's' : /latitude|longitude|fare|tips|miles/.test(f) ? 'f' : 'i']));
    // Three rows (undefined = the feature is absent): exact boundary values, OOV strings, missing values.
    const onBoundary = (boundaries['pickup_latitude'] as number[])[2] as number;
    const rows: Record<string, (string | number | undefined)[]> = {
      company: ['Flash Cab', 'Nonexistent Cab Co', undefined], payment_type: ['Cash', 'Bitcoin', 'Credit Card'],
      fare: [12.5, 40, undefined], tips: [3, 0, 1], trip_miles: [2, undefined, 7.25], trip_seconds: [600, 1800, undefined],
      pickup_latitude: [onBoundary, 42.5, 41.0], pickup_longitude: [-87.63, -87.5, undefined], dropoff_latitude: [41.9, 41.7, onBoundary], dropoff_longitude: [-87.7, -87.61886596679688, -87.64],
      trip_start_hour: [14, 2, undefined], trip_start_day: [3, 7, 1], trip_start_month: [5, 12, undefined], pickup_census_tract: [81700, undefined, 0],
      dropoff_census_tract: [undefined, 839100, 0], pickup_community_area: [8, 32, undefined], dropoff_community_area: [32, undefined, 6], trip_start_timestamp: [1400000000, 1400003600, undefined],
    };
    const inputs: Record<string, Tensor> = {};
    const name = (i: number): string => (i === 0 ? 'inputs' : `inputs_${i}`);
    FEATURES.forEach((f, k) => {
      const present = (rows[f] as (string | number | undefined)[]).map((v, r) => [v, r] as const).filter(([v]) => v !== undefined);
      inputs[name(k * 3)] = { dtype: 'int64', shape: [present.length, 2], data: BigInt64Array.from(present.flatMap(([, r]) => [BigInt(r), 0n])) };
      inputs[name(k * 3 + 2)] = { dtype: 'int64', shape: [2], data: BigInt64Array.from([3n, 1n]) };
      inputs[name(k * 3 + 1)] = KIND[f] === 's' ? { dtype: 'string', shape: [present.length], data: present.map(([v]) => Buffer.from(String(v))) }
        : KIND[f] === 'f' ? f32([present.length], present.map(([v]) => v as number)) : { dtype: 'int64', shape: [present.length], data: BigInt64Array.from(present.map(([v]) => BigInt(v as number))) };
    });
    const fill = (f: string, r: number): string | number => (rows[f] as (string | number | undefined)[])[r] ?? (KIND[f] === 's' ? '' : 0);
    const fr = Math.fround;
    const expected: Record<string, number[]> = {};
    for (let r = 0; r < 3; r++) {
      const put = (k: string, v: number) => (expected[k] ??= []).push(v);
      for (const f of ['trip_miles', 'fare', 'trip_seconds']) {
        const [mean, variance] = z[f] as [number, number];
        put(`${f}_xf`, (fr(fill(f, r) as number) - mean) / Math.sqrt(variance));
      }
      for (const f of ['payment_type', 'company']) {
        const words = vocabularies[f] as string[];
        const s = fill(f, r) as string;
        const i = words.indexOf(s);
        put(`${f}_xf`, i >= 0 ? i : words.length + Number(fingerprint64(Buffer.from(s)) % 10n));
      }
      for (const f of Object.keys(boundaries)) put(`${f}_xf`, (boundaries[f] as number[]).filter((b) => b <= fr(fill(f, r) as number)).length);
      for (const f of ['trip_start_hour', 'trip_start_day', 'trip_start_month', 'pickup_census_tract', 'dropoff_census_tract', 'pickup_community_area', 'dropoff_community_area']) put(`${f}_xf`, fill(f, r) as number);
      const fare = fr(fill('fare', r) as number);
      put('tips_xf', Number.isNaN(fare) ? 0 : fr(fill('tips', r) as number) > fr(fare * fr(0.1)) ? 1 : 0);
    }
    const m = await load('tfx_taxi_transform');
    const out = await m.run({ signatureName: 'serving_default', inputs });
    for (const [k, want] of Object.entries(expected)) {
      const got = out[k];
      assert.ok(got, `output ${k}`);
      const values = Array.from(got.data as ArrayLike<number | bigint>, Number);
      if (got.dtype === 'float32') assertClose(values, want, 1e-5);
      else assert.deepEqual(values, want, k);
    }
    assert.equal(Object.keys(out).length, Object.keys(expected).length);
    // Real census tract ids (17031081700) exceed int32: refused with a clear error, not wrapped (tfjs has no int64).
    const tract = FEATURES.indexOf('pickup_census_tract');
    const big = { ...inputs, [name(tract * 3 + 1)]: { dtype: 'int64', shape: [2], data: BigInt64Array.from([17031081700n, 0n]) } as Tensor };
    await assert.rejects(m.run({ signatureName: 'serving_default', inputs: big }), (e: unknown) => e instanceof InferdError && e.code === 'INVALID_ARGUMENT' && /does not fit int32/.test(e.message));
    await m.close();
  });

  it('the tfjs-node test SavedModels (TF 2.x tf.Module) answer as tfjs-node\'s saved_model_test expects', async () => {
    const run = async (name: string, inputs: Record<string, Tensor>, signatureName = 'serving_default') => {
      const m = await load(name);
      try {
        return await m.run({ signatureName, inputs });
      } finally {
        await m.close();
      }
    };
    const i32 = (values: number[], shape: number[] = []): Tensor => ({ dtype: 'int32', shape, data: Int32Array.from(values) });
    assert.deepEqual(Array.from((await run('tfjs_times_three_float', { x: f32([], [2]) }))['output_0']?.data as Float32Array), [6]);
    assert.deepEqual(Array.from((await run('tfjs_times_two_int', { x: i32([4]) }))['output_0']?.data as Int32Array), [8]);
    const u8 = await run('tfjs_uint8_multiply', { x: { dtype: 'uint8', shape: [1], data: Uint8Array.from([7]) } });
    assert.deepEqual([u8['output_0']?.dtype, Array.from(u8['output_0']?.data as Int32Array)], ['int32', [42]]);
    const i64 = await run('tfjs_int64_multiply', { x: { dtype: 'int64', shape: [2], data: new BigInt64Array([2n, 3n]) } });
    assert.deepEqual(Array.from(i64['output_0']?.data as BigInt64Array), [12n, 18n]);
    assert.deepEqual(Array.from((await run('tfjs_module_with_multiple_signatures', { x: f32([], [2]) }))['output_0']?.data as Float32Array), [6]);
    assert.deepEqual(Array.from((await run('tfjs_module_with_multiple_signatures', { x: f32([], [2]) }, 'timestwo'))['output_0']?.data as Float32Array), [4]);
    const multi = await run('tfjs_model_multi_output', { x: i32([3]), y: i32([5]) });
    assert.deepEqual([Array.from(multi['output_0']?.data as Int32Array), Array.from(multi['output_1']?.data as Int32Array)], [[6], [5]]);
    const single = await run('tfjs_model_single_input_multi_output', { x: i32([3]) });
    assert.deepEqual([Array.from(single['output_0']?.data as Int32Array), Array.from(single['output_1']?.data as Int32Array)], [[6], [3]]);
  });

  it('rust_regression_tf1 (TF 1.2.1) serves with the tag set {serve, train}: y_hat = w·x + b from its checkpoint', async () => {
    const rt2 = await SavedModelRuntime.create({ workers: 0, tags: ['serve', 'train'] });
    try {
      const m = await rt2.load({ modelName: 'r', version: 1, path: version('rust_regression_tf1') });
      const bundle = TensorBundle.open(path.join(version('rust_regression_tf1'), 'variables', 'variables'));
      const w = (bundle.read('w').data as Float32Array)[0] as number;
      const b = (bundle.read('b').data as Float32Array)[0] as number;
      const r = await m.run({ signatureName: 'tensorflow/serving/regress', inputs: { x: f32([3], [1, 2, -4]), y: f32([3], [0, 0, 0]) } });
      assertClose(r['out']?.data as Float32Array, [1, 2, -4].map((x) => w * x + b), 1e-6);
      await m.close();
    } finally {
      await rt2.close();
    }
  });
});
