/**
 * Ceiling (b) of issues 2 and 6: the MLP run in the bench's own process on onnxruntime-node, no HTTP, one session,
 * one `run` in flight, at each batch size. Reported in rows/s (requests of one row each would be rows/s requests).
 * Measured with intra-op threads = 1 (what `inferd serve` uses per session by default) and = cores.
 */
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { MLP_OPTIONS } from './models.ts';
import { mlpRow } from './payloads.ts';
import { percentile } from './results.ts';

/** One in-process measurement. */
export interface InProcessResult {
  readonly batch: number;
  readonly intraOpThreads: number;
  /** Rows per second (batch × runs / s). */
  readonly rowsPerSec: number;
  /** Median and 99th percentile of one `session.run`, ms. */
  readonly p50: number;
  readonly p99: number;
  readonly runs: number;
}

async function measure(session: ort.InferenceSession, batch: number, seconds: number): Promise<{ latencies: Float64Array; elapsed: number }> {
  const row = mlpRow();
  const data = new Float32Array(batch * row.length);
  for (let r = 0; r < batch; r++) data.set(row, r * row.length);
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', data, [batch, MLP_OPTIONS.inputSize]) };
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  for (let now = start; now < end; ) {
    await session.run(feeds);
    const after = performance.now();
    latencies.push(after - now);
    now = after;
  }
  return { latencies: Float64Array.from(latencies).sort(), elapsed: (performance.now() - start) / 1000 };
}

/** Measure every (threads, batch) pair; warm-up runs are not measured. */
export async function inProcessCeiling(modelFile: string, batchSizes: readonly number[], durationSec: number, warmupSec: number): Promise<InProcessResult[]> {
  const results: InProcessResult[] = [];
  const threadCounts = [...new Set([1, availableParallelism()])];
  for (const intraOpThreads of threadCounts) {
    const session = await ort.InferenceSession.create(modelFile, { intraOpNumThreads: intraOpThreads, graphOptimizationLevel: 'all' });
    try {
      for (const batch of batchSizes) {
        await measure(session, batch, Math.max(warmupSec, 0.2));
        const { latencies, elapsed } = await measure(session, batch, durationSec);
        results.push({
          batch,
          intraOpThreads,
          rowsPerSec: (latencies.length * batch) / elapsed,
          p50: percentile(latencies, 0.5),
          p99: percentile(latencies, 0.99),
          runs: latencies.length,
        });
      }
    } finally {
      await session.release();
    }
  }
  return results;
}
