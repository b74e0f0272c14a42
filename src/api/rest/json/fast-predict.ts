/**
 * A fast path for the common predict body: float inputs sent as plain JSON (no NaN/Infinity tokens, no b64, no
 * strings). V8's JSON.parse builds the document natively and the numbers go straight into Float32Array/Float64Array
 * storage, instead of the lenient parser's one node per number (about 2× faster on large numeric bodies, and far less
 * garbage).
 *
 * Contract: the fast path only ever *accepts*. Whenever the body or the signature is anything but the plain case it
 * returns undefined and the caller runs the exact path (lenient-json.ts + predict-request.ts), which produces
 * TensorFlow Serving's error texts. When it accepts, the tensors equal what the exact path builds (checked by a
 * property test). Integer inputs never take this path: JSON.parse cannot tell `1` from `1.0`, which TF rejects for ints.
 */
import { AllocationBudget } from '../../../core/limits.ts';
import type { Signature } from '../../../core/signature.ts';
import { allocate, elementCount, type Tensor } from '../../../core/tensor.ts';
import type { PredictFormat } from './predict-request.ts';

/** A body V8 parsed, with the request keys TF Serving reads. */
export interface FastPredictRequest {
  readonly signatureName?: string;
  readonly format: PredictFormat;
  readonly payload: unknown;
}

type FloatDType = 'float32' | 'float64';

/** A 3-digit exponent or a 300-digit run: the only ways a JSON number can exceed double range. */
const MAY_OVERFLOW = /[eE][+]?\d{3}|\d{300}/;

/** Deeper lists go to the exact path (which also enforces its nesting limit). */
const MAX_FAST_RANK = 32;

/**
 * Parse with JSON.parse. Undefined when the body is not plain JSON, not an object, has a non-string
 * `signature_name`, or has both or neither of `instances`/`inputs` (the exact path reports those).
 */
export function fastParsePredict(body: Uint8Array | string): FastPredictRequest | undefined {
  const text = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  // rapidjson rejects numbers beyond double range as a parse error (reported before the model lookup), where
  // JSON.parse gives Infinity: leave any number that could overflow to the exact path.
  if (MAY_OVERFLOW.test(text)) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const rec = doc as Record<string, unknown>;
  const sig = rec['signature_name'];
  if (sig !== undefined && typeof sig !== 'string') return undefined;
  const hasInstances = Object.hasOwn(rec, 'instances');
  const hasInputs = Object.hasOwn(rec, 'inputs');
  if (hasInstances === hasInputs) return undefined;
  return {
    ...(sig !== undefined ? { signatureName: sig } : {}),
    format: hasInstances ? 'row' : 'columnar',
    payload: hasInstances ? rec['instances'] : rec['inputs'],
  };
}

/**
 * The input tensors for `signature`, or undefined when the request is not the plain float case. Tensors are charged
 * to `budget` (core/limits.ts) only when all of them fit; a shape that would not fit is never allocated and is left
 * to the exact path, which reports the limit (or the ragged list that made the shape look large).
 */
export function fastDecodePredict(
  req: FastPredictRequest, signature: Signature, budget: AllocationBudget = new AllocationBudget(),
): Record<string, Tensor> | undefined {
  const room = { bytes: budget.limits.maxTensorBytes - budget.usedBytes };
  const out = decodeWithin(req, signature, room);
  if (!out) return undefined;
  const total = budget.limits.maxTensorBytes - budget.usedBytes - room.bytes;
  budget.chargeBytes(total, 'inputs');
  return out;
}

/** Room left for allocations, shared by every tensor of one request and decremented before each allocation. */
interface Room {
  bytes: number;
}

/** Storage of `count` elements of `dtype` when it fits in `room` (which it then shrinks), else undefined. */
function allocateWithin(dtype: FloatDType, count: number, room: Room): Float32Array | Float64Array | undefined {
  const cost = count * (dtype === 'float32' ? 4 : 8);
  if (!Number.isSafeInteger(count) || cost > room.bytes) return undefined;
  room.bytes -= cost;
  return allocate(dtype, count);
}

