import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodePredictResponse } from '../../../../src/api/rest/json/predict-response.ts';
import { stringTensor, tensor } from '../../../../src/core/tensor.ts';
import { assertInferdError, parseText } from './helpers.ts';

const f32 = (shape: number[], v: number[]) => tensor('float32', shape, Float32Array.from(v));

describe('encodePredictResponse', () => {
  it('row format, one output: one row per batch item', () => {
    const text = encodePredictResponse('row', { y: f32([3], [3.5, 4, 5.5]) });
    assert.deepEqual(parseText(text), { predictions: [3.5, 4, 5.5] });
    assert.match(text, /\[3\.5, 4\.0, 5\.5/);
    assert.deepEqual(parseText(encodePredictResponse('row', { y: f32([2, 2], [1, 2, 3, 4]) })), { predictions: [[1, 2], [3, 4]] });
  });
  it('row format, several outputs: one object per batch item', () => {
    const out = { a: f32([2, 1], [1, 2]), b: tensor('int64', [2], BigInt64Array.from([9223372036854775807n, -1n])) };
    assert.deepEqual(parseText(encodePredictResponse('row', out)), {
      predictions: [{ a: [1], b: 9223372036854775807n }, { a: [2], b: -1 }],
    });
  });
  it('row format, zero batch → empty predictions', () => {
    assert.deepEqual(parseText(encodePredictResponse('row', { y: f32([0, 3], []) })), { predictions: [] });
  });
  it('columnar format: whole tensors, bare scalar for rank 0', () => {
    assert.deepEqual(parseText(encodePredictResponse('columnar', { y: f32([2, 2], [1, 2, 3, 4]) })), { outputs: [[1, 2], [3, 4]] });
    assert.deepEqual(parseText(encodePredictResponse('columnar', { y: f32([], [7]) })), { outputs: 7 });
    assert.deepEqual(parseText(encodePredictResponse('columnar', { a: f32([1], [1]), b: stringTensor([2], ['x', 'é"']) })), {
      outputs: { a: [1], b: ['x', 'é"'] },
    });
  });
  it('_bytes string outputs are {"b64": ...}; every integer dtype and bool as numbers and booleans', () => {
    const out = {
      s_bytes: tensor('string', [2], [Uint8Array.from([0, 255]), Uint8Array.from([104, 105])]),
      i8: tensor('int8', [2], Int8Array.from([-1, 2])),
      u64: tensor('uint64', [2], BigUint64Array.from([18446744073709551615n, 0n])),
      b: tensor('bool', [2], Uint8Array.from([1, 0])),
      d: tensor('float64', [2], Float64Array.from([0.1, 1 / 3])),
    };
    assert.deepEqual(parseText(encodePredictResponse('columnar', out)), {
      outputs: {
        s_bytes: [{ b64: 'AP8=' }, { b64: 'aGk=' }], i8: [-1, 2], u64: [18446744073709551615n, 0], b: [true, false],
        d: [0.1, 1 / 3],
      },
    });
  });
  it('NaN and infinities are raw tokens; floats use WriteDecimal', () => {
    const text = encodePredictResponse('columnar', { y: f32([5], [NaN, Infinity, -Infinity, 9000000, 0.1]) });
    assert.match(text, /\[NaN, Infinity, -Infinity, 9e\+06, 0\.1\]/);
  });
  it('follows signature output order when given', () => {
    const sig = { inputs: {}, outputs: { b: { name: 'b', dtype: 'float32' as const }, a: { name: 'a', dtype: 'float32' as const } }, methodName: '' };
    const text = encodePredictResponse('columnar', { a: f32([1], [1]), b: f32([1], [2]) }, sig);
    assert.ok(text.indexOf('"b"') < text.indexOf('"a"'));
  });
  const errors: [string, () => unknown, string][] = [
    ['no outputs', () => encodePredictResponse('row', {}), 'Cannot convert empty tensor map to JSON'],
    ['rank 0 in row format', () => encodePredictResponse('row', { y: f32([], [1]) }), 'Tensor name: y has no shape information '],
    ['inconsistent batch', () => encodePredictResponse('row', { a: f32([2], [1, 2]), b: f32([3], [1, 2, 3]) }), 'Tensor name: b has inconsistent batch size: 3 expecting: 2'],
    ['half output', () => encodePredictResponse('columnar', { h: tensor('float16', [1], Uint16Array.from([0])) }), 'Failed to write JSON value for tensor type: half'],
    ['bfloat16 output', () => encodePredictResponse('row', { h: tensor('bfloat16', [1], Uint16Array.from([0])) }), 'Failed to write JSON value for tensor type: bfloat16'],
  ];
  for (const [name, fn, message] of errors) it(`error: ${name}`, () => assertInferdError(fn, 'INVALID_ARGUMENT', message));
});
