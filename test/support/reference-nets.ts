/**
 * Plain-loop reference implementations of Keras layers (no tfjs), the oracles that SavedModel tests compare the
 * runtime against: Dense, LSTM and GRU (Keras gate orders and TF2 defaults: sigmoid recurrent activation, tanh
 * activation; GRU with reset_after).
 */

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** y = x·W + b for a batch x [n, inSize], W [inSize, out] row-major. `relu` applies max(0, ·). */
export function dense(x: Float32Array, n: number, w: Float32Array, b: Float32Array, relu = false): Float32Array {
  const out = b.length;
  const inSize = w.length / out;
  const y = new Float32Array(n * out);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < out; j++) {
      let s = b[j] as number;
      for (let k = 0; k < inSize; k++) s += (x[r * inSize + k] as number) * (w[k * out + j] as number);
      y[r * out + j] = relu ? Math.max(0, s) : s;
    }
  }
  return y;
}

/** Weights of a Keras LSTM: kernel [in, 4u], recurrent kernel [u, 4u], bias [4u]; gates i, f, c, o. */
export interface LstmWeights {
  readonly kernel: Float32Array;
  readonly recurrent: Float32Array;
  readonly bias: Float32Array;
}

/**
 * Keras LSTM over x [n, steps, in]: returns the sequence [n, steps, u] when `sequences`, else the last h [n, u].
 */
export function lstm(x: Float32Array, n: number, steps: number, w: LstmWeights, sequences: boolean): Float32Array {
  const u = w.bias.length / 4;
  const inSize = w.kernel.length / (4 * u);
  const out = new Float32Array(sequences ? n * steps * u : n * u);
  for (let r = 0; r < n; r++) {
    const h = new Float64Array(u);
    const c = new Float64Array(u);
    for (let t = 0; t < steps; t++) {
      const z = new Float64Array(4 * u);
      for (let j = 0; j < 4 * u; j++) {
        let s = w.bias[j] as number;
        for (let k = 0; k < inSize; k++) s += (x[(r * steps + t) * inSize + k] as number) * (w.kernel[k * 4 * u + j] as number);
        for (let k = 0; k < u; k++) s += (h[k] as number) * (w.recurrent[k * 4 * u + j] as number);
        z[j] = s;
      }
      for (let j = 0; j < u; j++) {
        const i = sigmoid(z[j] as number);
        const f = sigmoid(z[u + j] as number);
        const g = Math.tanh(z[2 * u + j] as number);
        const o = sigmoid(z[3 * u + j] as number);
        c[j] = f * (c[j] as number) + i * g;
        h[j] = o * Math.tanh(c[j] as number);
      }
      if (sequences) out.set(h, (r * steps + t) * u);
    }
    if (!sequences) out.set(h, r * u);
  }
  return out;
}

/** Weights of a Keras GRU (reset_after=True): kernel [in, 3u], recurrent [u, 3u], bias [2, 3u]; gates z, r, h. */
export type GruWeights = LstmWeights;

/** Keras GRU (TF2 default reset_after=True) over x [n, steps, in]; last h [n, u] or the sequence. */
export function gru(x: Float32Array, n: number, steps: number, w: GruWeights, sequences: boolean): Float32Array {
  const u = w.bias.length / 6;
  const inSize = w.kernel.length / (3 * u);
  const out = new Float32Array(sequences ? n * steps * u : n * u);
  for (let r = 0; r < n; r++) {
    const h = new Float64Array(u);
    for (let t = 0; t < steps; t++) {
      const xz = new Float64Array(3 * u);
      const hz = new Float64Array(3 * u);
      for (let j = 0; j < 3 * u; j++) {
        let s = w.bias[j] as number;
        for (let k = 0; k < inSize; k++) s += (x[(r * steps + t) * inSize + k] as number) * (w.kernel[k * 3 * u + j] as number);
        xz[j] = s;
        let q = w.bias[3 * u + j] as number;
        for (let k = 0; k < u; k++) q += (h[k] as number) * (w.recurrent[k * 3 * u + j] as number);
        hz[j] = q;
      }
      const next = new Float64Array(u);
      for (let j = 0; j < u; j++) {
        const z = sigmoid((xz[j] as number) + (hz[j] as number));
        const rr = sigmoid((xz[u + j] as number) + (hz[u + j] as number));
        const hh = Math.tanh((xz[2 * u + j] as number) + rr * (hz[2 * u + j] as number));
        next[j] = z * (h[j] as number) + (1 - z) * hh;
      }
      h.set(next);
      if (sequences) out.set(h, (r * steps + t) * u);
    }
    if (!sequences) out.set(h, r * u);
  }
  return out;
}

