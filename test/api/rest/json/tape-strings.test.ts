/**
 * Long strings on the JSON tape (past the byte-by-byte prefix, where the native search and the four-bytes-at-a-time
 * control check take over): same spans, escapes and errors wherever the special byte sits and however the source
 * is aligned in its buffer. Oracles: JSON.parse for contents, the position of the planted byte for errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJsonTape, stringBytesAt } from '../../../../src/api/rest/json/json-tape.ts';
import { prng } from '../../../../src/loadgen/inputs.ts';
import { assertInferdError } from './helpers.ts';

/** `text` as latin1 bytes placed at byte offset `shift` of a larger buffer (to vary alignment). */
function placed(text: string, shift: number): Uint8Array {
  const buf = new Uint8Array(shift + text.length + 3);
  buf.set(Buffer.from(text, 'latin1'), shift);
  return buf.subarray(shift, shift + text.length);
}

describe('JSON tape: long strings', () => {
  it('plain and escaped strings of any length and alignment read as JSON.parse reads them', () => {
    const rand = prng(0x57);
    for (let i = 0; i < 3000; i++) {
      const n = Math.floor(rand() * 400);
      let s = '';
      for (let j = 0; j < n; j++) s += String.fromCharCode(0x20 + Math.floor(rand() * 0x5e)).replace(/["\\]/, 'x');
      if (rand() < 0.4 && n > 0) {
        const at = Math.floor(rand() * n);
        s = s.slice(0, at) + ['\\n', '\\"', '\\u00e9', '\\\\', '\\/'][Math.floor(rand() * 5)]! + s.slice(at);
      }
      const text = `["${s}", "${s}"]`;
      const tape = parseJsonTape(placed(text, Math.floor(rand() * 8)));
      const want = JSON.parse(text) as string[];
      assert.equal(Buffer.from(stringBytesAt(tape, 1)).toString('utf8'), want[0], text);
      assert.equal(Buffer.from(stringBytesAt(tape, 2)).toString('utf8'), want[1], text);
      assert.equal(tape.end[1], s.length + 3, text);
    }
  });

  it('a control byte anywhere in a long string is "Invalid encoding in string." at its offset', () => {
    const rand = prng(0x58);
    for (let i = 0; i < 2000; i++) {
      const n = 1 + Math.floor(rand() * 400);
      const at = Math.floor(rand() * n);
      const chars = Array.from({ length: n }, () => 'ab+/9Z='[Math.floor(rand() * 7)]!);
      const bad = 1 + Math.floor(rand() * 0x1f);
      chars[at] = String.fromCharCode(bad);
      const text = `{"k": "${chars.join('')}"}`;
      assertInferdError(() => parseJsonTape(placed(text, Math.floor(rand() * 8))), 'INVALID_ARGUMENT',
        `JSON Parse error: Invalid encoding in string. at offset: ${7 + at}`);
    }
  });

  it('errors after a long plain run: missing quote, NUL, bad escape; a backslash in a later string', () => {
    const run = 'A'.repeat(300);
    assertInferdError(() => parseJsonTape(`["${run}`), 'INVALID_ARGUMENT', 'JSON Parse error: Missing a closing quotation mark in string. at offset: 302');
    assertInferdError(() => parseJsonTape(`["${run}\u0000"]`), 'INVALID_ARGUMENT', 'JSON Parse error: Missing a closing quotation mark in string. at offset: 302');
    assertInferdError(() => parseJsonTape(`["${run}\\q"]`), 'INVALID_ARGUMENT', 'JSON Parse error: Invalid escape character in string. at offset: 302');
    const tape = parseJsonTape(`["${run}", "${run}", "${run}\\t${run}"]`);
    assert.equal(Buffer.from(stringBytesAt(tape, 3)).toString('latin1'), `${run}\t${run}`);
    assert.equal(Buffer.from(stringBytesAt(tape, 1)).toString('latin1'), run);
  });
});
