/**
 * One configuration document in any of the three accepted syntaxes, decoded into the same schema-checked tree
 * (TextMessage) the text-format parser produces:
 * - text format (TensorFlow Serving's own; errors exactly as protobuf words them),
 * - JSON (proto3 JSON mapping: proto field names or lowerCamelCase, int64 as number or decimal string,
 *   maps as objects, wrappers as bare values, `null` = absent),
 * - YAML (the same structure as JSON).
 * A bad document throws InferdError INVALID_ARGUMENT `Error parsing <syntax> <message type>: <where>: <detail>`,
 * where `<where>` is `line:col` (text, YAML syntax) or a field path such as `model_config_list.config[0]`.
 * Pure: no I/O.
 */
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { InferdError } from '../../core/errors.ts';
import { TextFormatError, parseTextProto } from '../../core/textproto.ts';
import type { FieldSchema, MessageSchema, ScalarValue, TextField, TextMessage } from '../../core/textproto.ts';

/** The syntax of a configuration document. */
export type ConfigSyntax = 'text' | 'json' | 'yaml';

/** The syntax chosen by file extension: `.json` → json, `.yaml`/`.yml` → yaml, anything else → text format. */
export function syntaxForPath(path: string): ConfigSyntax {
  const lower = path.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.yaml') || lower.endsWith('.yml')) return 'yaml';
  return 'text';
}

const SYNTAX_LABEL: Record<ConfigSyntax, string> = { text: 'text-format', json: 'JSON', yaml: 'YAML' };

/** An error inside a plain-object document: `path` is the dotted field path (`a.b[2]`). */
export class ObjectFormatError extends Error {
  override readonly name = 'ObjectFormatError';
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(path ? `${path}: ${detail}` : detail);
  }
}

