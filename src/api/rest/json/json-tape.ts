/**
 * The one JSON parser of the REST front end. It accepts what rapidjson accepts in TensorFlow Serving
 * (shared/reference/tfserving-api.md §1, util/json_tensor.cc ParseJson): standard JSON plus `NaN`, `Inf`, `Infinity`
 * (optionally signed), bytes after the root value ignored, strings kept as raw bytes (UTF-8 not validated). Errors
 * are INVALID_ARGUMENT `JSON Parse error: <rapidjson message> at offset: <byte offset>`. Nesting is limited to
 * MAX_JSON_DEPTH so no input can overflow the stack.
 *
 * Output is a *tape* (the simdjson idea): one row per value in document order, held in typed arrays, and every
 * number's double value in one Float64Array in document order. No JS object is made per value, so a 150,528-number
 * image body costs a few typed arrays, and a rectangular list of numbers becomes a tensor with one typed-array copy
 * (predict-request.ts). The tape holds only numbers and offsets, so it can be built on a worker thread and
 * transferred to another thread. Consumers: predict-request.ts (tensors), lenient-json.ts (a node tree for the small
 * classify/regress bodies), format.ts (error messages).
 */
import { Buffer } from 'node:buffer';
import { InferdError } from '../../../core/errors.ts';
import { clingerFastPath, decimalToDouble } from './decimal-to-double.ts';

/** Most rows (and numbers) a tape starts with; it grows as needed. */
const INITIAL_ROWS = 1024;
/**
 * Bytes of a string scanned one by one before the rest is searched natively and checked four bytes at a time (a
 * native search costs about as much as scanning ~75 bytes in JS, so shorter strings stay in the byte loop).
 */
const SHORT_STRING = 128;

/** Maximum nesting of arrays and objects; deeper documents are rejected (rapidjson has no limit, it crashes). */
export const MAX_JSON_DEPTH = 512;

/** Value kinds on a tape (`JsonTape.kind`). */
export const KIND = {
  null: 0, false: 1, true: 2,
  /** A number token without fraction or exponent that fits [-2^63, 2^64-1] (rapidjson's int classes). */
  int: 3,
  /** Any other number: fraction, exponent, NaN/Inf, or an integer out of 64-bit range. */
  double: 4,
  /** A string without escapes: its bytes are source[start+1, end-1). */
  string: 5,
  /** A string with escapes, resolved by stringBytesAt. */
  escapedString: 6,
  array: 7,
  object: 8,
} as const;

/**
 * A parsed document. Row `i` describes value `i`; row 0 is the root. Containers: `end[i]` is the row after the
 * subtree and `count[i]` the number of items (arrays) or members (objects; an object's rows are key, value, key,
 * value, ...). Numbers: `count[i]` is the number's ordinal in `numbers`. Strings and numbers: `end[i]` is the byte
 * after the token. `start[i]` is the token's first byte in `source` for every kind. The five arrays may be views
 * of one ArrayBuffer (transfer each distinct `.buffer` once) and may be longer than `rows`.
 */
export interface JsonTape {
  readonly source: Uint8Array;
  /** Rows used. */
  readonly rows: number;
  readonly kind: Uint8Array;
  readonly start: Uint32Array;
  readonly end: Uint32Array;
  readonly count: Uint32Array;
  /** Every number of the document, in document order (integers `-0` read as `0`, as rapidjson does). */
  readonly numbers: Float64Array;
}

class ParseError {
  constructor(readonly message: string, readonly offset: number) {}
}

const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Recursive-descent parser writing rows. End of input reads as byte 0, like rapidjson's stream. */
class TapeWriter {
  pos = 0;
  rows = 0;
  nums = 0;
  kind: Uint8Array;
  start: Uint32Array;
  end: Uint32Array;
  count: Uint32Array;
  numbers: Float64Array;
  /** The source as a latin1 string (one char per byte), made on the first number that needs V8's conversion. */
  private text: string | undefined;

