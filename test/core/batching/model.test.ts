import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withBatching } from '../../../src/core/batching/index.ts';
import type { BatchEvent } from '../../../src/core/batching/stats.ts';
import type { LoadedModel, RunRequest, RunResult } from '../../../src/core/runtime.ts';
import type { ModelMetadata } from '../../../src/core/signature.ts';
import { makeTensor, TestExecutor } from './inner.ts';

class TestModel implements LoadedModel {
  readonly inner = new TestExecutor();
  closes = 0;
  readonly metadata: ModelMetadata = {
    signatures: { ew: { inputs: { x: { name: 'x:0', dtype: 'float32', shape: [-1] } }, outputs: {}, methodName: 'tensorflow/serving/predict' } },
  };
  run(request: RunRequest): Promise<RunResult> {
    return this.inner.run(request);
  }
  async close(): Promise<void> {
    this.closes++;
  }
}

describe('withBatching', () => {
  it('batches a LoadedModel, keeps its metadata, and closes batcher then model once', async () => {
    const model = new TestModel();
    const events: BatchEvent[] = [];
    const batched = await withBatching(model, { maxBatchSize: 8, onBatch: (e) => events.push(e) });
    assert.equal(batched.metadata, model.metadata);
    await Promise.all([1, 2, 3].map((s) => batched.run({ signatureName: 'ew', inputs: { x: makeTensor('float32', [2], s) } })));
    assert.deepEqual(model.inner.batchSizes(), [6]);
    assert.equal(events.length, 1);
    assert.deepEqual({ tasks: events[0]!.tasks, rows: events[0]!.rows, paddedSize: events[0]!.paddedSize }, { tasks: 3, rows: 6, paddedSize: 6 });
    const s = batched.batcher.stats();
    assert.equal(s.inFlight, 0);
    assert.equal(s.batchSize.count, 1);
    assert.equal(s.batchSize.counts.reduce((a, n) => a + n, 0), 1);
    assert.equal(s.queueDelayMicros.count, 3);
    await Promise.all([batched.close(), batched.close()]);
    assert.equal(model.closes, 1);
    await assert.rejects(batched.run({ signatureName: 'ew', inputs: { x: makeTensor('float32', [1], 1) } }), /closed/);
  });

  it('swallows listener exceptions and supports unsubscribe', async () => {
    const model = new TestModel();
    const batched = await withBatching(model, { onBatch: () => { throw new Error('listener bug'); } });
    let seen = 0;
    const off = batched.batcher.addBatchListener(() => { seen++; });
    const r = await batched.run({ signatureName: 'ew', inputs: { x: makeTensor('float32', [1], 1) } });
    assert.ok(r.x_y);
    off();
    await batched.run({ signatureName: 'ew', inputs: { x: makeTensor('float32', [1], 2) } });
    assert.equal(seen, 1);
    await batched.close();
  });
});