/** An NHWC float tensor for the plain-loop references. */
export interface Nhwc {
  readonly n: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly data: Float32Array;
}

function padBefore(size: number, k: number, stride: number, same: boolean): { out: number; pad: number } {
  if (!same) return { out: Math.floor((size - k) / stride) + 1, pad: 0 };
  const out = Math.ceil(size / stride);
  return { out, pad: Math.floor(Math.max((out - 1) * stride + k - size, 0) / 2) };
}

/**
 * TensorFlow Conv2D (NHWC, filter [kh, kw, in, out]) or, with `depthwise`, DepthwiseConv2dNative (filter
 * [kh, kw, in, 1]); padding SAME or VALID as TensorFlow computes it.
 */
export function conv2d(x: Nhwc, filter: Float32Array, kh: number, kw: number, outC: number, stride: number, same: boolean, depthwise = false): Nhwc {
  const { out: oh, pad: pt } = padBefore(x.h, kh, stride, same);
  const { out: ow, pad: pl } = padBefore(x.w, kw, stride, same);
  const c = depthwise ? x.c : outC;
  const y = new Float32Array(x.n * oh * ow * c);
  for (let b = 0; b < x.n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let o = 0; o < c; o++) {
          let s = 0;
          for (let di = 0; di < kh; di++) {
            const yi = i * stride + di - pt;
            if (yi < 0 || yi >= x.h) continue;
            for (let dj = 0; dj < kw; dj++) {
              const xj = j * stride + dj - pl;
              if (xj < 0 || xj >= x.w) continue;
              const base = ((b * x.h + yi) * x.w + xj) * x.c;
              if (depthwise) s += (x.data[base + o] as number) * (filter[(di * kw + dj) * x.c + o] as number);
              else for (let k = 0; k < x.c; k++) s += (x.data[base + k] as number) * (filter[((di * kw + dj) * x.c + k) * outC + o] as number);
            }
          }
          y[((b * oh + i) * ow + j) * c + o] = s;
        }
      }
    }
  }
  return { n: x.n, h: oh, w: ow, c, data: y };
}

/** Per-channel map over an NHWC tensor (bias, batch norm, activations). */
export function perChannel(x: Nhwc, f: (v: number, channel: number) => number): Nhwc {
  return { ...x, data: x.data.map((v, i) => f(v, i % x.c)) };
}

/** Inference batch normalization y = gamma (x - mean) / sqrt(var + eps) + beta. */
export function batchNorm(x: Nhwc, gamma: Float32Array, beta: Float32Array, mean: Float32Array, variance: Float32Array, eps: number): Nhwc {
  return perChannel(x, (v, c) => ((gamma[c] as number) * (v - (mean[c] as number))) / Math.sqrt((variance[c] as number) + eps) + (beta[c] as number));
}

/** Max pooling with a k×k window and stride, VALID padding. */
export function maxPool(x: Nhwc, k: number, stride: number): Nhwc {
  const oh = Math.floor((x.h - k) / stride) + 1;
  const ow = Math.floor((x.w - k) / stride) + 1;
  const y = new Float32Array(x.n * oh * ow * x.c);
  for (let b = 0; b < x.n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) for (let c = 0; c < x.c; c++) {
    let m = -Infinity;
    for (let di = 0; di < k; di++) for (let dj = 0; dj < k; dj++) m = Math.max(m, x.data[((b * x.h + i * stride + di) * x.w + j * stride + dj) * x.c + c] as number);
    y[((b * oh + i) * ow + j) * x.c + c] = m;
  }
  return { n: x.n, h: oh, w: ow, c: x.c, data: y };
}

/** Global average pooling: [n, h, w, c] → [n, c]. */
export function globalAveragePool(x: Nhwc): Float32Array {
  const y = new Float32Array(x.n * x.c);
  for (let b = 0; b < x.n; b++) for (let p = 0; p < x.h * x.w; p++) for (let c = 0; c < x.c; c++) y[b * x.c + c] = (y[b * x.c + c] as number) + (x.data[(b * x.h * x.w + p) * x.c + c] as number) / (x.h * x.w);
  return y;
}

/** Row-wise softmax of [n, k]. */
export function softmax(x: Float32Array, n: number): Float32Array {
  const k = x.length / n;
  const y = new Float32Array(x.length);
  for (let r = 0; r < n; r++) {
    const row = x.subarray(r * k, (r + 1) * k);
    const m = Math.max(...row);
    const e = Array.from(row, (v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    e.forEach((v, i) => { y[r * k + i] = v / s; });
  }
  return y;
}
