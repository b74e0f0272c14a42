import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_DTYPES } from '../../../src/core/dtype.ts';
import { batchRows, concatRows, joinRows, sliceRows } from '../../../src/core/batching/rows.ts';
import { stringTensor, tensor } from '../../../src/core/tensor.ts';
import { makeTensor, plain } from './inner.ts';

describe('batching rows', () => {
  it('finds the common dim 0, or undefined for scalars and disagreement', () => {
    assert.equal(batchRows({ a: makeTensor('float32', [3, 2], 1), b: makeTensor('string', [3], 2) }), 3);
    assert.equal(batchRows({ a: makeTensor('float32', [3, 2], 1), b: makeTensor('int32', [2], 2) }), undefined);
    assert.equal(batchRows({ a: makeTensor('float32', [], 1) }), undefined);
    assert.equal(batchRows({}), undefined);
  });

  for (const dtype of ALL_DTYPES) {
    it(`concatenates and slices back ${dtype}`, () => {
      const parts = [makeTensor(dtype, [1, 2, 3], 1), makeTensor(dtype, [2, 2, 3], 2), makeTensor(dtype, [3, 2, 3], 3)];
      const merged = concatRows(parts, 6);
      assert.deepEqual(merged.shape, [6, 2, 3]);
      assert.equal(merged.data.length, 36);
      assert.deepEqual(plain({ t: sliceRows(merged, 0, 1) }), plain({ t: parts[0]! }));
      assert.deepEqual(plain({ t: sliceRows(merged, 1, 2) }), plain({ t: parts[1]! }));
      assert.deepEqual(plain({ t: sliceRows(merged, 3, 3) }), plain({ t: parts[2]! }));
      assert.deepEqual(plain({ t: joinRows(parts) }), plain({ t: merged }));
    });
  }

  it('pads rows by repeating the first row', () => {
    const merged = concatRows([tensor('int32', [2, 2], Int32Array.of(1, 2, 3, 4))], 4);
    assert.deepEqual([...merged.data as Int32Array], [1, 2, 3, 4, 1, 2, 1, 2]);
    const s = concatRows([stringTensor([1], ['a']), stringTensor([1], ['b'])], 3);
    assert.deepEqual(plain({ s }).s!.data, ['a', 'b', 'a']);
  });

  it('zero-pads variable non-batch dimensions to the maximum', () => {
    const a = tensor('float32', [1, 2], Float32Array.of(1, 2));
    const b = tensor('float32', [2, 3], Float32Array.of(3, 4, 5, 6, 7, 8));
    const merged = concatRows([a, b], 3);
    assert.deepEqual(merged.shape, [3, 3]);
    assert.deepEqual([...merged.data as Float32Array], [1, 2, 0, 3, 4, 5, 6, 7, 8]);
    const c = tensor('int64', [1, 1, 2], BigInt64Array.of(1n, 2n));
    const d = tensor('int64', [1, 2, 1], BigInt64Array.of(3n, 4n));
    const m2 = concatRows([c, d], 2);
    assert.deepEqual(m2.shape, [2, 2, 2]);
    assert.deepEqual([...m2.data as BigInt64Array], [1n, 2n, 0n, 0n, 3n, 0n, 4n, 0n]);
    const s = concatRows([stringTensor([1, 1], ['x']), stringTensor([1, 2], ['y', 'z'])], 2);
    assert.deepEqual(plain({ s }).s!.data, ['x', '', 'y', 'z']);
  });

  it('handles zero-sized non-batch dimensions', () => {
    const merged = concatRows([tensor('float32', [2, 0], new Float32Array(0)), tensor('float32', [1, 0], new Float32Array(0))], 4);
    assert.deepEqual(merged.shape, [4, 0]);
    assert.equal(merged.data.length, 0);
    assert.deepEqual(sliceRows(merged, 1, 2).shape, [2, 0]);
  });

  it('slices copy storage (results never alias the merged buffer)', () => {
    const merged = tensor('float32', [2, 1], Float32Array.of(1, 2));
    const row = sliceRows(merged, 1, 1);
    (merged.data as Float32Array)[1] = 99;
    assert.equal((row.data as Float32Array)[0], 2);
  });
});
