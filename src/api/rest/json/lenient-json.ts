/**
 * A JSON parser that accepts what rapidjson accepts in TensorFlow Serving's REST front end
 * (shared/reference/tfserving-api.md §1, util/json_tensor.cc ParseJson): standard JSON plus `NaN`, `Inf`,
 * `Infinity` (optionally signed), bytes after the top-level value ignored, strings kept as raw bytes (rapidjson
 * does not validate UTF-8), and numbers kept with their raw text so int64 beyond 2^53 and the "has a `.` or
 * exponent" test survive. Errors are INVALID_ARGUMENT `JSON Parse error: <rapidjson message> at offset: <n>`,
 * with rapidjson's byte offsets. Nesting is limited to MAX_JSON_DEPTH so no input can overflow the stack.
 */
import { InferdError } from '../../../core/errors.ts';

/** Maximum nesting of arrays and objects; deeper documents are rejected (rapidjson has no limit, it crashes). */
export const MAX_JSON_DEPTH = 512;

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
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const utf8Encoder = new TextEncoder();
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

class ParseError {
  constructor(readonly message: string, readonly offset: number) {}
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Recursive-descent parser over bytes. `peek` is 0 at the end, like rapidjson's stream (so NUL ends input). */
class Parser {
  pos = 0;
  constructor(private readonly s: Uint8Array) {}

  private peek(): number {
    return this.pos < this.s.length ? this.s[this.pos]! : 0;
  }

  private consume(c: number): boolean {
    if (this.peek() === c) {
      this.pos++;
      return true;
    }
    return false;
  }

  private fail(message: string, offset = this.pos): never {
    throw new ParseError(message, offset);
  }

  skipWhitespace(): void {
    const s = this.s;
    let p = this.pos;
    while (p < s.length) {
      const c = s[p]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      p++;
    }
    this.pos = p;
  }

  parseRoot(): JsonNode {
    this.skipWhitespace();
    if (this.peek() === 0) this.fail('The document is empty.');
    return this.parseValue(0);
  }

  private parseValue(depth: number): JsonNode {
    switch (this.peek()) {
      case 0x6e: return this.parseLiteral('null', NULL);
      case 0x74: return this.parseLiteral('true', TRUE);
      case 0x66: return this.parseLiteral('false', FALSE);
      case 0x22: return { kind: 'string', bytes: this.parseString() };
      case 0x7b: return this.parseObject(depth + 1);
      case 0x5b: return this.parseArray(depth + 1);
      default: return this.parseNumber();
    }
  }

  private parseLiteral<T extends JsonNode>(word: string, node: T): T {
    this.pos++;
    for (let i = 1; i < word.length; i++) {
      if (!this.consume(word.charCodeAt(i))) this.fail('Invalid value.');
    }
    return node;
  }

  private enter(depth: number): void {
    if (depth > MAX_JSON_DEPTH) this.fail(`Nesting deeper than ${MAX_JSON_DEPTH} levels.`);
  }

  private parseObject(depth: number): JsonObject {
    this.enter(depth);
    this.pos++;
    this.skipWhitespace();
    const members: JsonMember[] = [];
    if (this.consume(0x7d)) return { kind: 'object', members };
    for (;;) {
      if (this.peek() !== 0x22) this.fail('Missing a name for object member.');
      const key = decodeUtf8(this.parseString());
      this.skipWhitespace();
      if (!this.consume(0x3a)) this.fail('Missing a colon after a name of object member.');
      this.skipWhitespace();
      members.push({ key, value: this.parseValue(depth) });
      this.skipWhitespace();
      const c = this.peek();
      if (c === 0x2c) {
        this.pos++;
        this.skipWhitespace();
      } else if (c === 0x7d) {
        this.pos++;
        return { kind: 'object', members };
      } else {
        this.fail("Missing a comma or '}' after an object member.");
      }
    }
  }

