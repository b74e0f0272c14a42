/**
 * The protobuf text-format tokenizer (google/protobuf/io/tokenizer.cc as configured by TextFormat::Parser:
 * `#` comments, `f` allowed after floats, strict whitespace after numbers, single-line strings).
 *
 * Contract: positions are 0-based line and column, and columns count UTF-8 bytes with tabs advancing to the
 * next multiple of 8, exactly like protobuf, so `line + 1 : column + 1` matches TensorFlow Serving's log lines.
 * The first lexical error throws a TextFormatError (protobuf logs every error; the first one is the one users see).
 * Pure: no I/O.
 */

/** A text-format syntax error; `message` is `<line>:<col>: <detail>` with 1-based line and column. */
export class TextFormatError extends Error {
  override readonly name = 'TextFormatError';

  constructor(
    /** 1-based line. */
    readonly line: number,
    /** 1-based column (UTF-8 bytes, tabs to multiples of 8). */
    readonly column: number,
    /** The protobuf-worded message without position, e.g. `Expected ":", found "formatted".` */
    readonly detail: string,
  ) {
    super(`${line}:${column}: ${detail}`);
  }
}

/** Token kinds of the protobuf tokenizer (whitespace is never reported: the parser skips it anyway). */
export type TokenType = 'start' | 'end' | 'identifier' | 'integer' | 'float' | 'string' | 'symbol';

/** One token: raw `text` (strings keep their quotes and escapes), 0-based position of its first character. */
export interface Token {
  readonly type: TokenType;
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

const TAB_WIDTH = 8;
const isLetter = (c: string): boolean => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isOctal = (c: string): boolean => c >= '0' && c <= '7';
const isHex = (c: string): boolean => isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
const isAlnum = (c: string): boolean => isLetter(c) || isDigit(c);
const isWhitespace = (c: string): boolean => c === ' ' || c === '\n' || c === '\t' || c === '\r' || c === '\v' || c === '\f';
const SIMPLE_ESCAPES = 'abfnrtv\\?\'"';

/** A pull tokenizer over one text; `current` is the token the parser looks at, `next()` advances. */
export class Tokenizer {
  private pos = 0;
  private line = 0;
  private column = 0;
  /** The token the parser is looking at (`start` before the first `next()`). */
  current: Token = { type: 'start', text: '', line: 0, column: 0 };

  constructor(private readonly text: string) {}

  private peek(offset = 0): string {
    return this.text[this.pos + offset] ?? '';
  }

  /** Advance one UTF-16 code unit, keeping line/column in protobuf's units. */
  private advance(): void {
    const code = this.text.charCodeAt(this.pos);
    if (code === 0x0a) {
      this.line++;
      this.column = 0;
    } else if (code === 0x09) {
      this.column += TAB_WIDTH - (this.column % TAB_WIDTH);
    } else if (code < 0x80) {
      this.column += 1;
    } else if (code < 0x800) {
      this.column += 2;
    } else if (code >= 0xd800 && code <= 0xdbff) {
      this.column += 4; // high surrogate: the pair is one 4-byte code point
    } else if (code >= 0xdc00 && code <= 0xdfff) {
      // low surrogate: counted with its high half
    } else {
      this.column += 3;
    }
    this.pos++;
  }

  private fail(detail: string): never {
    throw new TextFormatError(this.line + 1, this.column + 1, detail);
  }

  /** Advance to the next token (skipping whitespace and `#` comments); returns the new current token. */
  next(): Token {
    for (;;) {
      const c = this.peek();
      if (c === '') break;
      if (isWhitespace(c)) {
        this.advance();
      } else if (c === '#') {
        while (this.peek() !== '' && this.peek() !== '\n') this.advance();
      } else if (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) {
        this.fail('Invalid control characters encountered in text.');
      } else {
        break;
      }
    }
    const start = this.pos;
    const line = this.line;
    const column = this.column;
    const c = this.peek();
    let type: TokenType;
    if (c === '') {
      type = 'end';
    } else if (isLetter(c)) {
      while (isAlnum(this.peek())) this.advance();
      type = 'identifier';
    } else if (isDigit(c) || (c === '.' && isDigit(this.peek(1)))) {
      type = this.consumeNumber();
    } else if (c === '"' || c === "'") {
      this.consumeString(c);
      type = 'string';
    } else {
      this.advance();
      if (c.charCodeAt(0) >= 0xd800 && c.charCodeAt(0) <= 0xdbff) this.advance();
      type = 'symbol';
    }
    this.current = { type, text: this.text.slice(start, this.pos), line, column };
    return this.current;
  }