  /** The source as a Buffer (same bytes), for Node's native byte search; made on the first long string. */
  private buffer: Buffer | undefined;
  /** The source's 4-byte-aligned words (same bytes), for scanning long strings four bytes at a time. */
  private words: Uint32Array | undefined;
  /** Position of the first `\\` at or after the last search (s.length when none); -1 before the first search. */
  private backslashAt = -1;

  constructor(private readonly s: Uint8Array) {
    // A number-heavy body has about one row per 4–20 bytes, a string-heavy one far fewer: start with one row per
    // 4 bytes up to INITIAL_ROWS, then grow by the rows-per-byte seen so far (growRows).
    const cap = Math.min(INITIAL_ROWS, Math.max(16, s.length >> 2));
    [this.kind, this.start, this.end, this.count, this.numbers] = tapeArrays(cap);
  }

  /** Move the rows to arrays with room for `cap` rows (numbers never outnumber rows, so they share the capacity). */
  private growRows(): void {
    const used = this.kind.length;
    const estimate = Math.ceil((used / Math.max(1, this.pos)) * this.s.length * 1.125) + 16;
    const [kind, start, end, count, numbers] = tapeArrays(Math.min(Math.max(used * 2, estimate), this.s.length + 16));
    kind.set(this.kind);
    start.set(this.start);
    end.set(this.end);
    count.set(this.count);
    numbers.set(this.numbers.subarray(0, this.nums));
    [this.kind, this.start, this.end, this.count, this.numbers] = [kind, start, end, count, numbers];
  }

  private peek(): number {
    return this.pos < this.s.length ? this.s[this.pos]! : 0;
  }

  private fail(message: string, offset = this.pos): never {
    throw new ParseError(message, offset);
  }

  private row(kind: number, start: number): number {
    if (this.rows === this.kind.length) this.growRows();
    const r = this.rows++;
    this.kind[r] = kind;
    this.start[r] = start;
    return r;
  }

  /** Store a number's value; called once per number row, so `nums` < rows ≤ capacity. */
  private number(value: number): number {
    this.numbers[this.nums] = value;
    return this.nums++;
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

  parseRoot(): void {
    this.skipWhitespace();
    if (this.peek() === 0) this.fail('The document is empty.');
    this.parseValue(0);
  }

  private parseValue(depth: number): void {
    switch (this.peek()) {
      case 0x6e: this.literal('null', KIND.null); return;
      case 0x74: this.literal('true', KIND.true); return;
      case 0x66: this.literal('false', KIND.false); return;
      case 0x22: this.parseString(); return;
      case 0x7b: this.parseObject(depth + 1); return;
      case 0x5b: this.parseArray(depth + 1); return;
      default: this.parseNumber();
    }
  }

  private literal(word: string, kind: number): void {
    const r = this.row(kind, this.pos);
    this.pos++;
    for (let i = 1; i < word.length; i++) {
      if (this.peek() !== word.charCodeAt(i)) this.fail('Invalid value.');
      this.pos++;
    }
    this.end[r] = this.pos;
  }

  private enter(depth: number): void {
    if (depth > MAX_JSON_DEPTH) this.fail(`Nesting deeper than ${MAX_JSON_DEPTH} levels.`);
  }

  private parseObject(depth: number): void {
    this.enter(depth);
    const r = this.row(KIND.object, this.pos);
    this.pos++;
    this.skipWhitespace();
    let n = 0;
    if (this.peek() === 0x7d) {
      this.pos++;
    } else {
      for (;;) {
        if (this.peek() !== 0x22) this.fail('Missing a name for object member.');
        this.parseString();
        this.skipWhitespace();
        if (this.peek() !== 0x3a) this.fail('Missing a colon after a name of object member.');
        this.pos++;
        this.skipWhitespace();
        this.parseValue(depth);
        n++;
        this.skipWhitespace();
        const c = this.peek();
        if (c === 0x2c) {
          this.pos++;
          this.skipWhitespace();
        } else if (c === 0x7d) {
          this.pos++;
          break;
        } else {
          this.fail("Missing a comma or '}' after an object member.");
        }
      }
    }
    this.count[r] = n;
    this.end[r] = this.rows;
  }

  private parseArray(depth: number): void {
    this.enter(depth);
    const r = this.row(KIND.array, this.pos);
    this.pos++;
    this.skipWhitespace();
    let n = 0;
    if (this.peek() === 0x5d) {
      this.pos++;
    } else {
      const s = this.s;
      for (;;) {
        this.parseValue(depth);
        n++;
        // Inline the common `, ` / `]` separators (whitespace skipping only when needed).
        let p = this.pos;
        let c = p < s.length ? s[p]! : 0;
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          this.skipWhitespace();
          p = this.pos;
          c = this.peek();
        }
        if (c === 0x2c) {
          p++;
          c = p < s.length ? s[p]! : 0;
          this.pos = p;
          if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.skipWhitespace();
        } else if (c === 0x5d) {
          this.pos = p + 1;
          break;
        } else {
          this.fail("Missing a comma or ']' after an array element.");
        }
      }
    }
    this.count[r] = n;
    this.end[r] = this.rows;
  }

