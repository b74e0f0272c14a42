// Estimator feature-column ops (feature-column-ops.ts) against TensorFlow's own published expectations: the hash
// values of python/kernel_tests (string_to_hash_bucket_op_test, sparse_cross_op_test), Bucketize's documented
// example, and SparseSegmentSqrtN computed by hand; each op runs in a SavedModel built by the test writer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SavedModelRuntime } from '../../../src/runtimes/savedmodel/runtime.ts';
import type { Tensor } from '../../../src/core/tensor.ts';
import { attr, constNode, strings, type NodeSpec, writeSavedModel } from '../../support/savedmodel-builder.ts';
import { fingerprint64, fingerprintCat64 } from '../../../src/runtimes/savedmodel/feature-column-ops.ts';

const utf8 = new TextEncoder();
const text = (t: Tensor | undefined): string[] => (t?.data as Uint8Array[]).map((b) => Buffer.from(b).toString());
const nums = (t: Tensor | undefined): number[] => Array.from(t?.data as ArrayLike<number | bigint>, Number);
const i64 = (shape: number[], values: number[]): Tensor => ({ dtype: 'int64', shape, data: BigInt64Array.from(values.map(BigInt)) });
const DEFAULT_HASH_KEY = 0xdecafcaffen;
const I64 = attr.type('DT_INT64');
const S = attr.type('DT_STRING');

/** A sparse tensor's three Consts from rows of features (as sparse_cross_op_test builds them). */
function sparse(name: string, rows: (string | number)[][]): NodeSpec[] {
  const idx: number[] = [];
  const vals: (string | number)[] = [];
  rows.forEach((r, b) => r.forEach((v, j) => { idx.push(b, j); vals.push(v); }));
  const width = Math.max(0, ...rows.map((r) => r.length));
  const isString = typeof vals[0] === 'string';
  return [
    constNode(`${name}/indices`, i64([vals.length, 2], idx)),
    constNode(`${name}/values`, isString ? strings([vals.length], vals as string[]) : i64([vals.length], vals as number[])),
    constNode(`${name}/shape`, i64([2], [rows.length, width])),
  ];
}

