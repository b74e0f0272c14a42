import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BatchingExecutor } from '../../../src/core/batching/batcher.ts';
import type { DType } from '../../../src/core/dtype.ts';
import { InferdError } from '../../../src/core/errors.ts';
import type { RunRequest } from '../../../src/core/runtime.ts';
import { makeTensor, plain, TestExecutor } from './inner.ts';

const DTYPES: DType[] = ['float32', 'int64', 'string', 'bool', 'float16', 'uint8'];

/** A request shape (queue key); each run draws a small palette so requests actually share queues. */
const kindArb = fc.record({
  dtype: fc.constantFrom(...DTYPES),
  second: fc.option(fc.constantFrom(...DTYPES), { nil: undefined }),
  inner: fc.constantFrom<number[]>([], [2], [1, 3]),
  filter: fc.boolean(),
  signature: fc.constantFrom('ew', 'ew', 'scalar', 'fixed'),
});

const requestArb = fc.record({
  kind: fc.nat(),
  rows: fc.integer({ min: 1, max: 9 }),
  seed: fc.integer({ min: 0, max: 1000 }),
  yieldBefore: fc.boolean(),
});

const configArb = fc.record({
  maxBatchSize: fc.integer({ min: 1, max: 8 }),
  numBatchThreads: fc.integer({ min: 1, max: 3 }),
  padToAllowed: fc.boolean(),
  split: fc.boolean(),
  dispatchWhenIdle: fc.boolean(),
});

type Kind = typeof kindArb extends fc.Arbitrary<infer T> ? T : never;
type Spec = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function toRequest(kind: Kind, r: Spec): RunRequest {
  const rows = kind.signature === 'fixed' ? 1 : r.rows;
  const inputs = {
    a: makeTensor(kind.dtype, [rows, ...kind.inner], r.seed),
    ...(kind.second ? { b: makeTensor(kind.second, [rows], r.seed + 1) } : {}),
  };
  return { signatureName: kind.signature, inputs, ...(kind.filter && kind.signature !== 'scalar' ? { outputFilter: ['a_y'] } : {}) };
}

describe('BatchingExecutor: property', () => {
  it('batched answers equal unbatched answers for random request mixes', async () => {
    let merged = 0;
    const scenario = fc.tuple(configArb, fc.array(kindArb, { minLength: 1, maxLength: 3 }), fc.array(requestArb, { minLength: 1, maxLength: 24 }));
    await fc.assert(fc.asyncProperty(scenario, async ([cfg, kinds, specs]) => {
      const inner = new TestExecutor();
      const allowed = cfg.padToAllowed && cfg.maxBatchSize > 2 ? [2, cfg.maxBatchSize] : [];
      const b = await BatchingExecutor.create(inner, {
        maxBatchSize: cfg.maxBatchSize, numBatchThreads: cfg.numBatchThreads, allowedBatchSizes: allowed,
        enableLargeBatchSplitting: cfg.split, dispatchWhenIdle: cfg.dispatchWhenIdle, batchTimeoutMicros: 0,
        maxEnqueuedBatches: 1000,
      });
      const reqs = specs.map((s) => toRequest(kinds[s.kind % kinds.length]!, s));
      const pending: Promise<unknown>[] = [];
      for (let i = 0; i < reqs.length; i++) {
        if (specs[i]!.yieldBefore) await new Promise((r) => setImmediate(r));
        pending.push(b.run(reqs[i]!).then(plain, (e: unknown) => e));
      }
      const got = await Promise.all(pending);
      const reference = new TestExecutor();
      for (let i = 0; i < reqs.length; i++) {
        const rows = reqs[i]!.inputs.a!.shape[0] ?? 0;
        const e = got[i];
        if (e instanceof Error) {
          // Only oversized requests without splitting may fail (unbatchable keys bypass the batcher and succeed).
          assert.ok(e instanceof InferdError && e.code === 'INVALID_ARGUMENT', String(e));
          assert.ok(rows > cfg.maxBatchSize && !cfg.split);
        } else {
          assert.deepEqual(got[i], plain(await reference.run(reqs[i]!)));
        }
      }
      assert.ok(inner.calls.every((c) => (c.inputs.a?.shape[0] ?? 0) <= Math.max(cfg.maxBatchSize, ...reqs.map((r) => r.inputs.a?.shape[0] ?? 0))));
      assert.equal(b.stats().queuedRows, 0);
      merged += inner.calls.filter((c, i) => (c.inputs.a?.shape[0] ?? 0) > 1 && i >= 0).length;
      await b.close();
    }), { numRuns: 150 });
    assert.ok(merged > 50, `the scenarios must actually merge requests (${merged} multi-row runs)`);
  });
});
