/**
 * Row arithmetic on tensors for the batcher: find a request's batch size, concatenate requests along dimension 0
 * (optionally zero-padding non-batch dimensions and appending padding rows), and slice rows back out.
 * Pure functions over core Tensors; every dtype, strings included (arrays of byte arrays).
 */
import { allocate, type Tensor, type TensorData } from '../tensor.ts';

type FixedData = Exclude<TensorData, Uint8Array[]>;

/** The common dimension 0 of every input, or undefined when any input is a scalar or they disagree (or none). */
export function batchRows(inputs: Readonly<Record<string, Tensor>>): number | undefined {
  let rows: number | undefined;
  for (const t of Object.values(inputs)) {
    const d0 = t.shape[0];
    if (d0 === undefined) return undefined;
    if (rows === undefined) rows = d0;
    else if (rows !== d0) return undefined;
  }
  return rows;
}

/** Copy `count` elements from `src[srcStart..]` to `dst[dstStart..]`; both hold the same dtype. */
function copyElements(dst: TensorData, dstStart: number, src: TensorData, srcStart: number, count: number): void {
  if (count <= 0) return;
  if (Array.isArray(dst)) {
    const s = src as Uint8Array[];
    for (let i = 0; i < count; i++) dst[dstStart + i] = s[srcStart + i] ?? new Uint8Array(0);
    return;
  }
  // Same concrete typed-array class on both sides (same dtype), so set() is well typed at run time.
  (dst as Float32Array).set((src as FixedData as Float32Array).subarray(srcStart, srcStart + count), dstStart);
}

function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Row-major strides of `dims`. */
function strides(dims: readonly number[]): number[] {
  const out = new Array<number>(dims.length).fill(1);
  for (let i = dims.length - 2; i >= 0; i--) out[i] = (out[i + 1] ?? 1) * (dims[i + 1] ?? 1);
  return out;
}

/**
 * Copy one row-major block of shape `srcDims` into a larger block of shape `dstDims` (same rank, each dimension ≤),
 * anchored at the origin; elements outside `srcDims` are left as they are (zero / empty string after allocate).
 */
function copyPadded(
  dst: TensorData, dstOff: number, dstDims: readonly number[],
  src: TensorData, srcOff: number, srcDims: readonly number[],
): void {
  const k = srcDims.length;
  if (k === 0) {
    copyElements(dst, dstOff, src, srcOff, 1);
    return;
  }
  const sStr = strides(srcDims);
  const dStr = strides(dstDims);
  const walk = (level: number, s: number, d: number): void => {
    const n = srcDims[level] ?? 0;
    if (level === k - 1) {
      copyElements(dst, d, src, s, n);
      return;
    }
    const ss = sStr[level] ?? 0;
    const ds = dStr[level] ?? 0;
    for (let i = 0; i < n; i++) walk(level + 1, s + i * ss, d + i * ds);
  };
  walk(0, srcOff, dstOff);
}

/**
 * Concatenate `parts` along dimension 0 into a tensor of `totalRows` rows. Every part has the same dtype and rank
 * (≥ 1). Non-batch dimensions become the maximum over parts; a part with smaller ones is zero-padded (empty
 * strings for `string`). Rows past the parts' sum (`totalRows` > sum) repeat the first row, so padding never feeds
 * the model values it has not seen. Returns fresh storage; the parts are not modified.
 */
export function concatRows(parts: readonly Tensor[], totalRows: number): Tensor {
  const first = parts[0];
  if (first === undefined) throw new Error('concatRows needs at least one part');
  const inner = first.shape.slice(1);
  for (const p of parts) {
    for (let i = 0; i < inner.length; i++) inner[i] = Math.max(inner[i] ?? 0, p.shape[i + 1] ?? 0);
  }
  const rowSize = product(inner);
  const data = allocate(first.dtype, totalRows * rowSize);
  let row = 0;
  for (const p of parts) {
    const rows = p.shape[0] ?? 0;
    const pInner = p.shape.slice(1);
    const pRowSize = product(pInner);
    if (pRowSize === rowSize && pInner.every((d, i) => d === inner[i])) {
      copyElements(data, row * rowSize, p.data, 0, rows * rowSize);
    } else {
      for (let r = 0; r < rows; r++) copyPadded(data, (row + r) * rowSize, inner, p.data, r * pRowSize, pInner);
    }
    row += rows;
  }
  for (let r = row; r < totalRows; r++) copyElements(data, r * rowSize, data, 0, rowSize);
  return { dtype: first.dtype, shape: [totalRows, ...inner], data };
}

/** Rows `[start, start + count)` of a tensor of rank ≥ 1, as a tensor with fresh storage. */
export function sliceRows(t: Tensor, start: number, count: number): Tensor {
  const rowSize = product(t.shape.slice(1));
  const a = start * rowSize;
  const b = a + count * rowSize;
  const data = (Array.isArray(t.data) ? t.data.slice(a, b) : (t.data as Float32Array).slice(a, b)) as TensorData;
  return { dtype: t.dtype, shape: [count, ...t.shape.slice(1)], data };
}

/** Concatenate same-shaped-but-for-dim-0 tensors (the outputs of one split request's chunks) in order. */
export function joinRows(parts: readonly Tensor[]): Tensor {
  let total = 0;
  for (const p of parts) total += p.shape[0] ?? 0;
  return concatRows(parts, total);
}