describe('feature-column ops', () => {
  let rt: SavedModelRuntime;
  let tmp: string;
  let count = 0;
  before(async () => {
    rt = await SavedModelRuntime.create({ workers: 0 });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inferd-fc-ops-'));
  });
  after(async () => {
    await rt?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Run a graph with one float placeholder `x` (fed `x`) and read `outputs` (alias → [tensor, dtype]). */
  async function run(nodes: NodeSpec[], outputs: Record<string, [string, string]>, x: Tensor = { dtype: 'float32', shape: [1], data: Float32Array.from([0]) }) {
    const dir = path.join(tmp, `m${count++}`, '1');
    writeSavedModel(dir, {
      nodes: [{ name: 'x', op: 'Placeholder', attr: { dtype: attr.type('DT_FLOAT') } }, ...nodes],
      signatures: {
        serving_default: {
          inputs: { x: { name: 'x:0', dtype: 'DT_FLOAT' } },
          outputs: Object.fromEntries(Object.entries(outputs).map(([a, [n, t]]) => [a, { name: n, dtype: t }])),
        },
      },
    });
    const m = await rt.load({ modelName: 'm', version: 1, path: dir });
    try {
      return await m.run({ signatureName: 'serving_default', inputs: { x } });
    } finally {
      await m.close();
    }
  }

  it('Fingerprint64 and FingerprintCat64 give TensorFlow\'s published values', () => {
    // string_to_hash_bucket_op_test.py
    assert.deepEqual(['a', 'b', 'c', 'd'].map((s) => fingerprint64(utf8.encode(s))), [12917804110809363939n, 11795596070477164822n, 11430444447143000872n, 4470636696479570465n]);
    // sparse_cross_op_test.py: test_hashed_zero_bucket_no_hash_key / test_hashed_zero_bucket (modulo int64 max).
    const crossOf = (key: bigint) => ['batch1-FC1-F1', 'batch1-FC2-F1', 'batch1-FC3-F1'].reduce((h, s) => fingerprintCat64(h, fingerprint64(utf8.encode(s))), key) % ((1n << 63n) - 1n);
    assert.equal(crossOf(DEFAULT_HASH_KEY), 1971693436396284976n);
    assert.equal(crossOf(DEFAULT_HASH_KEY + 1n), 4847552627144134031n);
  });

  it('SparseCross hashed (num_buckets 100, hash_key default+1) gives 31; string crosses mix int64 and strings in product order', async () => {
    const cols = [...sparse('a', [['batch1-FC1-F1']]), ...sparse('b', [['batch1-FC2-F1']]), ...sparse('c', [['batch1-FC3-F1']])];
    const hashed: NodeSpec = {
      name: 'cross', op: 'SparseCross',
      input: ['a/indices', 'b/indices', 'c/indices', 'a/values', 'b/values', 'c/values', 'a/shape', 'b/shape', 'c/shape'],
      attr: {
        N: attr.i(3), hashed_output: attr.b(true), num_buckets: attr.i(100), hash_key: { i: String(DEFAULT_HASH_KEY + 1n) },
        sparse_types: attr.types(['DT_STRING', 'DT_STRING', 'DT_STRING']), dense_types: attr.types([]), out_type: I64, internal_type: I64,
      },
    };
    const out = await run([...cols, hashed], { indices: ['cross:0', 'DT_INT64'], values: ['cross:1', 'DT_INT64'], shape: ['cross:2', 'DT_INT64'] });
    assert.deepEqual([nums(out['indices']), nums(out['values']), nums(out['shape'])], [[0, 0], [31], [1, 1]]);
    // test_integer_mixed_string_sparse (SparseCrossV2's expectation; SparseCross joins with "_X_").
    const mixed: NodeSpec = {
      name: 'cross', op: 'SparseCross', input: ['p/indices', 'q/indices', 'p/values', 'q/values', 'p/shape', 'q/shape'],
      attr: { N: attr.i(2), hashed_output: attr.b(false), num_buckets: attr.i(0), hash_key: attr.i(0), sparse_types: attr.types(['DT_INT64', 'DT_STRING']), dense_types: attr.types([]), out_type: S, internal_type: S },
    };
    const m = await run([...sparse('p', [[11], [333, 55555]]), ...sparse('q', [['batch1-FC2-F1'], ['batch2-FC2-F1', 'batch2-FC2-F2']]), mixed],
      { indices: ['cross:0', 'DT_INT64'], values: ['cross:1', 'DT_STRING'], shape: ['cross:2', 'DT_INT64'] });
    assert.deepEqual(text(m['values']), ['11_X_batch1-FC2-F1', '333_X_batch2-FC2-F1', '333_X_batch2-FC2-F2', '55555_X_batch2-FC2-F1', '55555_X_batch2-FC2-F2']);
    assert.deepEqual(nums(m['indices']), [0, 0, 1, 0, 1, 1, 1, 2, 1, 3]);
    assert.deepEqual(nums(m['shape']), [2, 4]);
  });

  it('Bucketize follows the documented example; SparseSegmentSqrtN divides segment sums by √count', async () => {
    const out = await run([
      constNode('v', { dtype: 'float32', shape: [3, 2], data: Float32Array.from([-5, 10000, 150, 10, 5, 100]) }),
      { name: 'b', op: 'Bucketize', input: ['v'], attr: { T: attr.type('DT_FLOAT'), boundaries: { list: { f: [0, 10, 100] } } } },
      constNode('data', { dtype: 'float32', shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }),
      constNode('idx', { dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 2]) }),
      constNode('seg', { dtype: 'int32', shape: [3], data: Int32Array.from([0, 0, 1]) }),
      { name: 's', op: 'SparseSegmentSqrtN', input: ['data', 'idx', 'seg'], attr: { T: attr.type('DT_FLOAT'), Tidx: attr.type('DT_INT32'), Tsegmentids: attr.type('DT_INT32') } },
    ], { buckets: ['b:0', 'DT_INT32'], sqrtn: ['s:0', 'DT_FLOAT'] });
    assert.deepEqual(nums(out['buckets']), [0, 3, 3, 2, 1, 3]);
    const got = nums(out['sqrtn']);
    [4 / Math.SQRT2, 6 / Math.SQRT2, 5, 6].forEach((e, i) => assert.ok(Math.abs((got[i] as number) - e) < 1e-5, `${got[i]} vs ${e}`));
  });
});
