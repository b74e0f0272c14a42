/**
 * The bench's models, built fresh into a temp folder each run with the test suite's ONNX writers, plus the
 * ModelServerConfig file that serves them from one `inferd serve`. The caller owns the folder and removes it.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { halfPlusTwo, mlp, type MlpOptions } from '../test/support/models.ts';

/** The MLP of issues 2 and 6: 784 → 1024 → 1024 → 10, float32, symbolic batch dimension. */
export const MLP_OPTIONS: MlpOptions = { inputSize: 784, hidden: [1024, 1024], outputs: 10 };

/** Model names as served (REST route `/v1/models/<name>:predict`, gRPC model_spec.name). */
export const MODEL_NAMES = { tiny: 'tiny', mlp: 'mlp' } as const;

/** Where the models were written. */
export interface BenchModels {
  /** The temp folder holding everything below (remove it when done). */
  readonly root: string;
  /** Base path of y = 0.5x + 2 (version 1). */
  readonly tinyBase: string;
  /** Base path of the MLP (version 1). */
  readonly mlpBase: string;
  /** `<base>/1/model.onnx` of the MLP, for the in-process and express baselines. */
  readonly mlpFile: string;
  /** `<base>/1/model.onnx` of the tiny model. */
  readonly tinyFile: string;
  /** A text-format ModelServerConfig serving both models. */
  readonly configFile: string;
}

/** Build both models and the config file into a new temp folder. */
export async function buildModels(): Promise<BenchModels> {
  const root = await mkdtemp(join(tmpdir(), 'inferd-bench-'));
  const tinyBase = join(root, MODEL_NAMES.tiny);
  const mlpBase = join(root, MODEL_NAMES.mlp);
  const tinyFile = await halfPlusTwo(join(tinyBase, '1'));
  const mlpFile = await mlp(join(mlpBase, '1'), MLP_OPTIONS);
  const configFile = join(root, 'models.config');
  const entry = (name: string, base: string): string => `  config { name: "${name}" base_path: "${base}" model_platform: "onnx" }`;
  await writeFile(configFile, `model_config_list {\n${entry(MODEL_NAMES.tiny, tinyBase)}\n${entry(MODEL_NAMES.mlp, mlpBase)}\n}\n`);
  return { root, tinyBase, mlpBase, mlpFile, tinyFile, configFile };
}
