/**
 * A protobuf text-format parser (enough for `saved_model.pbtxt`): fields by name, nested messages in `{}` or `<>`,
 * repeated fields and `[a, b]` lists, map entries as `{ key: .. value: .. }`, enums by name or number, C-escaped
 * strings (adjacent strings concatenate), `#` comments. Fields unknown to inferd's .proto subset are skipped.
 * Errors are INVALID_ARGUMENT naming the file, line and column.
 */
import protobuf from 'protobufjs';
import { InferdError } from '../../core/errors.ts';
import { tensorflowRoot, TO_OBJECT } from './proto.ts';

interface Token { kind: 'ident' | 'number' | 'string' | 'punct'; text: string; bytes?: Uint8Array; line: number; col: number }

function tokenize(src: string, file: string): Token[] {
  const out: Token[] = [];
  let i = 0, line = 1, lineStart = 0;
  const err = (m: string): never => { throw InferdError.invalidArgument(`${file}:${line}:${i - lineStart + 1}: ${m}`); };
  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === '\n') { line++; lineStart = ++i; continue; }
    if (/\s/.test(ch)) { i++; continue; }
    if (ch === '#') { while (i < src.length && src[i] !== '\n') i++; continue; }
    const col = i - lineStart + 1;
    if (ch === '"' || ch === "'") {
      const bytes: number[] = [];
      i++;
      while (i < src.length && src[i] !== ch) {
        let c = src[i++] as string;
        if (c !== '\\') { for (const b of Buffer.from(c, 'utf8')) bytes.push(b); continue; }
        c = src[i++] as string;
        const simple: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63 };
        if (c in simple) bytes.push(simple[c] as number);
        else if (c === 'x') { const m = /^[0-9a-fA-F]{1,2}/.exec(src.slice(i)) ?? err('bad \\x escape'); bytes.push(parseInt(m[0], 16)); i += m[0].length; }
        else if (/[0-7]/.test(c)) { const m = /^[0-7]{0,2}/.exec(src.slice(i)) as RegExpExecArray; bytes.push(parseInt(c + m[0], 8) & 0xff); i += m[0].length; }
        else err(`bad escape \\${c}`);
      }
      if (src[i] !== ch) err('unterminated string');
      i++;
      out.push({ kind: 'string', text: '', bytes: Uint8Array.from(bytes), line, col });
      continue;
    }
    const m = /^(-?(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?f?|inf(?:inity)?|nan))|^([A-Za-z_][\w.]*)/i.exec(src.slice(i));
    if (m) {
      out.push({ kind: m[1] !== undefined && !/^[A-Za-z_]/.test(m[0]) || /^-/.test(m[0]) ? 'number' : 'ident', text: m[0], line, col });
      i += m[0].length;
      continue;
    }
    if ('{}<>[]:,;/'.includes(ch)) { out.push({ kind: 'punct', text: ch, line, col }); i++; continue; }
    err(`unexpected character ${JSON.stringify(ch)}`);
  }
  return out;
}

class Parser {
  pos = 0;
  constructor(private readonly toks: Token[], private readonly file: string) {}
  peek(): Token | undefined { return this.toks[this.pos]; }
  fail(m: string): never {
    const t = this.peek() ?? this.toks[this.toks.length - 1];
    throw InferdError.invalidArgument(`${this.file}:${t?.line ?? 0}:${t?.col ?? 0}: ${m}`);
  }
  take(text?: string): Token {
    const t = this.toks[this.pos];
    if (!t || (text !== undefined && t.text !== text)) this.fail(`expected ${text ?? 'token'}`);
    this.pos++;
    return t as Token;
  }
  accept(text: string): boolean {
    if (this.peek()?.kind === 'punct' && this.peek()?.text === text) { this.pos++; return true; }
    return false;
  }

