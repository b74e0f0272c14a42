/**
 * TensorProto straight from bytes (tensorflow/core/framework/tensor.proto), for the gRPC Predict hot path, in two
 * steps so that nothing is allocated before the tensor is charged:
 *
 * 1. `readTensorProto` walks the message once when the request is parsed: framing checked (WireError on truncated
 *    or malformed bytes), dtype and shape read (at most MAX_TENSOR_RANK dims), tensor_content located, and for each
 *    repeated value field only where it starts and how often it occurs. Values are not touched.
 * 2. `decodeTensorProtoBytes` applies the rules of tensor-proto.ts (dtype, shape, TF's fill rule) and charges the
 *    tensor to the request's AllocationBudget, then decodes only the value field of the dtype straight into the
 *    charged storage, at most `count` values — a packed int64 run that would expand 8× is never materialized, extra
 *    values are skipped, and fields of other dtypes are ignored as TF ignores them.
 *
 * A float/double field that arrives as one packed run is a view of the request bytes when aligned (zero-copy, like
 * tensor_content); otherwise its values are copied once. Unpacked (one key per value) and split runs are accepted,
 * as protobuf parsers must. Views keep the request buffer alive and must be treated as read-only.
 */
import type { DType } from './dtype.ts';
import { AllocationBudget, MAX_TENSOR_RANK } from './limits.ts';
import { WIRE, WireError, WireReader, tagOf } from './proto-wire.ts';
import {
  LITTLE_ENDIAN, TENSOR_PROTO_FIELD, decodeContent, fromLittleEndian, repeatLast, tensorDType, tensorParseError, valueField,
} from './tensor-proto.ts';
import { allocate, type Tensor, type TensorData } from './tensor.ts';

const F = TENSOR_PROTO_FIELD;

/** Where a repeated value field first occurs and how often (a packed run or one unpacked value per occurrence). */
interface FieldSpans {
  occurrences: number;
  first: { start: number; end: number; wireType: number };
}

/** A TensorProto located in a message: framing checked and header read by readTensorProto; values not decoded. */
export class EncodedTensorProto {
  /** @param shape the dims, or undefined when the shape is unknown, negative, not exact or of rank > 254. */
  constructor(
    readonly bytes: Uint8Array,
    readonly start: number,
    readonly end: number,
    readonly dtype: number | undefined,
    readonly shape: readonly number[] | undefined,
    readonly content: Uint8Array | undefined,
    /** Repeated value fields seen, by field number. */
    readonly fields: ReadonlyMap<number, FieldSpans>,
  ) {}
}

/** Dims of a TensorShapeProto payload, or undefined when unknown-rank, rank > 254, or a dim is not a safe size. */
function readShape(bytes: Uint8Array, start: number, end: number): number[] | undefined {
  const r = new WireReader(bytes, start, end);
  const dims: number[] = [];
  let valid = true;
  while (r.more()) {
    const t = r.tag();
    if (t === tagOf(2, WIRE.bytes)) {
      const [s, e] = r.span();
      if (dims.length >= MAX_TENSOR_RANK) {
        valid = false; // keep walking for framing errors, but collect no more dims
        continue;
      }
      const d = new WireReader(bytes, s, e);
      let size = 0;
      while (d.more()) {
        const dt = d.tag();
        if (dt === tagOf(1, WIRE.varint)) size = d.int64();
        else d.skip(dt & 7, dt >>> 3);
      }
      if (!Number.isSafeInteger(size) || size < 0) valid = false;
      dims.push(size);
    } else if (t === tagOf(3, WIRE.varint)) {
      if (r.uint32() !== 0) valid = false; // unknown_rank
    } else r.skip(t & 7, t >>> 3);
  }
  return valid ? dims : undefined;
}

/** The wire type of one unpacked value of a repeated numeric field. */
function unpackedWireType(field: number): number {
  return field === F.float ? WIRE.fixed32 : field === F.double ? WIRE.fixed64 : WIRE.varint;
}

