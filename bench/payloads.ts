/**
 * Request payloads shared by every contender, so each server sees byte-identical REST bodies and each gRPC call
 * carries the same numbers. Deterministic: the same run-to-run.
 */
import { MLP_OPTIONS } from './models.ts';

/** One 784-value row in [0, 1) with 3 decimals (an MNIST-like image), as plain numbers (JSON prints them short). */
export function mlpRowValues(): number[] {
  const row: number[] = [];
  let state = 12345;
  for (let i = 0; i < MLP_OPTIONS.inputSize; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    row.push(Math.round(((state >>> 8) / 16777216) * 1000) / 1000);
  }
  return row;
}

/** The same row as float32 (what the model receives from every transport). */
export function mlpRow(): Float32Array {
  return Float32Array.from(mlpRowValues());
}

/** Python's repr of float32 values widened to double, with json.dumps' `, ` separators (`[0.30000001192092896, 1.0]`). */
export function pythonList(values: ArrayLike<number>): string {
  const parts: string[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    parts.push(Number.isInteger(v) ? `${v}.0` : String(v));
  }
  return `[${parts.join(', ')}]`;
}

/** REST bodies (row format), as UTF-8 strings. */
export const REST_BODIES = {
  /** `{"instances":[1.0]}` → `{"predictions":[2.5]}` on y = 0.5x + 2. */
  tiny: '{"instances":[1.0]}',
  /** One 784-float row. */
  mlp: `{"instances":[[${mlpRowValues().join(',')}]]}`,
  /** The same row as a Python client sends it: `json.dumps({"instances": x.tolist()})` of float32 data (17 digits). */
  mlpPython: `{"instances": [${pythonList(mlpRow())}]}`,
} as const;

/** Element count of the large gRPC round trip: 4 MiB of float32. */
export const LARGE_TENSOR_ELEMENTS = (4 * 1024 * 1024) / 4;

/** The large tensor's values (0, 1, 2, ... as float32), for y = 0.5x + 2 on the tiny model. */
export function largeTensor(): Float32Array {
  const values = new Float32Array(LARGE_TENSOR_ELEMENTS);
  for (let i = 0; i < values.length; i++) values[i] = i % 1000;
  return values;
}
