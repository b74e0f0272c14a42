/**
 * Ops of Estimator feature columns that tfjs-converter lacks, as inferd custom ops (registered per thread by
 * GraphRunner.create), with TensorFlow's kernel semantics:
 * - Bucketize (bucketized_column): bucket = number of `boundaries` ≤ value (std::upper_bound), int32, same shape;
 * - SparseCross (crossed_column via sparse_cross_hashed, and sparse_cross): the cartesian product of each row's
 *   features across the sparse inputs, then the dense inputs, last input varying fastest. Hashed output
 *   (`hashed_output`): h = hash_key, then h = FingerprintCat64(h, f) for each feature f (Fingerprint64 of a string,
 *   an int64 as is), reduced modulo `num_buckets` (or int64 max when 0). Otherwise the features joined with "_X_"
 *   (SparseCrossV2: with its `sep` input). Outputs indices [n, 2], values, dense shape [batch, widest row];
 * - SparseSegmentSqrtN(WithNumSegments) (embedding_column combiner "sqrtn"): segment sums divided by √(count).
 * tfjs has no int64: hashed ids must fit int32 (num_buckets ≤ 2^31), else INVALID_ARGUMENT.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode, OpExecutor } from '@tensorflow/tfjs-converter';
import { InferdError } from '../../core/errors.ts';
import { int64Attr } from './raw-attrs.ts';
import { stringBytes } from './tfjs-tensors.ts';

const MASK64 = (1n << 64n) - 1n;
const K_MUL = 0xc6a4a7935bd1e995n;
const INT64_MAX = (1n << 63n) - 1n;
const utf8 = new TextEncoder();

const shiftMix = (v: bigint): bigint => v ^ (v >> 47n);

/** TensorFlow's FingerprintCat64 (tensorflow/core/platform/fingerprint.h) on unsigned 64-bit values. */
export function fingerprintCat64(fp1: bigint, fp2: bigint): bigint {
  let r = fp1 ^ K_MUL;
  r ^= (shiftMix((fp2 * K_MUL) & MASK64) * K_MUL) & MASK64;
  r = (r * K_MUL) & MASK64;
  r = (shiftMix(r) * K_MUL) & MASK64;
  return shiftMix(r);
}

/** Farmhash Fingerprint64 of bytes (TensorFlow's Fingerprint64; tfjs-core's port), unsigned. */
export function fingerprint64(bytes: Uint8Array): bigint {
  const h = tf.util.fingerPrint64(bytes) as unknown as { high: number; low: number };
  return ((BigInt(h.high >>> 0) << 32n) | BigInt(h.low >>> 0)) & MASK64;
}

function bucketize(node: GraphNode): tf.Tensor {
  const x = node.inputs[0] as tf.Tensor;
  const boundaries = (node.attrs['boundaries'] as number[] | undefined) ?? [];
  for (let i = 1; i < boundaries.length; i++) {
    if ((boundaries[i] as number) < (boundaries[i - 1] as number)) throw InferdError.invalidArgument('Expected sorted boundaries');
  }
  const v = x.dataSync();
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    let lo = 0;
    let hi = boundaries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((boundaries[mid] as number) <= (v[i] as number)) lo = mid + 1;
      else hi = mid;
    }
    out[i] = lo;
  }
  return tf.tensor(out, x.shape, 'int32');
}

/** One input column of a cross: the features of row `b`. */
type Column = (b: number) => (bigint | Uint8Array)[];

