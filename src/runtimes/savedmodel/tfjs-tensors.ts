/**
 * Conversions between core Tensors and tfjs tensors. tfjs holds float32, int32, bool and string only, so:
 * float64 → float32 (finite values beyond float32 range are an error), float16/bfloat16 → float32,
 * int8/int16/uint8/uint16 → int32, int64/uint64/uint32 → int32 only when every value fits (else INVALID_ARGUMENT),
 * and results are converted back to the dtype the signature records (int64 → BigInt64Array, ...).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { DType } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';
import { allocate, type Tensor } from '../../core/tensor.ts';

const F32_MAX = 3.4028234663852886e38;

/** Decode IEEE half-precision bits. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Encode IEEE half-precision bits (round to nearest). */
export function floatToHalf(v: number): number {
  const f32 = new Float32Array([v]);
  const x = new Uint32Array(f32.buffer)[0] as number;
  const sign = (x >> 16) & 0x8000;
  const exp = ((x >> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (((x >> 23) & 0xff) === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    return sign | ((mant | 0x800000) >> (14 - exp));
  }
  return sign | (exp << 10) | (mant >> 13);
}

function toInt32(values: ArrayLike<number | bigint>, what: string): Int32Array {
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number | bigint;
    const n = typeof v === 'bigint' ? v : BigInt(v);
    if (n > 2147483647n || n < -2147483648n) {
      throw InferdError.invalidArgument(`${what}: value ${n} does not fit int32 (inferd computes 64-bit integers as int32)`);
    }
    out[i] = Number(n);
  }
  return out;
}

/** Convert a core tensor to a tfjs tensor. `what` names the tensor in errors. */
export function toTfjs(t: Tensor, what: string): tf.Tensor {
  const shape = [...t.shape];
  switch (t.dtype) {
    case 'float32': return tf.tensor(t.data as Float32Array, shape, 'float32');
    case 'float64': {
      const d = t.data as Float64Array;
      for (const v of d) {
        if (Number.isFinite(v) && Math.abs(v) > F32_MAX) throw InferdError.invalidArgument(`${what}: value ${v} does not fit float32`);
      }
      return tf.tensor(Float32Array.from(d), shape, 'float32');
    }
    case 'float16': return tf.tensor(Float32Array.from(t.data as Uint16Array, halfToFloat), shape, 'float32');
    case 'bfloat16': {
      const bits = new Uint32Array(Array.from(t.data as Uint16Array, (b) => b << 16));
      return tf.tensor(new Float32Array(bits.buffer), shape, 'float32');
    }
    case 'int32': return tf.tensor(t.data as Int32Array, shape, 'int32');
    case 'int8': case 'int16': case 'uint8': case 'uint16':
      return tf.tensor(Int32Array.from(t.data as ArrayLike<number>), shape, 'int32');
    case 'uint32': case 'int64': case 'uint64':
      return tf.tensor(toInt32(t.data as ArrayLike<number | bigint>, what), shape, 'int32');
    case 'bool': return tf.tensor(t.data as Uint8Array, shape, 'bool');
    case 'string': return tf.tensor(t.data as Uint8Array[], shape, 'string');
  }
  throw InferdError.internal(`toTfjs: unknown dtype ${String(t.dtype)}`);
}

/** The raw bytes of a tfjs string tensor, synchronously (dataSync would decode them as UTF-8). */
export function stringBytes(t: tf.Tensor): Uint8Array[] {
  return tf.engine().backend.readSync(t.dataId) as unknown as Uint8Array[];
}

/** Read a tfjs tensor into a core tensor of dtype `want` when compatible, else of tfjs's own dtype. */
export async function fromTfjs(t: tf.Tensor, want: DType | undefined): Promise<Tensor> {
  const shape = [...t.shape];
  if (t.dtype === 'string') return { dtype: 'string', shape, data: stringBytes(t).map((b) => new Uint8Array(b)) };
  const data = await t.data();
  const nums = data as Float32Array | Int32Array | Uint8Array;
  const numeric: DType = t.dtype === 'float32' ? 'float32' : t.dtype === 'bool' ? 'bool' : 'int32';
  const target: DType = want === undefined || want === 'string' ? numeric : want;
  if (target === numeric) return { dtype: numeric, shape, data: nums.slice() } as Tensor;
  const out = allocate(target, nums.length);
  if (target === 'float16') (out as Uint16Array).set(Array.from(nums, floatToHalf));
  else if (target === 'bfloat16') {
    const bits = new Uint32Array(Float32Array.from(nums).buffer);
    (out as Uint16Array).set(Array.from(bits, (b) => b >>> 16));
  } else if (target === 'int64' || target === 'uint64') {
    (out as BigInt64Array).set(Array.from(nums, (v) => BigInt(Math.trunc(v))));
  } else if (target === 'bool') (out as Uint8Array).set(Array.from(nums, (v) => (v ? 1 : 0)));
  else (out as Float64Array).set(nums);
  return { dtype: target, shape, data: out } as Tensor;
}
