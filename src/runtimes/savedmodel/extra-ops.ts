/**
 * TensorFlow ops tfjs-converter does not map, as inferd custom ops (registered per thread by GraphRunner.create):
 * - AsString: numbers and bools → strings, with TensorFlow's printf-style attributes (precision, scientific,
 *   shortest, width, fill); used by Estimator heads (class ids → class names) and tf.Transform graphs;
 * - BoostedTreesBucketize: per feature, the bucket of each value = the first boundary ≥ value (the last bucket for
 *   values beyond every boundary, 0 when there are no boundaries), as TensorFlow's kernel;
 * - SparseToDense and Tile: string tensors are handled here (tfjs-backend-wasm's kernels abort on strings;
 *   Estimator feature columns densify string features and heads tile class names this way); numbers go to tfjs;
 * - Assert: INVALID_ARGUMENT `assertion failed: [...]` when the condition is false (it has no outputs; graphs reach
 *   it only through control edges, which inferd does not execute, so in practice it is accepted and skipped).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode, OpExecutor } from '@tensorflow/tfjs-converter';
import { InferdError } from '../../core/errors.ts';
import { stringBytes } from './tfjs-tensors.ts';

const utf8 = new TextEncoder();

/** C printf's %e exponent form (at least two exponent digits). */
function cExponent(s: string): string {
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}

function formatNumber(v: number, isFloat: boolean, attrs: Record<string, unknown>): string {
  const precision = Number(attrs['precision'] ?? -1);
  const scientific = attrs['scientific'] === true;
  const shortest = attrs['shortest'] === true;
  let s: string;
  if (!isFloat) s = String(Math.trunc(v));
  else if (Number.isNaN(v)) s = 'nan';
  else if (!Number.isFinite(v)) s = v > 0 ? 'inf' : '-inf';
  else if (shortest) {
    const p = precision < 0 ? 6 : Math.max(precision, 1);
    const e = Math.floor(Math.log10(Math.abs(v) || 1));
    s = e < -4 || e >= p ? cExponent(Number(v.toExponential(p - 1)).toExponential()) : String(Number(v.toPrecision(p)));
  } else if (scientific) s = cExponent(v.toExponential(precision < 0 ? 6 : precision));
  else s = v.toFixed(precision < 0 ? 6 : precision);
  const width = Number(attrs['width'] ?? -1);
  const fill = typeof attrs['fill'] === 'string' ? attrs['fill'] : '';
  if (width > s.length) {
    if (fill === '0' && /^-/.test(s)) s = `-${s.slice(1).padStart(width - 1, '0')}`;
    else s = s.padStart(width, fill === '0' ? '0' : ' ');
  }
  return s;
}

function asString(node: GraphNode): tf.Tensor {
  const x = node.inputs[0] as tf.Tensor;
  if (x.dtype === 'string') throw InferdError.invalidArgument('AsString: input is already a string tensor');
  const values = x.dataSync() as Float32Array | Int32Array | Uint8Array;
  const isFloat = x.dtype === 'float32';
  const out = Array.from(values, (v) => utf8.encode(x.dtype === 'bool' ? (v ? 'true' : 'false') : formatNumber(v, isFloat, node.attrs)));
  return tf.tensor(out, x.shape, 'string');
}

function bucketize(node: GraphNode): tf.Tensor[] {
  const n = Number(node.attrs['numFeatures'] ?? node.attrs['num_features'] ?? node.inputs.length / 2);
  const out: tf.Tensor[] = [];
  for (let f = 0; f < n; f++) {
    const values = (node.inputs[f] as tf.Tensor).dataSync() as Float32Array;
    const boundaries = (node.inputs[n + f] as tf.Tensor).dataSync() as Float32Array;
    const buckets = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      if (boundaries.length === 0) continue;
      let lo = 0;
      let hi = boundaries.length;
      const v = values[i] as number;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((boundaries[mid] as number) < v) lo = mid + 1;
        else hi = mid;
      }
      buckets[i] = Math.min(lo, boundaries.length - 1);
    }
    out.push(tf.tensor1d(buckets, 'int32'));
  }
  return out;
}

