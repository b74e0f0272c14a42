/**
 * Text formatting the way TensorFlow Serving's rapidjson writer does it (util/json_tensor.cc): WriteDecimal for
 * float/double values (shared/reference/tfserving-api.md §1.5), string escaping, and JsonValueToString — the
 * PrettyWriter re-serialization quoted in error messages (`<dbg>` in §1.4), cut at DEBUG_STRING_MAX_BYTES.
 */
import { KIND, type JsonTape, nextRow, numberAt, stringTextAt, tokenText } from './json-tape.ts';
import { type JsonNode, type JsonNumber, stringText } from './lenient-json.ts';

/** Error messages quote at most this many bytes of the offending JSON. */
export const DEBUG_STRING_MAX_BYTES = 256;

const FLOAT32_MAX = 3.4028234663852886e38;

/** C printf `%.<precision>g` for a finite number (trailing zeros stripped, exponent with sign and ≥ 2 digits). */
export function formatG(v: number, precision: number): string {
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // toPrecision picks the same digits as %g; only the layout differs (JS goes exponential at X < -6, %g at X < -4).
  const s = v.toPrecision(precision);
  const ei = s.indexOf('e');
  if (ei < 0) {
    const lead = s.charCodeAt(0) === 0x2d ? 1 : 0;
    if (!s.startsWith('0.0000', lead)) return s.includes('.') ? stripZeros(s) : s;
    return exponential(v.toExponential(precision - 1));
  }
  return exponential(s);
}

/** `d.ddde±x` (JS) → `d.ddd` stripped + `e±xx` (C). */
function exponential(s: string): string {
  const ei = s.indexOf('e');
  let mant = s.slice(0, ei);
  if (mant.includes('.')) mant = stripZeros(mant);
  const sign = s.charCodeAt(ei + 1) === 0x2d ? '-' : '+';
  const digits = s.slice(ei + 2);
  return `${mant}e${sign}${digits.length < 2 ? '0' : ''}${digits}`;
}

function stripZeros(s: string): string {
  let end = s.length;
  while (s.charCodeAt(end - 1) === 0x30) end--;
  if (s.charCodeAt(end - 1) === 0x2e) end--;
  return s.slice(0, end);
}

function withPoint(s: string): string {
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

/**
 * WriteDecimal<float>: NaN/Infinity/-Infinity raw tokens; else `%g` (6 digits) if it round-trips as float32,
 * otherwise `%.9g`; `.0` appended when there is no `.` and no exponent. 3→`3.0`, 9000000→`9e+06`.
 */
export function formatFloat32(v: number): string {
  if (Number.isInteger(v) && v > -1e6 && v < 1e6) return Object.is(v, -0) ? '-0.0' : `${v}.0`;
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  let s = formatG(v, 6);
  if (Math.fround(Number(s)) !== v) s = formatG(v, 9);
  return withPoint(s);
}

/** WriteDecimal<double>: as formatFloat32 but the round-trip check is as double and the fallback is `%.17g`. */
export function formatFloat64(v: number): string {
  if (Number.isInteger(v) && v > -1e6 && v < 1e6) return Object.is(v, -0) ? '-0.0' : `${v}.0`;
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  let s = formatG(v, 6);
  if (Number(s) !== v) s = formatG(v, 17);
  return withPoint(s);
}

function needsEscape(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c) return true;
  }
  return false;
}

/** A JSON string literal as rapidjson's Writer writes it (only `"`, `\` and control characters escaped). */
export function quoteJson(s: string): string {
  if (!needsEscape(s)) return `"${s}"`;
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c < 0x20) {
      out += c === 8 ? '\\b' : c === 9 ? '\\t' : c === 10 ? '\\n' : c === 12 ? '\\f' : c === 13 ? '\\r'
        : `\\u00${c.toString(16).toUpperCase().padStart(2, '0')}`;
    } else out += ch;
  }
  return `${out}"`;
}

