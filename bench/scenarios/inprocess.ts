/**
 * Ceiling (b): the MLP on onnxruntime-node in the bench process, no HTTP, one session, at each batch size.
 */
import type { BenchContext } from '../context.ts';
import { inProcessCeiling, type InProcessResult } from '../in-process.ts';
import { num, type Section } from '../report.ts';

/** Best rows/s over every (threads, batch) measured, or undefined. */
export function bestInProcess(results: readonly InProcessResult[]): InProcessResult | undefined {
  return results.reduce<InProcessResult | undefined>((best, r) => (!best || r.rowsPerSec > best.rowsPerSec ? r : best), undefined);
}

/** Run the group. */
export async function inProcessGroup(ctx: BenchContext): Promise<Section> {
  ctx.log('In-process: onnxruntime-node, MLP, no HTTP');
  const results = await inProcessCeiling(ctx.models.mlpFile, ctx.options.batchSizes, ctx.options.durationSec, ctx.options.warmupSec);
  for (const r of results) ctx.log(`  threads=${r.intraOpThreads} batch=${String(r.batch).padStart(2)}  ${Math.round(r.rowsPerSec)} rows/s  p50 ${r.p50.toFixed(2)} ms`);
  ctx.inProcess.push(...results);
  const best = bestInProcess(results);
  return {
    title: 'Ceiling: the MLP in-process on onnxruntime-node (no HTTP)',
    intro: [
      'One InferenceSession, one `run` in flight, the same 784-value row repeated to the batch size; graph optimisation `all`.',
      'Intra-op threads 1 is what `inferd serve` uses per session by default; the second setting uses every core.',
      best ? `Best: ${num(best.rowsPerSec)} rows/s at batch ${best.batch} with ${best.intraOpThreads} intra-op thread(s).` : '',
    ].join(' '),
    tables: [
      {
        columns: ['intra-op threads', 'batch', 'rows/s', 'runs/s', 'p50 ms/run', 'p99 ms/run'],
        rows: results.map((r) => [String(r.intraOpThreads), String(r.batch), num(r.rowsPerSec), num(r.rowsPerSec / r.batch), num(r.p50), num(r.p99)]),
      },
    ],
  };
}
