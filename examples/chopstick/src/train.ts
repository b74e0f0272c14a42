/**
 * Train the chopstick classifier and export it as the next version folder of a model base path
 * (`<out>/<n>/model.json` + weights), which a running `inferd serve` picks up and swaps in without downtime.
 *
 *   npx tsx examples/chopstick/src/train.ts [--out DIR] [--epochs N] [--seed S]
 */
import { mkdir, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { saveToDirectory } from '../../../src/runtimes/tfjs/model-files.ts';
import { CLASSES, readDataset } from './dataset.ts';
import { train } from './model.ts';

/** Default model base path: examples/chopstick/models/chopstick (git-ignored). */
export const DEFAULT_BASE = fileURLToPath(new URL('../models/chopstick', import.meta.url));

/** The next numeric version under `base` (1 when there is none). */
export async function nextVersion(base: string): Promise<number> {
  const names = await readdir(base).catch(() => [] as string[]);
  return Math.max(0, ...names.filter((n) => /^\d+$/.test(n)).map(Number)) + 1;
}

/** Train and export; returns the version folder written. */
export async function trainAndExport(options: { out?: string; epochs?: number; seed?: number } = {}): Promise<{ dir: string; accuracy: number; cuts: readonly [number, number] }> {
  const base = path.resolve(options.out ?? DEFAULT_BASE);
  const rows = await readDataset();
  const trained = await train(rows, { ...(options.epochs !== undefined ? { epochs: options.epochs } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}) });
  const version = await nextVersion(base);
  // Write into a temporary folder and rename, so the server never sees a half-written version.
  const tmp = path.join(base, `.tmp-${version}`);
  await mkdir(tmp, { recursive: true });
  await trained.model.save(saveToDirectory(tmp));
  const dir = path.join(base, String(version));
  await rename(tmp, dir);
  trained.model.dispose();
  return { dir, accuracy: trained.accuracy, cuts: trained.cuts };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' }, epochs: { type: 'string' }, seed: { type: 'string' } } });
  const result = await trainAndExport({
    ...(values.out !== undefined ? { out: values.out } : {}),
    ...(values.epochs !== undefined ? { epochs: Number(values.epochs) } : {}),
    ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
  });
  console.log(`exported ${result.dir}`);
  console.log(`classes ${CLASSES.join(' / ')} cut at efficiency ${result.cuts[0]} and ${result.cuts[1]}; training accuracy ${(result.accuracy * 100).toFixed(1)}%`);
}
