/**
 * The one protobuf text-format parser of inferd (google/protobuf/text_format.cc, TextFormat::Parser defaults):
 * the server's config files (ModelServerConfig, BatchingParameters, MonitoringConfig, SSLConfig) and the SavedModel
 * runtime's `saved_model.pbtxt` both use it.
 *
 * Two modes over one grammar:
 * - generic (`parseTextProto(text)`): a tree of fields; scalars stay as written (string, integer, float, identifier);
 *   with `{ stringBytes: true }` strings are their raw bytes (kind `bytes`), for callers that know which fields are
 *   `bytes` (tensor contents need not be UTF-8). Extension and Any names (`[type.googleapis.com/pkg.Msg] { … }`)
 *   are fields named with their brackets.
 * - schema-guided (`parseTextProto(text, schema)`): every field name, value type, enum value, oneof and singular
 *   field is checked while parsing, with protobuf's own wording and position, and scalars are typed
 *   (string, integer, float, bool, enum).
 * Errors throw TextFormatError (`<line>:<col>: <detail>`, 1-based). No `${VAR}` expansion (TF Serving does none).
 * Pure: no I/O.
 */
import { TextFormatError, Tokenizer, parseFloatToken, parseIntegerToken, stringTokenBytes } from './textproto-tokenizer.ts';

/** Re-exported: the error every parse failure throws. */
export { TextFormatError } from './textproto-tokenizer.ts';

/** A 1-based position in the source text (line 0 means "no position", for trees built from JSON/YAML). */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** A scalar value. Generic mode yields string/integer/float/identifier; schema mode yields string/integer/float/bool/enum. */
export type ScalarValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'integer'; readonly value: bigint }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'identifier'; readonly value: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'enum'; readonly name: string; readonly number: number }
  | { readonly kind: 'bytes'; readonly value: Uint8Array };

/** Parse options. */
export interface ParseOptions {
  /** Strings as their raw bytes (kind `bytes`) instead of UTF-8 text. Default false. */
  readonly stringBytes?: boolean;
}

/** A message: its fields in source order (repeated fields appear once per value). */
export interface TextMessage {
  readonly kind: 'message';
  readonly position: Position;
  readonly fields: TextField[];
}

/** One `name: value` or `name { ... }` occurrence; `position` is where the field name starts. */
export interface TextField {
  readonly name: string;
  readonly position: Position;
  readonly value: ScalarValue | TextMessage;
}

/** Scalar field types understood by schema mode (proto3 scalar names). */
export type ScalarType = 'string' | 'bytes' | 'int32' | 'int64' | 'uint32' | 'uint64' | 'bool' | 'double' | 'float' | 'enum';

/** One field of a message schema. `message` is a thunk so schemas may refer to each other. */
export interface FieldSchema {
  readonly type: ScalarType | 'message';
  readonly repeated?: boolean;
  /** For `type: 'message'`. */
  readonly message?: () => MessageSchema;
  /** For `type: 'enum'`: value names to numbers. */
  readonly enumValues?: Readonly<Record<string, number>>;
  /** The oneof this field belongs to (at most one member may be set). */
  readonly oneof?: string;
  /** A `map<K, V>` field: written as repeated `{ key: .. value: .. }` entries; `message` describes the entry. */
  readonly map?: boolean;
}

/** A message schema: full proto name (used in error messages) and its fields by proto name. */
export interface MessageSchema {
  readonly fullName: string;
  readonly fields: Readonly<Record<string, FieldSchema>>;
  /** Field names reserved by the .proto: accepted and skipped, like protobuf does. */
  readonly reserved?: readonly string[];
  /** A google.protobuf wrapper (Int64Value, ...): its JSON form is the bare `value`. */
  readonly wrapper?: boolean;
}

const INT_MAX: Record<string, bigint> = {
  int32: 2n ** 31n - 1n,
  int64: 2n ** 63n - 1n,
  uint32: 2n ** 32n - 1n,
  uint64: 2n ** 64n - 1n,
  enum: 2n ** 31n - 1n,
};

