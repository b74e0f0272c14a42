/**
 * Upper bounds of the JSON text response tensors become — TensorFlow Serving's predict bodies (predict-response.ts)
 * and the Open Inference Protocol's JSON `data` (rest/oip/infer-response.ts) — so the facade refuses an answer past
 * --max_request_tensor_bytes before the text is built (core/limits.ts ResponseEncoding). Per element: the longest
 * text the formatters write for the dtype plus a separator; strings 6 bytes per byte (`\u00XX` escapes) plus quotes,
 * or base64 for `_bytes` aliases; every nested array its brackets; the row format its per-item keys.
 */
import type { DType } from '../../../core/dtype.ts';
import type { ResponseEncoding } from '../../../core/limits.ts';
import type { Tensor } from '../../../core/tensor.ts';

/** Longest JSON text of one element (format.ts: `%.9g` floats, `%.17g` doubles, decimal integers). */
const WIDTH: Readonly<Record<Exclude<DType, 'string'>, number>> = {
  float32: 16, float16: 16, bfloat16: 16, float64: 25, int8: 4, uint8: 3, int16: 6, uint16: 5, int32: 11, uint32: 10,
  int64: 20, uint64: 20, bool: 5,
};

/** Bytes of the JSON nested-array text of output `alias` = `t` at most (row format's per-item keys included). */
export function jsonTensorBytes(alias: string, t: Tensor): number {
  let bytes = 160 + 6 * alias.length + 21 * t.shape.length; // envelope, key, OIP's name/datatype/shape header
  if (t.dtype === 'string') {
    const b64 = alias.endsWith('_bytes');
    for (const s of t.data as Uint8Array[]) bytes += (b64 ? Math.ceil(s.length / 3) * 4 + 12 : 6 * s.length + 2) + 2;
  } else {
    bytes += t.data.length * (WIDTH[t.dtype] + 2);
  }
  let arrays = 0;
  let level = 1;
  for (const d of t.shape) {
    arrays += level; // `[`, `]` and a separator for each array at this depth
    level *= d;
  }
  bytes += arrays * 4;
  const items = t.shape[0] ?? 1;
  return bytes + items * (6 * alias.length + 16);
}

/** The JSON response encoding (TF Serving predict bodies, OIP JSON outputs). */
export const JSON_RESPONSE: ResponseEncoding = { name: 'JSON', bytes: jsonTensorBytes };
