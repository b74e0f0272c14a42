/**
 * The Open Inference Protocol's REST inference response (`$inference_response`, shared/reference/open-inference-
 * protocol.md §2.2), with the binary tensor data extension (§2.4): outputs asked for as binary carry
 * `parameters.binary_data_size` instead of `data`, and their raw bytes follow the JSON in output order; the
 * caller sends `Inference-Header-Content-Length` with the JSON's byte length. `data` is always flat (row-major).
 */
import { bfloat16BitsToNumber, halfBitsToNumber } from '../../../core/half.ts';
import { decodeString, type Tensor } from '../../../core/tensor.ts';
import type { OipInferResult } from '../../oip/infer.ts';
import { encodeRaw } from '../../oip/raw.ts';
import { formatFloat32, formatFloat64 } from '../json/format.ts';

/** An encoded answer: the JSON header, plus binary parts when any output is binary. */
export interface EncodedInferResponse {
  readonly json: string;
  /** Raw output bytes in output order; empty when every output is JSON. */
  readonly binary: readonly Uint8Array[];
}

/** A flat JSON array of a tensor's elements (FP16/BF16 as numbers, BYTES as UTF-8 strings, INT64 exact). */
export function jsonData(t: Tensor): string {
  const parts: string[] = new Array<string>(t.data.length);
  switch (t.dtype) {
    case 'float32': { const d = t.data as Float32Array; for (let i = 0; i < d.length; i++) parts[i] = formatFloat32(d[i]!); break; }
    case 'float64': { const d = t.data as Float64Array; for (let i = 0; i < d.length; i++) parts[i] = formatFloat64(d[i]!); break; }
    case 'float16': { const d = t.data as Uint16Array; for (let i = 0; i < d.length; i++) parts[i] = formatFloat32(halfBitsToNumber(d[i]!)); break; }
    case 'bfloat16': { const d = t.data as Uint16Array; for (let i = 0; i < d.length; i++) parts[i] = formatFloat32(bfloat16BitsToNumber(d[i]!)); break; }
    case 'bool': { const d = t.data as Uint8Array; for (let i = 0; i < d.length; i++) parts[i] = d[i] ? 'true' : 'false'; break; }
    case 'string': { const d = t.data as Uint8Array[]; for (let i = 0; i < d.length; i++) parts[i] = JSON.stringify(decodeString(d[i]!)); break; }
    default: { const d = t.data as ArrayLike<number | bigint>; for (let i = 0; i < d.length; i++) parts[i] = String(d[i]); break; }
  }
  return `[${parts.join(',')}]`;
}

/** Encode an answer; `binary(name)` says whether that output goes as binary data. */
export function encodeInferResponse(result: OipInferResult, id: string | undefined, binary: (name: string) => boolean): EncodedInferResponse {
  const parts: Uint8Array[] = [];
  const outputs = result.outputs.map((o) => {
    const head = `{"name":${JSON.stringify(o.name)},"datatype":"${o.datatype}","shape":[${o.tensor.shape.join(',')}]`;
    if (binary(o.name)) {
      const bytes = encodeRaw(o.tensor.dtype, o.tensor.data);
      parts.push(bytes);
      return `${head},"parameters":{"binary_data_size":${bytes.byteLength}}}`;
    }
    return `${head},"data":${jsonData(o.tensor)}}`;
  });
  const idPart = id !== undefined ? `,"id":${JSON.stringify(id)}` : '';
  const json = `{"model_name":${JSON.stringify(result.modelName)},"model_version":${JSON.stringify(result.modelVersion)}${idPart},"outputs":[${outputs.join(',')}]}`;
  return { json, binary: parts };
}
