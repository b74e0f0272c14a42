/**
 * Classify and regress request bodies of TensorFlow Serving's REST API (shared/reference/tfserving-api.md §1.6,
 * util/json_tensor.cc FillClassifyRegressRequestFromJson): `{"signature_name"?, "context"?, "examples": [...]}`
 * to tf.Examples (core/example.ts). Parsed completely before any model lookup, as TF Serving does.
 * Feature kinds: string or `{"b64": ...}` → bytes, number with `.`/exponent (rapidjson double) → float,
 * integer → int64, true/false → int64 1/0; all values of one feature share a kind.
 */
import type { Example, Feature } from '../../../core/example.ts';
import { InferdError } from '../../../core/errors.ts';
import { decodeBase64Object, isBase64Object } from './base64.ts';
import { debugString } from './format.ts';
import { type JsonNode, type JsonObject, integerOf, jsonTypeName, member, parseLenientJson, stringText } from './lenient-json.ts';

export { encodeClassifyResponse, encodeRegressResponse } from './example-response.ts';

/** A parsed classify/regress body. */
export interface ParsedExampleRequest {
  /** `signature_name` when present (may be empty, which means `serving_default`). */
  readonly signatureName?: string;
  /** Features shared by every example (`example_list_with_context`); the facade merges, examples win. */
  readonly context?: Example;
  /** One Example per element of `examples` (never empty). */
  readonly examples: Example[];
}

const INT64_MAX = 2n ** 63n - 1n;

type Kind = Feature['kind'];

/** A feature being built; `kind` undefined means KIND_NOT_SET (no value yet). */
interface Builder {
  kind?: Kind;
  readonly bytes: Uint8Array[];
  readonly floats: number[];
  readonly ints: bigint[];
}

function unexpectedType(name: string, node: JsonNode): InferdError {
  return InferdError.invalidArgument(`Feature: ${name} has element with unexpected JSON type: ${jsonTypeName(node)}`);
}

function setKind(b: Builder, name: string, kind: Kind): void {
  if (b.kind !== undefined && b.kind !== kind) {
    throw InferdError.invalidArgument(`Unexpected element type in feature: ${name} expecting type: ${b.kind}`);
  }
  b.kind = kind;
}

/** AddValueToFeature. */
function addValue(node: JsonNode, name: string, b: Builder): void {
  switch (node.kind) {
    case 'null':
    case 'array':
      throw unexpectedType(name, node);
    case 'bool':
      setKind(b, name, 'int64');
      b.ints.push(node.value ? 1n : 0n);
      return;
    case 'object':
      if (!isBase64Object(node)) throw unexpectedType(name, node);
      setKind(b, name, 'bytes');
      b.bytes.push(decodeBase64Object(node));
      return;
    case 'string':
      setKind(b, name, 'bytes');
      b.bytes.push(node.bytes);
      return;
    case 'number':
      if (node.isDouble) {
        setKind(b, name, 'float');
        b.floats.push(Math.fround(node.value));
      } else {
        setKind(b, name, 'int64');
        const v = integerOf(node);
        if (v > INT64_MAX) {
          throw InferdError.invalidArgument(`Feature: ${name} has uint64_t element. Only int64_t is supported.`);
        }
        b.ints.push(v);
      }
      return;
  }
}

function finish(b: Builder): Feature {
  if (b.kind === 'bytes') return { kind: 'bytes', values: b.bytes };
  if (b.kind === 'int64') return { kind: 'int64', values: b.ints };
  // An empty list (`"f": []`, KIND_NOT_SET in TF) is sent as an empty float list: core's Feature has no unset kind.
  return { kind: 'float', values: b.floats };
}

/** MakeExampleFromJsonObject. Later duplicates of a feature name replace earlier ones (proto map assignment). */
function makeExample(node: JsonNode): Example {
  if (node.kind !== 'object') {
    throw InferdError.invalidArgument(`Example must be JSON object but got JSON ${jsonTypeName(node)}`);
  }
  const example = new Map<string, Feature>();
  for (const { key, value } of node.members) {
    const b: Builder = { bytes: [], floats: [], ints: [] };
    if (value.kind === 'array') {
      for (const v of value.items) addValue(v, key, b);
    } else {
      addValue(value, key, b);
    }
    example.set(key, finish(b));
  }
  return example;
}

/**
 * Parse a classify or regress body. INVALID_ARGUMENT, in TF Serving's order: JSON parse errors, not an object,
 * bad `signature_name`, `context` errors, then `JSON Value: <doc> When method is classify, key 'examples' is expected
 * and was not found` (TF Serving says "classify" for regress too), `... Expecting 'examples' value to be an
 * list/array`, `... 'examples' value is an empty array`, then per-example errors. `_method` names the endpoint.
 */
export function parseExampleRequest(body: Uint8Array | string, _method: 'classify' | 'regress'): ParsedExampleRequest {
  const { root } = parseLenientJson(body);
  if (root.kind !== 'object') throw InferdError.invalidArgument(`JSON Value: ${debugString(root)} Is not object`);
  const signatureName = readSignatureName(root);
  const contextNode = member(root, 'context');
  const context = contextNode === undefined ? undefined : makeExample(contextNode);
  const examplesNode = member(root, 'examples');
  if (examplesNode === undefined) {
    throw InferdError.invalidArgument(
      `JSON Value: ${debugString(root)} When method is classify, key 'examples' is expected and was not found`,
    );
  }
  if (examplesNode.kind !== 'array') {
    throw InferdError.invalidArgument(`JSON Value: ${debugString(root)} Expecting 'examples' value to be an list/array`);
  }
  if (examplesNode.items.length === 0) {
    throw InferdError.invalidArgument(`JSON Value: ${debugString(root)} 'examples' value is an empty array`);
  }
  const examples = examplesNode.items.map(makeExample);
  return {
    ...(signatureName === undefined ? {} : { signatureName }),
    ...(context === undefined ? {} : { context }),
    examples,
  };
}

/** `signature_name` of a request object; throws when not a string. */
function readSignatureName(doc: JsonObject): string | undefined {
  const sig = member(doc, 'signature_name');
  if (sig === undefined) return undefined;
  if (sig.kind !== 'string') {
    throw InferdError.invalidArgument(
      `JSON Value: ${debugString(doc)} not formatted correctly. 'signature_name' key must be a string value.`,
    );
  }
  return stringText(sig);
}
