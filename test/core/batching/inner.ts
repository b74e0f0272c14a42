/**
 * A real, deterministic inner executor for the batcher's tests: elementwise maths per dtype and per-row sums,
 * so a merged run and separate runs must give identical answers. It records every call, can hold runs in
 * flight (a gate the test releases) and observes the signal it is given.
 */
import type { DType } from '../../../src/core/dtype.ts';
import { InferdError, throwIfAborted } from '../../../src/core/errors.ts';
import type { Executor, RunRequest, RunResult } from '../../../src/core/runtime.ts';
import { allocate, elementCount, type Tensor, type TensorData } from '../../../src/core/tensor.ts';

/** One call the inner executor received. */
export interface Call {
  readonly signatureName: string;
  readonly inputs: Readonly<Record<string, Tensor>>;
  readonly outputFilter: readonly string[] | undefined;
  readonly signal: AbortSignal | undefined;
}

/** Elementwise transform, row-independent, defined for every dtype (wrapping for integers). */
function transform(t: Tensor): Tensor {
  const n = t.data.length;
  const out = allocate(t.dtype, n) as TensorData;
  for (let i = 0; i < n; i++) {
    switch (t.dtype) {
      case 'float32': case 'float64': (out as Float64Array)[i] = 2 * ((t.data as Float64Array)[i] ?? 0) + 1; break;
      case 'bool': (out as Uint8Array)[i] = (t.data as Uint8Array)[i] ? 0 : 1; break;
      case 'int64': case 'uint64': (out as BigInt64Array)[i] = ((t.data as BigInt64Array)[i] ?? 0n) * 2n + 1n; break;
      case 'string': {
        const s = (t.data as Uint8Array[])[i] ?? new Uint8Array(0);
        (out as Uint8Array[])[i] = Uint8Array.from([...s].reverse().concat([0x21]));
        break;
      }
      default: (out as Int32Array)[i] = ((t.data as Int32Array)[i] ?? 0) * 3 + 1;
    }
  }
  return { dtype: t.dtype, shape: [...t.shape], data: out };
}

/** Per-row sum (strings: total byte length), float64 of shape [rows]. */
function rowSum(t: Tensor): Tensor {
  const rows = t.shape[0] ?? 1;
  const per = rows === 0 ? 0 : t.data.length / rows;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < per; j++) {
      const v = t.data[r * per + j];
      s += v instanceof Uint8Array ? v.length : Number(v);
    }
    out[r] = s;
  }
  return { dtype: 'float64', shape: [rows], data: out };
}

/**
 * Signatures: `ew` (each input `a` → outputs `a_y` = transform, `a_sum` = row sums), `scalar` (outputs `count`, a
 * scalar: not splittable), `fixed` (like `ew` but refuses dim 0 ≠ 1 with INVALID_ARGUMENT), `boom` (INTERNAL).
 */
export class TestExecutor implements Executor {
  readonly calls: Call[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** Signals that aborted while a run was held. */
  readonly abortedRuns: Call[] = [];
  private gate: { promise: Promise<void>; resolve: () => void } | undefined;

  /** Make every run started from now on wait until release(). */
  hold(): void {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => { resolve = r; });
    this.gate = { promise, resolve };
  }

  /** Let held runs finish (runs started after this do not wait). */
  release(): void {
    const g = this.gate;
    this.gate = undefined;
    g?.resolve();
  }

  /** Rows (dim 0 of the first input) of each call, in order. */
  batchSizes(): number[] {
    return this.calls.map((c) => Object.values(c.inputs)[0]?.shape[0] ?? -1);
  }

  async run(request: RunRequest): Promise<RunResult> {
    const call: Call = {
      signatureName: request.signatureName, inputs: request.inputs, outputFilter: request.outputFilter, signal: request.signal,
    };
    this.calls.push(call);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const gate = this.gate;
      if (gate) {
        await new Promise<void>((resolve, reject) => {
          void gate.promise.then(resolve);
          request.signal?.addEventListener('abort', () => {
            this.abortedRuns.push(call);
            reject(new Error('aborted'));
          }, { once: true });
        }).catch(() => undefined);
      } else {
        await new Promise((r) => setImmediate(r));
      }
      throwIfAborted(request.signal);
      return this.compute(request);
    } finally {
      this.inFlight--;
    }
  }

  private compute(request: RunRequest): RunResult {
    const out: RunResult = {};
    const inputs = Object.entries(request.inputs);
    switch (request.signatureName) {
      case 'scalar':
        out.count = { dtype: 'float32', shape: [], data: Float32Array.of(inputs[0]?.[1].shape[0] ?? 0) };
        return out;
      case 'boom':
        throw InferdError.internal('boom');
      case 'fixed':
        if (inputs.some(([, t]) => t.shape[0] !== 1)) throw InferdError.invalidArgument('fixed batch size 1');
        break;
      case 'ew':
        break;
      default:
        throw InferdError.notFound(`no signature ${request.signatureName}`);
    }
    for (const [alias, t] of inputs) {
      if (elementCount(t.shape) !== t.data.length) throw InferdError.internal('bad tensor');
      out[`${alias}_y`] = transform(t);
      if (t.shape.length >= 1) out[`${alias}_sum`] = rowSum(t);
    }
    const filter = request.outputFilter;
    if (filter && filter.length > 0) {
      const picked: RunResult = {};
      for (const k of filter) {
        const t = out[k];
        if (!t) throw InferdError.invalidArgument(`unknown output ${k}`);
        picked[k] = t;
      }
      return picked;
    }
    return out;
  }
}

/** A deterministic tensor of `dtype` and `shape` whose values depend on `seed` (different seeds → different rows). */
export function makeTensor(dtype: DType, shape: readonly number[], seed: number): Tensor {
  const n = elementCount(shape);
  const data = allocate(dtype, n) as TensorData;
  for (let i = 0; i < n; i++) {
    const v = seed * 31 + i * 7 + 3;
    switch (dtype) {
      case 'float32': case 'float64': (data as Float64Array)[i] = v / 4; break;
      case 'bool': (data as Uint8Array)[i] = v % 2; break;
      case 'int64': case 'uint64': (data as BigInt64Array)[i] = BigInt(v) * 1_000_000_007n; break;
      case 'string': (data as Uint8Array[])[i] = new TextEncoder().encode(`s${v}-${'x'.repeat(v % 5)}`); break;
      default: (data as Int32Array)[i] = v % 120;
    }
  }
  return { dtype, shape: [...shape], data };
}

/** Plain, comparable form of a result (typed arrays to arrays, bigints to strings, strings to text). */
export function plain(result: RunResult): Record<string, { dtype: string; shape: number[]; data: unknown[] }> {
  const out: Record<string, { dtype: string; shape: number[]; data: unknown[] }> = {};
  for (const [k, t] of Object.entries(result)) {
    const data = Array.from(t.data as ArrayLike<unknown>, (v) =>
      typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? new TextDecoder().decode(v) : v);
    out[k] = { dtype: t.dtype, shape: [...t.shape], data };
  }
  return out;
}

/** Wait until the predicate holds, polling on the event loop (no wall-clock assertions). */
export async function until(pred: () => boolean, what = 'condition'): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    if (pred()) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`timed out waiting for ${what}`);
}
