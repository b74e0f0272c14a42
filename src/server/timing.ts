/**
 * Where a request's time goes, server side: a `decorate` hook that times every run of a loaded version (the
 * runtime's own `run`, e.g. ONNX Runtime's session.run plus tensor wrapping) and hands each timing to a listener.
 * Composed under the batcher (`composeDecorators(timingDecorator(...), batchingDecorator(...))`) it sees the merged
 * batches the runtime really executes. Used by the bench (bench/scenarios/ocr.ts); a metrics layer can subscribe too.
 * Clock: performance.now(), wall time in microseconds; listener exceptions are swallowed (timing never breaks serving).
 */
import type { LoadedModel, RunRequest, RunResult } from '../core/runtime.ts';
import type { ModelMetadata } from '../core/signature.ts';

/** One finished run of a loaded version. */
export interface RunTiming {
  readonly model: string;
  readonly version: number;
  readonly signatureName: string;
  /** Dimension 0 of the first input (the batch size the runtime saw); 1 for scalar inputs or no inputs. */
  readonly rows: number;
  /** Wall time from the call to settlement, µs. */
  readonly micros: number;
  /** False when the run rejected. */
  readonly ok: boolean;
}

/** A ModelServer `decorate` hook (same shape as ModelServerOptions.decorate). */
export type DecorateHook = (model: LoadedModel, name: string, version: number, path: string) => LoadedModel | Promise<LoadedModel>;

/** Dimension 0 of the request's first input, or 1. */
function rowsOf(request: RunRequest): number {
  for (const t of Object.values(request.inputs)) return t.shape.length > 0 ? (t.shape[0] ?? 1) : 1;
  return 1;
}

/** Wrap one loaded model so each `run` reports a RunTiming to `onRun`. close() closes the inner model. */
export function timedModel(model: LoadedModel, name: string, version: number, onRun: (timing: RunTiming) => void): LoadedModel {
  const report = (request: RunRequest, started: number, ok: boolean): void => {
    try {
      onRun({ model: name, version, signatureName: request.signatureName, rows: rowsOf(request), micros: (performance.now() - started) * 1000, ok });
    } catch {
      // observability never breaks serving
    }
  };
  return {
    get metadata(): ModelMetadata {
      return model.metadata;
    },
    async run(request: RunRequest): Promise<RunResult> {
      const started = performance.now();
      try {
        const result = await model.run(request);
        report(request, started, true);
        return result;
      } catch (err) {
        report(request, started, false);
        throw err;
      }
    },
    close(): Promise<void> {
      return model.close();
    },
  };
}

/** A decorate hook that times every version's runs. */
export function timingDecorator(onRun: (timing: RunTiming) => void): DecorateHook {
  return (model, name, version) => timedModel(model, name, version, onRun);
}

/** Chain decorate hooks, innermost first: `composeDecorators(a, b)` gives b(a(model)). */
export function composeDecorators(...hooks: readonly DecorateHook[]): DecorateHook {
  return async (model, name, version, path) => {
    let current = model;
    for (const hook of hooks) current = await hook(current, name, version, path);
    return current;
  };
}
