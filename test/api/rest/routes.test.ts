/** TensorFlow Serving's REST routing rules, by table (shared/reference/tfserving-api.md §1.1). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferdError } from '../../../src/core/errors.ts';
import { routeV1 } from '../../../src/api/rest/routes.ts';

describe('routeV1', () => {
  const ok: [string, string, unknown][] = [
    ['GET', '/v1/models/m', { kind: 'status', model: 'm' }],
    ['GET', '/v1/models/m/versions/00123', { kind: 'status', model: 'm', version: 123 }],
    ['GET', '/v1/models/m/labels/stable', { kind: 'status', model: 'm' }],
    ['GET', '/v1/models/m/metadata', { kind: 'metadata', model: 'm' }],
    ['GET', '/v1/models/m/labels/stable/metadata', { kind: 'metadata', model: 'm', label: 'stable' }],
    ['GET', '/V1/MODELS/m/versions/2/metadata', { kind: 'metadata', model: 'm', version: 2 }],
    ['POST', '/v1/models/m:predict', { kind: 'predict', model: 'm' }],
    ['POST', '/v1/models/my%20model/versions/3:classify', { kind: 'classify', model: 'my model', version: 3 }],
    ['POST', '/v1/models/a+b/labels/can%61ry:regress', { kind: 'regress', model: 'a+b', label: 'canary' }],
  ];
  for (const [method, target, expected] of ok) {
    it(`${method} ${target}`, () => assert.deepEqual(routeV1(method, target), expected));
  }
  const bad: [string, string, string][] = [
    ['GET', '/v1/models', 'Missing model name in request.'],
    ['POST', '/v1/models/m:PREDICT', 'Malformed request: POST /v1/models/m:PREDICT'],
    ['POST', '/v1/models/m:predict?x=1', 'Malformed request: POST /v1/models/m:predict?x=1'],
    ['PUT', '/v1/models/m:predict', 'Malformed request: PUT /v1/models/m:predict'],
    ['DELETE', '/v1/models/m', 'Malformed request: DELETE /v1/models/m'],
    ['GET', '/v1/models/m/versions/99999999999999999999', 'Failed to convert version: 99999999999999999999 to numeric.'],
    ['POST', '/v1/models/m/versions/x:predict', 'Malformed request: POST /v1/models/m/versions/x:predict'],
  ];
  for (const [method, target, message] of bad) {
    it(`${method} ${target} → ${message}`, () => {
      assert.throws(() => routeV1(method, target), (err: unknown) => err instanceof InferdError && err.code === 'INVALID_ARGUMENT' && err.message === message);
    });
  }
});
