/**
 * Issue 6's batching scenario: `inferd serve --enable_batching` with BATCHING_PARAMETERS on the MLP, over REST and
 * over gRPC tensor_content. Runs only when `inferd serve --help` lists --enable_batching.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTENDERS, type BenchContext } from '../context.ts';
import { MODEL_NAMES } from '../models.ts';
import { inferdServeHelp, startInferd } from '../processes.ts';
import { loadTable, type Section } from '../report.ts';
import { grpcSweep } from './grpc.ts';
import { sweep } from './rest.ts';

/** The batching parameters the bench uses (TensorFlow Serving text format), shown in the report. */
export const BATCHING_PARAMETERS = [
  'max_batch_size { value: 32 }',
  'batch_timeout_micros { value: 1000 }',
  'max_enqueued_batches { value: 1000 }',
  'num_batch_threads { value: 2 }',
].join('\n');

const TITLE = 'Dynamic batching (issue 6)';

/** Run the group (or report why it cannot). */
export async function batchingGroup(ctx: BenchContext, withGrpc: boolean): Promise<Section> {
  const intro = `\`inferd serve --enable_batching --batching_parameters_file=…\` with \`${BATCHING_PARAMETERS.replaceAll('\n', ' ')}\`; MLP only, one 784-value row per request.`;
  if (!(await inferdServeHelp()).includes('--enable_batching')) return { title: TITLE, intro, tables: [], skipped: '`inferd serve` has no --enable_batching flag yet.' };
  ctx.log('Batching: inferd serve --enable_batching (mlp)');
  const params = join(ctx.models.root, 'batching.txt');
  await writeFile(params, `${BATCHING_PARAMETERS}\n`);
  const inferd = await startInferd({ args: [`--model_config_file=${ctx.models.configFile}`, '--enable_batching', `--batching_parameters_file=${params}`] });
  try {
    const rest = await sweep(ctx, CONTENDERS.inferdRestBatching, inferd.restUrl, [MODEL_NAMES.mlp]);
    const grpc = withGrpc ? await grpcSweep(ctx, `127.0.0.1:${inferd.grpcPort}`, [{ contender: CONTENDERS.grpcTensorContentBatching, encoding: 'tensor_content' }]) : [];
    return { title: TITLE, intro, tables: [loadTable([...rest, ...grpc])] };
  } finally {
    await inferd.stop();
  }
}
