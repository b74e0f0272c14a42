/**
 * The chopstick dataset and the chopstick'o'meter's classes. The efficiency (food pinched per trial) is cut into
 * three classes at the dataset's tertiles, so each class holds a third of the rows: the meter answers "how efficient
 * will I be with chopsticks of this length", as low / medium / high with probabilities.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The bundled copy of the dataset. */
export const DATASET = fileURLToPath(new URL('../data/chopstick.csv', import.meta.url));

/** The class names, in the order of the model's probabilities output. */
export const CLASSES = ['low', 'medium', 'high'] as const;

/** One row: chopstick length in mm and the efficiency class index. */
export interface Row {
  readonly lengthMm: number;
  readonly efficiency: number;
  readonly individual: number;
}

/** Parse the CSV (header line, then `efficiency,individual,length`). */
export async function readDataset(file = DATASET): Promise<Row[]> {
  const lines = (await readFile(file, 'utf8')).trim().split(/\r?\n/).slice(1);
  return lines.map((line) => {
    const [efficiency, individual, length] = line.split(',').map(Number);
    if (![efficiency, individual, length].every((v) => Number.isFinite(v))) throw new Error(`bad row in ${file}: ${line}`);
    return { efficiency: efficiency as number, individual: individual as number, lengthMm: length as number };
  });
}

/** The two efficiency values that cut the rows into thirds. */
export function tertiles(rows: readonly Row[]): [number, number] {
  const sorted = rows.map((r) => r.efficiency).sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  return [at(1 / 3), at(2 / 3)];
}

/** Class index of an efficiency given the tertile cuts. */
export function classOf(efficiency: number, cuts: readonly [number, number]): number {
  return efficiency < cuts[0] ? 0 : efficiency < cuts[1] ? 1 : 2;
}
