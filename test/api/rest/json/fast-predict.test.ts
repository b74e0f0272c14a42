/**
 * The JSON.parse fast path only ever accepts what the exact path accepts, and then builds the same tensors.
 * Property tests over random float bodies (row and columnar, one or two inputs) and random malformed variants.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { DType } from '../../../../src/core/dtype.ts';
import type { Signature } from '../../../../src/core/signature.ts';
import type { Tensor } from '../../../../src/core/tensor.ts';
import { fastDecodePredict, fastParsePredict } from '../../../../src/api/rest/json/fast-predict.ts';
import { decodePredictInputs, parsePredictRequest } from '../../../../src/api/rest/json/predict-request.ts';

function sig(inputs: Record<string, DType>): Signature {
  return {
    inputs: Object.fromEntries(Object.entries(inputs).map(([k, dtype]) => [k, { name: `${k}:0`, dtype }])),
    outputs: {},
    methodName: 'tensorflow/serving/predict',
  };
}

/** What the exact path answers: tensors, or the error message. */
function exact(body: string, s: Signature): Record<string, Tensor> | string {
  try {
    return decodePredictInputs(parsePredictRequest(body), s, 'serving_default');
  } catch (err) {
    return (err as Error).message;
  }
}

function fast(body: string, s: Signature): Record<string, Tensor> | undefined {
  const req = fastParsePredict(body);
  return req && fastDecodePredict(req, s);
}

const plain = (t: Record<string, Tensor>) =>
  Object.fromEntries(Object.entries(t).map(([k, v]) => [k, { dtype: v.dtype, shape: [...v.shape], data: Array.from(v.data as Float32Array) }]));

const float = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 });
/** A rectangular nested list of floats with `rank` dimensions (rank 0 = a number). */
const nested = (dims: number[]): fc.Arbitrary<unknown> => {
  const [first, ...rest] = dims;
  return first === undefined ? float : fc.array(nested(rest), { minLength: first, maxLength: first });
};
const dimsArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 });

describe('fast predict path', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`row format, one ${dtype} input: same tensors as the exact path`, () => {
      const s = sig({ x: dtype });
      fc.assert(fc.property(dimsArb, fc.integer({ min: 1, max: 5 }), (dims, n) => {
        const rows = fc.sample(nested(dims), n);
        const body = JSON.stringify({ instances: rows });
        const got = fast(body, s);
        const want = exact(body, s);
        assert.ok(got, `fast path should accept ${body}`);
        assert.notEqual(typeof want, 'string', String(want));
        assert.deepEqual(plain(got), plain(want as Record<string, Tensor>));
      }), { numRuns: 150 });
    });
  }

  it('named rows and columnar objects with two inputs: same tensors as the exact path', () => {
    const s = sig({ a: 'float32', b: 'float64' });
    fc.assert(fc.property(dimsArb, dimsArb, fc.integer({ min: 1, max: 4 }), (da, db, n) => {
      const rows = Array.from({ length: n }, () => ({ a: fc.sample(nested(da), 1)[0], b: fc.sample(nested(db), 1)[0] }));
      for (const body of [JSON.stringify({ instances: rows }), JSON.stringify({ signature_name: '', inputs: { a: fc.sample(nested(da), 1)[0], b: fc.sample(nested(db), 1)[0], extra: 'ignored' } })]) {
        const got = fast(body, s);
        const want = exact(body, s);
        assert.ok(got, `fast path should accept ${body}`);
        assert.deepEqual(plain(got), plain(want as Record<string, Tensor>));
      }
    }), { numRuns: 150 });
  });

  it('never accepts what the exact path rejects, and agrees whenever it accepts', () => {
    const s = sig({ x: 'float32' });
    const piece = fc.constantFrom('[', ']', '1', '2.5', ',', '"s"', 'true', 'null', '{"x": 1}', '[]', '{"b64": "AA=="}', '1e400', '-0');
    fc.assert(fc.property(fc.array(piece, { minLength: 1, maxLength: 10 }), fc.constantFrom('instances', 'inputs'), (parts, key) => {
      const body = `{"${key}": ${parts.join('')}}`;
      const got = fast(body, s);
      if (!got) return;
      const want = exact(body, s);
      assert.notEqual(typeof want, 'string', `fast accepted ${body} but the exact path says: ${String(want)}`);
      assert.deepEqual(plain(got), plain(want as Record<string, Tensor>));
    }), { numRuns: 2000 });
  });

  it('leaves integers, strings, errors and unusual bodies to the exact path', () => {
    const cases: [string, Signature][] = [
      ['{"instances": [1, 2]}', sig({ x: 'int32' })],
      ['{"instances": ["a"]}', sig({ x: 'string' })],
      ['{"instances": [NaN]}', sig({ x: 'float32' })],
      ['{"instances": [[1], [2, 3]]}', sig({ x: 'float32' })],
      ['{"instances": [1], "inputs": [1]}', sig({ x: 'float32' })],
      ['{"signature_name": 3, "instances": [1]}', sig({ x: 'float32' })],
      ['{"instances": []}', sig({ x: 'float32' })],
      ['{"instances": [1]} trailing', sig({ x: 'float32' })],
      ['{"inputs": {"y": [1]}}', sig({ x: 'float32' })],
      ['{"instances": [1]}', sig({})],
    ];
    for (const [body, s] of cases) assert.equal(fast(body, s), undefined, body);
  });
});
