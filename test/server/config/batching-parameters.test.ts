import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BatchingOptions } from '../../../src/core/batching/options.ts';
import { InferdError } from '../../../src/core/errors.ts';
import {
  defaultBatchingParameters,
  loadBatchingParameters,
  parseBatchingParametersText,
  resolveBatchingParameters,
} from '../../../src/server/config/batching-parameters.ts';
import { parseErrorDetail } from '../../../src/server/config/config-file.ts';

const FIXTURES = fileURLToPath(new URL('../../../../shared/fixtures/tensorflow-serving/', import.meta.url));
const noFixtures = existsSync(FIXTURES) ? false : `shared fixtures absent (${FIXTURES})`;
const threads = { defaultNumBatchThreads: 2 };

/** The INVALID_ARGUMENT message `fn` throws. */
function invalid(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InferdError, String(err));
    assert.equal(err.code, 'INVALID_ARGUMENT');
    return err.message;
  }
  return assert.fail('expected an error');
}

describe('BatchingParameters', () => {
  it('an empty file gives TensorFlow Serving defaults', () => {
    assert.deepEqual(parseBatchingParametersText('', undefined, threads), {
      maxBatchSize: 1000,
      batchTimeoutMicros: 0,
      maxEnqueuedBatches: 10,
      numBatchThreads: 2,
      threadPoolName: 'batch_threads',
      allowedBatchSizes: [],
      padVariableLengthInputs: false,
      enableLargeBatchSplitting: false,
      maxExecutionBatchSize: 1000,
    });
  });

  it('--enable_batching without a file: defaults with the model server pool name', () => {
    const p = defaultBatchingParameters();
    assert.equal(p.threadPoolName, 'model_server_batch_threads');
    assert.ok(p.numBatchThreads >= 1, 'defaults to the machine parallelism');
  });

  it('parses every field', () => {
    const p = parseBatchingParametersText(
      `max_batch_size { value: 64 }
       batch_timeout_micros { value: 5000 }
       max_enqueued_batches { value: 100 }
       num_batch_threads { value: 4 }
       thread_pool_name { value: "my_pool" }
       allowed_batch_sizes: 8
       allowed_batch_sizes: 16
       allowed_batch_sizes: [32]
       pad_variable_length_inputs: true
       enable_large_batch_splitting { value: true }
       max_execution_batch_size { value: 32 }`,
    );
    assert.deepEqual(p, {
      maxBatchSize: 64,
      batchTimeoutMicros: 5000,
      maxEnqueuedBatches: 100,
      numBatchThreads: 4,
      threadPoolName: 'my_pool',
      allowedBatchSizes: [8, 16, 32],
      padVariableLengthInputs: true,
      enableLargeBatchSplitting: true,
      maxExecutionBatchSize: 32,
    });
  });

  it('is usable as the batcher BatchingOptions as it is', () => {
    const options: BatchingOptions = parseBatchingParametersText('max_batch_size { value: 8 } allowed_batch_sizes: [4, 8]');
    assert.deepEqual([options.maxBatchSize, options.allowedBatchSizes], [8, [4, 8]]);
  });

  it('max_execution_batch_size defaults to max_batch_size and only applies with splitting', () => {
    assert.equal(parseBatchingParametersText('max_batch_size { value: 8 } enable_large_batch_splitting { value: true }').maxExecutionBatchSize, 8);
    assert.equal(parseBatchingParametersText('max_batch_size { value: 8 } max_execution_batch_size { value: 4 }').maxExecutionBatchSize, 8);
  });

  it('allowed_batch_sizes validation (TensorFlow Serving messages)', () => {
    assert.equal(
      invalid(() => parseBatchingParametersText('max_batch_size { value: 128 } allowed_batch_sizes: [8, 64]')),
      'Last entry in allowed_batch_sizes must match max_batch_size; last entry was 64; expected 128',
    );
    assert.equal(
      invalid(() => parseBatchingParametersText('allowed_batch_sizes: [8, 64]')),
      'Last entry in allowed_batch_sizes must match max_batch_size; last entry was 64; expected 1000',
    );
    assert.equal(
      invalid(() => parseBatchingParametersText('max_batch_size { value: 16 } allowed_batch_sizes: [8, 4, 16]')),
      'allowed_batch_sizes entries must be monotonically increasing',
    );
    assert.equal(
      invalid(() => parseBatchingParametersText('max_batch_size { value: 16 } allowed_batch_sizes: [8, 8, 16]')),
      'allowed_batch_sizes entries must be monotonically increasing',
    );
    assert.equal(
      invalid(() =>
        parseBatchingParametersText(
          'max_batch_size { value: 64 } enable_large_batch_splitting { value: true } max_execution_batch_size { value: 16 } allowed_batch_sizes: [8, 64]',
        ),
      ),
      'Last entry in allowed_batch_sizes must match max_execution_batch_size; last entry was 64; expected 16',
    );
  });

  it('rejects non-positive sizes and negative timeouts', () => {
    assert.equal(invalid(() => parseBatchingParametersText('max_batch_size { value: 0 }')), 'max_batch_size must be positive; was 0');
    assert.equal(invalid(() => parseBatchingParametersText('max_enqueued_batches { }')), 'max_enqueued_batches must be positive; was 0');
    assert.equal(invalid(() => parseBatchingParametersText('num_batch_threads { value: -1 }')), 'num_batch_threads must be positive; was -1');
    assert.equal(invalid(() => parseBatchingParametersText('batch_timeout_micros { value: -5 }')), 'batch_timeout_micros must be non-negative; was -5');
    assert.equal(invalid(() => resolveBatchingParameters({ allowedBatchSizes: [0, 1000] })), 'allowed_batch_sizes entries must be positive; entry 0 was 0');
  });

  it('syntax errors carry line:col', () => {
    assert.equal(
      invalid(() => parseBatchingParametersText('max_batch_size: 128')),
      'Error parsing text-format tensorflow.serving.BatchingParameters: 1:17: Expected "{", found "128".',
    );
    assert.equal(
      invalid(() => parseBatchingParametersText('max_batch_size { value: 128 }\nbatch_size { value: 1 }')),
      'Error parsing text-format tensorflow.serving.BatchingParameters: 2:12: Message type "tensorflow.serving.BatchingParameters" has no field named "batch_size".',
    );
  });

  it('JSON wrappers are bare values', () => {
    const p = parseBatchingParametersText('{"maxBatchSize": 32, "batchTimeoutMicros": "1000", "allowedBatchSizes": [16, 32], "threadPoolName": "p"}', 'b.json');
    assert.deepEqual([p.maxBatchSize, p.batchTimeoutMicros, p.allowedBatchSizes, p.threadPoolName], [32, 1000, [16, 32], 'p']);
  });

  it('files: load, bad file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inferd-batching-'));
    try {
      await writeFile(join(dir, 'batching_params.pbtxt'), 'max_batch_size { value: 4 }\nallowed_batch_sizes: [2, 4]\n');
      await writeFile(join(dir, 'bad.pbtxt'), 'max_batch_size { value: "4" }\n');
      assert.deepEqual((await loadBatchingParameters(join(dir, 'batching_params.pbtxt'))).allowedBatchSizes, [2, 4]);
      await assert.rejects(loadBatchingParameters(join(dir, 'bad.pbtxt')), (err: unknown) => {
        assert.ok(err instanceof InferdError);
        assert.equal(err.message, `Invalid protobuf file: '${join(dir, 'bad.pbtxt')}'`);
        assert.equal(parseErrorDetail(err), 'Error parsing text-format tensorflow.serving.BatchingParameters: 1:25: Expected integer, got: "4"');
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fixture batching_config.txt', { skip: noFixtures }, async () => {
    const p = await loadBatchingParameters(join(FIXTURES, 'batching_config.txt'), threads);
    assert.deepEqual([p.maxBatchSize, p.batchTimeoutMicros, p.maxEnqueuedBatches, p.numBatchThreads], [128, 0, 1000000, 8]);
    assert.equal(p.threadPoolName, 'batch_threads');
    assert.deepEqual(p.allowedBatchSizes, []);
  });
});
