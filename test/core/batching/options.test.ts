import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferdError } from '../../../src/core/errors.ts';
import { BATCHING_DEFAULTS, paddedBatchSize, resolveBatchingOptions } from '../../../src/core/batching/options.ts';

const rejects = (fn: () => unknown, message: RegExp | string): void => {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InferdError);
    assert.equal(e.code, 'INVALID_ARGUMENT');
    if (typeof message === 'string') assert.equal(e.message, message);
    else assert.match(e.message, message);
    return true;
  });
};

describe('batching options', () => {
  it('applies TensorFlow defaults', () => {
    const o = resolveBatchingOptions();
    assert.equal(o.maxBatchSize, 1000);
    assert.equal(o.batchTimeoutMicros, 0);
    assert.equal(o.maxEnqueuedBatches, 10);
    assert.equal(o.numBatchThreads, BATCHING_DEFAULTS.numBatchThreads);
    assert.deepEqual(o.allowedBatchSizes, []);
    assert.equal(o.padVariableLengthInputs, false);
    assert.equal(o.enableLargeBatchSplitting, false);
    assert.equal(o.executionBatchSize, 1000);
    assert.equal(o.dispatchWhenIdle, true);
    assert.equal(o.maxQueuedRows, 10_000);
  });

  it('uses max_execution_batch_size only with splitting', () => {
    assert.equal(resolveBatchingOptions({ maxBatchSize: 64, maxExecutionBatchSize: 16 }).executionBatchSize, 64);
    assert.equal(resolveBatchingOptions({ maxBatchSize: 64, maxExecutionBatchSize: 16, enableLargeBatchSplitting: true }).executionBatchSize, 16);
    rejects(() => resolveBatchingOptions({ maxBatchSize: 8, maxExecutionBatchSize: 16, enableLargeBatchSplitting: true }), /must not exceed/);
  });

  it('validates allowed_batch_sizes with TensorFlow wording', () => {
    rejects(() => resolveBatchingOptions({ maxBatchSize: 8, allowedBatchSizes: [2, 4] }),
      'Last entry in allowed_batch_sizes must match max_batch_size; last entry was 4; expected 8');
    rejects(() => resolveBatchingOptions({ maxBatchSize: 8, allowedBatchSizes: [4, 2, 8] }), /monotonically increasing/);
    rejects(() => resolveBatchingOptions({ maxBatchSize: 8, allowedBatchSizes: [0, 8] }), /positive integer/);
    assert.deepEqual(resolveBatchingOptions({ maxBatchSize: 8, allowedBatchSizes: [2, 4, 8] }).allowedBatchSizes, [2, 4, 8]);
  });

  it('rejects non-positive sizes and negative timeouts', () => {
    rejects(() => resolveBatchingOptions({ maxBatchSize: 0 }), /max_batch_size must be a positive integer/);
    rejects(() => resolveBatchingOptions({ numBatchThreads: 1.5 }), /num_batch_threads/);
    rejects(() => resolveBatchingOptions({ maxEnqueuedBatches: -1 }), /max_enqueued_batches/);
    rejects(() => resolveBatchingOptions({ batchTimeoutMicros: -1 }), /batch_timeout_micros/);
  });

  it('pads to the next allowed size', () => {
    assert.equal(paddedBatchSize(3, [2, 4, 8]), 4);
    assert.equal(paddedBatchSize(4, [2, 4, 8]), 4);
    assert.equal(paddedBatchSize(1, [2, 4, 8]), 2);
    assert.equal(paddedBatchSize(5, []), 5);
  });
});