  /** Validates a string token starting at `"` (escapes, surrogates, control bytes); records its span. */
  private parseString(): void {
    const s = this.s;
    const r = this.row(KIND.string, this.pos);
    let p = this.pos + 1;
    // Plain prefix: stop at the first quote, backslash or control byte; a string still plain after SHORT_STRING
    // bytes has its rest searched natively. The loop below then handles the end, escapes and errors.
    const prefixEnd = Math.min(p + SHORT_STRING, s.length);
    while (p < prefixEnd) {
      const c = s[p]!;
      if (c === 0x22 || c === 0x5c || c < 0x20) break;
      p++;
    }
    if (p === prefixEnd && p < s.length && s[p] !== 0x22) p = this.plainRunEnd(p);
    for (;;) {
      const c = p < s.length ? s[p]! : 0;
      if (c === 0x22) break;
      if (c === 0x5c) {
        this.kind[r] = KIND.escapedString;
        const escapeOffset = p;
        const e = p + 1 < s.length ? s[p + 1]! : 0;
        if (SIMPLE_ESCAPES.has(e)) {
          p += 2;
        } else if (e === 0x75) {
          p = this.hex4(p + 2, escapeOffset);
          const cp = hexAt(s, p - 4);
          if (cp >= 0xd800 && cp <= 0xdfff) {
            if (cp > 0xdbff || s[p] !== 0x5c || s[p + 1] !== 0x75) this.fail('The surrogate pair in string is invalid.', escapeOffset);
            p = this.hex4(p + 2, escapeOffset);
            const low = hexAt(s, p - 4);
            if (low < 0xdc00 || low > 0xdfff) this.fail('The surrogate pair in string is invalid.', escapeOffset);
          }
        } else {
          this.fail('Invalid escape character in string.', escapeOffset);
        }
      } else if (c < 0x20) {
        this.pos = p;
        if (c === 0) this.fail('Missing a closing quotation mark in string.'); // NUL or end of input
        this.fail('Invalid encoding in string.');
      } else {
        p++;
      }
    }
    this.pos = p + 1;
    this.end[r] = this.pos;
  }

  /**
   * The string's closing quote when the bytes from `p` to it hold no escape and no control byte (base64 payloads),
   * else `p` (the byte loop goes on and finds the escape or the error). Node's native search finds the quote and
   * the next backslash (remembered, so many strings cost one pass); control bytes are checked four at a time.
   */
  private plainRunEnd(p: number): number {
    const s = this.s;
    const buffer = (this.buffer ??= Buffer.from(s.buffer, s.byteOffset, s.length));
    const q = buffer.indexOf(0x22, p);
    if (q < 0) return p;
    if (this.backslashAt < p) {
      const b = buffer.indexOf(0x5c, p);
      this.backslashAt = b < 0 ? s.length : b;
    }
    return this.backslashAt < q || this.hasControlByte(p, q) ? p : q;
  }

