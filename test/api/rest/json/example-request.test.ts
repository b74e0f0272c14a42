import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeClassifyResponse, encodeRegressResponse, parseExampleRequest } from '../../../../src/api/rest/json/example-request.ts';
import { decodeString } from '../../../../src/core/tensor.ts';
import { assertInferdError, parseText } from './helpers.ts';

describe('parseExampleRequest', () => {
  it('maps JSON values to feature kinds', () => {
    const r = parseExampleRequest(
      '{"signature_name": "regress_x_to_y", "context": {"c": "ctx"}, "examples": [{"x": 2.0, "i": [1, true, false], "s": ["a", {"b64": "aGk="}], "e": 1e2, "big": 9223372036854775807}]}',
      'regress',
    );
    assert.equal(r.signatureName, 'regress_x_to_y');
    const ctx = r.context?.get('c');
    assert.ok(ctx?.kind === 'bytes' && decodeString(ctx.values[0]!) === 'ctx');
    const ex = r.examples[0]!;
    assert.deepEqual(ex.get('x'), { kind: 'float', values: [2] });
    assert.deepEqual(ex.get('i'), { kind: 'int64', values: [1n, 1n, 0n] });
    assert.deepEqual(ex.get('e'), { kind: 'float', values: [100] });
    assert.deepEqual(ex.get('big'), { kind: 'int64', values: [9223372036854775807n] });
    const s = ex.get('s');
    assert.ok(s?.kind === 'bytes');
    assert.deepEqual(s.values.map(decodeString), ['a', 'hi']);
  });
  it('an integer is int64, not float ({"x": 2} fails in half_plus_two graphs)', () => {
    assert.deepEqual(parseExampleRequest('{"examples": [{"x": 2}]}', 'classify').examples[0]!.get('x'), { kind: 'int64', values: [2n] });
  });
  const errors: [string, string | RegExp][] = [
    ['', 'JSON Parse error: The document is empty'],
    ['[1]', 'JSON Value: [1] Is not object'],
    ['{"signature_name": [], "examples": []}', /^JSON Value: \{\n {4}"signature_name": \[\],[^]*'signature_name' key must be a string value\.$/],
    ['{"instances": [1]}', 'JSON Value: {\n    "instances": [1]\n} When method is classify, key \'examples\' is expected and was not found'],
    ['{"examples": {}}', 'JSON Value: {\n    "examples": {}\n} Expecting \'examples\' value to be an list/array'],
    ['{"examples": []}', 'JSON Value: {\n    "examples": []\n} \'examples\' value is an empty array'],
    ['{"examples": [1]}', 'Example must be JSON object but got JSON Number'],
    ['{"examples": [[]]}', 'Example must be JSON object but got JSON Array'],
    ['{"context": "c", "examples": [{}]}', 'Example must be JSON object but got JSON String'],
    ['{"context": {"f": null}}', 'Feature: f has element with unexpected JSON type: Null'],
    ['{"examples": [{"f": [[1]]}]}', 'Feature: f has element with unexpected JSON type: Array'],
    ['{"examples": [{"f": {"a": 1}}]}', 'Feature: f has element with unexpected JSON type: Object'],
    ['{"examples": [{"f": [1, 2.5]}]}', 'Unexpected element type in feature: f expecting type: int64'],
    ['{"examples": [{"f": [2.5, "s"]}]}', 'Unexpected element type in feature: f expecting type: float'],
    ['{"examples": [{"f": ["s", true]}]}', 'Unexpected element type in feature: f expecting type: bytes'],
    ['{"examples": [{"f": 18446744073709551615}]}', 'Feature: f has uint64_t element. Only int64_t is supported.'],
    ['{"examples": [{"f": {"b64": "%%%"}}]}', 'Unable to base64 decode'],
  ];
  for (const [body, message] of errors) {
    it(`rejects ${JSON.stringify(body)}`, () => assertInferdError(() => parseExampleRequest(body, 'regress'), 'INVALID_ARGUMENT', message));
  }
  it('context errors come before a missing examples key', () => {
    assertInferdError(() => parseExampleRequest('{"context": []}', 'classify'), 'INVALID_ARGUMENT', 'Example must be JSON object but got JSON Array');
  });
});

describe('classify / regress responses', () => {
  it('classify: {"results": [[[label, score], ...], ...]}', () => {
    const text = encodeClassifyResponse([[{ label: 'a', score: 0.25 }, { label: '', score: 3 }], [{ label: 'b', score: 0.1 }]]);
    assert.deepEqual(parseText(text), { results: [[['a', 0.25], ['', 3]], [['b', 0.1]]] });
  });
  it('regress: {"results": [v, ...]} with float formatting', () => {
    const text = encodeRegressResponse([2.5, 3, 0.1]);
    assert.deepEqual(parseText(text), { results: [2.5, 3, 0.1] });
    assert.match(text, /\[2\.5, 3\.0, 0\.1\]/);
  });
  it('empty results are errors', () => {
    assertInferdError(() => encodeClassifyResponse([]), 'INVALID_ARGUMENT', 'Cannot convert empty ClassificationResults to JSON');
    assertInferdError(() => encodeRegressResponse([]), 'INVALID_ARGUMENT', 'Cannot convert empty RegressionResults to JSON');
  });
});