const VALUE_FIELDS: ReadonlySet<number> = new Set([F.float, F.double, F.int, F.string, F.int64, F.bool, F.half, F.uint32, F.uint64]);

/** Is (field, wireType) one occurrence of a repeated value field (a packed run, a string, or one unpacked value)? */
function isValue(field: number, wireType: number): boolean {
  return VALUE_FIELDS.has(field) && (wireType === WIRE.bytes || (field !== F.string && wireType === unpackedWireType(field)));
}

/** Walk one TensorProto in `bytes[start, end)` (step 1 above). Throws WireError on malformed framing. */
export function readTensorProto(bytes: Uint8Array, start = 0, end = bytes.length): EncodedTensorProto {
  const r = new WireReader(bytes, start, end);
  let dtype: number | undefined;
  let shape: number[] | undefined = [];
  let content: Uint8Array | undefined;
  const fields = new Map<number, FieldSpans>();
  while (r.more()) {
    const t = r.tag();
    const field = t >>> 3;
    const wt = t & 7;
    if (field === F.dtype && wt === WIRE.varint) dtype = r.uint32() | 0;
    else if (field === F.shape && wt === WIRE.bytes) {
      const [s, e] = r.span();
      shape = readShape(bytes, s, e);
    } else if (field === F.content && wt === WIRE.bytes) content = r.view();
    else if (isValue(field, wt)) {
      const s = r.pos;
      if (wt === WIRE.bytes) {
        const [vs, ve] = r.span();
        note(fields, field, vs, ve, wt);
      } else {
        r.skip(wt);
        note(fields, field, s, r.pos, wt);
      }
    } else r.skip(wt, field);
  }
  return new EncodedTensorProto(bytes, start, end, dtype, shape, content, fields);
}

function note(fields: Map<number, FieldSpans>, field: number, start: number, end: number, wireType: number): void {
  const seen = fields.get(field);
  if (seen) seen.occurrences++;
  else fields.set(field, { occurrences: 1, first: { start, end, wireType } });
}

/**
 * Decode a TensorProto located by readTensorProto into a core Tensor (step 2 above), charging it to `budget` before
 * allocating. Throws INVALID_ARGUMENT `tensor parsing error: <alias>` (also for malformed packed values), or
 * LimitExceededError past the budget.
 */
export function decodeTensorProtoBytes(p: EncodedTensorProto, alias: string, budget: AllocationBudget = new AllocationBudget()): Tensor {
  const dtype = tensorDType(p.dtype, alias);
  if (!p.shape) throw tensorParseError(alias);
  const shape = [...p.shape];
  const count = budget.charge(dtype, shape, alias);
  if (p.content && p.content.length > 0) return decodeContent(dtype, shape, count, p.content, alias, budget, false);
  const field = valueField(dtype);
  const spans = p.fields.get(field);
  try {
    if (dtype === 'string') return { dtype, shape, data: readStrings(p, count, alias, budget) };
    if (spans && spans.occurrences === 1 && spans.first.wireType === WIRE.bytes && (dtype === 'float32' || dtype === 'float64')) {
      const width = dtype === 'float32' ? 4 : 8;
      const { start, end } = spans.first;
      if ((end - start) % width !== 0) throw new WireError('packed fixed-width field with a partial element');
      if (end - start >= count * width) return { dtype, shape, data: fromLittleEndian(dtype, p.bytes.subarray(start, end), count) };
    }
    const data = allocate(dtype, count);
    if (spans && count > 0) {
      const fixed = dtype === 'float32' || dtype === 'float64' ? (data as Float32Array | Float64Array) : undefined;
      const store = storeOf(dtype, data);
      let seen = 0;
      if (spans.occurrences === 1) seen = decodeRun(p.bytes, spans.first.start, spans.first.end, fixed, store, 0, count);
      else {
        const r = new WireReader(p.bytes, p.start, p.end);
        while (r.more()) {
          const t = r.tag();
          const f = t >>> 3;
          const wt = t & 7;
          if (f !== field || !isValue(f, wt)) {
            r.skip(wt, f);
            continue;
          }
          let s = r.pos;
          let e: number;
          if (wt === WIRE.bytes) [s, e] = r.span();
          else {
            r.skip(wt);
            e = r.pos;
          }
          seen = decodeRun(p.bytes, s, e, fixed, store, seen, count);
        }
      }
      repeatLast(data as Int32Array, Math.min(seen, count));
    }
    return { dtype, shape, data };
  } catch (err) {
    if (err instanceof WireError) throw tensorParseError(alias);
    throw err;
  }
}

