/**
 * The `{"b64": …}` decoder on raw bytes (decodeBase64Bytes, with its round-trip fast path) accepts and decodes
 * exactly as the text decoder (decodeBase64Text: regex validation, absl's rules), over random and edge-case texts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBase64Bytes, decodeBase64Text } from '../../../../src/api/rest/json/base64.ts';
import { prng } from '../../../../src/loadgen/inputs.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function assertSameAsText(text: string): void {
  const got = decodeBase64Bytes(Buffer.from(text, 'latin1'));
  const want = decodeBase64Text(text);
  if (want === undefined) assert.equal(got, undefined, `${JSON.stringify(text)} must be refused`);
  else assert.deepEqual(got && Buffer.from(got), Buffer.from(want), JSON.stringify(text));
}

describe('decodeBase64Bytes = decodeBase64Text', () => {
  it('edge cases: padding, unpadded, trailing bits, whitespace, web-safe and other bytes', () => {
    for (const text of [
      '', 'aQ', 'aQ=', 'aQ==', 'aQ===', 'aR', 'aR==', 'aGk', 'aGk=', 'aGj=', 'aGk==', 'aGVsbG8', 'aGVsbG8=', 'a', 'ab=c',
      '=', '==', 'a===', 'aGVs bG8=', 'aGVs\nbG8=', 'aGVs\r\n\tbG8=', 'aGVsbG8-', 'aGVsbG8_', 'aGVs%G8=', 'aGVs\u00ffbG8=',
      Buffer.alloc(3000, 7).toString('base64'), Buffer.alloc(3001, 9).toString('base64').replace(/=+$/, ''),
    ]) assertSameAsText(text);
  });

  it('random texts over the alphabet, padding, whitespace and a few invalid bytes', () => {
    const rand = prng(0xb64);
    const extra = '= \n\t-_!\u0000\u00e9';
    for (let i = 0; i < 5000; i++) {
      let text: string;
      if (rand() < 0.5) {
        const bytes = Buffer.from(Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 256)));
        text = bytes.toString('base64');
        if (rand() < 0.3) text = text.replace(/=+$/, '');
        if (rand() < 0.3 && text.length > 0) {
          const at = Math.floor(rand() * text.length);
          text = text.slice(0, at) + extra[Math.floor(rand() * extra.length)]! + text.slice(at + 1);
        }
      } else {
        const chars = ALPHABET + (rand() < 0.5 ? extra : '');
        text = Array.from({ length: Math.floor(rand() * 12) }, () => chars[Math.floor(rand() * chars.length)]!).join('');
      }
      assertSameAsText(text);
    }
  });
});
