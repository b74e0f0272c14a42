/** splitBody (binary tensor extension): the Inference-Header-Content-Length errors quote the header as sent. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferdError } from '../../src/core/errors.ts';
import { splitBody } from '../../src/api/rest/oip/infer-request.ts';

describe('OIP splitBody', () => {
  const body = new TextEncoder().encode('{"inputs":[]}ab');

  it('splits JSON header and binary part', () => {
    const { json, binary } = splitBody(body, '13');
    assert.equal(new TextDecoder().decode(json), '{"inputs":[]}');
    assert.deepEqual([...binary], [97, 98]);
  });

  it('a length past the body is INVALID_ARGUMENT quoting the digits as sent (not 1.1e+29)', () => {
    const digits = '1'.repeat(30);
    assert.throws(() => splitBody(body, digits), (err) => {
      assert.ok(err instanceof InferdError);
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.equal(err.message, `Inference-Header-Content-Length ${digits} is larger than the request body (15 bytes)`);
      return true;
    });
  });
});