  /** True when a byte in [from, to) is below 0x20. */
  private hasControlByte(from: number, to: number): boolean {
    const s = this.s;
    // Byte i of the source is byte (i - wordsAt) of `words`; words[k] holds source bytes wordsAt + 4k … + 3.
    const wordsAt = ((s.byteOffset + 3) & ~3) - s.byteOffset;
    const words = (this.words ??= new Uint32Array(s.buffer, s.byteOffset + wordsAt, Math.max(0, (s.length - wordsAt) >> 2)));
    const k0 = (from - wordsAt + 3) >> 2;
    const k1 = (to - wordsAt) >> 2;
    if (from < wordsAt || k1 <= k0) {
      for (let i = from; i < to; i++) if (s[i]! < 0x20) return true;
      return false;
    }
    for (let i = from; i < wordsAt + 4 * k0; i++) if (s[i]! < 0x20) return true;
    // Some byte of x is below 0x20 iff (x − 0x20202020) & ~x & 0x80808080 ≠ 0 (the "hasless" test; exact for
    // "any byte", 0x20 ≤ 128), so OR over the words and test once.
    let any = 0;
    for (let k = k0; k < k1; k++) {
      const x = words[k]!;
      any |= (x - 0x20202020) & ~x;
    }
    if ((any & 0x80808080) !== 0) return true;
    for (let i = wordsAt + 4 * k1; i < to; i++) if (s[i]! < 0x20) return true;
    return false;
  }

  private hex4(p: number, escapeOffset: number): number {
    for (let i = 0; i < 4; i++) {
      if (!isHex(p + i < this.s.length ? this.s[p + i]! : 0)) this.fail('Incorrect hex digit after \\u escape in string.', escapeOffset);
    }
    return p + 4;
  }

  /**
   * A number token (rapidjson's grammar and error texts). Its double comes from decimal-to-double.ts: Clinger's
   * fast path or the double-double path, both exact-or-undecided, with no string made; only an undecided value
   * (near a halfway point), a significand of 20+ digits or an exponent beyond ±88 asks V8's conversion of the text.
   */
  private parseNumber(): void {
    const s = this.s;
    const len = s.length;
    const start = this.pos;
    let p = start;
    const minus = p < len && s[p] === 0x2d;
    if (minus) p++;
    let c = p < len ? s[p]! : 0;
    if (c === 0x4e || c === 0x49) {
      this.pos = p;
      this.parseNanOrInf(start, minus);
      return;
    }
    // The significand's first 15 significant digits go to `head` (exact), the next 4 to `tail`; `digits` counts
    // them all. Its decimal point position goes into `exp10`.
    let head = 0;
    let tail = 0;
    let digits = 0;
    let d = c - 0x30; // the current byte as a digit (0–9 when it is one: `d >>> 0 < 10`)
    if (d === 0) {
      d = (++p < len ? s[p]! : 0) - 0x30;
    } else if (d >>> 0 < 10) {
      do {
        if (digits < 15) head = head * 10 + d;
        else if (digits < 19) tail = tail * 10 + d;
        digits++;
        d = (++p < len ? s[p]! : 0) - 0x30;
      } while (d >>> 0 < 10);
    } else {
      this.pos = p;
      this.fail('Invalid value.');
    }
    const intDigits = p - start - (minus ? 1 : 0);
    let exp10 = 0;
    let isDouble = false;
    if (d === 0x2e - 0x30) {
      d = (++p < len ? s[p]! : 0) - 0x30;
      if (d >>> 0 >= 10) {
        this.pos = p;
        this.fail('Miss fraction part in number.');
      }
      // Leading zeros of the fraction (0.000123) are not significant digits.
      if (digits === 0) {
        while (d === 0) {
          exp10--;
          d = (++p < len ? s[p]! : 0) - 0x30;
        }
      }
      // Fraction digits: the first ones fill `head` up to 15 digits, the next ones `tail` up to 19; each moves the
      // point (past the 19th the value is re-read from the text, so exp10 need not be exact then).
      const from = p;
      while (d >>> 0 < 10 && digits < 15) {
        head = head * 10 + d;
        digits++;
        d = (++p < len ? s[p]! : 0) - 0x30;
      }
      while (d >>> 0 < 10) {
        if (digits < 19) tail = tail * 10 + d;
        digits++;
        d = (++p < len ? s[p]! : 0) - 0x30;
      }
      exp10 -= p - from;
      isDouble = true;
    }
    c = d + 0x30;
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
    let value = digits <= 15 ? clingerFastPath(head, exp10) : NaN;
    if (value !== value && digits <= 19) value = decimalToDouble(head, tail, digits > 15 ? digits - 15 : 0, exp10);
    if (value !== value) {
      // Undecided: V8's correctly rounded conversion of a slice of the latin1 view (no copy for 13+ characters).
      this.text ??= latin1(s);
      value = Number(this.text.slice(start, p));
      if (!Number.isFinite(value)) this.fail('Number too big to be stored in double.', start);
    } else if (minus) {
      value = -value;
    }
    if (!isDouble) {
      if (value === 0) value = 0; // "-0" is the integer 0 for rapidjson
      if (intDigits > 18) {
        this.text ??= latin1(s);
        const big = BigInt(this.text.slice(start, p));
        if (big < INT64_MIN || big > UINT64_MAX) isDouble = true;
      }
    }
    const r = this.row(isDouble ? KIND.double : KIND.int, start);
    this.end[r] = p;
    this.count[r] = this.number(value);
  }

