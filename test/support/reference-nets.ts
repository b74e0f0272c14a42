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