function sparseColumn(indices: tf.Tensor, values: tf.Tensor, batch: number): Column {
  const idx = indices.dataSync() as Int32Array;
  const rows: (bigint | Uint8Array)[][] = Array.from({ length: batch }, () => []);
  const vals: (bigint | Uint8Array)[] = values.dtype === 'string' ? stringBytes(values) : Array.from(values.dataSync() as Int32Array, (v) => BigInt(v));
  const n = indices.shape[0] ?? 0;
  for (let i = 0; i < n; i++) {
    const r = idx[i * 2] as number;
    if (r < 0 || r >= batch) throw InferdError.invalidArgument(`SparseCross: row index ${r} is outside the batch of ${batch}`);
    (rows[r] as (bigint | Uint8Array)[]).push(vals[i] as bigint | Uint8Array);
  }
  return (b) => rows[b] as (bigint | Uint8Array)[];
}

function denseColumn(t: tf.Tensor): Column {
  if (t.rank !== 2) throw InferdError.invalidArgument('Dense inputs should be a matrix');
  const width = t.shape[1] as number;
  const vals: (bigint | Uint8Array)[] = t.dtype === 'string' ? stringBytes(t) : Array.from(t.dataSync() as Int32Array, (v) => BigInt(v));
  return (b) => vals.slice(b * width, (b + 1) * width);
}

const asText = (f: bigint | Uint8Array): string => (typeof f === 'bigint' ? f.toString() : Buffer.from(f).toString('utf8'));
const asHash = (f: bigint | Uint8Array): bigint => (typeof f === 'bigint' ? BigInt.asUintN(64, f) : fingerprint64(f));

/** The shared body of SparseCross and SparseCrossV2: `hash` null gives string crosses joined by `sep`. */
function cross(node: GraphNode, nSparse: number, nDense: number, hash: { key: bigint; buckets: bigint } | null, sep: string): tf.Tensor[] {
  const ins = node.inputs as tf.Tensor[];
  const indices = ins.slice(0, nSparse);
  const values = ins.slice(nSparse, 2 * nSparse);
  const shapes = ins.slice(2 * nSparse, 3 * nSparse);
  const dense = ins.slice(3 * nSparse, 3 * nSparse + nDense);
  const batch = shapes.length > 0 ? ((shapes[0] as tf.Tensor).dataSync()[0] as number) : ((dense[0]?.shape[0] ?? 0) as number);
  for (const s of shapes) if (s.dataSync()[0] !== batch) throw InferdError.invalidArgument(`Expected batch size ${batch} got ${s.dataSync()[0]}`);
  for (const d of dense) if (d.shape[0] !== batch) throw InferdError.invalidArgument(`Expected batch size ${batch} got ${d.shape[0]}`);
  const columns: Column[] = [
    ...indices.map((ix, i) => sparseColumn(ix, values[i] as tf.Tensor, batch)),
    ...dense.map(denseColumn),
  ];
  const outIdx: number[] = [];
  const outHash: number[] = [];
  const outText: Uint8Array[] = [];
  let widest = 0;
  for (let b = 0; b < batch; b++) {
    const feats = columns.map((c) => c(b));
    if (feats.length === 0 || feats.some((f) => f.length === 0)) continue;
    const perm = new Array<number>(feats.length).fill(0);
    let count = 0;
    for (;;) {
      const chosen = perm.map((p, i) => (feats[i] as (bigint | Uint8Array)[])[p] as bigint | Uint8Array);
      outIdx.push(b, count);
      if (hash) {
        let h = hash.key;
        for (const f of chosen) h = fingerprintCat64(h, asHash(f));
        const v = h % (hash.buckets > 0n ? hash.buckets : INT64_MAX);
        if (v > 0x7fffffffn) throw InferdError.invalidArgument('SparseCross: hashed ids beyond int32 are not supported (set num_buckets)');
        outHash.push(Number(v));
      } else outText.push(utf8.encode(chosen.map(asText).join(sep)));
      count++;
      let i = perm.length - 1;
      for (; i >= 0; i--) {
        perm[i] = (perm[i] as number) + 1;
        if (perm[i] === (feats[i] as unknown[]).length) perm[i] = 0;
        else break;
      }
      if (i < 0) break;
    }
    widest = Math.max(widest, count);
  }
  const n = outIdx.length / 2;
  return [
    tf.tensor2d(Int32Array.from(outIdx), [n, 2], 'int32'),
    hash ? tf.tensor1d(Int32Array.from(outHash), 'int32') : tf.tensor1d(outText as unknown as string[], 'string'),
    tf.tensor1d([batch, widest], 'int32'),
  ];
}