/** Parse text format into a tree; with `schema`, validate against it as protobuf's TextFormat::ParseFromString does. */
export function parseTextProto(text: string, schema?: MessageSchema, options: ParseOptions = {}): TextMessage {
  return new Parser(text, options).parseRoot(schema);
}

class Parser {
  private readonly tok: Tokenizer;

  constructor(text: string, private readonly options: ParseOptions) {
    this.tok = new Tokenizer(text);
    this.tok.next();
  }

  private pos(): Position {
    return { line: this.tok.current.line + 1, column: this.tok.current.column + 1 };
  }

  private fail(detail: string): never {
    const { line, column } = this.pos();
    throw new TextFormatError(line, column, detail);
  }

  private lookingAt(text: string): boolean {
    const t = this.tok.current;
    return t.text === text && t.type !== 'string';
  }

  private tryConsume(text: string): boolean {
    if (!this.lookingAt(text)) return false;
    this.tok.next();
    return true;
  }

  private consume(text: string): void {
    if (!this.lookingAt(text)) this.fail(`Expected "${text}", found "${this.tok.current.text}".`);
    this.tok.next();
  }

  parseRoot(schema: MessageSchema | undefined): TextMessage {
    const root: TextMessage = { kind: 'message', position: { line: 1, column: 1 }, fields: [] };
    while (this.tok.current.type !== 'end') this.parseField(root, schema);
    return root;
  }

  private parseMessageBody(schema: MessageSchema | undefined): TextMessage {
    const position = this.pos();
    const close = this.tryConsume('<') ? '>' : (this.consume('{'), '}');
    const message: TextMessage = { kind: 'message', position, fields: [] };
    while (!this.lookingAt('>') && !this.lookingAt('}')) {
      if (this.tok.current.type === 'end') this.fail(`Expected "${close}", found "".`);
      this.parseField(message, schema);
    }
    this.consume(close);
    return message;
  }

  /** text_format.cc ConsumeField, FORBID_SINGULAR_OVERWRITES (the default of TextFormat::ParseFromString). */
  private parseField(message: TextMessage, schema: MessageSchema | undefined): void {
    const position = this.pos();
    let name: string;
    if (this.tryConsume('[')) {
      // An extension or an expanded Any: `[pkg.ext]` or `[type.googleapis.com/pkg.Msg]`.
      name = '[';
      while (!this.lookingAt(']')) {
        const t = this.tok.current;
        if (t.type !== 'identifier' && t.text !== '.' && t.text !== '/') this.fail(`Expected "]", found "${t.text}".`);
        name += t.text;
        this.tok.next();
      }
      this.tok.next();
      name += ']';
      if (schema) this.fail(`Extension "${name.slice(1, -1)}" is not defined or is not an extension of "${schema.fullName}".`);
    } else {
      if (this.tok.current.type !== 'identifier') this.fail(`Expected identifier, got: ${this.tok.current.text}`);
      name = this.tok.current.text;
      this.tok.next();
    }
    let field: FieldSchema | undefined;
    if (schema) {
      field = Object.hasOwn(schema.fields, name) ? schema.fields[name] : undefined;
      if (!field) {
        if (!schema.reserved?.includes(name)) this.fail(`Message type "${schema.fullName}" has no field named "${name}".`);
        this.skipFieldValue();
        return;
      }
      if (!field.repeated && message.fields.some((f) => f.name === name)) {
        this.fail(`Non-repeated field "${name}" is specified multiple times.`);
      }
      if (field.oneof) {
        const other = message.fields.find((f) => f.name !== name && schema.fields[f.name]?.oneof === field?.oneof);
        if (other) this.fail(`Field "${name}" is specified along with field "${other.name}", another member of oneof "${field.oneof}".`);
      }
    }
    const isMessage = field ? field.type === 'message' : undefined;
    const colon = this.tryConsume(':');
    if (isMessage === false && !colon) this.fail(`Expected ":", found "${this.tok.current.text}".`);
    const add = (value: ScalarValue | TextMessage): void => {
      message.fields.push({ name, position, value });
    };
    const one = (): ScalarValue | TextMessage => {
      if (isMessage === true || (isMessage === undefined && (this.lookingAt('{') || this.lookingAt('<')))) {
        return this.parseMessageBody(field?.message?.());
      }
      if (isMessage === undefined && !colon) this.fail(`Expected "{", found "${this.tok.current.text}".`);
      return field ? this.parseTypedScalar(field, name) : this.parseGenericScalar();
    };
    if ((field ? field.repeated === true : colon) && this.tryConsume('[')) {
      if (!this.tryConsume(']')) {
        for (;;) {
          add(one());
          if (this.tryConsume(']')) break;
          this.consume(',');
        }
      }
    } else {
      add(one());
    }
    if (!this.tryConsume(';')) this.tryConsume(',');
  }

