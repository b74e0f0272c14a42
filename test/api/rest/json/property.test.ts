import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseExampleRequest } from '../../../../src/api/rest/json/example-request.ts';
import { formatFloat32, formatFloat64 } from '../../../../src/api/rest/json/format.ts';
import { decodePredictInputs, parsePredictRequest } from '../../../../src/api/rest/json/predict-request.ts';
import { encodePredictResponse } from '../../../../src/api/rest/json/predict-response.ts';
import type { DType } from '../../../../src/core/dtype.ts';
import { InferdError } from '../../../../src/core/errors.ts';
import type { Signature } from '../../../../src/core/signature.ts';
import { parseText } from './helpers.ts';

type Kind = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'string' | 'bytes';

/** A leaf generator: the JSON text to send and the value expected back after parseText of the response. */
function leaf(kind: Kind): fc.Arbitrary<{ json: string; back: unknown }> {
  switch (kind) {
    case 'float32': return fc.float().map((v) => ({ json: formatFloat32(v), back: v }));
    case 'float64': return fc.double().map((v) => ({ json: formatFloat64(v), back: v }));
    case 'int32': return fc.integer().map((v) => ({ json: String(v), back: v }));
    case 'int64':
      return fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map((v) => ({
        json: String(v), back: Number.isSafeInteger(Number(v)) ? Number(v) : v,
      }));
    case 'bool': return fc.boolean().map((v) => ({ json: String(v), back: v }));
    case 'string': return fc.string({ unit: 'grapheme' }).map((v) => ({ json: JSON.stringify(v), back: v }));
    case 'bytes':
      return fc.uint8Array({ maxLength: 8 }).map((v) => {
        const b64 = Buffer.from(v).toString('base64');
        return { json: `{"b64": "${b64}"}`, back: { b64 } };
      });
  }
}

/** A rectangular nested array of `shape` (as JSON text and expected value). */
function nested(kind: Kind, shape: readonly number[]): fc.Arbitrary<{ json: string; back: unknown }> {
  const count = shape.reduce((a, b) => a * b, 1);
  return fc.array(leaf(kind), { minLength: count, maxLength: count }).map((leaves) => {
    let i = 0;
    const build = (dim: number): { json: string; back: unknown } => {
      if (dim === shape.length) return leaves[i++]!;
      const parts = Array.from({ length: shape[dim]! }, () => build(dim + 1));
      return { json: `[${parts.map((p) => p.json).join(', ')}]`, back: parts.map((p) => p.back) };
    };
    return build(0);
  });
}

/** Float32 text is the shortest that round-trips *as float32*: compare after rounding the parsed doubles. */
function normalize(kind: Kind, v: unknown): unknown {
  if (kind !== 'float32') return v;
  const walk = (x: unknown): unknown => (Array.isArray(x) ? x.map(walk) : typeof x === 'number' ? Math.fround(x) : x);
  return walk(v);
}

const KINDS: Kind[] = ['float32', 'float64', 'int32', 'int64', 'bool', 'string', 'bytes'];
const dtypeOf = (k: Kind): DType => (k === 'bytes' ? 'string' : k);
const aliasOf = (k: Kind): string => (k === 'bytes' ? 'y_bytes' : 'y');
const sigOf = (k: Kind): Signature => ({
  inputs: { [aliasOf(k)]: { name: 'x:0', dtype: dtypeOf(k) } }, outputs: {}, methodName: 'tensorflow/serving/predict',
});

const caseArb = (minRank: number) => fc.constantFrom(...KINDS).chain((kind) =>
  fc.array(fc.integer({ min: minRank === 1 ? 1 : 0, max: 3 }), { minLength: minRank, maxLength: 3 }).chain((shape) =>
    nested(kind, shape).map((value) => ({ kind, shape, value }))));

describe('property: decode → encode round trip', () => {
  it('columnar: {"inputs": t} comes back as {"outputs": t}', () => {
    fc.assert(fc.property(caseArb(0), ({ kind, shape, value }) => {
      const parsed = parsePredictRequest(`{"inputs": ${value.json}}`);
      const inputs = decodePredictInputs(parsed, sigOf(kind), 'serving_default');
      const t = inputs[aliasOf(kind)]!;
      // JSON cannot express dims after a zero-sized one: `[]` is shape [0].
      assert.deepEqual(t.shape, shape.includes(0) ? shape.slice(0, shape.indexOf(0) + 1) : shape);
      const text = encodePredictResponse('columnar', { [aliasOf(kind)]: t });
      assert.deepStrictEqual(normalize(kind, (parseText(text) as { outputs: unknown }).outputs), value.back);
    }), { numRuns: 300 });
  });
  it('row: {"instances": t} comes back as {"predictions": t}', () => {
    fc.assert(fc.property(caseArb(1), ({ kind, value }) => {
      const parsed = parsePredictRequest(`{"instances": ${value.json}}`);
      const inputs = decodePredictInputs(parsed, sigOf(kind), 'serving_default');
      const text = encodePredictResponse(parsed.format, inputs);
      assert.deepStrictEqual(normalize(kind, (parseText(text) as { predictions: unknown }).predictions), value.back);
    }), { numRuns: 300 });
  });
});

describe('property: malformed bodies only ever throw InferdError', () => {
  const SIG: Signature = {
    inputs: { a: { name: 'a', dtype: 'float32' }, b: { name: 'b', dtype: 'string' } }, outputs: {}, methodName: '',
  };
  const VALID = [
    '{"instances": [{"a": [1.5, 2], "b": {"b64": "aGk="}}, {"a": [3, 4], "b": "x"}]}',
    '{"inputs": {"a": [[1, NaN]], "b": ["s"]}, "signature_name": "serving_default"}',
    '{"examples": [{"x": [1.0, 2.0], "s": "v"}], "context": {"c": 1}}',
  ];
  const exercise = (body: Uint8Array | string): void => {
    for (const run of [
      () => decodePredictInputs(parsePredictRequest(body), SIG, 'serving_default'),
      () => parseExampleRequest(body, 'classify'),
    ]) {
      try {
        run();
      } catch (err) {
        assert.ok(err instanceof InferdError, `not an InferdError: ${String(err)}`);
      }
    }
  };
  const mutation = fc.tuple(fc.constantFrom(...VALID), fc.array(fc.tuple(fc.nat(), fc.constantFrom(
    '', '[', ']', '{', '}', '"', ',', ':', '\\', 'N', 'I', '-', '.', 'e', '0', '1e999', '{"b64": 1}', '\u0000', 'é',
  )), { minLength: 1, maxLength: 4 })).map(([text, edits]) => {
    let s = text;
    for (const [at, ins] of edits) {
      const i = at % (s.length + 1);
      s = s.slice(0, i) + ins + s.slice(i + (at % 3 === 0 ? 1 : 0));
    }
    return s;
  });
  it('1000 mutated bodies', () => {
    fc.assert(fc.property(mutation, (body) => exercise(body)), { numRuns: 1000 });
  });
  it('1000 random byte strings and JSON-alphabet strings', () => {
    const alphabet = fc.string({ unit: fc.constantFrom(...'{}[]":,\\ 0123456789.eE-+NaInfityrulsb64x'.split('')), maxLength: 60 });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 60 }), alphabet), (body) => exercise(body)), { numRuns: 1000 });
  });
  it('deep nesting is rejected without a stack overflow', () => {
    for (const open of ['[', '{"a":', '[{"x":']) exercise(`{"inputs": ${open.repeat(20000)}`);
    assert.ok(true);
  });
});
