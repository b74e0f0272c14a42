/** Test helpers for the REST JSON codec: lenient JSON (NaN/Infinity) to plain JS values, and error assertions. */
import assert from 'node:assert/strict';
import { InferdError } from '../../../../src/core/errors.ts';
import { type JsonNode, integerOf, parseLenientJson, stringText } from '../../../../src/api/rest/json/lenient-json.ts';

/** Plain JS value of a node: integers beyond 2^53 as bigint, other numbers as number, strings as text. */
export function plain(node: JsonNode): unknown {
  switch (node.kind) {
    case 'null': return null;
    case 'bool': return node.value;
    case 'number': {
      if (node.isDouble) return node.value;
      return Number.isSafeInteger(node.value) ? node.value : integerOf(node);
    }
    case 'string': return stringText(node);
    case 'array': return node.items.map(plain);
    case 'object': return Object.fromEntries(node.members.map((m) => [m.key, plain(m.value)]));
  }
}

/** Parse JSON text leniently into plain JS values. */
export function parseText(text: string): unknown {
  return plain(parseLenientJson(text).root);
}

/** Assert `fn` throws an InferdError with `code` whose message equals `message` (string) or matches (RegExp). */
export function assertInferdError(fn: () => unknown, code: string, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InferdError, `expected InferdError, got ${String(err)}`);
    assert.equal(err.code, code, `code of "${err.message}"`);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}
