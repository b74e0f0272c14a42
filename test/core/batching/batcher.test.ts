import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchingExecutor } from '../../../src/core/batching/batcher.ts';
import type { BatchEvent } from '../../../src/core/batching/stats.ts';
import { ALL_DTYPES } from '../../../src/core/dtype.ts';
import { InferdError } from '../../../src/core/errors.ts';
import type { RunRequest } from '../../../src/core/runtime.ts';
import { tensor, type Tensor } from '../../../src/core/tensor.ts';
import { makeTensor, plain, TestExecutor, until } from './inner.ts';

const ew = (inputs: Record<string, Tensor>, extra: Partial<RunRequest> = {}): RunRequest => ({ signatureName: 'ew', inputs, ...extra });

/** The answer of the inner executor alone (the unbatched reference). */
async function reference(req: RunRequest): Promise<ReturnType<typeof plain>> {
  const { signal: _signal, ...unsignalled } = req;
  return plain(await new TestExecutor().run(unsignalled));
}

describe('BatchingExecutor: merge and split', () => {
  for (const dtype of ALL_DTYPES) {
    it(`merges and splits ${dtype}`, async () => {
      const inner = new TestExecutor();
      const b = await BatchingExecutor.create(inner, { maxBatchSize: 16 });
      const reqs = [1, 2, 3].map((rows, i) => ew({ x: makeTensor(dtype, [rows, 2], i + 1) }));
      const answers = await Promise.all(reqs.map((r) => b.run(r)));
      assert.deepEqual(inner.batchSizes(), [6], 'one merged run');
      for (let i = 0; i < reqs.length; i++) assert.deepEqual(plain(answers[i]!), await reference(reqs[i]!));
      await b.close();
    });
  }

  it('merges multi-input, multi-output signatures and honours output filters', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, { maxBatchSize: 16 });
    const mk = (rows: number, seed: number, filter?: string[]): RunRequest => ew({
      img: makeTensor('float32', [rows, 2, 2], seed), ids: makeTensor('int64', [rows], seed), names: makeTensor('string', [rows, 3], seed),
    }, filter ? { outputFilter: filter } : {});
    const reqs = [mk(2, 1), mk(1, 2), mk(3, 3), mk(1, 4, ['ids_y', 'names_sum']), mk(2, 5, ['names_sum', 'ids_y'])];
    const answers = await Promise.all(reqs.map((r) => b.run(r)));
    assert.deepEqual(inner.batchSizes().sort(), [3, 6], 'filtered and unfiltered requests use separate queues');
    for (let i = 0; i < reqs.length; i++) assert.deepEqual(plain(answers[i]!), await reference(reqs[i]!));
    assert.deepEqual(Object.keys(answers[3]!).sort(), ['ids_y', 'names_sum']);
    assert.equal(Object.keys(answers[0]!).length, 6);
    await b.close();
  });

  it('keeps order: every request gets its own rows back across many batches', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, { maxBatchSize: 4, maxEnqueuedBatches: 100 });
    inner.hold();
    const first = b.run(ew({ x: makeTensor('int32', [1], 0) }));
    await until(() => inner.calls.length === 1, 'first run');
    const reqs = Array.from({ length: 20 }, (_, i) => ew({ x: makeTensor('int32', [1 + (i % 3), 2], i + 1) }));
    const pending = reqs.map((r) => b.run(r));
    const total = reqs.reduce((a, r) => a + (r.inputs.x!.shape[0] ?? 0), 0);
    await until(() => b.stats().queuedRows === total, 'queued');
    inner.release();
    const answers = await Promise.all(pending);
    await first;
    for (let i = 0; i < reqs.length; i++) assert.deepEqual(plain(answers[i]!), await reference(reqs[i]!));
    assert.ok(inner.batchSizes().slice(1).every((n) => n <= 4), 'no batch exceeds max_batch_size');
    assert.equal(inner.batchSizes().slice(1).reduce((a, n) => a + n, 0), total);
    assert.equal(inner.maxInFlight, 1, 'num_batch_threads = 1');
    await b.close();
  });

  it('pads to allowed batch sizes with the first row, and slices padding away', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, { maxBatchSize: 8, allowedBatchSizes: [2, 4, 8] });
    const reqs = [1, 2, 3].map((i) => ew({ x: makeTensor('float32', [1, 3], i) }));
    const answers = await Promise.all(reqs.map((r) => b.run(r)));
    assert.deepEqual(inner.batchSizes(), [4]);
    const merged = inner.calls[0]!.inputs.x!;
    assert.deepEqual([...merged.data].slice(9), [...reqs[0]!.inputs.x!.data], 'padding repeats the first row');
    for (let i = 0; i < reqs.length; i++) assert.deepEqual(plain(answers[i]!), await reference(reqs[i]!));
    assert.equal(b.stats().paddedRows, 1);
    assert.equal(b.stats().rows, 3);
    // A lone request is padded too (allowed sizes are what the model accepts).
    const lone = await b.run(ew({ x: makeTensor('float32', [1, 3], 9) }));
    assert.deepEqual(plain(lone), await reference(ew({ x: makeTensor('float32', [1, 3], 9) })));
    assert.deepEqual(inner.batchSizes(), [4, 2]);
    await b.close();
  });

  it('batches variable non-batch dims only with pad_variable_length_inputs', async () => {
    const a = ew({ x: tensor('float32', [1, 2], Float32Array.of(1, 2)) });
    const c = ew({ x: tensor('float32', [1, 3], Float32Array.of(3, 4, 5)) });
    const plainInner = new TestExecutor();
    const separate = await BatchingExecutor.create(plainInner, {});
    await Promise.all([separate.run(a), separate.run(c)]);
    assert.equal(plainInner.calls.length, 2, 'separate queues without padding');

    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, { padVariableLengthInputs: true });
    const [ra, rc] = await Promise.all([b.run(a), b.run(c)]);
    assert.equal(inner.calls.length, 1);
    assert.deepEqual(inner.calls[0]!.inputs.x!.shape, [2, 3]);
    assert.deepEqual([...ra!.x_y!.data as Float32Array], [3, 5, 1], 'outputs keep the padded dims (zero → 2·0+1)');
    assert.deepEqual(ra!.x_y!.shape, [1, 3]);
    assert.deepEqual(plain(rc!), await reference(c));
    await Promise.all([separate.close(), b.close()]);
  });

  it('never mixes signatures', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, {});
    const x = makeTensor('float32', [1, 1], 1);
    const results = await Promise.allSettled([b.run(ew({ x })), b.run({ signatureName: 'fixed', inputs: { x } }), b.run(ew({ x }))]);
    assert.deepEqual(inner.calls.map((c) => c.signatureName).sort(), ['ew', 'fixed']);
    assert.ok(results.every((r) => r.status === 'fulfilled'));
    await b.close();
  });

  it('runs scalar and dim-0-disagreeing requests unbatched, directly on the inner executor', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, {});
    const scalar = ew({ x: makeTensor('float32', [], 1) });
    const ragged = ew({ x: makeTensor('float32', [2], 1), y: makeTensor('int32', [3], 2) });
    assert.deepEqual(plain(await b.run(scalar)), await reference(scalar));
    assert.deepEqual(plain(await b.run(ragged)), await reference(ragged));
    const s = b.stats();
    assert.equal(s.unbatched, 2);
    assert.equal(s.batches, 0);
    await b.close();
  });
});