  private parseArray(depth: number): JsonArray {
    this.enter(depth);
    this.pos++;
    this.skipWhitespace();
    const items: JsonNode[] = [];
    if (this.consume(0x5d)) return { kind: 'array', items };
    for (;;) {
      items.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.peek();
      if (c === 0x2c) {
        this.pos++;
        this.skipWhitespace();
      } else if (c === 0x5d) {
        this.pos++;
        return { kind: 'array', items };
      } else {
        this.fail("Missing a comma or ']' after an array element.");
      }
    }
  }

  private parseHex4(escapeOffset: number): number {
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const h = hexValue(this.peek());
      if (h < 0) this.fail('Incorrect hex digit after \\u escape in string.', escapeOffset);
      v = (v << 4) | h;
      this.pos++;
    }
    return v;
  }

  /** Parses a string starting at `"`; returns its bytes (a copy, never a view of the source). */
  private parseString(): Uint8Array {
    const s = this.s;
    this.pos++;
    const start = this.pos;
    // Fast path: no escapes.
    let p = start;
    while (p < s.length) {
      const c = s[p]!;
      if (c === 0x22) {
        this.pos = p + 1;
        return s.slice(start, p);
      }
      if (c === 0x5c || c < 0x20) break;
      p++;
    }
    const out: number[] = [];
    for (let i = start; i < p; i++) out.push(s[i]!);
    this.pos = p;
    for (;;) {
      const c = this.peek();
      if (c === 0x22) {
        this.pos++;
        return Uint8Array.from(out);
      }
      if (c === 0x5c) {
        const escapeOffset = this.pos;
        this.pos++;
        const e = this.peek();
        const simple = SIMPLE_ESCAPES.get(e);
        if (simple !== undefined) {
          this.pos++;
          out.push(simple);
        } else if (e === 0x75) {
          this.pos++;
          let cp = this.parseHex4(escapeOffset);
          if (cp >= 0xd800 && cp <= 0xdfff) {
            if (cp > 0xdbff) this.fail('The surrogate pair in string is invalid.', escapeOffset);
            if (!(this.consume(0x5c) && this.consume(0x75))) this.fail('The surrogate pair in string is invalid.', escapeOffset);
            const low = this.parseHex4(escapeOffset);
            if (low < 0xdc00 || low > 0xdfff) this.fail('The surrogate pair in string is invalid.', escapeOffset);
            cp = (((cp - 0xd800) << 10) | (low - 0xdc00)) + 0x10000;
          }
          for (const b of utf8Encoder.encode(String.fromCodePoint(cp))) out.push(b);
        } else {
          this.fail('Invalid escape character in string.', escapeOffset);
        }
      } else if (c < 0x20) {
        if (c === 0) this.fail('Missing a closing quotation mark in string.');
        this.fail('Invalid encoding in string.');
      } else {
        out.push(c);
        this.pos++;
      }
    }
  }

  private parseNumber(): JsonNumber {
    const s = this.s;
    const len = s.length;
    const start = this.pos;
    let p = start;
    const minus = p < len && s[p] === 0x2d;
    if (minus) p++;
    let c = p < len ? s[p]! : 0;
    if (c === 0x4e || c === 0x49) {
      this.pos = p;
      return this.parseNanOrInf(start, minus);
    }
    // Clinger's fast path: ≤ 15 digits and a power of ten ≤ 22 give a correctly rounded value without Number(text).
    let mant = 0;
    let digits = 0;
    if (c === 0x30) {
      p++;
    } else if (c >= 0x31 && c <= 0x39) {
      while (c >= 0x30 && c <= 0x39) {
        mant = mant * 10 + (c - 0x30);
        digits++;
        c = ++p < len ? s[p]! : 0;
      }
    } else {
      this.pos = p;
      this.fail('Invalid value.');
    }
    const intDigits = p - start - (minus ? 1 : 0);
    let isDouble = false;
    let exp10 = 0;
    c = p < len ? s[p]! : 0;
    if (c === 0x2e) {
      c = ++p < len ? s[p]! : 0;
      if (!(c >= 0x30 && c <= 0x39)) {
        this.pos = p;
        this.fail('Miss fraction part in number.');
      }
      while (c >= 0x30 && c <= 0x39) {
        mant = mant * 10 + (c - 0x30);
        digits++;
        exp10--;
        c = ++p < len ? s[p]! : 0;
      }
      isDouble = true;
    }
    if (c === 0x65 || c === 0x45) {
      c = ++p < len ? s[p]! : 0;
      const negative = c === 0x2d;
      if (c === 0x2b || c === 0x2d) c = ++p < len ? s[p]! : 0;
      if (!(c >= 0x30 && c <= 0x39)) {
        this.pos = p;
        this.fail('Miss exponent in number.');
      }
      let e = 0;
      while (c >= 0x30 && c <= 0x39) {
        if (e < 100000) e = e * 10 + (c - 0x30);
        c = ++p < len ? s[p]! : 0;
      }
      exp10 += negative ? -e : e;
      isDouble = true;
    }
    this.pos = p;
    let value: number;
    if (digits <= 15 && exp10 >= -22 && exp10 <= 22) {
      value = exp10 < 0 ? mant / POW10[-exp10]! : mant * POW10[exp10]!;
      if (minus) value = -value;
    } else {
      value = Number(latin1(s, start, p));
      if (!Number.isFinite(value)) this.fail('Number too big to be stored in double.', start);
    }
    if (!isDouble) {
      if (value === 0) value = 0; // "-0" is the integer 0 for rapidjson
      if (intDigits > 18) {
        const big = BigInt(latin1(s, start, p));
        if (big < INT64_MIN || big > UINT64_MAX) isDouble = true;
      }
    }
    return new NumberNode(s, start, p, value, isDouble);
  }