function sparseCross(node: GraphNode): tf.Tensor[] {
  const nSparse = Number(node.attrs['N'] ?? 0);
  const nDense = ((node.attrs['dense_types'] as unknown[] | undefined) ?? []).length;
  const hashed = node.attrs['hashed_output'] === true;
  const buckets = BigInt(Number(node.attrs['num_buckets'] ?? 0));
  return cross(node, nSparse, nDense, hashed ? { key: int64Attr(node, 'hash_key'), buckets } : null, '_X_');
}

function sparseCrossV2(node: GraphNode): tf.Tensor[] {
  const nSparse = Number(node.attrs['N'] ?? 0);
  const nDense = ((node.attrs['dense_types'] as unknown[] | undefined) ?? []).length;
  const sep = stringBytes(node.inputs[3 * nSparse + nDense] as tf.Tensor)[0] ?? new Uint8Array(0);
  return cross(node, nSparse, nDense, null, Buffer.from(sep).toString('utf8'));
}

function sparseSegmentSqrtN(node: GraphNode, withNum: boolean): tf.Tensor {
  const [data, indices, segments, num] = node.inputs as tf.Tensor[];
  if (!data || !indices || !segments) throw InferdError.invalidArgument('SparseSegmentSqrtN: missing inputs');
  const idx = indices.dataSync() as Int32Array;
  const seg = segments.dataSync() as Int32Array;
  if (idx.length !== seg.length) throw InferdError.invalidArgument('segment_ids and indices should have same size');
  const rows = withNum && num ? (num.dataSync()[0] as number) : seg.length > 0 ? (seg[seg.length - 1] as number) + 1 : 0;
  const inner = data.shape.slice(1).reduce((a, b) => a * b, 1);
  const src = data.dataSync() as Float32Array;
  const sums = new Float32Array(rows * inner);
  const counts = new Float32Array(rows);
  for (let i = 0; i < idx.length; i++) {
    const s = seg[i] as number;
    const r = idx[i] as number;
    if (s < 0 || s >= rows) throw InferdError.invalidArgument(`segment id ${s} out of range [0, ${rows})`);
    if (r < 0 || r >= (data.shape[0] as number)) throw InferdError.invalidArgument(`Bad: indices[${i}] == ${r} out of range [0, ${data.shape[0]})`);
    if (i > 0 && s < (seg[i - 1] as number)) throw InferdError.invalidArgument('segment ids are not increasing');
    counts[s] = (counts[s] as number) + 1;
    for (let k = 0; k < inner; k++) sums[s * inner + k] = (sums[s * inner + k] as number) + (src[r * inner + k] as number);
  }
  for (let s = 0; s < rows; s++) {
    const c = counts[s] as number;
    if (c > 0) for (let k = 0; k < inner; k++) sums[s * inner + k] = (sums[s * inner + k] as number) / Math.sqrt(c);
  }
  return tf.tensor(sums, [rows, ...data.shape.slice(1)], 'float32');
}

/** Bucketize, SparseCross, SparseCrossV2 and SparseSegmentSqrtN(WithNumSegments), by op name: graph-runner.ts registers them with tfjs-converter. */
export const FEATURE_COLUMN_OPS: Readonly<Record<string, OpExecutor>> = {
  Bucketize: bucketize,
  SparseCross: sparseCross,
  SparseCrossV2: sparseCrossV2,
  SparseSegmentSqrtN: (node) => sparseSegmentSqrtN(node, false),
  SparseSegmentSqrtNWithNumSegments: (node) => sparseSegmentSqrtN(node, true),
};