describe('BatchingExecutor: limits', () => {
  it('rejects with RESOURCE_EXHAUSTED when the queue is full', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, { maxBatchSize: 2, maxEnqueuedBatches: 2 });
    inner.hold();
    const running = b.run(ew({ x: makeTensor('float32', [2], 0) }));
    await until(() => inner.calls.length === 1);
    const queued = [b.run(ew({ x: makeTensor('float32', [2], 1) })), b.run(ew({ x: makeTensor('float32', [1], 2) }))];
    await assert.rejects(b.run(ew({ x: makeTensor('float32', [2], 3) })), (e: unknown) => {
      assert.ok(e instanceof InferdError);
      assert.equal(e.code, 'RESOURCE_EXHAUSTED');
      assert.match(e.message, /queue .* is full/);
      return true;
    });
    const fits = b.run(ew({ x: makeTensor('float32', [1], 4) }));
    assert.equal(b.stats().rejections.queueFull, 1);
    inner.release();
    await Promise.all([running, ...queued, fits]);
    await b.close();
  });

  it('rejects a request larger than max_batch_size without splitting', async () => {
    const b = await BatchingExecutor.create(new TestExecutor(), { maxBatchSize: 4 });
    await assert.rejects(b.run(ew({ x: makeTensor('float32', [5, 2], 0) })), (e: unknown) => {
      assert.ok(e instanceof InferdError);
      assert.equal(e.code, 'INVALID_ARGUMENT');
      assert.match(e.message, /Task size 5 is larger than maximum batch size 4/);
      assert.match(e.message, /enable_large_batch_splitting/);
      return true;
    });
    assert.equal(b.stats().rejections.tooLarge, 1);
    await b.close();
  });

  it('splits a large request into chunks and reassembles it in order', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, { maxBatchSize: 8, maxExecutionBatchSize: 4, enableLargeBatchSplitting: true });
    const big = ew({ x: makeTensor('int64', [10, 3], 7), s: makeTensor('string', [10], 8) });
    const small = ew({ x: makeTensor('int64', [1, 3], 9), s: makeTensor('string', [1], 10) });
    const [rb, rs] = await Promise.all([b.run(big), b.run(small)]);
    assert.deepEqual(plain(rb!), await reference(big));
    assert.deepEqual(plain(rs!), await reference(small));
    assert.ok(inner.batchSizes().every((n) => n <= 4));
    assert.equal(inner.batchSizes().reduce((a, n) => a + n, 0), 11);
    assert.equal(b.stats().splitRequests, 1);
    await b.close();
  });
});

