/**
 * Baseline (c) of issue 6: plain express + onnxruntime-node, one session.run per request, on the MLP.
 */
import { CONTENDERS, type BenchContext } from '../context.ts';
import { MODEL_NAMES } from '../models.ts';
import { startBaseline } from '../processes.ts';
import { loadTable, type Section } from '../report.ts';
import { sweep } from './rest.ts';

/** Run the group. */
export async function expressGroup(ctx: BenchContext): Promise<Section> {
  ctx.log('REST: express + onnxruntime-node (no batching)');
  const server = await startBaseline('express-ort', 'express-ort.ts', [`--model=${MODEL_NAMES.mlp}=${ctx.models.mlpFile}`]);
  try {
    const results = await sweep(ctx, CONTENDERS.expressOrt, server.url, [MODEL_NAMES.mlp]);
    return {
      title: 'Baseline: express + onnxruntime-node (issue 6)',
      intro: 'bench/baseline/express-ort.ts: `express.json()`, one `session.run` per request with onnxruntime-node\'s default session options, `res.json()`. Same body and route as inferd.',
      tables: [loadTable(results)],
    };
  } finally {
    await server.stop();
  }
}
