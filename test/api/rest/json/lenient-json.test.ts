import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, parseLenientJson } from '../../../../src/api/rest/json/lenient-json.ts';
import { debugString } from '../../../../src/api/rest/json/format.ts';
import { assertInferdError, parseText } from './helpers.ts';

describe('lenient JSON parser (rapidjson compatible)', () => {
  const errors: [string, string][] = [
    ['', 'JSON Parse error: The document is empty'],
    ['   ', 'JSON Parse error: The document is empty. at offset: 3'],
    ['x', 'JSON Parse error: Invalid value. at offset: 0'],
    ['{', 'JSON Parse error: Missing a name for object member. at offset: 1'],
    ['{"a" 1}', 'JSON Parse error: Missing a colon after a name of object member. at offset: 5'],
    ['{"a": 1 "b": 2}', "JSON Parse error: Missing a comma or '}' after an object member. at offset: 8"],
    ['[1 2]', "JSON Parse error: Missing a comma or ']' after an array element. at offset: 3"],
    ['"abc', 'JSON Parse error: Missing a closing quotation mark in string. at offset: 4'],
    ['"a\\qb"', 'JSON Parse error: Invalid escape character in string. at offset: 2'],
    ['"\\u12x4"', 'JSON Parse error: Incorrect hex digit after \\u escape in string. at offset: 1'],
    ['nul', 'JSON Parse error: Invalid value. at offset: 3'],
    ['[1,]', 'JSON Parse error: Invalid value. at offset: 3'],
    ['{"a":1,}', 'JSON Parse error: Missing a name for object member. at offset: 7'],
    ['Nan', 'JSON Parse error: Invalid value. at offset: 2'],
    ['Infinit', 'JSON Parse error: Invalid value. at offset: 7'],
    ['1.', 'JSON Parse error: Miss fraction part in number. at offset: 2'],
    ['1e+', 'JSON Parse error: Miss exponent in number. at offset: 3'],
  ];
  for (const [body, message] of errors) {
    it(`rejects ${JSON.stringify(body)}`, () => assertInferdError(() => parseLenientJson(body), 'INVALID_ARGUMENT', message));
  }

  it('accepts NaN, Inf, Infinity, -Inf, -Infinity', () => {
    const v = parseText('[NaN, Inf, Infinity, -Inf, -Infinity]') as number[];
    assert.ok(Number.isNaN(v[0]));
    assert.deepEqual(v.slice(1), [Infinity, Infinity, -Infinity, -Infinity]);
  });

  it('ignores bytes after the top-level value', () => {
    assert.deepEqual(parseText('{"a": 1} trailing garbage {'), { a: 1 });
  });

  it('keeps raw number text and rapidjson number classes', () => {
    const root = parseLenientJson('[9223372036854775807, 18446744073709551615, 18446744073709551616, 1.0, 1e2, -0, 7]').root;
    assert.equal(root.kind, 'array');
    if (root.kind !== 'array') return;
    const nums = root.items.map((n) => (n.kind === 'number' ? [n.text, n.isDouble] : undefined));
    assert.deepEqual(nums, [
      ['9223372036854775807', false], ['18446744073709551615', false], ['18446744073709551616', true],
      ['1.0', true], ['1e2', true], ['-0', false], ['7', false],
    ]);
  });

  it('keeps strings as bytes and resolves escapes and surrogate pairs', () => {
    assert.deepEqual(parseText('"a\\n\\u00e9\\ud83d\\ude00\\/"'), 'a\n\u00e9\u{1F600}/');
    const root = parseLenientJson(Uint8Array.from([0x22, 0xff, 0x22])).root;
    assert.ok(root.kind === 'string' && root.bytes.length === 1 && root.bytes[0] === 0xff);
  });

  it(`rejects nesting deeper than ${MAX_JSON_DEPTH} without overflowing the stack`, () => {
    assert.deepEqual(parseText('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH)) !== undefined, true);
    assertInferdError(() => parseLenientJson('['.repeat(100000)), 'INVALID_ARGUMENT', /^JSON Parse error: Nesting deeper than 512 levels\. at offset: 512$/);
  });

  it('debugString re-serializes like rapidjson PrettyWriter', () => {
    const doc = parseLenientJson('{"a": [1, 2.5, "x"], "b": {"c": null, "d": true}, "e": {}}').root;
    assert.equal(debugString(doc), '{\n    "a": [1, 2.5, "x"],\n    "b": {\n        "c": null,\n        "d": true\n    },\n    "e": {}\n}');
    assert.equal(debugString(parseLenientJson('1.0').root), '1.0');
    assert.equal(debugString(parseLenientJson('"q\\"\\u0001"').root), '"q\\"\\u0001"');
    assert.equal(debugString(parseLenientJson('[1.0, 1e30, 1e-7, -0]').root), '[1.0, 1e30, 1e-7, 0]');
  });

  it('debugString cuts at 256 bytes', () => {
    const big = `[${Array.from({ length: 10000 }, (_, i) => i).join(',')}]`;
    const s = debugString(parseLenientJson(big).root);
    assert.equal(s.length, 256);
    assert.ok(s.startsWith('[0, 1, 2, 3'));
  });

  it('number values equal Number(text) (fast path and slow path)', () => {
    const num = fc.tuple(
      fc.boolean(), fc.stringMatching(/^(0|[1-9][0-9]{0,20})$/), fc.option(fc.stringMatching(/^[0-9]{1,20}$/)),
      fc.option(fc.integer({ min: -330, max: 310 })),
    ).map(([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}${exp === null ? '' : `e${exp}`}`);
    fc.assert(fc.property(num, (text) => {
      const expected = Number(text);
      if (!Number.isFinite(expected)) return;
      const root = parseLenientJson(text).root;
      assert.ok(root.kind === 'number');
      assert.equal(root.text, text);
      if (root.isDouble) assert.ok(Object.is(root.value, expected), text);
      else assert.equal(root.value, expected + 0, text); // rapidjson reads integer -0 as 0
    }), { numRuns: 2000 });
  });
});