/** Up to `count` string_val views (extras skipped unread), their bytes charged, then TF's fill rule. */
function readStrings(p: EncodedTensorProto, count: number, alias: string, budget: AllocationBudget): Uint8Array[] {
  const data = allocate('string', count);
  let n = 0;
  let bytes = 0;
  const r = new WireReader(p.bytes, p.start, p.end);
  while (r.more() && n < count) {
    const t = r.tag();
    if (t === tagOf(F.string, WIRE.bytes)) {
      const v = r.view();
      data[n++] = v;
      bytes += v.length;
    } else r.skip(t & 7, t >>> 3);
  }
  if (n > 0) bytes += (count - n) * data[n - 1]!.length;
  budget.chargeBytes(bytes, `${alias}: string values`);
  repeatLast(data, n);
  return data;
}

/** Writes value `i` of a numeric tensor from a varint's 32-bit halves (or a fixed-width value's bytes). */
type Store = (i: number, lo: number, hi: number) => void;

function storeOf(dtype: Exclude<DType, 'string'>, data: TensorData): Store {
  switch (dtype) {
    case 'int64': case 'uint64': {
      const halves = new Uint32Array((data as BigInt64Array).buffer, (data as BigInt64Array).byteOffset, data.length * 2);
      const [l, h] = LITTLE_ENDIAN ? [0, 1] : [1, 0];
      return (i, lo, hi) => {
        halves[2 * i + l] = lo;
        halves[2 * i + h] = hi;
      };
    }
    case 'bool': {
      const out = data as Uint8Array;
      return (i, lo, hi) => {
        out[i] = lo !== 0 || hi !== 0 ? 1 : 0;
      };
    }
    default: {
      const out = data as Int32Array; // every other varint dtype: the low bits, wrapped by the typed array
      return (i, lo) => {
        out[i] = lo;
      };
    }
  }
}

/**
 * Decode the values in `bytes[start, end)` (a packed run or one unpacked value), storing value number `seen + k` of
 * the tensor while it is below `count`: float/double bytes are copied into `fixed`, varints go through `store`.
 * Returns the number of values seen so far (extras are read for validity, not stored).
 */
function decodeRun(
  bytes: Uint8Array, start: number, end: number, fixed: Float32Array | Float64Array | undefined, store: Store, seen: number, count: number,
): number {
  if (fixed) {
    const width = fixed.BYTES_PER_ELEMENT;
    if ((end - start) % width !== 0) throw new WireError('packed fixed-width field with a partial element');
    const values = (end - start) / width;
    const n = Math.max(0, Math.min(values, count - seen));
    if (n > 0) {
      const dst = new Uint8Array(fixed.buffer, fixed.byteOffset + seen * width, n * width);
      dst.set(bytes.subarray(start, start + n * width));
      if (!LITTLE_ENDIAN) for (let i = 0; i < dst.length; i += width) dst.subarray(i, i + width).reverse();
    }
    return seen + values;
  }
  let pos = start;
  while (pos < end) {
    let lo = 0;
    let hi = 0;
    for (let k = 0; ; k++) {
      if (k === 10 || pos >= end) throw new WireError('malformed varint');
      const b = bytes[pos++]!;
      if (k < 4) lo |= (b & 0x7f) << (7 * k);
      else if (k === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * k - 32);
      if (b < 0x80) break;
    }
    if (seen < count) store(seen, lo >>> 0, hi >>> 0);
    seen++;
  }
  return seen;
}
