/**
 * Train the sentiment classifier and export it as the next version folder of a model base path, with the
 * tokenizer's vocabulary beside the model (`vocab.json`, for clients).
 *
 *   npx tsx examples/sentiment/src/train.ts [--out DIR] [--epochs N]
 */
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { saveToDirectory } from '../../../src/runtimes/tfjs/model-files.ts';
import { VOCABULARY } from './data.ts';
import { train } from './model.ts';

/** Default model base path (git-ignored). */
export const DEFAULT_BASE = fileURLToPath(new URL('../models/sentiment', import.meta.url));

/** Train and export; returns the version folder written. */
export async function trainAndExport(options: { out?: string; epochs?: number } = {}): Promise<{ dir: string; accuracy: number }> {
  const base = path.resolve(options.out ?? DEFAULT_BASE);
  const { model, accuracy } = await train(options.epochs !== undefined ? { epochs: options.epochs } : {});
  const names = await readdir(base).catch(() => [] as string[]);
  const version = Math.max(0, ...names.filter((n) => /^\d+$/.test(n)).map(Number)) + 1;
  const tmp = path.join(base, `.tmp-${version}`);
  await mkdir(tmp, { recursive: true });
  await model.save(saveToDirectory(tmp));
  await writeFile(path.join(tmp, 'vocab.json'), JSON.stringify(Object.fromEntries(VOCABULARY)));
  model.dispose();
  const dir = path.join(base, String(version));
  await rename(tmp, dir);
  return { dir, accuracy };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, epochs: { type: 'string' } } });
  const r = await trainAndExport({ ...(values.out ? { out: values.out } : {}), ...(values.epochs ? { epochs: Number(values.epochs) } : {}) });
  console.log(`exported ${r.dir} (training accuracy ${(r.accuracy * 100).toFixed(1)}%)`);
}
