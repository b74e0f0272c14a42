/**
 * The raw tensor layout of the Open Inference Protocol, shared by the binary tensor extension of REST and by gRPC's
 * raw_input_contents / raw_output_contents (shared/reference/open-inference-protocol.md §2.4, §2.5): row-major,
 * little-endian, no padding; BOOL one byte per element; BYTES as a 4-byte little-endian unsigned length followed by
 * that many bytes, per element. Pure: no I/O. Decoding never allocates more than the bytes it was given.
 */
import { byteWidth, type DType } from '../../core/dtype.ts';
import { InferdError } from '../../core/errors.ts';
import { fromLittleEndian } from '../../core/tensor-proto.ts';
import type { Tensor, TensorData } from '../../core/tensor.ts';

if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) {
  // Typed arrays use the platform's byte order; every platform Node supports today is little-endian.
  throw new Error('inferd\'s raw tensor codec needs a little-endian platform');
}

/**
 * Tensor storage read from `bytes` in the raw layout: `count` elements of `dtype`. INVALID_ARGUMENT naming the
 * tensor when the byte length does not match. Fixed-width data is a view of `bytes` when aligned (the caller keeps
 * `bytes` unchanged while the tensor lives), a copy otherwise; BYTES elements are views.
 */
export function decodeRaw(dtype: DType, count: number, bytes: Uint8Array, tensorName: string): TensorData {
  if (dtype === 'string') return decodeRawBytes(count, bytes, tensorName);
  const width = byteWidth(dtype) ?? 1;
  if (bytes.byteLength !== count * width) {
    throw InferdError.invalidArgument(`unexpected size ${bytes.byteLength} for raw contents of input '${tensorName}', expecting ${count * width} bytes (${count} elements of ${width} bytes)`);
  }
  return fromLittleEndian(dtype, bytes, count);
}

function decodeRawBytes(count: number, bytes: Uint8Array, tensorName: string): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.byteLength) {
    if (out.length === count) break;
    if (pos + 4 > bytes.byteLength) throw InferdError.invalidArgument(`raw contents of BYTES input '${tensorName}' end inside the length of element ${out.length}`);
    const length = view.getUint32(pos, true);
    pos += 4;
    if (pos + length > bytes.byteLength) throw InferdError.invalidArgument(`raw contents of BYTES input '${tensorName}': element ${out.length} of ${length} bytes runs past the end of the data`);
    out.push(bytes.subarray(pos, pos + length));
    pos += length;
  }
  if (out.length !== count || pos !== bytes.byteLength) {
    throw InferdError.invalidArgument(`raw contents of BYTES input '${tensorName}' hold ${out.length} element(s)${pos !== bytes.byteLength ? ' and trailing bytes' : ''}, expecting ${count}`);
  }
  return out;
}

/** The raw layout of tensor storage: a view of the typed array for fixed-width types (no copy), BYTES serialized. */
export function encodeRaw(dtype: DType, data: TensorData): Uint8Array {
  if (dtype !== 'string') {
    const typed = data as Exclude<TensorData, Uint8Array[]>;
    return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  }
  const elements = data as Uint8Array[];
  let total = 0;
  for (const e of elements) total += 4 + e.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const e of elements) {
    view.setUint32(pos, e.byteLength, true);
    out.set(e, pos + 4);
    pos += 4 + e.byteLength;
  }
  return out;
}

/** Bytes of `t` in the raw layout (BYTES elements: a 4-byte length each). */
export function rawTensorBytes(t: Tensor): number {
  if (t.dtype !== 'string') return (t.data as Exclude<TensorData, Uint8Array[]>).byteLength;
  let n = 0;
  for (const s of t.data as Uint8Array[]) n += 4 + s.length;
  return n;
}