  /** tokenizer.cc ConsumeNumber with allow_f_after_float and require_space_after_number. */
  private consumeNumber(): TokenType {
    let isFloat = false;
    const first = this.peek();
    if (first === '0' && (this.peek(1) === 'x' || this.peek(1) === 'X')) {
      this.advance();
      this.advance();
      if (!isHex(this.peek())) this.fail('"0x" must be followed by hex digits.');
      while (isHex(this.peek())) this.advance();
    } else if (first === '0' && isDigit(this.peek(1))) {
      this.advance();
      while (isOctal(this.peek())) this.advance();
      if (isDigit(this.peek())) this.fail('Numbers starting with leading zero must be in octal.');
    } else {
      if (first === '.') {
        isFloat = true;
        this.advance();
      }
      while (isDigit(this.peek())) this.advance();
      if (!isFloat && this.peek() === '.') {
        isFloat = true;
        this.advance();
        while (isDigit(this.peek())) this.advance();
      }
      if (this.peek() === 'e' || this.peek() === 'E') {
        isFloat = true;
        this.advance();
        if (this.peek() === '-' || this.peek() === '+') this.advance();
        if (!isDigit(this.peek())) this.fail('"e" must be followed by exponent.');
        while (isDigit(this.peek())) this.advance();
      }
      if (this.peek() === 'f' || this.peek() === 'F') {
        isFloat = true;
        this.advance();
      }
    }
    if (isAlnum(this.peek())) this.fail('Need space between number and identifier.');
    if (this.peek() === '.') {
      this.fail(isFloat ? "Already saw decimal point or exponent; can't have another one." : 'Hex and octal numbers must be integers.');
    }
    return isFloat ? 'float' : 'integer';
  }

  /** tokenizer.cc ConsumeString: validates escapes; the token keeps its raw text. */
  private consumeString(delimiter: string): void {
    this.advance();
    for (;;) {
      const c = this.peek();
      if (c === '') this.fail('Unexpected end of string.');
      if (c === '\n') this.fail('String literals cannot cross line boundaries.');
      if (c === delimiter) {
        this.advance();
        return;
      }
      if (c !== '\\') {
        this.advance();
        continue;
      }
      this.advance();
      const e = this.peek();
      if (e !== '' && SIMPLE_ESCAPES.includes(e)) {
        this.advance();
      } else if (isOctal(e)) {
        this.advance();
      } else if (e === 'x' || e === 'X') {
        this.advance();
        if (!isHex(this.peek())) this.fail('Expected hex digits for escape sequence.');
      } else if (e === 'u' || e === 'U') {
        const digits = e === 'u' ? 4 : 8;
        this.advance();
        for (let i = 0; i < digits; i++) {
          if (!isHex(this.peek(i))) {
            this.fail(e === 'u' ? 'Expected four hex digits for \\u escape sequence.' : 'Expected eight hex digits up to 10ffff for \\U escape sequence');
          }
        }
      } else {
        this.fail('Invalid escape sequence in string literal.');
      }
    }
  }
}

const utf8 = new TextEncoder();

/** Decode one raw string token (quotes included) into bytes, following Tokenizer::ParseStringAppend. */
export function stringTokenBytes(raw: string, out: number[]): void {
  const end = raw.length - 1;
  let i = 1;
  const hexAt = (k: number): boolean => isHex(raw[k] ?? '');
  while (i < end) {
    const c = raw[i] ?? '';
    if (c !== '\\') {
      const cp = raw.codePointAt(i) ?? 0;
      const s = String.fromCodePoint(cp);
      out.push(...utf8.encode(s));
      i += s.length;
      continue;
    }
    const e = raw[i + 1] ?? '';
    i += 2;
    const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '?': 63, "'": 39, '"': 34 };
    if (e in simple) {
      out.push(simple[e] ?? 0);
    } else if (isOctal(e)) {
      let v = Number(e);
      for (let n = 0; n < 2 && isOctal(raw[i] ?? ''); n++) v = v * 8 + Number(raw[i++]);
      out.push(v & 0xff);
    } else if (e === 'x' || e === 'X') {
      let v = 0;
      for (let n = 0; n < 2 && hexAt(i); n++) v = v * 16 + parseInt(raw[i++] ?? '0', 16);
      out.push(v);
    } else if (e === 'u' || e === 'U') {
      const digits = e === 'u' ? 4 : 8;
      const cp = parseInt(raw.slice(i, i + digits), 16);
      i += digits;
      out.push(...utf8.encode(cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff) ? String.fromCodePoint(cp) : '\ufffd'));
    }
  }
}

/**
 * Parse an integer token (decimal, 0x hex, 0 octal) as Tokenizer::ParseInteger does; undefined when it exceeds
 * `max` (the caller reports `Integer out of range (<text>)`).
 */
export function parseIntegerToken(text: string, max: bigint): bigint | undefined {
  let value: bigint;
  if (/^0[xX]/.test(text)) value = BigInt(text);
  else if (text.length > 1 && text.startsWith('0')) value = BigInt(`0o${text.slice(1)}`);
  else value = BigInt(text);
  return value > max ? undefined : value;
}

/** Parse a float token (optional trailing f/F, may start with '.') as Tokenizer::ParseFloat does. */
export function parseFloatToken(text: string): number {
  return Number(text.replace(/[fF]$/, ''));
}
