/**
 * The REST JSON codec of TensorFlow Serving's API (shared/reference/tfserving-api.md §1.3–1.6): pure functions from
 * request bytes to core values and from core values to response text. No I/O; the REST transport wires them in.
 */
export { MAX_JSON_DEPTH, parseLenientJson } from './lenient-json.ts';
export type { JsonDocument, JsonNode } from './lenient-json.ts';
export { debugString, formatFloat32, formatFloat64 } from './format.ts';
export { decodePredictInputs, parsePredictRequest } from './predict-request.ts';
export type { ParsedPredictRequest, PredictFormat } from './predict-request.ts';
export { encodePredictResponse } from './predict-response.ts';
export { parseExampleRequest } from './example-request.ts';
export type { ParsedExampleRequest } from './example-request.ts';
export { encodeClassifyResponse, encodeRegressResponse } from './example-response.ts';
export { encodeMetadata, encodeStatus } from './status-json.ts';
