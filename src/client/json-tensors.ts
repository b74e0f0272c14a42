/**
 * Tensors in TensorFlow Serving's REST JSON (the client side): nested arrays written from typed arrays, answers read
 * back into typed arrays of the signature's dtype. Strings are UTF-8 text, or `{"b64": …}` for bytes that are not
 * UTF-8; int64 values are written exactly (JSON numbers are read back through doubles: values beyond 2^53 lose
 * precision over REST — use gRPC for exact 64-bit integers); NaN and ±Infinity use TensorFlow Serving's bare tokens.
 */
import type { DType } from '../core/dtype.ts';
import { InferdError } from '../core/errors.ts';
import { allocate, type Tensor } from '../core/tensor.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function stringJson(bytes: Uint8Array): string {
  try {
    return JSON.stringify(utf8.decode(bytes));
  } catch {
    return `{"b64":${JSON.stringify(Buffer.from(bytes).toString('base64'))}}`;
  }
}

function numberJson(v: number | bigint, dtype: DType): string {
  if (typeof v === 'bigint') return v.toString();
  if (dtype === 'bool') return v ? 'true' : 'false';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : '-Infinity';
  return String(v);
}

/** The JSON text of a tensor's values, nested by its shape (a scalar is a bare value). */
export function tensorJson(t: Tensor): string {
  if (t.dtype === 'float16' || t.dtype === 'bfloat16') {
    throw InferdError.invalidArgument(`${t.dtype} tensors cannot be written as JSON numbers by this client; send float32`);
  }
  const leaf = (i: number): string => (t.dtype === 'string'
    ? stringJson((t.data as Uint8Array[])[i] as Uint8Array)
    : numberJson((t.data as ArrayLike<number | bigint>)[i] as number | bigint, t.dtype));
  let index = 0;
  const level = (depth: number): string => {
    if (depth === t.shape.length) return leaf(index++);
    const parts: string[] = [];
    for (let i = 0; i < (t.shape[depth] as number); i++) parts.push(level(depth + 1));
    return `[${parts.join(',')}]`;
  };
  return level(0);
}

/**
 * JSON.parse for TensorFlow Serving's answers, which may hold the bare tokens NaN, Infinity and -Infinity: they are
 * read as numbers; text inside strings is left alone.
 */
export function parseServingJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // fall through: quote bare tokens outside strings, then revive them
  }
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      continue;
    }
    const token = /^(-?Infinity|NaN)/.exec(text.slice(i, i + 9));
    if (token) {
      out += `"\u0000${token[1]}"`;
      i += (token[1] as string).length - 1;
      continue;
    }
    out += c;
  }
  return JSON.parse(out, (_key, value: unknown) =>
    (typeof value === 'string' && value.startsWith('\u0000') ? Number(value.slice(1)) : value));
}

/** Shape of a nested JSON array (the first element at each depth decides; ragged arrays fail when flattened). */
function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

/** Read a JSON value (nested arrays of numbers, booleans, strings or `{"b64"}`) as a tensor of `dtype`. */
export function tensorOfJson(value: unknown, dtype: DType, what: string): Tensor {
  const shape = shapeOf(value);
  const leaves: unknown[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw InferdError.invalidArgument(`${what}: ragged nested arrays in the answer`);
      leaves.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) throw InferdError.invalidArgument(`${what}: ragged nested arrays in the answer`);
    for (const x of v) walk(x, depth + 1);
  };
  walk(value, 0);
  const data = allocate(dtype, leaves.length);
  leaves.forEach((leaf, i) => {
    if (dtype === 'string') {
      const b64 = (leaf as { b64?: unknown } | null)?.b64;
      (data as Uint8Array[])[i] = typeof b64 === 'string' ? new Uint8Array(Buffer.from(b64, 'base64')) : new TextEncoder().encode(String(leaf));
    } else if (dtype === 'int64' || dtype === 'uint64') {
      (data as BigInt64Array)[i] = BigInt(Math.trunc(Number(leaf)));
    } else if (dtype === 'bool') {
      (data as Uint8Array)[i] = leaf === true || leaf === 1 ? 1 : 0;
    } else {
      (data as Float64Array)[i] = Number(leaf);
    }
  });
  return { dtype, shape, data } as Tensor;
}

/** JSON text of tf.Example features in TensorFlow Serving's REST form (floats always carry a decimal point). */
export function exampleJson(example: Readonly<Record<string, unknown>>): string {
  const value = (v: unknown): string => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') return Number.isInteger(v) ? `${v}.0` : numberJson(v, 'float32');
    if (typeof v === 'string') return JSON.stringify(v);
    if (v instanceof Uint8Array) return stringJson(v);
    if (Array.isArray(v)) return `[${v.map(value).join(',')}]`;
    throw InferdError.invalidArgument(`feature value ${String(v)} is not a number, bigint, string or bytes`);
  };
  return `{${Object.entries(example).map(([k, v]) => `${JSON.stringify(k)}:${value(v)}`).join(',')}}`;
}