  /** A value as written, for generic mode: `-`? (integer | float | identifier), or adjacent strings. */
  private parseGenericScalar(): ScalarValue {
    const t = this.tok.current;
    if (t.type === 'string') {
      const bytes = this.consumeStringBytes();
      return this.options.stringBytes ? { kind: 'bytes', value: bytes } : { kind: 'string', value: new TextDecoder().decode(bytes) };
    }
    const negative = this.tryConsume('-');
    const v = this.tok.current;
    if (v.type === 'integer') {
      const n = parseIntegerToken(v.text, 2n ** 64n - 1n);
      if (n === undefined) this.fail(`Integer out of range (${v.text})`);
      this.tok.next();
      return { kind: 'integer', value: negative ? -n : n };
    }
    if (v.type === 'float') {
      this.tok.next();
      const f = parseFloatToken(v.text);
      return { kind: 'float', value: negative ? -f : f };
    }
    if (v.type === 'identifier') {
      const lower = v.text.toLowerCase();
      if (negative || lower === 'inf' || lower === 'infinity' || lower === 'nan') {
        if (lower !== 'inf' && lower !== 'infinity' && lower !== 'nan') this.fail(`Invalid float number: ${lower}`);
        this.tok.next();
        const f = lower === 'nan' ? NaN : Infinity;
        return { kind: 'float', value: negative ? -f : f };
      }
      this.tok.next();
      return { kind: 'identifier', value: v.text };
    }
    return this.fail(`Cannot skip field value, unexpected token: ${v.text}`);
  }

  /** text_format.cc ConsumeFieldValue for one scalar type. */
  private parseTypedScalar(field: FieldSchema, name: string): ScalarValue {
    switch (field.type) {
      case 'string':
      case 'bytes':
        return { kind: 'string', value: this.consumeString() };
      case 'int32':
      case 'int64':
        return { kind: 'integer', value: this.consumeSignedInteger(INT_MAX[field.type] ?? 0n) };
      case 'uint32':
      case 'uint64':
        return { kind: 'integer', value: this.consumeUnsignedInteger(INT_MAX[field.type] ?? 0n) };
      case 'double':
      case 'float':
        return { kind: 'float', value: this.consumeDouble() };
      case 'bool': {
        if (this.tok.current.type === 'integer') return { kind: 'bool', value: this.consumeUnsignedInteger(1n) === 1n };
        const id = this.consumeIdentifier();
        if (id === 'true' || id === 'True' || id === 't') return { kind: 'bool', value: true };
        if (id === 'false' || id === 'False' || id === 'f') return { kind: 'bool', value: false };
        return this.fail(`Invalid value for boolean field "${name}". Value: "${id}".`);
      }
      case 'enum': {
        const values = field.enumValues ?? {};
        if (this.tok.current.type === 'identifier') {
          const id = this.consumeIdentifier();
          const number = Object.hasOwn(values, id) ? values[id] : undefined;
          if (number === undefined) this.fail(`Unknown enumeration value of "${id}" for field "${name}".`);
          return { kind: 'enum', name: id, number };
        }
        if (this.lookingAt('-') || this.tok.current.type === 'integer') {
          // proto3 enums are open: unknown numbers are kept.
          const number = Number(this.consumeSignedInteger(INT_MAX['enum'] ?? 0n));
          const known = Object.entries(values).find(([, v]) => v === number);
          return { kind: 'enum', name: known ? known[0] : String(number), number };
        }
        return this.fail(`Expected integer or identifier, got: ${this.tok.current.text}`);
      }
      case 'message':
        return this.fail(`Expected "{", found "${this.tok.current.text}".`);
    }
  }

