/**
 * One merged inner run: concatenate the tasks' inputs (with padding), run the inner executor once, split the
 * outputs back per task, or fall back to one inner run per task when the merged answer cannot be split (outputs
 * without the batch dimension) or the model refuses the merged shape (INVALID_ARGUMENT). Computes answers; the
 * batcher delivers them (so stats and listeners are updated before any caller resumes).
 */
import { InferdError, toInferdError } from '../errors.ts';
import type { Executor, RunResult } from '../runtime.ts';
import type { Tensor } from '../tensor.ts';
import { concatRows, sliceRows } from './rows.ts';

/** What runBatch needs of a task. */
export interface BatchTask {
  readonly inputs: Readonly<Record<string, Tensor>>;
  readonly rows: number;
  readonly signal: AbortSignal | undefined;
  /** True once answered elsewhere (aborted): its fallback run is skipped. */
  readonly settled: boolean;
}

/** A merged run to perform. */
export interface BatchJob {
  readonly signatureName: string;
  readonly outputFilter: readonly string[] | undefined;
  /** Non-empty, in queue order. */
  readonly tasks: readonly BatchTask[];
  /** Real rows (sum of task rows). */
  readonly rows: number;
  /** Rows to run: rows plus padding rows (≥ rows). */
  readonly padded: number;
  /** Signal of the merged run (aborts when every task has); a one-task run's is the task's own, maybe none. */
  readonly signal: AbortSignal | undefined;
}

/** The answer of each task (undefined when skipped), the batch outcome, and whether the key proved unbatchable. */
export interface BatchResult {
  readonly answers: readonly (RunResult | InferdError | undefined)[];
  readonly outcome: 'ok' | 'error' | 'fallback';
  readonly unbatchable: boolean;
}

/** Run a job; never rejects (failures become InferdError answers). */
export async function runBatch(inner: Executor, job: BatchJob): Promise<BatchResult> {
  try {
    return await runOrThrow(inner, job);
  } catch (err) {
    const e = toInferdError(err);
    return { answers: job.tasks.map(() => e), outcome: 'error', unbatchable: false };
  }
}

function filterOf(job: BatchJob): { outputFilter?: readonly string[] } {
  return job.outputFilter ? { outputFilter: job.outputFilter } : {};
}

async function runOrThrow(inner: Executor, job: BatchJob): Promise<BatchResult> {
  const { tasks, rows, padded } = job;
  const first = tasks[0];
  if (!first) return { answers: [], outcome: 'ok', unbatchable: false };
  const direct = tasks.length === 1 && padded === rows;
  const inputs: Record<string, Tensor> = {};
  for (const alias of Object.keys(first.inputs)) {
    inputs[alias] = direct ? (first.inputs[alias] as Tensor) : concatRows(tasks.map((t) => t.inputs[alias] as Tensor), padded);
  }
  let outputs: RunResult;
  try {
    outputs = await inner.run({ signatureName: job.signatureName, inputs, ...filterOf(job), ...(job.signal ? { signal: job.signal } : {}) });
  } catch (err) {
    const e = toInferdError(err);
    if (!direct && e.code === 'INVALID_ARGUMENT' && !job.signal?.aborted) {
      // The model may refuse the merged or padded shape (a fixed batch dimension): answer each request on its own. If every
      // request then succeeds alone, merging was the problem: stop batching this key.
      const answers = await fallback(inner, job);
      return { answers, outcome: 'fallback', unbatchable: answers.every((a) => !(a instanceof InferdError)) };
    }
    return { answers: tasks.map(() => e), outcome: 'error', unbatchable: false };
  }
  if (direct) return { answers: [outputs], outcome: 'ok', unbatchable: false };
  const splittable = Object.values(outputs).every((t) => t.shape.length >= 1 && t.shape[0] === padded);
  if (!splittable) {
    // Outputs without the batch dimension cannot be split back: a property of the model.
    return { answers: await fallback(inner, job), outcome: 'fallback', unbatchable: true };
  }
  let offset = 0;
  const answers = tasks.map((t) => {
    const result: RunResult = {};
    for (const [alias, out] of Object.entries(outputs)) result[alias] = sliceRows(out, offset, t.rows);
    offset += t.rows;
    return result;
  });
  return { answers, outcome: 'ok', unbatchable: false };
}

/** Run each task still waiting alone, concurrently, with its own signal. */
function fallback(inner: Executor, job: BatchJob): Promise<(RunResult | InferdError | undefined)[]> {
  return Promise.all(job.tasks.map(async (t) => {
    if (t.settled) return undefined;
    try {
      return await inner.run({
        signatureName: job.signatureName, inputs: t.inputs, ...filterOf(job), ...(t.signal ? { signal: t.signal } : {}),
      });
    } catch (err) {
      return toInferdError(err);
    }
  }));
}
