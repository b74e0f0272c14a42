/**
 * Issue 3's hook: the same MLP as a SavedModel and as ONNX, REST throughput at 1/8/32 and load time. Runs when
 * (1) src/server/compose.ts registers the SavedModel runtime and (2) test/support/savedmodel-models.ts exports
 * `mlpSavedModel(versionDir: string, opts: MlpOptions): Promise<string>` (writes `<versionDir>/saved_model.pb` and
 * variables/ with mlpWeights(opts)). Until both exist the section says which one is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONTENDERS, type BenchContext } from '../context.ts';
import { MLP_OPTIONS, MODEL_NAMES } from '../models.ts';
import { startInferd } from '../processes.ts';
import { loadTable, num, type Section } from '../report.ts';
import type { MlpOptions } from '../../test/support/models.ts';
import { REPO_ROOT } from '../../test/support/serve.ts';
import { sweep } from './rest.ts';

const TITLE = 'SavedModel runtime vs ONNX on the same MLP (issue 3)';
const WRITER = join(REPO_ROOT, 'test', 'support', 'savedmodel-models.ts');

type Writer = (versionDir: string, opts: MlpOptions) => Promise<string>;

/** Why the group cannot run yet, or null. */
function missing(): string | null {
  const compose = readFileSync(join(REPO_ROOT, 'src', 'server', 'compose.ts'), 'utf8');
  if (!/savedmodel/i.test(compose.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))) return 'src/server/compose.ts does not register the SavedModel runtime yet.';
  if (!existsSync(WRITER)) return 'test/support/savedmodel-models.ts (mlpSavedModel) does not exist yet.';
  return null;
}

/** Run the group (or report why it cannot). */
export async function savedModelGroup(ctx: BenchContext): Promise<Section> {
  const intro = 'The MLP written as a SavedModel (same weights) served by `inferd serve`; REST row format, one row per request, concurrency 1/8/32; load time is start-to-listening of the server.';
  const why = missing();
  if (why) return { title: TITLE, intro, tables: [], skipped: why };
  const mod = (await import(WRITER)) as { mlpSavedModel?: Writer };
  if (typeof mod.mlpSavedModel !== 'function') return { title: TITLE, intro, tables: [], skipped: 'test/support/savedmodel-models.ts does not export mlpSavedModel.' };
  const base = join(ctx.models.root, 'mlp_savedmodel');
  await mod.mlpSavedModel(join(base, '1'), MLP_OPTIONS);
  ctx.log('SavedModel: inferd serve (mlp as SavedModel)');
  const t0 = performance.now();
  const inferd = await startInferd({ args: [`--model_name=${MODEL_NAMES.mlp}`, `--model_base_path=${base}`] });
  const loadMs = performance.now() - t0;
  try {
    const saved = { ...ctx.options, concurrency: ctx.options.concurrency.filter((c) => c <= 32) };
    const results = await sweep({ ...ctx, options: saved }, CONTENDERS.savedModelRest, inferd.restUrl, [MODEL_NAMES.mlp]);
    return {
      title: TITLE,
      intro: `${intro} Server start with the SavedModel loaded: ${num(loadMs)} ms.`,
      tables: [loadTable(results)],
    };
  } finally {
    await inferd.stop();
  }
}
