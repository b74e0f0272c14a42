/**
 * An independent oracle for the TFX chicago-taxi SavedModels in ../shared/fixtures/real-savedmodels: TFX's
 * documented preprocessing_fn (tfx/examples/chicago_taxi_pipeline/taxi_utils.py) and the DNNLinearCombinedClassifier
 * that `_build_estimator` defines, written in plain JavaScript. Model parameters come from the fixture itself: the
 * analyzer outputs (means, variances, quantile boundaries) are the Consts the graph captures into the transform
 * call, decoded here from float_val / tensor_content in capture order; vocabularies are the asset files; estimator
 * weights come from the checkpoint (bundle reader). Nothing runs through the runtime's graph execution.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Tensor } from '../../src/core/tensor.ts';
import { readSavedModel } from '../../src/runtimes/savedmodel/reader.ts';
import { fingerprint64 } from '../../src/runtimes/savedmodel/feature-column-ops.ts';
import { TensorBundle } from '../../src/runtimes/savedmodel/bundle.ts';

/** Raw taxi features of one example (undefined or absent = missing). */
export type TaxiRow = Readonly<Record<string, string | number | undefined>>;

/** The raw features, in the sorted order the transform graph's inputs follow. */
export const TAXI_FEATURES = ['company', 'dropoff_census_tract', 'dropoff_community_area', 'dropoff_latitude', 'dropoff_longitude', 'fare', 'payment_type', 'pickup_census_tract',
  'pickup_community_area', 'pickup_latitude', 'pickup_longitude', 'tips', 'trip_miles', 'trip_seconds', 'trip_start_day', 'trip_start_hour', 'trip_start_month', 'trip_start_timestamp'] as const;

/** A raw feature's kind: string, int64 or float. */
export function taxiKind(feature: string): 's' | 'i' | 'f' {
  return ['company', 'payment_type'].includes(feature) ? 's' : /latitude|longitude|fare|tips|miles/.test(feature) ? 'f' : 'i';
}

/** The float Consts passed into top-level node `call` (a StatefulPartitionedCall), in input order. */
export function capturedConstants(dir: string, call: string): Tensor[] {
  const mg = readSavedModel(dir).metaGraphs[0] as unknown as {
    graphDef: { node: { name: string; input: string[]; attr: Record<string, { tensor?: { dtype: string; tensorShape?: { dim?: { size: string | number }[] }; floatVal?: number[]; tensorContent?: Uint8Array } }> }[] };
  };
  const byName = new Map(mg.graphDef.node.map((n) => [n.name, n]));
  const out: Tensor[] = [];
  for (const ref of byName.get(call)?.input ?? []) {
    const t = byName.get(ref.split(':')[0] as string)?.attr['value']?.tensor;
    if (!t || t.dtype !== 'DT_FLOAT') continue;
    const shape = (t.tensorShape?.dim ?? []).map((d) => Number(d.size));
    const data = t.tensorContent && t.tensorContent.length > 0 ? new Float32Array(Uint8Array.from(t.tensorContent).buffer) : Float32Array.from(t.floatVal ?? []);
    out.push({ dtype: 'float32', shape, data });
  }
  return out;
}

const fr = Math.fround;

/**
 * The preprocessing_fn of export `dir` whose transform is called by top-level node `call`: raw row → the `*_xf`
 * outputs. Z-scores (x − mean) / √var for trip_miles, fare, trip_seconds; vocabulary index (line in the asset)
 * or vocab size + Fingerprint64 % 10 for payment_type and company; the number of boundaries ≤ x for the four
 * coordinates (tft.apply_buckets' documented example); identity for the categorical ints; tips_xf. Missing values
 * are '' or 0 (_fill_in_missing).
 */