/** Parse `text` of the given syntax against `schema`; throws InferdError INVALID_ARGUMENT (see module doc). */
export function parseConfigDocument(text: string, syntax: ConfigSyntax, schema: MessageSchema): TextMessage {
  const prefix = `Error parsing ${SYNTAX_LABEL[syntax]} ${schema.fullName}: `;
  try {
    if (syntax === 'text') return parseTextProto(text, schema);
    let value: unknown;
    try {
      value = syntax === 'json' ? JSON.parse(text) : parseYaml(text, { intAsBigInt: true, uniqueKeys: true });
    } catch (err) {
      if (err instanceof YAMLParseError) {
        const at = err.linePos?.[0];
        const detail = (err.message.split('\n')[0] ?? err.message).replace(/ at line \d+, column \d+:?$/, '');
        throw new InferdError('INVALID_ARGUMENT', `${prefix}${at ? `${at.line}:${at.col}: ` : ''}${detail}`, { cause: err });
      }
      throw new InferdError('INVALID_ARGUMENT', `${prefix}${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    // An empty YAML document is an empty message, like an empty text-format file.
    return messageFromObject(value ?? {}, schema);
  } catch (err) {
    if (err instanceof TextFormatError || err instanceof ObjectFormatError) {
      throw new InferdError('INVALID_ARGUMENT', `${prefix}${err.message}`, { cause: err });
    }
    throw err;
  }
}

const NO_POSITION = { line: 0, column: 0 } as const;
const camel = (name: string): string => name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? v.toString() : JSON.stringify(v) ?? String(v));

const LIMITS: Record<string, [bigint, bigint]> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/**
 * Decode a plain object (parsed JSON/YAML, or protobufjs `toObject` output) into a schema-checked tree.
 * Throws ObjectFormatError with the field path on the first problem.
 */
export function messageFromObject(value: unknown, schema: MessageSchema, path = ''): TextMessage {
  if (!isPlainObject(value)) throw new ObjectFormatError(path, `Expected an object for ${schema.fullName}, got ${describe(value)}.`);
  const byJsonName = new Map<string, string>();
  for (const name of Object.keys(schema.fields)) byJsonName.set(camel(name), name);
  const fields: TextField[] = [];
  const seenOneof = new Map<string, string>();
  for (const [key, raw] of Object.entries(value)) {
    const name = Object.hasOwn(schema.fields, key) ? key : (byJsonName.get(key) ?? key);
    const field = schema.fields[name];
    const here = path ? `${path}.${key}` : key;
    if (!field) {
      if (schema.reserved?.includes(name) || key === '@type') continue;
      throw new ObjectFormatError(path, `Message type "${schema.fullName}" has no field named "${key}".`);
    }
    if (fields.some((f) => f.name === name)) throw new ObjectFormatError(path, `Non-repeated field "${name}" is specified multiple times.`);
    if (raw === null || raw === undefined) continue;
    if (field.oneof) {
      const other = seenOneof.get(field.oneof);
      if (other) throw new ObjectFormatError(path, `Field "${name}" is specified along with field "${other}", another member of oneof "${field.oneof}".`);
      seenOneof.set(field.oneof, name);
    }
    const push = (v: ScalarValue | TextMessage): void => {
      fields.push({ name, position: NO_POSITION, value: v });
    };
    if (field.map) {
      const entry = field.message?.();
      if (!entry) throw new ObjectFormatError(here, 'map field without an entry schema');
      if (isPlainObject(raw)) {
        for (const [k, v] of Object.entries(raw)) push(messageFromObject({ key: k, value: v }, entry, `${here}[${JSON.stringify(k)}]`));
      } else if (Array.isArray(raw)) {
        raw.forEach((v, i) => push(messageFromObject(v, entry, `${here}[${i}]`)));
      } else {
        throw new ObjectFormatError(here, `Expected an object for map field "${name}", got ${describe(raw)}.`);
      }
    } else if (field.repeated) {
      if (!Array.isArray(raw)) throw new ObjectFormatError(here, `Expected an array for repeated field "${name}", got ${describe(raw)}.`);
      raw.forEach((v, i) => push(fieldValue(v, field, name, `${here}[${i}]`)));
    } else {
      push(fieldValue(raw, field, name, here));
    }
  }
  return { kind: 'message', position: NO_POSITION, fields };
}

/** One value of one field (repeated fields call this per element). */
function fieldValue(raw: unknown, field: FieldSchema, name: string, path: string): ScalarValue | TextMessage {
  const fail = (expected: string): never => {
    throw new ObjectFormatError(path, `Expected ${expected} for field "${name}", got ${describe(raw)}.`);
  };
  switch (field.type) {
    case 'message': {
      const schema = field.message?.();
      if (!schema) return fail('a message');
      // Wrappers (Int64Value, ...) are bare values in proto JSON; `{ value: N }` is accepted too.
      if (schema.wrapper && !isPlainObject(raw)) return messageFromObject({ value: raw }, schema, path);
      return messageFromObject(raw, schema, path);
    }
    case 'string':
      return typeof raw === 'string' ? { kind: 'string', value: raw } : fail('a string');
    case 'bytes':
      // JSON carries base64 text; protobufjs objects may carry raw bytes (kept as latin1 text, unused by inferd).
      if (raw instanceof Uint8Array) return { kind: 'string', value: String.fromCharCode(...raw) };
      return typeof raw === 'string' ? { kind: 'string', value: raw } : fail('a base64 string');
    case 'bool':
      return typeof raw === 'boolean' ? { kind: 'bool', value: raw } : fail('true or false');
    case 'double':
    case 'float': {
      if (typeof raw === 'number') return { kind: 'float', value: raw };
      if (typeof raw === 'bigint') return { kind: 'float', value: Number(raw) };
      if (raw === 'NaN' || raw === 'Infinity' || raw === '-Infinity') return { kind: 'float', value: Number(raw) };
      if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return { kind: 'float', value: Number(raw) };
      return fail('a number');
    }
    case 'enum': {
      const values = field.enumValues ?? {};
      if (typeof raw === 'string') {
        const number = Object.hasOwn(values, raw) ? values[raw] : undefined;
        if (number === undefined) throw new ObjectFormatError(path, `Unknown enumeration value of "${raw}" for field "${name}".`);
        return { kind: 'enum', name: raw, number };
      }
      if ((typeof raw === 'number' && Number.isInteger(raw)) || typeof raw === 'bigint') {
        const number = Number(raw);
        const known = Object.entries(values).find(([, v]) => v === number);
        return { kind: 'enum', name: known ? known[0] : String(number), number };
      }
      return fail('an enum name or number');
    }
    default: {
      let n: bigint | undefined;
      if (typeof raw === 'bigint') n = raw;
      else if (typeof raw === 'number' && Number.isSafeInteger(raw)) n = BigInt(raw);
      else if (typeof raw === 'string' && /^-?\d+$/.test(raw)) n = BigInt(raw);
      if (n === undefined) return fail('an integer');
      const [min, max] = LIMITS[field.type] ?? [0n, 0n];
      if (n < min || n > max) throw new ObjectFormatError(path, `Integer out of range (${n}) for field "${name}".`);
      return { kind: 'integer', value: n };
    }
  }
}