  private parseNanOrInf(start: number, minus: boolean): void {
    const s = this.s;
    const at = (word: string): boolean => {
      for (let i = 0; i < word.length; i++) {
        if (this.peek() !== word.charCodeAt(i)) return false;
        this.pos++;
      }
      return true;
    };
    let value: number | undefined;
    if (s[this.pos] === 0x4e) {
      if (at('NaN')) value = NaN;
    } else if (at('Inf')) {
      value = minus ? -Infinity : Infinity;
      if (this.peek() === 0x69 && !at('inity')) this.fail('Invalid value.');
    }
    if (value === undefined) this.fail('Invalid value.');
    const r = this.row(KIND.double, start);
    this.end[r] = this.pos;
    this.count[r] = this.number(value);
  }
}

/**
 * Tape arrays for `cap` rows, all views of one ArrayBuffer (one allocation per tape, not five): numbers, start,
 * end, count, kind, in that order so each view is aligned.
 */
function tapeArrays(cap: number): [Uint8Array, Uint32Array, Uint32Array, Uint32Array, Float64Array] {
  const buffer = new ArrayBuffer(cap * 21);
  return [
    new Uint8Array(buffer, cap * 20, cap),
    new Uint32Array(buffer, cap * 8, cap),
    new Uint32Array(buffer, cap * 12, cap),
    new Uint32Array(buffer, cap * 16, cap),
    new Float64Array(buffer, 0, cap),
  ];
}

const SIMPLE_ESCAPES = new Map<number, number>([
  [0x22, 0x22], [0x5c, 0x5c], [0x2f, 0x2f], [0x62, 0x08], [0x66, 0x0c], [0x6e, 0x0a], [0x72, 0x0d], [0x74, 0x09],
]);

function hexAt(s: Uint8Array, p: number): number {
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const c = s[p + i]!;
    v = (v << 4) | (c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57);
  }
  return v;
}

function latin1(s: Uint8Array): string {
  return Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString('latin1');
}

/**
 * Parse a request body into a tape. Throws INVALID_ARGUMENT `JSON Parse error: The document is empty` for an empty
 * body and `JSON Parse error: <message> at offset: <byte offset>` for malformed input.
 */
