// The JSON response bound (api/rest/json/response-size.ts) is an upper bound of the text the encoders really write:
// TF Serving's row and columnar bodies and OIP's JSON outputs, for random tensors of every JSON dtype, extreme
// values, zero-size dims and escaped strings. Oracle: the encoders' own output length.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodePredictResponse } from '../../../../src/api/rest/json/predict-response.ts';
import { jsonTensorBytes } from '../../../../src/api/rest/json/response-size.ts';
import { encodeInferResponse } from '../../../../src/api/rest/oip/infer-response.ts';
import { oipDatatype } from '../../../../src/api/oip/datatype.ts';
import type { DType } from '../../../../src/core/dtype.ts';
import { allocate, type Tensor } from '../../../../src/core/tensor.ts';

const DTYPES: DType[] = ['float32', 'float64', 'int8', 'uint8', 'int16', 'int32', 'uint32', 'int64', 'uint64', 'bool', 'string'];
const EXTREMES: Record<string, readonly (number | bigint)[]> = {
  float32: [-1.1754943508222875e-38, -3.4028234663852886e38, 1 / 3, -0, NaN, -Infinity],
  float64: [-2.2250738585072014e-308, -1.7976931348623157e308, -1 / 3, -5e-324],
  int8: [-128], uint8: [255], int16: [-32768], int32: [-2147483648], uint32: [4294967295],
  int64: [-(2n ** 63n)], uint64: [2n ** 64n - 1n], bool: [1],
};

function tensorOf(dtype: DType, shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    if (dtype === 'string') (data as Uint8Array[])[i] = Uint8Array.from({ length: (seed + i) % 7 }, (_, k) => (k * 37 + seed) % 256);
    else (data as unknown as (number | bigint)[])[i] = EXTREMES[dtype]![(seed + i) % EXTREMES[dtype]!.length]!;
  }
  return { dtype, shape, data };
}

describe('JSON response size bound', () => {
  it('is never below what the TF Serving and OIP encoders write', () => {
    fc.assert(fc.property(
      fc.constantFrom(...DTYPES), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }), fc.nat(1000),
      fc.constantFrom('y', 'out_bytes', 'é"\\'),
      (dtype, shape, seed, alias) => {
        const t = tensorOf(dtype, shape, seed);
        const bound = jsonTensorBytes(alias, t);
        for (const format of ['row', 'columnar'] as const) {
          const text = encodePredictResponse(format, { [alias]: t, other: tensorOf('bool', [shape[0]!], 1) });
          const single = encodePredictResponse(format, { [alias]: t });
          assert.ok(Buffer.byteLength(single) <= bound, `${format} ${dtype} [${shape}]: ${Buffer.byteLength(single)} > ${bound}`);
          assert.ok(Buffer.byteLength(text) <= bound + jsonTensorBytes('other', tensorOf('bool', [shape[0]!], 1)));
        }
        const oip = encodeInferResponse({ modelName: 'm', modelVersion: '1', outputs: [{ name: alias, datatype: oipDatatype(dtype), tensor: t }], signatureName: 's' }, undefined, () => false);
        assert.ok(Buffer.byteLength(oip.json) <= bound, `oip ${dtype} [${shape}]`);
      },
    ), { numRuns: 300, seed: 9 });
  });
});
