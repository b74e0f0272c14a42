// Keras text preprocessing exported in a SavedModel (test/support/keras-text.ts): TextVectorization (StringLower,
// StaticRegexReplace, StringSplitV2, ragged → dense, StringLookup through a StaticHashTable) and StringLookup on a
// dense input, each against a plain-JavaScript tokenizer and lookup over the same vocabulary and weights.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import { strings } from '../../support/savedmodel-builder.ts';
import { LOOKUP, writeKerasStringLookup, writeKerasTextVectorization } from '../../support/keras-text.ts';
import { re2Replacement, re2ToRegExp } from '../../../src/runtimes/savedmodel/re2-regex.ts';
import { splitV2 } from '../../../src/runtimes/savedmodel/string-ops.ts';

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs((actual[i] as number) - (expected[i] as number)) <= tol, `element ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

const utf8 = new TextEncoder();
const text = (parts: Uint8Array[]): string[] => parts.map((p) => Buffer.from(p).toString('utf8'));

describe('RE2 patterns and StringSplitV2 (TensorFlow semantics)', () => {
  it('translates RE2 escapes, classes and rewrites', () => {
    assert.equal('Hello, World! (it\'s) a-b'.replace(re2ToRegExp('[!"#$%&()\\*\\+,-\\./:;<=>?@\\[\\\\\\]^_`{|}~\\\']', true, 't'), ''), 'Hello World its ab');
    assert.equal('ab12cd'.replace(re2ToRegExp('([a-z]+)(\\d+)', true, 't'), re2Replacement('\\2-\\1 $')), '12-ab $cd');
    assert.equal('x\u000by z'.replace(re2ToRegExp('\\s', true, 't'), '_'), 'x\u000by_z');
    assert.equal('ABC abc'.replace(re2ToRegExp('(?i)b', false, 't'), '.'), 'A.C abc');
    assert.equal('a1 b2'.replace(re2ToRegExp('[[:alpha:]]', true, 't'), '#'), '#1 #2');
    assert.throws(() => re2ToRegExp('(?<=a', true, 'StaticRegexReplace'), /UNIMPLEMENTED|not supported/);
  });
  it('splits like Python str.split', () => {
    const s = (t: string, sep: string, max = -1) => text(splitV2(utf8.encode(t), utf8.encode(sep), max));
    assert.deepEqual(s('  a \t b\n', ''), ['a', 'b']);
    assert.deepEqual(s('', ''), []);
    assert.deepEqual(s('1<>2<><>3', '<>'), ['1', '2', '', '3']);
    assert.deepEqual(s('', ','), ['']);
    assert.deepEqual(s('a,b,c', ',', 1), ['a', 'b,c']);
    assert.deepEqual(s('a b  c', '', 1), ['a', 'b  c']);
  });
});

describe('Keras text models', () => {
  let rt: SavedModelRuntime;
  let tmp: string;
  before(async () => {
    rt = await SavedModelRuntime.create({ workers: 0 });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-keras-text-'));
  });
  after(async () => {
    await rt?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('TextVectorization → Embedding → pooling → Dense equals a plain tokenizer and lookup', async () => {
    const dir = path.join(tmp, 'tv', '1');
    const reference = writeKerasTextVectorization(dir);
    const m = await rt.load({ modelName: 'tv', version: 1, path: dir });
    try {
      const texts = [
        'The movie was GREAT!', 'not  the\tplot...', '', 'Bad acting, bad plot, bad movie; the end', 'Unknown-words ÉTÉ?', "it's the movie's plot",
      ];
      const out = (await m.run({ signatureName: 'serving_default', inputs: { text: strings([texts.length, 1], texts) } }))['dense'];
      assert.deepEqual(out?.shape, [texts.length, 1]);
      assertClose(out?.data as Float32Array, reference(texts));
      // A lone row: the ragged batch has one row and the padded width comes from output_sequence_length.
      const one = (await m.run({ signatureName: 'serving_default', inputs: { text: strings([1, 1], ['plot']) } }))['dense'];
      assertClose(one?.data as Float32Array, reference(['plot']));
    } finally {
      await m.close();
    }
  });

  it('StringLookup (one OOV index, no mask) → Embedding → pooling → Dense equals the plain lookup', async () => {
    const dir = path.join(tmp, 'lookup', '1');
    const reference = writeKerasStringLookup(dir);
    const m = await rt.load({ modelName: 'lookup', version: 1, path: dir });
    try {
      const rows = [['red', 'blue', 'cyan'], ['mauve', 'red', ''], ['green', 'green', 'Red']];
      const out = (await m.run({ signatureName: 'serving_default', inputs: { colors: strings([rows.length, LOOKUP.width], rows.flat()) } }))['dense'];
      assert.deepEqual(out?.shape, [rows.length, 1]);
      assertClose(out?.data as Float32Array, reference(rows));
    } finally {
      await m.close();
    }
  });
});
