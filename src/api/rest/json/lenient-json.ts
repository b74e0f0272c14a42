/**
 * JSON values as a node tree, for the small bodies where a tree is simplest (classify/regress requests): a view of
 * the one parser's tape (json-tape.ts). Numbers keep their raw text so int64 beyond 2^53 and rapidjson's "has a `.`
 * or exponent" test survive; strings are raw bytes (rapidjson does not validate UTF-8).
 */
import {
  KIND, type JsonTape, nextRow, numberAt, parseJsonTape, stringBytesAt, stringTextAt, tokenText,
} from './json-tape.ts';

export { MAX_JSON_DEPTH } from './json-tape.ts';

/** JSON null. */
export interface JsonNull { readonly kind: 'null' }
/** JSON true or false. */
export interface JsonBool { readonly kind: 'bool'; readonly value: boolean }
/**
 * A JSON number. `isDouble` follows rapidjson: true when the token has a fraction or exponent, is NaN/Inf, or is
 * an integer outside [-2^63, 2^64-1]; otherwise the token is an integer and `text` is its exact decimal text.
 */
export interface JsonNumber {
  readonly kind: 'number';
  readonly text: string;
  readonly value: number;
  readonly isDouble: boolean;
}
/** A JSON string as raw bytes (escapes resolved, UTF-8 not validated). */
export interface JsonString { readonly kind: 'string'; readonly bytes: Uint8Array }
/** A JSON array. */
export interface JsonArray { readonly kind: 'array'; readonly items: readonly JsonNode[] }
/** One member of an object; duplicate keys are kept, in document order (as rapidjson does). */
export interface JsonMember { readonly key: string; readonly value: JsonNode }
/** A JSON object. */
export interface JsonObject { readonly kind: 'object'; readonly members: readonly JsonMember[] }
/** Any parsed JSON value. */
export type JsonNode = JsonNull | JsonBool | JsonNumber | JsonString | JsonArray | JsonObject;

/** A parsed document: the root value and the byte length of the source (an upper bound on leaf count). */
export interface JsonDocument { readonly root: JsonNode; readonly sourceLength: number }

const NULL: JsonNull = { kind: 'null' };
const TRUE: JsonBool = { kind: 'bool', value: true };
const FALSE: JsonBool = { kind: 'bool', value: false };
const utf8Decoder = new TextDecoder();

/** The first member named `key` (rapidjson FindMember), or undefined. */
export function member(obj: JsonObject, key: string): JsonNode | undefined {
  for (const m of obj.members) if (m.key === key) return m.value;
  return undefined;
}

/** The exact integer of a non-double number node. */
export function integerOf(n: JsonNumber): bigint {
  return n.text.length < 16 ? BigInt(n.value) : BigInt(n.text);
}

/** A string node's bytes decoded as UTF-8 (invalid sequences become U+FFFD). */
export function stringText(s: JsonString): string {
  return decodeUtf8(s.bytes);
}

function decodeUtf8(bytes: Uint8Array): string {
  if (bytes.length < 64) {
    let out = '';
    for (const b of bytes) {
      if (b >= 0x80) return utf8Decoder.decode(bytes);
      out += String.fromCharCode(b);
    }
    return out;
  }
  return utf8Decoder.decode(bytes);
}

/** The rapidjson type name used in TF Serving messages: Null, False, True, Object, Array, String, Number. */
export function jsonTypeName(node: JsonNode): string {
  switch (node.kind) {
    case 'null': return 'Null';
    case 'bool': return node.value ? 'True' : 'False';
    case 'object': return 'Object';
    case 'array': return 'Array';
    case 'string': return 'String';
    case 'number': return 'Number';
  }
}

/**
 * Parse a request body into a node tree (json-tape.ts does the parsing; errors are its `JSON Parse error: ...`).
 * For small bodies (classify, regress); predict decodes tensors from the tape directly.
 */
export function parseLenientJson(body: Uint8Array | string): JsonDocument {
  const tape = parseJsonTape(body);
  return { root: nodeAt(tape, 0), sourceLength: tape.source.length };
}

/** The node tree of tape row `r` (the whole subtree is materialized). */
export function nodeAt(tape: JsonTape, r: number): JsonNode {
  switch (tape.kind[r]) {
    case KIND.null: return NULL;
    case KIND.false: return FALSE;
    case KIND.true: return TRUE;
    case KIND.int: case KIND.double: return new NumberNode(tape, r);
    case KIND.string: case KIND.escapedString: return { kind: 'string', bytes: stringBytesAt(tape, r) };
    case KIND.array: {
      const items: JsonNode[] = [];
      for (let c = r + 1; c < tape.end[r]!; c = nextRow(tape, c)) items.push(nodeAt(tape, c));
      return { kind: 'array', items };
    }
    default: {
      const members: JsonMember[] = [];
      for (let c = r + 1; c < tape.end[r]!; c = nextRow(tape, c + 1)) members.push({ key: stringTextAt(tape, c), value: nodeAt(tape, c + 1) });
      return { kind: 'object', members };
    }
  }
}

/** A number node whose text is sliced from the source only when asked for (most numbers never need it). */
class NumberNode implements JsonNumber {
  readonly kind = 'number' as const;
  readonly value: number;
  readonly isDouble: boolean;
  private cached: string | undefined;
  constructor(private readonly tape: JsonTape, private readonly r: number) {
    this.value = numberAt(tape, r);
    this.isDouble = tape.kind[r] === KIND.double;
  }
  get text(): string {
    this.cached ??= tokenText(this.tape, this.r);
    return this.cached;
  }
}