  private parseNanOrInf(start: number, minus: boolean): JsonNumber {
    let value: number | undefined;
    if (this.consume(0x4e)) {
      if (this.consume(0x61) && this.consume(0x4e)) value = NaN;
    } else if (this.consume(0x49)) {
      if (this.consume(0x6e) && this.consume(0x66)) {
        value = minus ? -Infinity : Infinity;
        if (this.peek() === 0x69) {
          for (const ch of 'inity') if (!this.consume(ch.charCodeAt(0))) this.fail('Invalid value.');
        }
      }
    }
    if (value === undefined) this.fail('Invalid value.');
    return new NumberNode(this.s, start, this.pos, value, true);
  }
}

const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`)); // 10^0 … 10^22 are exact doubles

/** A number node whose text is sliced from the source only when asked for (most numbers never need it). */
class NumberNode implements JsonNumber {
  readonly kind = 'number' as const;
  private cached: string | undefined;
  constructor(
    private readonly src: Uint8Array,
    private readonly start: number,
    private readonly end: number,
    readonly value: number,
    readonly isDouble: boolean,
  ) {}
  get text(): string {
    this.cached ??= latin1(this.src, this.start, this.end);
    return this.cached;
  }
}

const SIMPLE_ESCAPES = new Map<number, number>([
  [0x22, 0x22], [0x5c, 0x5c], [0x2f, 0x2f], [0x62, 0x08], [0x66, 0x0c], [0x6e, 0x0a], [0x72, 0x0d], [0x74, 0x09],
]);

function latin1(s: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) out += String.fromCharCode(s[i]!);
  return out;
}

/**
 * Parse a request body. Throws INVALID_ARGUMENT `JSON Parse error: The document is empty` for an empty body and
 * `JSON Parse error: <message> at offset: <byte offset>` for malformed input. Bytes after the root value are ignored.
 */
export function parseLenientJson(body: Uint8Array | string): JsonDocument {
  const bytes = typeof body === 'string' ? utf8Encoder.encode(body) : body;
  if (bytes.length === 0) throw InferdError.invalidArgument('JSON Parse error: The document is empty');
  const parser = new Parser(bytes);
  try {
    return { root: parser.parseRoot(), sourceLength: bytes.length };
  } catch (err) {
    if (err instanceof ParseError) {
      throw InferdError.invalidArgument(`JSON Parse error: ${err.message} at offset: ${err.offset}`);
    }
    if (err instanceof RangeError) {
      // Defensive: a stack overflow despite the depth limit must still surface as a client error.
      throw InferdError.invalidArgument(`JSON Parse error: Nesting too deep. at offset: ${parser.pos}`);
    }
    throw err;
  }
}
