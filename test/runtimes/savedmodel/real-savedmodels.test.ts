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
import { TAXI_FEATURES, taxiEstimator, taxiKind, taxiTransform, type TaxiRow } from '../../support/taxi-oracle.ts';

const FIXTURES = path.resolve(fileURLToPath(import.meta.url), '../../../../../shared/fixtures/real-savedmodels');
const skip = fs.existsSync(FIXTURES) ? false : `real SavedModel fixtures not found at ${FIXTURES}`;
const version = (name: string): string => path.join(FIXTURES, name, '1');
const f32 = (shape: number[], values: ArrayLike<number>): Tensor => ({ dtype: 'float32', shape, data: Float32Array.from(values) });

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
  /** A raw taxi row as a tf.Example (absent values are left out). */
  const taxiExample = (row: TaxiRow): Example => new Map<string, Feature>(Object.entries(row).filter(([, v]) => v !== undefined).map(([k, v]): [string, Feature] => {
    const kind = taxiKind(k);
    return [k, kind === 's' ? { kind: 'bytes', values: [Buffer.from(String(v))] } : kind === 'f' ? { kind: 'float', values: [v as number] } : { kind: 'int64', values: [BigInt(v as number)] }];
  }));

  it('tfx_taxi_estimator (TF 2.9 DNNLinearCombined Estimator over the embedded transform) equals TFX\'s documented model from its checkpoint', async () => {
    // Oracle: test/support/taxi-oracle.ts — the documented preprocessing_fn over this export's own analyzer
    // constants and vocabularies, then _build_estimator's columns and the checkpoint's DNN and linear weights.
    const dir = version('tfx_taxi_estimator');
    const reference = taxiEstimator(dir, 'transform_features_layer/StatefulPartitionedCall_6');
    const rows = [...taxiRows(41.8809928894043), {} as TaxiRow];
    const expected = rows.map(reference);
    const m = await load('tfx_taxi_estimator');
    const batch: Tensor = { dtype: 'string', shape: [rows.length], data: rows.map((r) => encodeExample(taxiExample(r))) };
    const p = await m.run({ signatureName: 'predict', inputs: { examples: batch } });
    assertClose(p['logits']?.data as Float32Array, expected.map((e) => e.logit), 1e-4);
    assertClose(p['logistic']?.data as Float32Array, expected.map((e) => e.logistic), 1e-5);
    assert.deepEqual((p['classes']?.data as Uint8Array[]).map((b) => Buffer.from(b).toString()), expected.map((e) => (e.logistic > 0.5 ? '1' : '0')));
    assert.deepEqual(Array.from(p['class_ids']?.data as BigInt64Array), expected.map((e) => (e.logistic > 0.5 ? 1n : 0n)));
    const c = await m.run({ signatureName: 'serving_default', inputs: { inputs: batch } });
    assertClose(c['scores']?.data as Float32Array, expected.flatMap((e) => [1 - e.logistic, e.logistic]), 1e-5);
    const r = await m.run({ signatureName: 'regression', inputs: { inputs: batch } });
    assertClose(r['outputs']?.data as Float32Array, expected.map((e) => e.logistic), 1e-5);
    await m.close();
  });

  /** Three raw rows: exact quantile boundaries, OOV strings, missing values, an out-of-range month. */
  const taxiRows = (onBoundary: number): TaxiRow[] => [
    { company: 'Flash Cab', payment_type: 'Cash', fare: 12.5, tips: 3, trip_miles: 2, trip_seconds: 600, pickup_latitude: onBoundary, pickup_longitude: -87.63, dropoff_latitude: 41.9, dropoff_longitude: -87.7, trip_start_hour: 14, trip_start_day: 3, trip_start_month: 5, pickup_census_tract: 81700, pickup_community_area: 8, dropoff_community_area: 32, trip_start_timestamp: 1400000000 },
    { company: 'Nonexistent Cab Co', payment_type: 'Bitcoin', fare: 40, tips: 0, trip_seconds: 1800, pickup_latitude: 42.5, pickup_longitude: -87.5, dropoff_latitude: 41.7, dropoff_longitude: -87.61886596679688, trip_start_hour: 2, trip_start_day: 7, trip_start_month: 12, dropoff_census_tract: 839100, pickup_community_area: 32, trip_start_timestamp: 1400003600 },
    { payment_type: 'Credit Card', tips: 1, trip_miles: 7.25, pickup_latitude: 41.0, dropoff_latitude: onBoundary, dropoff_longitude: -87.64, trip_start_day: 1, pickup_census_tract: 0, dropoff_census_tract: 0, dropoff_community_area: 6 },
  ];

  it('tfx_taxi_transform (TF 2.5 tf.Transform graph) equals TFX\'s documented preprocessing_fn over its analyzer outputs', async () => {
    // Oracle: test/support/taxi-oracle.ts (plain JS, the fixture's analyzer constants and vocabulary assets).
    const dir = version('tfx_taxi_transform');
    const transform = taxiTransform(dir, 'StatefulPartitionedCall_4');
    const rows = taxiRows(41.8809928894043);
    const inputs: Record<string, Tensor> = {};
    const name = (i: number): string => (i === 0 ? 'inputs' : `inputs_${i}`);
    TAXI_FEATURES.forEach((f, k) => {
      const present = rows.map((row, r) => [row[f], r] as const).filter(([v]) => v !== undefined);
      inputs[name(k * 3)] = { dtype: 'int64', shape: [present.length, 2], data: BigInt64Array.from(present.flatMap(([, r]) => [BigInt(r), 0n])) };
      inputs[name(k * 3 + 2)] = { dtype: 'int64', shape: [2], data: BigInt64Array.from([BigInt(rows.length), 1n]) };
      inputs[name(k * 3 + 1)] = taxiKind(f) === 's' ? { dtype: 'string', shape: [present.length], data: present.map(([v]) => Buffer.from(String(v))) }
        : taxiKind(f) === 'f' ? f32([present.length], present.map(([v]) => v as number)) : { dtype: 'int64', shape: [present.length], data: BigInt64Array.from(present.map(([v]) => BigInt(v as number))) };
    });
    const expected = rows.map(transform);
    const m = await load('tfx_taxi_transform');
    const out = await m.run({ signatureName: 'serving_default', inputs });
    assert.deepEqual(Object.keys(out).sort(), Object.keys(expected[0] as object).sort());
    for (const k of Object.keys(out)) {
      const got = out[k] as Tensor;
      const values = Array.from(got.data as ArrayLike<number | bigint>, Number);
      const want = expected.map((e) => e[k] as number);
      if (got.dtype === 'float32') assertClose(values, want, 1e-5);
      else assert.deepEqual(values, want, k);
    }
    // Real census tract ids (17031081700) exceed int32: refused with a clear error, not wrapped (tfjs has no int64).
    const tract = TAXI_FEATURES.indexOf('pickup_census_tract');
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