export function parseJsonTape(body: Uint8Array | string): JsonTape {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  if (bytes.length === 0) throw InferdError.invalidArgument('JSON Parse error: The document is empty');
  const w = new TapeWriter(bytes);
  try {
    w.parseRoot();
  } catch (err) {
    if (err instanceof ParseError) throw InferdError.invalidArgument(`JSON Parse error: ${err.message} at offset: ${err.offset}`);
    if (err instanceof RangeError && !(err.message.includes('Array buffer allocation'))) {
      // Defensive: a stack overflow despite the depth limit must still surface as a client error.
      throw InferdError.invalidArgument(`JSON Parse error: Nesting too deep. at offset: ${w.pos}`);
    }
    throw err;
  }
  return { source: bytes, rows: w.rows, kind: w.kind, start: w.start, end: w.end, count: w.count, numbers: w.numbers };
}

/** The row after value `i` and its subtree. */
export function nextRow(tape: JsonTape, i: number): number {
  const k = tape.kind[i]!;
  return k === KIND.array || k === KIND.object ? tape.end[i]! : i + 1;
}

/** The row of the first member of object `obj` named `key` (rapidjson FindMember: duplicates → the first), or -1. */
export function findMember(tape: JsonTape, obj: number, key: string): number {
  let r = obj + 1;
  for (let m = 0; m < tape.count[obj]!; m++) {
    if (keyEquals(tape, r, key)) return r + 1;
    r = nextRow(tape, r + 1);
  }
  return -1;
}

/** True when string row `r` holds exactly `key` (ASCII keys compared without decoding). */
export function keyEquals(tape: JsonTape, r: number, key: string): boolean {
  if (tape.kind[r] === KIND.string) {
    const from = tape.start[r]! + 1;
    const n = tape.end[r]! - 1 - from;
    if (n !== key.length) return false;
    for (let i = 0; i < n; i++) if (tape.source[from + i] !== key.charCodeAt(i)) return false;
    return true;
  }
  return stringTextAt(tape, r) === key;
}

const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

/** The bytes of string row `r`, escapes resolved (a copy, never a view of the source). */
export function stringBytesAt(tape: JsonTape, r: number): Uint8Array {
  const s = tape.source;
  const from = tape.start[r]! + 1;
  const to = tape.end[r]! - 1;
  if (tape.kind[r] === KIND.string) return s.slice(from, to);
  const out: number[] = [];
  for (let p = from; p < to;) {
    const c = s[p]!;
    if (c !== 0x5c) {
      out.push(c);
      p++;
      continue;
    }
    const e = s[p + 1]!;
    if (e !== 0x75) {
      out.push(SIMPLE_ESCAPES.get(e)!);
      p += 2;
      continue;
    }
    let cp = hexAt(s, p + 2);
    p += 6;
    if (cp >= 0xd800 && cp <= 0xdbff) {
      cp = (((cp - 0xd800) << 10) | (hexAt(s, p + 2) - 0xdc00)) + 0x10000;
      p += 6;
    }
    for (const b of utf8Encoder.encode(String.fromCodePoint(cp))) out.push(b);
  }
  return Uint8Array.from(out);
}

/** String row `r` decoded as UTF-8 (invalid sequences become U+FFFD). */
export function stringTextAt(tape: JsonTape, r: number): string {
  const bytes = tape.kind[r] === KIND.string ? tape.source.subarray(tape.start[r]! + 1, tape.end[r]! - 1) : stringBytesAt(tape, r);
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

/** The source text of token row `r` (numbers: their exact digits). */
export function tokenText(tape: JsonTape, r: number): string {
  let out = '';
  for (let i = tape.start[r]!; i < tape.end[r]!; i++) out += String.fromCharCode(tape.source[i]!);
  return out;
}

/** The double value of number row `r`. */
export function numberAt(tape: JsonTape, r: number): number {
  return tape.numbers[tape.count[r]!]!;
}