function sparseToDense(node: GraphNode): tf.Tensor {
  const [indices, shape, values, dflt] = node.inputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  const dims = Array.from(shape.dataSync());
  if (values.dtype !== 'string') return tf.sparseToDense(indices, values, dims, dflt as tf.Scalar);
  const total = dims.reduce((a, b) => a * b, 1);
  const fill = stringBytes(dflt)[0] ?? new Uint8Array(0);
  const out: Uint8Array[] = new Array<Uint8Array>(total).fill(fill);
  const vals = stringBytes(values);
  const idx = indices.dataSync() as Int32Array;
  const rank = dims.length;
  const n = indices.rank === 0 ? 1 : (indices.shape[0] as number);
  for (let i = 0; i < n; i++) {
    let flat = 0;
    for (let d = 0; d < rank; d++) {
      const k = rank === 0 ? 0 : (idx[i * (indices.rank > 1 ? rank : 1) + d] as number);
      if (k < 0 || k >= (dims[d] as number)) throw InferdError.invalidArgument(`indices[${i}] is out of bounds: index ${k} >= ${dims[d]}`);
      flat = flat * (dims[d] as number) + k;
    }
    out[flat] = (vals.length === 1 ? vals[0] : vals[i]) as Uint8Array;
  }
  return tf.tensor(out, dims, 'string');
}

function tile(node: GraphNode): tf.Tensor {
  const [x, multiples] = node.inputs as [tf.Tensor, tf.Tensor];
  const reps = Array.from(multiples.dataSync());
  if (x.dtype !== 'string') return tf.tile(x, reps);
  if (reps.length !== x.rank) throw InferdError.invalidArgument(`Expected multiples argument to be a vector of length ${x.rank} but got length ${reps.length}`);
  const src = stringBytes(x);
  const outShape = x.shape.map((d, i) => d * (reps[i] as number));
  const total = outShape.reduce((a, b) => a * b, 1);
  const out: Uint8Array[] = new Array<Uint8Array>(total);
  const coord = new Array<number>(x.rank).fill(0);
  for (let i = 0; i < total; i++) {
    let rem = i;
    for (let d = x.rank - 1; d >= 0; d--) {
      coord[d] = rem % (outShape[d] as number);
      rem = Math.floor(rem / (outShape[d] as number));
    }
    let flat = 0;
    for (let d = 0; d < x.rank; d++) flat = flat * (x.shape[d] as number) + ((coord[d] as number) % (x.shape[d] as number));
    out[i] = src[flat] as Uint8Array;
  }
  return tf.tensor(out, outShape, 'string');
}

function assertOp(node: GraphNode): tf.Tensor[] {
  const cond = node.inputs[0] as tf.Tensor;
  if ((cond.dataSync() as Uint8Array)[0]) return [];
  const summarize = Number(node.attrs['summarize'] ?? 3);
  const parts = node.inputs.slice(1).map((t) => {
    const vals = t.dtype === 'string' ? stringBytes(t).map((b) => Buffer.from(b).toString('utf8')) : Array.from(t.dataSync() as Float32Array);
    return `[${vals.slice(0, summarize).join(' ')}${vals.length > summarize ? '...' : ''}]`;
  });
  throw InferdError.invalidArgument(`assertion failed: ${parts.join(' ')}`);
}

/** AsString, BoostedTreesBucketize, Assert, SparseToDense and Tile, by op name: graph-runner.ts registers them with tfjs-converter. */
export const EXTRA_OPS: Readonly<Record<string, OpExecutor>> = {
  AsString: asString,
  BoostedTreesBucketize: bucketize,
  Assert: assertOp,
  SparseToDense: sparseToDense,
  Tile: tile,
};