function decodeWithin(req: FastPredictRequest, signature: Signature, room: Room): Record<string, Tensor> | undefined {
  const names = Object.keys(signature.inputs);
  if (names.length === 0) return undefined;
  const dtypes: Record<string, FloatDType> = {};
  for (const name of names) {
    const dtype = signature.inputs[name]?.dtype;
    if (dtype !== 'float32' && dtype !== 'float64') return undefined;
    dtypes[name] = dtype;
  }
  return req.format === 'row' ? rowFormat(req.payload, names, dtypes, room) : columnarFormat(req.payload, names, dtypes, room);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function rowFormat(payload: unknown, names: readonly string[], dtypes: Record<string, FloatDType>, room: Room): Record<string, Tensor> | undefined {
  if (!Array.isArray(payload) || payload.length === 0) return undefined;
  if (!isPlainObject(payload[0])) {
    const [name] = names;
    if (names.length !== 1 || name === undefined) return undefined;
    const t = stack(payload, dtypes[name] as FloatDType, room);
    return t && { [name]: t };
  }
  const out: Record<string, Tensor> = {};
  for (const name of names) {
    const column: unknown[] = [];
    for (const item of payload) {
      if (!isPlainObject(item) || Object.keys(item).length !== names.length || !Object.hasOwn(item, name)) return undefined;
      column.push(item[name]);
    }
    const t = stack(column, dtypes[name] as FloatDType, room);
    if (!t) return undefined;
    out[name] = t;
  }
  return out;
}

function columnarFormat(payload: unknown, names: readonly string[], dtypes: Record<string, FloatDType>, room: Room): Record<string, Tensor> | undefined {
  if (!isPlainObject(payload)) {
    const [name] = names;
    if (names.length !== 1 || name === undefined) return undefined;
    const t = whole(payload, dtypes[name] as FloatDType, room);
    return t && { [name]: t };
  }
  const out: Record<string, Tensor> = {};
  for (const name of names) {
    if (!Object.hasOwn(payload, name)) return undefined;
    const t = whole(payload[name], dtypes[name] as FloatDType, room);
    if (!t) return undefined;
    out[name] = t;
  }
  return out;
}

/** The shape of a nested number list, following first elements; undefined when a leaf is not a number. */
function shapeOf(value: unknown): number[] | undefined {
  const shape: number[] = [];
  let v = value;
  while (Array.isArray(v)) {
    if (v.length === 0 || shape.length >= MAX_FAST_RANK) return undefined;
    shape.push(v.length);
    v = v[0];
  }
  return typeof v === 'number' ? shape : undefined;
}

/** Copy a rectangular nested list of `shape` into `out` from `pos`; returns the next position or -1 when ragged. */
function fill(value: unknown, shape: readonly number[], depth: number, out: Float32Array | Float64Array, pos: number): number {
  if (depth === shape.length) {
    if (typeof value !== 'number' || !Number.isFinite(value)) return -1;
    // The exact path reads `-0` as the integer 0 (rapidjson); leave the sign question to it.
    if (value === 0 && Object.is(value, -0)) return -1;
    out[pos] = value;
    return pos + 1;
  }
  if (!Array.isArray(value) || value.length !== shape[depth]) return -1;
  let p = pos;
  for (const item of value) {
    p = fill(item, shape, depth + 1, out, p);
    if (p < 0) return -1;
  }
  return p;
}

/** One tensor from a whole (columnar) value: a number is a scalar. */
function whole(value: unknown, dtype: FloatDType, room: Room): Tensor | undefined {
  const shape = shapeOf(value);
  if (!shape) return undefined;
  const data = allocateWithin(dtype, elementCount(shape), room);
  if (!data) return undefined;
  return fill(value, shape, 0, data, 0) === data.length ? { dtype, shape, data } : undefined;
}

/** One tensor from row-format items: all items share one element shape; the result is [items, ...shape]. */
function stack(items: readonly unknown[], dtype: FloatDType, room: Room): Tensor | undefined {
  const element = shapeOf(items[0]);
  if (!element) return undefined;
  const per = elementCount(element);
  const data = allocateWithin(dtype, items.length * per, room);
  if (!data) return undefined;
  let pos = 0;
  for (const item of items) {
    pos = fill(item, element, 0, data, pos);
    if (pos < 0) return undefined;
  }
  return { dtype, shape: [items.length, ...element], data };
}
