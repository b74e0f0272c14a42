/**
 * Writes the demo models that `npm start` serves (run by `npm run models`):
 *   models/half_plus_two/1/model.onnx   y = 0.5x + 2, float32 x of shape [batch]
 *   models/mlp/1/model.onnx             4 → 16 → 3 MLP (ReLU), float32 x of shape [batch, 4]
 *   models/models.config                TensorFlow Serving ModelServerConfig (text format), absolute base paths
 * Idempotent: weights are deterministic and a file whose bytes are already right is left untouched (so a running
 * server watching models/ sees no change). `--out <dir>` writes elsewhere.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeModel } from '../test/support/onnx-builder.ts';
import { ONNX_MODEL_FILE, halfPlusTwoSpec, mlpSpec } from '../test/support/models.ts';

/** The demo MLP's shape (small enough to read, large enough to be a network). */
export const DEMO_MLP = { inputSize: 4, hidden: [16], outputs: 3, seed: 7 } as const;

/** Write `bytes` to `file` unless it already holds exactly them (parents created). True when it wrote. */
async function writeIfChanged(file: string, bytes: Uint8Array | string): Promise<boolean> {
  const want = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  const have = await readFile(file).catch(() => undefined);
  if (have !== undefined && Buffer.compare(have, want) === 0) return false;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, want);
  return true;
}

/** One file of the demo set: its absolute path and whether this run (re)wrote it. */
export interface DemoFile {
  readonly file: string;
  readonly written: boolean;
}

/** Write the demo models and config under `outDir` (absolute base paths in the config). */
export async function makeDemoModels(outDir: string): Promise<DemoFile[]> {
  const root = resolve(outDir);
  const files: [string, Uint8Array | string][] = [
    [join(root, 'half_plus_two', '1', ONNX_MODEL_FILE), encodeModel(halfPlusTwoSpec())],
    [join(root, 'mlp', '1', ONNX_MODEL_FILE), encodeModel(mlpSpec(DEMO_MLP))],
  ];
  const entry = (name: string): string =>
    `  config {\n    name: "${name}"\n    base_path: ${JSON.stringify(join(root, name))}\n    model_platform: "onnx"\n  }\n`;
  files.push([join(root, 'models.config'), `model_config_list {\n${entry('half_plus_two')}${entry('mlp')}}\n`]);
  const result: DemoFile[] = [];
  for (const [file, bytes] of files) result.push({ file, written: await writeIfChanged(file, bytes) });
  return result;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const flag = process.argv.indexOf('--out');
  const out = flag >= 0 && process.argv[flag + 1] ? process.argv[flag + 1]! : join(dirname(fileURLToPath(import.meta.url)), '..', 'models');
  for (const { file, written } of await makeDemoModels(out)) console.log(`${written ? 'wrote     ' : 'up to date'} ${file}`);
}