describe('BatchingExecutor: dispatch', () => {
  it('dispatches a lone request at once when a batch thread is idle (no timeout wait)', async () => {
    const inner = new TestExecutor();
    const events: BatchEvent[] = [];
    const b = await BatchingExecutor.create(inner, { batchTimeoutMicros: 60_000_000, onBatch: (e) => events.push(e) });
    const r = await b.run(ew({ x: makeTensor('float32', [1, 4], 1) }));
    assert.ok(r.x_y);
    const s = b.stats();
    assert.deepEqual(s.dispatch, { idle: 1, full: 0, timeout: 0 });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.reason, 'idle');
    assert.equal(events[0]!.outcome, 'ok');
    assert.equal(s.batchSize.count, 1);
    assert.equal(s.queueDelayMicros.count, 1);
    await b.close();
  });

  it('waits for full or timeout when dispatchWhenIdle is off (TensorFlow rule)', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, { maxBatchSize: 2, batchTimeoutMicros: 1000, dispatchWhenIdle: false });
    await Promise.all([b.run(ew({ x: makeTensor('float32', [1], 1) })), b.run(ew({ x: makeTensor('float32', [1], 2) }))]);
    await b.run(ew({ x: makeTensor('float32', [1], 3) }));
    assert.deepEqual(b.stats().dispatch, { idle: 0, full: 1, timeout: 1 });
    assert.deepEqual(inner.batchSizes(), [2, 1]);
    await b.close();
  });

  it('waits for a free batch thread, then takes everything queued meanwhile', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, { numBatchThreads: 2, maxBatchSize: 32 });
    inner.hold();
    const r1 = b.run(ew({ x: makeTensor('float32', [1], 1) }));
    await until(() => inner.calls.length === 1);
    const r2 = b.run(ew({ x: makeTensor('float32', [1], 2) }));
    await until(() => inner.calls.length === 2);
    const rest = Array.from({ length: 5 }, (_, i) => b.run(ew({ x: makeTensor('float32', [1], 3 + i) })));
    await until(() => b.stats().queuedRows === 5);
    assert.equal(inner.calls.length, 2, 'both threads busy: the batch waits');
    inner.release();
    await Promise.all([r1, r2, ...rest]);
    assert.deepEqual(inner.batchSizes(), [1, 1, 5]);
    assert.equal(inner.maxInFlight, 2);
    await b.close();
  });
});

describe('BatchingExecutor: fallbacks and errors', () => {
  it('falls back to one run per request when outputs lack the batch dimension, then stops batching that key', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, {});
    const reqs = [2, 3].map((n, i) => ({ signatureName: 'scalar', inputs: { x: makeTensor('float32', [n], i) } }));
    const answers = await Promise.all(reqs.map((r) => b.run(r)));
    assert.deepEqual(answers.map((a) => [...a.count!.data as Float32Array]), [[2], [3]]);
    assert.equal(b.stats().fallbacks, 1);
    assert.equal(b.stats().unbatchableKeys, 1);
    await Promise.all(reqs.map((r) => b.run(r)));
    assert.equal(b.stats().unbatched, 2, 'later requests of that key run directly');
    await b.close();
  });

  it('reruns each request alone when the model refuses the merged batch (INVALID_ARGUMENT)', async () => {
    const inner = new TestExecutor();
    const b = await BatchingExecutor.create(inner, {});
    const reqs = [1, 2].map((i) => ({ signatureName: 'fixed', inputs: { x: makeTensor('float32', [1, 2], i) } }));
    const answers = await Promise.all(reqs.map((r) => b.run(r)));
    for (let i = 0; i < reqs.length; i++) assert.deepEqual(plain(answers[i]!), await reference({ ...reqs[i]!, signatureName: 'ew' }));
    assert.equal(b.stats().fallbacks, 1);
    await b.close();
  });

  it('propagates inner errors to every request of the batch', async () => {
    const b = await BatchingExecutor.create(new TestExecutor(), {});
    const reqs = [1, 2].map((i) => b.run({ signatureName: 'boom', inputs: { x: makeTensor('float32', [1], i) } }));
    for (const r of reqs) await assert.rejects(r, (e: unknown) => e instanceof InferdError && e.code === 'INTERNAL');
    await b.close();
  });
});