  message(type: protobuf.Type, end: string | undefined): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    for (;;) {
      const t = this.peek();
      if (!t) { if (end) this.fail(`expected ${end}`); return obj; }
      if (end && t.kind === 'punct' && t.text === end) { this.pos++; return obj; }
      if (t.kind === 'punct' && t.text === '[') { this.skipExtension(); continue; }
      const name = this.take().text;
      const field = type.fields[protobuf.util.camelCase(name)] ?? type.fields[name];
      if (!field) { this.skipValue(); if (!this.accept(',')) this.accept(';'); continue; }
      field.resolve();
      const read = (): unknown => this.value(field);
      let value: unknown;
      if (field.map) {
        const entry = this.entry(field as unknown as protobuf.MapField);
        const m = (obj[field.name] ??= {}) as Record<string, unknown>;
        m[String(entry.key)] = entry.value;
      } else if (this.accept(':') && this.accept('[')) {
        const list = (obj[field.name] ??= []) as unknown[];
        while (!this.accept(']')) { list.push(read()); this.accept(','); }
      } else {
        value = read();
        if (field.repeated) ((obj[field.name] ??= []) as unknown[]).push(value);
        else obj[field.name] = value;
      }
      if (!this.accept(',')) this.accept(';');
    }
  }

  entry(field: protobuf.MapField): { key: unknown; value: unknown } {
    this.accept(':');
    const close = this.accept('{') ? '}' : (this.take('<'), '>');
    let key: unknown = '';
    let value: unknown = undefined;
    while (!this.accept(close)) {
      const name = this.take().text;
      if (name === 'key') { this.accept(':'); key = this.scalar(field.keyType); }
      else if (name === 'value') {
        const vt = field.resolvedType;
        if (vt instanceof protobuf.Type) { this.accept(':'); value = this.nested(vt); }
        else { this.accept(':'); value = vt instanceof protobuf.Enum ? this.enumValue(vt) : this.scalar(field.type); }
      } else this.skipValue();
      if (!this.accept(',')) this.accept(';');
    }
    return { key, value };
  }

  value(field: protobuf.Field): unknown {
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Type) return this.nested(rt);
    if (rt instanceof protobuf.Enum) return this.enumValue(rt);
    return this.scalar(field.type);
  }

  nested(type: protobuf.Type): Record<string, unknown> {
    this.accept(':');
    if (this.accept('{')) return this.message(type, '}');
    this.take('<');
    return this.message(type, '>');
  }

  enumValue(e: protobuf.Enum): number {
    const t = this.take();
    if (t.kind === 'number') return Number(t.text);
    const v = e.values[t.text];
    if (v === undefined) this.fail(`unknown enum value ${t.text} for ${e.name}`);
    return v as number;
  }

  scalar(type: string): unknown {
    const t = this.take();
    if (type === 'string' || type === 'bytes') {
      if (t.kind !== 'string') this.fail(`expected a string for ${type} field`);
      const parts = [t.bytes as Uint8Array];
      while (this.peek()?.kind === 'string') parts.push(this.take().bytes as Uint8Array);
      const all = Buffer.concat(parts);
      return type === 'bytes' ? new Uint8Array(all) : all.toString('utf8');
    }
    if (type === 'bool') return t.text === 'true' || t.text === '1' || t.text === 't' || t.text === 'True';
    const text = t.text.replace(/f$/i, '');
    if (/^-?inf/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
    if (/^-?nan/i.test(text)) return NaN;
    if (/int64|fixed64/.test(type)) return BigInt(text).toString();
    return Number(text);
  }

  skipExtension(): void {
    this.take('[');
    while (!this.accept(']')) this.take();
    this.skipValue();
  }

  skipValue(): void {
    this.accept(':');
    if (this.accept('{')) return this.skipUntil('}');
    if (this.accept('<')) return this.skipUntil('>');
    if (this.accept('[')) return this.skipUntil(']');
    this.take();
    while (this.peek()?.kind === 'string') this.take();
  }

  skipUntil(close: string): void {
    let depth = 1;
    while (depth > 0) {
      const t = this.take();
      if (t.kind !== 'punct') continue;
      if ('{<['.includes(t.text)) depth++;
      else if ('}>]'.includes(t.text)) depth--;
    }
    void close;
  }
}

/** Parse text-format `src` as message `typeName` into the same plain-object shape decodeMessage returns. */
export function parsePbtxt<T>(typeName: string, src: string, file = '<text>'): T {
  const type = tensorflowRoot().lookupType(typeName);
  const obj = new Parser(tokenize(src, file), file).message(type, undefined);
  return type.toObject(type.fromObject(obj), TO_OBJECT) as T;
}
