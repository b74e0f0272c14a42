/**
 * The Open Inference Protocol's REST inference response (`$inference_response`, shared/reference/open-inference-
 * protocol.md §2.2), with the binary tensor data extension (§2.4): outputs asked for as binary carry
 * `parameters.binary_data_size` instead of `data`, and their raw bytes follow the JSON in output order; the
 * caller sends `Inference-Header-Content-Length` with the JSON's byte length. `data` is always flat (row-major).
 * Written into one buffer (json-writer.ts): integers digit by digit, no arrays joined.
 */
import { bfloat16BitsToNumber, halfBitsToNumber } from '../../../core/half.ts';
import { decodeString, type Tensor } from '../../../core/tensor.ts';
import type { OipInferResult } from '../../oip/infer.ts';
import { encodeRaw } from '../../oip/raw.ts';
import { formatFloat32, formatFloat64 } from '../json/format.ts';
import { JsonByteWriter } from '../json/json-writer.ts';

/** An encoded answer: the JSON header, plus binary parts when any output is binary. */
export interface EncodedInferResponse {
  /** The JSON document, UTF-8. */
  readonly json: Buffer;
  /** Raw output bytes in output order; empty when every output is JSON. */
  readonly binary: readonly Uint8Array[];
}

/** Write a tensor's elements as a flat JSON array (FP16/BF16 as numbers, BYTES as UTF-8 strings, INT64 exact). */
export function writeJsonData(w: JsonByteWriter, t: Tensor): void {
  w.byte(0x5b); // [
  const n = t.data.length;
  const float = (v: number, format: (x: number) => string): void => {
    if (Number.isInteger(v) && v > -1e6 && v < 1e6 && !Object.is(v, -0)) {
      w.int(v);
      w.ascii('.0');
    } else w.ascii(format(v));
  };
  for (let i = 0; i < n; i++) {
    if (i > 0) w.byte(0x2c); // ,
    switch (t.dtype) {
      case 'float32': float((t.data as Float32Array)[i]!, formatFloat32); break;
      case 'float64': float((t.data as Float64Array)[i]!, formatFloat64); break;
      case 'float16': float(halfBitsToNumber((t.data as Uint16Array)[i]!), formatFloat32); break;
      case 'bfloat16': float(bfloat16BitsToNumber((t.data as Uint16Array)[i]!), formatFloat32); break;
      case 'bool': w.ascii((t.data as Uint8Array)[i] ? 'true' : 'false'); break;
      case 'string': w.utf8(JSON.stringify(decodeString((t.data as Uint8Array[])[i]!))); break;
      case 'int64': case 'uint64': w.ascii(String((t.data as ArrayLike<number | bigint>)[i])); break;
      default: w.int((t.data as ArrayLike<number>)[i]!); break;
    }
  }
  w.byte(0x5d); // ]
}

/** Encode an answer into one buffer; `binary(name)` says whether that output goes as binary data. */
export function encodeInferResponse(result: OipInferResult, id: string | undefined, binary: (name: string) => boolean): EncodedInferResponse {
  const parts: Uint8Array[] = [];
  let elements = 0;
  for (const o of result.outputs) elements += binary(o.name) ? 0 : o.tensor.data.length;
  const w = new JsonByteWriter(128 + result.outputs.length * 96 + elements * 12);
  w.utf8(`{"model_name":${JSON.stringify(result.modelName)},"model_version":${JSON.stringify(result.modelVersion)}`);
  if (id !== undefined) w.utf8(`,"id":${JSON.stringify(id)}`);
  w.ascii(',"outputs":[');
  result.outputs.forEach((o, k) => {
    if (k > 0) w.byte(0x2c);
    w.utf8(`{"name":${JSON.stringify(o.name)},"datatype":"${o.datatype}","shape":[${o.tensor.shape.join(',')}]`);
    if (binary(o.name)) {
      const bytes = encodeRaw(o.tensor.dtype, o.tensor.data);
      parts.push(bytes);
      w.ascii(`,"parameters":{"binary_data_size":${bytes.byteLength}}}`);
    } else {
      w.ascii(',"data":');
      writeJsonData(w, o.tensor);
      w.byte(0x7d); // }
    }
  });
  w.ascii(']}');
  return { json: w.bytes(), binary: parts };
}
