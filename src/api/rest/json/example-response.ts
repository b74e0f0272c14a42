/**
 * Classify and regress response bodies of TensorFlow Serving's REST API (shared/reference/tfserving-api.md §1.6,
 * util/json_tensor.cc MakeJsonFromClassificationResult / MakeJsonFromRegressionResult). Key `results`; scores and
 * regression values are proto floats, written by WriteDecimal<float>.
 */
import { InferdError } from '../../../core/errors.ts';
import type { ClassScore } from '../../../server/serving-api.ts';
import { formatFloat32, quoteJson } from './format.ts';

/**
 * `{"results": [[[label, score], ...] per example]}` (label `""` when the model has no `classes` output).
 * INVALID_ARGUMENT `Cannot convert empty ClassificationResults to JSON` for zero examples.
 */
export function encodeClassifyResponse(classifications: readonly (readonly ClassScore[])[]): string {
  if (classifications.length === 0) {
    throw InferdError.invalidArgument('Cannot convert empty ClassificationResults to JSON');
  }
  const rows = classifications.map(
    (classes) => `[${classes.map((c) => `[${quoteJson(c.label)}, ${formatFloat32(Math.fround(c.score))}]`).join(', ')}]`,
  );
  return `{\n    "results": [${rows.join(', ')}\n    ]\n}`;
}

/** `{"results": [v, ...]}`, one value per example. INVALID_ARGUMENT `Cannot convert empty RegressionResults to JSON`. */
export function encodeRegressResponse(values: readonly number[]): string {
  if (values.length === 0) throw InferdError.invalidArgument('Cannot convert empty RegressionResults to JSON');
  return `{\n    "results": [${values.map((v) => formatFloat32(Math.fround(v))).join(', ')}]\n}`;
}