  private consumeIdentifier(): string {
    const t = this.tok.current;
    if (t.type !== 'identifier') this.fail(`Expected identifier, got: ${t.text}`);
    this.tok.next();
    return t.text;
  }

  private consumeString(): string {
    return new TextDecoder().decode(this.consumeStringBytes());
  }

  /** One string value: adjacent string tokens concatenate. */
  private consumeStringBytes(): Uint8Array {
    if (this.tok.current.type !== 'string') this.fail(`Expected string, got: ${this.tok.current.text}`);
    const bytes: number[] = [];
    while (this.tok.current.type === 'string') {
      stringTokenBytes(this.tok.current.text, bytes);
      this.tok.next();
    }
    return new Uint8Array(bytes);
  }

  private consumeUnsignedInteger(max: bigint): bigint {
    const t = this.tok.current;
    if (t.type !== 'integer') this.fail(`Expected integer, got: ${t.text}`);
    const v = parseIntegerToken(t.text, max);
    if (v === undefined) this.fail(`Integer out of range (${t.text})`);
    this.tok.next();
    return v;
  }

  private consumeSignedInteger(max: bigint): bigint {
    const negative = this.tryConsume('-');
    const v = this.consumeUnsignedInteger(negative ? max + 1n : max);
    return negative ? -v : v;
  }

  private consumeDouble(): number {
    const negative = this.tryConsume('-');
    const t = this.tok.current;
    let value: number;
    if (t.type === 'integer') {
      if (/^0[xX]/.test(t.text) || /^0\d/.test(t.text)) this.fail(`Expect a decimal number, got: ${t.text}`);
      value = Number(t.text);
    } else if (t.type === 'float') {
      value = parseFloatToken(t.text);
    } else if (t.type === 'identifier') {
      const lower = t.text.toLowerCase();
      if (lower === 'inf' || lower === 'infinity') value = Infinity;
      else if (lower === 'nan') value = NaN;
      else this.fail(`Expected double, got: ${lower}`);
    } else {
      this.fail(`Expected double, got: ${t.text}`);
    }
    this.tok.next();
    return negative ? -value : value;
  }

  /** text_format.cc SkipFieldValue/SkipFieldMessage, for reserved fields (their content is not checked). */
  private skipFieldValue(): void {
    if (this.tryConsume(':') && !this.lookingAt('{') && !this.lookingAt('<')) {
      if (this.tryConsume('[')) {
        if (!this.tryConsume(']')) {
          for (;;) {
            if (this.lookingAt('{') || this.lookingAt('<')) this.parseMessageBody(undefined);
            else this.parseGenericScalar();
            if (this.tryConsume(']')) break;
            this.consume(',');
          }
        }
      } else {
        this.parseGenericScalar();
      }
    } else {
      this.parseMessageBody(undefined);
    }
    if (!this.tryConsume(';')) this.tryConsume(',');
  }
}

/** All values of field `name` in `message`, in source order. */
export function valuesOf(message: TextMessage, name: string): (ScalarValue | TextMessage)[] {
  return message.fields.filter((f) => f.name === name).map((f) => f.value);
}

/** The last value of a singular field (protobuf semantics: the last occurrence wins), or undefined. */
export function valueOf(message: TextMessage, name: string): ScalarValue | TextMessage | undefined {
  const all = valuesOf(message, name);
  return all[all.length - 1];
}

/** True if field `name` occurs in `message` (proto3 "has" for message fields and explicitly written scalars). */
export function hasField(message: TextMessage, name: string): boolean {
  return message.fields.some((f) => f.name === name);
}