export function taxiTransform(dir: string, call: string): (row: TaxiRow) => Record<string, number> {
  const captured = capturedConstants(dir, call);
  const scalars = captured.filter((t) => t.shape.length === 0).map((t) => (t.data as Float32Array)[0] as number);
  const bounds = captured.filter((t) => t.shape.length === 2).map((t) => Array.from(t.data as Float32Array));
  if (scalars.length !== 6 || bounds.length !== 4) throw new Error(`unexpected analyzer constants: ${scalars.length} scalars, ${bounds.length} boundary lists`);
  const z: Record<string, number[]> = { trip_miles: scalars.slice(0, 2), fare: scalars.slice(2, 4), trip_seconds: scalars.slice(4, 6) };
  const boundaries: Record<string, number[]> = { pickup_latitude: bounds[0] as number[], pickup_longitude: bounds[1] as number[], dropoff_latitude: bounds[2] as number[], dropoff_longitude: bounds[3] as number[] };
  const vocab = (file: string): string[] => {
    const lines = fs.readFileSync(path.join(dir, 'assets', file), 'utf8').split('\n');
    return lines[lines.length - 1] === '' ? lines.slice(0, -1) : lines;
  };
  const vocabularies: Record<string, string[]> = { payment_type: vocab('vocab_compute_and_apply_vocabulary_vocabulary'), company: vocab('vocab_compute_and_apply_vocabulary_1_vocabulary') };
  return (row) => {
    const fill = (f: string): string | number => row[f] ?? (taxiKind(f) === 's' ? '' : 0);
    const out: Record<string, number> = {};
    for (const f of Object.keys(z)) {
      const [mean, variance] = z[f] as [number, number];
      out[`${f}_xf`] = (fr(fill(f) as number) - mean) / Math.sqrt(variance);
    }
    for (const f of Object.keys(vocabularies)) {
      const words = vocabularies[f] as string[];
      const s = fill(f) as string;
      const i = words.indexOf(s);
      out[`${f}_xf`] = i >= 0 ? i : words.length + Number(fingerprint64(Buffer.from(s)) % 10n);
    }
    for (const f of Object.keys(boundaries)) out[`${f}_xf`] = (boundaries[f] as number[]).filter((b) => b <= fr(fill(f) as number)).length;
    for (const f of ['trip_start_hour', 'trip_start_day', 'trip_start_month', 'pickup_census_tract', 'dropoff_census_tract', 'pickup_community_area', 'dropoff_community_area']) out[`${f}_xf`] = fill(f) as number;
    const fare = fr(fill('fare') as number);
    out['tips_xf'] = Number.isNaN(fare) ? 0 : fr(fill('tips') as number) > fr(fare * fr(0.1)) ? 1 : 0;
    return out;
  };
}

/**
 * The TFX taxi DNNLinearCombinedClassifier of export `dir` (its transform called by `call`): logit and logistic
 * per raw row. DNN: numeric columns fare_xf, trip_miles_xf, trip_seconds_xf (feature columns sort by name) through
 * the checkpoint's ReLU hidden layers and the logits layer. Linear: categorical_column_with_identity per
 * `linear/linear_model/<column>/weights` (an id outside [0, buckets) becomes default_value 0), summed with the bias.
 */
export function taxiEstimator(dir: string, call: string): (row: TaxiRow) => { logit: number; logistic: number } {
  const transform = taxiTransform(dir, call);
  const bundle = TensorBundle.open(path.join(dir, 'variables', 'variables'));
  const w = (key: string): Tensor => bundle.read(key);
  const hidden: { kernel: Tensor; bias: Tensor }[] = [];
  for (let i = 0; ; i++) {
    try {
      hidden.push({ kernel: w(`dnn/hiddenlayer_${i}/kernel`), bias: w(`dnn/hiddenlayer_${i}/bias`) });
    } catch {
      break;
    }
  }
  const logits = { kernel: w('dnn/logits/kernel'), bias: w('dnn/logits/bias') };
  const linearColumns = ['company_xf', 'dropoff_latitude_xf', 'dropoff_longitude_xf', 'payment_type_xf', 'pickup_latitude_xf', 'pickup_longitude_xf', 'trip_start_day_xf', 'trip_start_hour_xf', 'trip_start_month_xf']
    .map((c) => ({ column: c, weights: w(`linear/linear_model/${c}/weights`) }));
  const linearBias = (w('linear/linear_model/bias_weights').data as Float32Array)[0] as number;
  const layer = (x: number[], k: Tensor, b: Tensor, relu: boolean): number[] => {
    const [inSize, outSize] = k.shape as [number, number];
    return Array.from({ length: outSize }, (_, j) => {
      let s = (b.data as Float32Array)[j] as number;
      for (let i = 0; i < inSize; i++) s += (x[i] as number) * ((k.data as Float32Array)[i * outSize + j] as number);
      return relu ? Math.max(0, s) : s;
    });
  };
  return (row) => {
    const xf = transform(row);
    let x = ['fare_xf', 'trip_miles_xf', 'trip_seconds_xf'].map((k) => xf[k] as number);
    for (const h of hidden) x = layer(x, h.kernel, h.bias, true);
    const dnn = layer(x, logits.kernel, logits.bias, false)[0] as number;
    let linear = linearBias;
    for (const { column, weights } of linearColumns) {
      const id = xf[column] as number;
      linear += (weights.data as Float32Array)[id >= 0 && id < (weights.shape[0] as number) ? id : 0] as number;
    }
    const logit = dnn + linear;
    return { logit, logistic: 1 / (1 + Math.exp(-logit)) };
  };
}
