/**
 * Writes the demo models that `npm start` serves (run by `npm run models`):
 *   models/half_plus_two/1/model.onnx   y = 0.5x + 2, float32 x of shape [batch]
 *   models/mlp/1/model.onnx             4 → 16 → 3 MLP (ReLU), float32 x of shape [batch, 4]
 *   models/models.config                TensorFlow Serving ModelServerConfig (text format), absolute base paths
 * Idempotent: files are rewritten with identical bytes (weights are deterministic). `--out <dir>` writes elsewhere.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { halfPlusTwo, mlp } from '../test/support/models.ts';

/** The demo MLP's shape (small enough to read, large enough to be a network). */
export const DEMO_MLP = { inputSize: 4, hidden: [16], outputs: 3, seed: 7 } as const;

/** Write the demo models and config under `outDir`; returns the paths written. */
export async function makeDemoModels(outDir: string): Promise<string[]> {
  const root = resolve(outDir);
  const written = [
    await halfPlusTwo(join(root, 'half_plus_two', '1')),
    await mlp(join(root, 'mlp', '1'), DEMO_MLP),
  ];
  const entry = (name: string): string =>
    `  config {\n    name: "${name}"\n    base_path: ${JSON.stringify(join(root, name))}\n    model_platform: "onnx"\n  }\n`;
  const config = `model_config_list {\n${entry('half_plus_two')}${entry('mlp')}}\n`;
  const configFile = join(root, 'models.config');
  await mkdir(root, { recursive: true });
  await writeFile(configFile, config);
  written.push(configFile);
  return written;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const flag = process.argv.indexOf('--out');
  const out = flag >= 0 && process.argv[flag + 1] ? process.argv[flag + 1]! : join(dirname(fileURLToPath(import.meta.url)), '..', 'models');
  for (const file of await makeDemoModels(out)) console.log(`wrote ${file}`);
}
