// core/limits.ts: the one allocation check every tensor decoder calls before allocating.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AllocationBudget, checkTensorAllocation, LimitExceededError, MAX_TENSOR_ELEMENTS, STRING_ELEMENT_OVERHEAD_BYTES, tensorCostBytes,
} from '../../src/core/limits.ts';

describe('allocation limits', () => {
  it('charges width × count for numbers and overhead + bytes for strings', () => {
    assert.equal(tensorCostBytes('float32', 10), 40);
    assert.equal(tensorCostBytes('int64', 3), 24);
    assert.equal(tensorCostBytes('bool', 5), 5);
    assert.equal(tensorCostBytes('string', 2, 7), 2 * STRING_ELEMENT_OVERHEAD_BYTES + 7);
  });

  it('refuses over the limit before anything is charged, naming the limit', () => {
    const budget = new AllocationBudget({ maxTensorBytes: 100 });
    assert.equal(budget.charge('float32', [5, 5], 'x'), 25);
    assert.equal(budget.usedBytes, 100);
    assert.throws(() => budget.charge('uint8', [1], 'y'), (e: unknown) =>
      e instanceof LimitExceededError && e.code === 'RESOURCE_EXHAUSTED' && e.limit === 'max_request_tensor_bytes' &&
      /y: uint8 tensor of shape \[1\] needs 1 bytes; the tensors of one request may use at most 100 bytes/.test(e.message));
    assert.equal(budget.usedBytes, 100);
  });

  it('rejects hostile shapes without overflowing', () => {
    const limits = { maxTensorBytes: 2 ** 52 };
    assert.throws(() => checkTensorAllocation('float32', [2 ** 40, 2 ** 40, 2 ** 40], limits, 'x'), /more than 2147483647 elements/);
    assert.throws(() => checkTensorAllocation('float32', [-1], limits, 'x'), /invalid dimension -1/);
    assert.throws(() => checkTensorAllocation('float32', [1.5], limits, 'x'), /invalid dimension 1.5/);
    assert.equal(checkTensorAllocation('float32', [0, 2 ** 40], limits, 'x'), 0);
    assert.equal(checkTensorAllocation('bool', [MAX_TENSOR_ELEMENTS], limits, 'x'), MAX_TENSOR_ELEMENTS);
  });

  it('charges existing tensors (outputs) with their string contents', () => {
    const budget = new AllocationBudget({ maxTensorBytes: 200 }, 'response');
    budget.chargeTensor('s', { dtype: 'string', shape: [2], data: [new Uint8Array(10), new Uint8Array(20)] });
    assert.equal(budget.usedBytes, 2 * STRING_ELEMENT_OVERHEAD_BYTES + 30);
    assert.throws(() => budget.chargeTensor('f', { dtype: 'float64', shape: [10], data: new Float64Array(10) }), /one response may use at most 200 bytes/);
  });
});