/** rapidjson Writer::Double (Grisu shortest form): `1.0`, `0.001`, `1e30`, `1.5e-7`. */
function grisuDouble(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  const s = String(v).replace('e+', 'e');
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

function nestedNumber(n: JsonNumber): string {
  if (n.isDouble) return grisuDouble(n.value);
  return n.text === '-0' ? '0' : n.text;
}

class Truncated {}

/** Accumulates output and stops (by throwing Truncated) once past the limit, so huge values cost nothing. */
class LimitedOut {
  text = '';
  constructor(private readonly limit: number) {}
  put(s: string): void {
    this.text += s;
    if (this.text.length > this.limit) throw new Truncated();
  }
}

function writePretty(node: JsonNode, indent: number, out: LimitedOut): void {
  switch (node.kind) {
    case 'null': out.put('null'); return;
    case 'bool': out.put(node.value ? 'true' : 'false'); return;
    case 'number': out.put(nestedNumber(node)); return;
    case 'string': out.put(quoteJson(stringText(node))); return;
    case 'array': {
      out.put('[');
      node.items.forEach((item, i) => {
        if (i > 0) out.put(', ');
        writePretty(item, indent, out);
      });
      out.put(']');
      return;
    }
    case 'object': {
      if (node.members.length === 0) {
        out.put('{}');
        return;
      }
      const pad = '    '.repeat(indent + 1);
      out.put('{');
      node.members.forEach((m, i) => {
        out.put(i > 0 ? ',\n' : '\n');
        out.put(`${pad}${quoteJson(m.key)}: `);
        writePretty(m.value, indent + 1, out);
      });
      out.put(`\n${'    '.repeat(indent)}}`);
      return;
    }
  }
}

function cutUtf8(s: string, maxBytes: number): string {
  const bytes = new TextEncoder().encode(s);
  if (bytes.length <= maxBytes) return s;
  let end = maxBytes;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // do not split a character
  return new TextDecoder().decode(bytes.subarray(0, end));
}

/**
 * JsonValueToString: the value as rapidjson's PrettyWriter prints it in error messages (objects multi-line with
 * 4-space indent, arrays single-line `[1, 2]`; a top-level double printed by WriteDecimal), cut at 256 bytes.
 */
export function debugString(node: JsonNode): string {
  if (node.kind === 'number' && node.isDouble) {
    const v = node.value;
    return v >= -FLOAT32_MAX && v <= FLOAT32_MAX ? formatFloat32(Math.fround(v)) : formatFloat64(v);
  }
  const out = new LimitedOut(DEBUG_STRING_MAX_BYTES * 4);
  try {
    writePretty(node, 0, out);
  } catch (err) {
    if (!(err instanceof Truncated)) throw err;
  }
  return cutUtf8(out.text, DEBUG_STRING_MAX_BYTES);
}

function writePrettyAt(tape: JsonTape, r: number, indent: number, out: LimitedOut): void {
  switch (tape.kind[r]) {
    case KIND.null: out.put('null'); return;
    case KIND.false: out.put('false'); return;
    case KIND.true: out.put('true'); return;
    case KIND.int: {
      const text = tokenText(tape, r);
      out.put(text === '-0' ? '0' : text);
      return;
    }
    case KIND.double: out.put(grisuDouble(numberAt(tape, r))); return;
    case KIND.string: case KIND.escapedString: out.put(quoteJson(stringTextAt(tape, r))); return;
    case KIND.array: {
      out.put('[');
      for (let c = r + 1; c < tape.end[r]!; c = nextRow(tape, c)) {
        if (c > r + 1) out.put(', ');
        writePrettyAt(tape, c, indent, out);
      }
      out.put(']');
      return;
    }
    default: {
      if (tape.count[r] === 0) {
        out.put('{}');
        return;
      }
      const pad = '    '.repeat(indent + 1);
      out.put('{');
      for (let c = r + 1; c < tape.end[r]!; c = nextRow(tape, c + 1)) {
        out.put(c > r + 1 ? ',\n' : '\n');
        out.put(`${pad}${quoteJson(stringTextAt(tape, c))}: `);
        writePrettyAt(tape, c + 1, indent + 1, out);
      }
      out.put(`\n${'    '.repeat(indent)}}`);
    }
  }
}

/** debugString of tape row `r`, written straight from the tape (only the first 256 bytes' worth is visited). */
export function debugStringAt(tape: JsonTape, r: number): string {
  if (tape.kind[r] === KIND.double) {
    const v = numberAt(tape, r);
    return v >= -FLOAT32_MAX && v <= FLOAT32_MAX ? formatFloat32(Math.fround(v)) : formatFloat64(v);
  }
  const out = new LimitedOut(DEBUG_STRING_MAX_BYTES * 4);
  try {
    writePrettyAt(tape, r, 0, out);
  } catch (err) {
    if (!(err instanceof Truncated)) throw err;
  }
  return cutUtf8(out.text, DEBUG_STRING_MAX_BYTES);
}
