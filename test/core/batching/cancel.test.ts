import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchingExecutor } from '../../../src/core/batching/batcher.ts';
import { InferdError } from '../../../src/core/errors.ts';
import type { RunRequest } from '../../../src/core/runtime.ts';
import type { Tensor } from '../../../src/core/tensor.ts';
import { makeTensor, plain, TestExecutor, until } from './inner.ts';

const ew = (inputs: Record<string, Tensor>, signal?: AbortSignal): RunRequest =>
  ({ signatureName: 'ew', inputs, ...(signal ? { signal } : {}) });
const code = (c: string) => (e: unknown): boolean => e instanceof InferdError && e.code === c;

/** A batcher with one batch thread held busy by a first request, so later requests stay queued. */
async function busy(options: Parameters<typeof BatchingExecutor.create>[1] = {}) {
  const inner = new TestExecutor();
  const b = await BatchingExecutor.create(inner, { numBatchThreads: 1, ...options });
  inner.hold();
  const first = b.run(ew({ x: makeTensor('float32', [1], 0) }));
  await until(() => inner.calls.length === 1, 'first run started');
  return { inner, b, first };
}

describe('BatchingExecutor: cancellation', () => {
  it('removes a request cancelled while queued before its batch runs', async () => {
    const { inner, b, first } = await busy();
    const ac = new AbortController();
    const cancelled = b.run(ew({ x: makeTensor('float32', [2], 1) }, ac.signal));
    const kept = b.run(ew({ x: makeTensor('float32', [3], 2) }));
    await until(() => b.stats().queuedRows === 5);
    ac.abort();
    await assert.rejects(cancelled, code('CANCELLED'));
    assert.equal(b.stats().queuedRows, 3);
    inner.release();
    await first;
    const r = await kept;
    assert.deepEqual(inner.batchSizes(), [1, 3], 'the cancelled rows never reached the runtime');
    assert.deepEqual(plain(r), plain(await new TestExecutor().run(ew({ x: makeTensor('float32', [3], 2) }))));
    assert.equal(b.stats().cancellations, 1);
    await b.close();
  });

  it('maps a timeout abort to DEADLINE_EXCEEDED and drops an emptied batch', async () => {
    const { inner, b, first } = await busy();
    const ac = new AbortController();
    const p = b.run(ew({ x: makeTensor('float32', [1], 1) }, ac.signal));
    ac.abort(new DOMException('timed out', 'TimeoutError'));
    await assert.rejects(p, code('DEADLINE_EXCEEDED'));
    inner.release();
    await first;
    assert.deepEqual(inner.batchSizes(), [1]);
    assert.equal(b.stats().queuedRows, 0);
    await b.close();
  });

  it('rejects at once when the signal is already aborted', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, {});
    await assert.rejects(b.run(ew({ x: makeTensor('float32', [1], 1) }, AbortSignal.abort())), code('CANCELLED'));
    assert.equal(inner.calls.length, 0);
    await b.close();
  });

  it('aborts the merged run only when every request in it is aborted', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, {});
    inner.hold();
    const a1 = new AbortController();
    const a2 = new AbortController();
    const p1 = b.run(ew({ x: makeTensor('float32', [1], 1) }, a1.signal));
    const p2 = b.run(ew({ x: makeTensor('float32', [1], 2) }, a2.signal));
    await until(() => inner.calls.length === 1, 'merged run started');
    const merged = inner.calls[0]!;
    assert.deepEqual(inner.batchSizes(), [2]);
    a1.abort();
    await assert.rejects(p1, code('CANCELLED'));
    assert.equal(merged.signal?.aborted, false, 'one request still waits');
    a2.abort();
    await assert.rejects(p2, code('CANCELLED'));
    assert.equal(merged.signal?.aborted, true);
    await until(() => inner.abortedRuns.length === 1, 'runtime saw the abort');
    assert.equal(b.stats().cancellations, 2);
    inner.release();
    await b.close();
  });

  it('never aborts a merged run that carries a request without a signal', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, {});
    inner.hold();
    const ac = new AbortController();
    const p1 = b.run(ew({ x: makeTensor('float32', [1], 1) }, ac.signal));
    const p2 = b.run(ew({ x: makeTensor('float32', [1], 2) }));
    await until(() => inner.calls.length === 1);
    ac.abort();
    await assert.rejects(p1, code('CANCELLED'));
    assert.equal(inner.calls[0]!.signal?.aborted, false);
    inner.release();
    assert.ok((await p2).x_y);
    await b.close();
  });

  it('cancels every chunk of a split request', async () => {
    const { inner, b, first } = await busy({ maxBatchSize: 2, enableLargeBatchSplitting: true });
    const ac = new AbortController();
    const p = b.run(ew({ x: makeTensor('int32', [5], 1) }, ac.signal));
    await until(() => b.stats().queuedRows === 5);
    ac.abort();
    await assert.rejects(p, code('CANCELLED'));
    assert.equal(b.stats().queuedRows, 0);
    inner.release();
    await first;
    assert.deepEqual(inner.batchSizes(), [1]);
    await b.close();
  });
});

describe('BatchingExecutor: close', () => {
  it('rejects queued requests with UNAVAILABLE, waits for in-flight runs, keeps the inner executor open', async () => {
    const { inner, b, first } = await busy();
    const queued = b.run(ew({ x: makeTensor('float32', [1], 1) }));
    await until(() => b.stats().queuedRows === 1);
    let closed = false;
    const closing = b.close().then(() => { closed = true; });
    await assert.rejects(queued, code('UNAVAILABLE'));
    await new Promise((r) => setImmediate(r));
    assert.equal(closed, false, 'close waits for the in-flight run');
    inner.release();
    await closing;
    assert.ok((await first).x_y, 'the in-flight run finished normally');
    await assert.rejects(b.run(ew({ x: makeTensor('float32', [1], 2) })), code('UNAVAILABLE'));
    assert.equal(b.stats().rejections.closed, 2);
    assert.ok((await inner.run(ew({ x: makeTensor('float32', [1], 3) }))).x_y, 'inner still usable');
    await b.close();
  });
});
