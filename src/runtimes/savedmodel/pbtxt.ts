/**
 * `saved_model.pbtxt`: the text-format tree from core's one parser (core/textproto.ts, generic mode with raw
 * string bytes) typed by the project's protobufjs schema into the same plain-object shape decodeMessage returns.
 * Fields, extensions and Any expansions unknown to inferd's .proto subset are skipped. Errors are INVALID_ARGUMENT
 * naming the file, line and column.
 */
import protobuf from 'protobufjs';
import { InferdError } from '../../core/errors.ts';
import { TextFormatError, parseTextProto, type ScalarValue, type TextMessage } from '../../core/textproto.ts';
import { tensorflowRoot, TO_OBJECT } from './proto.ts';

type Value = ScalarValue | TextMessage;

/** Converts one parsed tree; `fail` names the file and the position of the offending field. */
class Converter {
  constructor(private readonly file: string) {}

  private fail(at: { line: number; column: number }, message: string): never {
    throw InferdError.invalidArgument(`${this.file}:${at.line}:${at.column}: ${message}`);
  }

  message(msg: TextMessage, type: protobuf.Type): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    for (const f of msg.fields) {
      const field = f.name.startsWith('[') ? undefined : (type.fields[protobuf.util.camelCase(f.name)] ?? type.fields[f.name]);
      if (!field) continue;
      field.resolve();
      if (field.map) {
        if (f.value.kind !== 'message') this.fail(f.position, `expected a { key: … value: … } entry for map field ${f.name}`);
        const entry = f.value;
        const key = entry.fields.findLast((e) => e.name === 'key')?.value;
        const value = entry.fields.findLast((e) => e.name === 'value')?.value;
        const map = (obj[field.name] ??= {}) as Record<string, unknown>;
        map[key === undefined ? '' : String(this.scalar(key, (field as unknown as protobuf.MapField).keyType, f.position))] =
          value === undefined ? undefined : this.value(value, field, f.position);
      } else if (field.repeated) {
        ((obj[field.name] ??= []) as unknown[]).push(this.value(f.value, field, f.position));
      } else {
        obj[field.name] = this.value(f.value, field, f.position);
      }
    }
    return obj;
  }

  private value(v: Value, field: protobuf.Field, at: { line: number; column: number }): unknown {
    const rt = field.resolvedType;
    if (rt instanceof protobuf.Type) {
      if (v.kind !== 'message') this.fail(at, `expected a message for field ${field.name}`);
      return this.message(v, rt);
    }
    if (v.kind === 'message') this.fail(at, `expected a value, not a message, for field ${field.name}`);
    if (rt instanceof protobuf.Enum) {
      if (v.kind === 'integer') return Number(v.value);
      const number = v.kind === 'identifier' ? rt.values[v.value] : undefined;
      if (number === undefined) this.fail(at, `unknown enum value ${v.kind === 'identifier' ? v.value : v.kind} for ${rt.name}`);
      return number;
    }
    return this.scalar(v, field.type, at);
  }

  private scalar(v: Value, type: string, at: { line: number; column: number }): unknown {
    if (v.kind === 'message') return this.fail(at, `expected a ${type} value`);
    if (type === 'string' || type === 'bytes') {
      if (v.kind !== 'bytes') this.fail(at, `expected a string for ${type} field`);
      return type === 'bytes' ? v.value : new TextDecoder().decode(v.value);
    }
    if (type === 'bool') {
      if (v.kind === 'integer') return v.value === 1n;
      return v.kind === 'identifier' && (v.value === 'true' || v.value === 'True' || v.value === 't');
    }
    let n: number | bigint;
    if (v.kind === 'integer' || v.kind === 'float') n = v.value;
    else if (v.kind === 'identifier' && /^(inf|infinity|nan)$/i.test(v.value)) n = /^nan$/i.test(v.value) ? NaN : Infinity;
    else return this.fail(at, `expected a number for ${type} field`);
    if (/int64|fixed64/.test(type)) return typeof n === 'bigint' ? n.toString() : String(Math.trunc(n));
    return Number(n);
  }
}

/** Parse text-format `src` as message `typeName` into the same plain-object shape decodeMessage returns. */
export function parsePbtxt<T>(typeName: string, src: string, file = '<text>'): T {
  const type = tensorflowRoot().lookupType(typeName);
  let tree: TextMessage;
  try {
    tree = parseTextProto(src, undefined, { stringBytes: true });
  } catch (err) {
    if (err instanceof TextFormatError) throw InferdError.invalidArgument(`${file}:${err.message}`);
    throw err;
  }
  const obj = new Converter(file).message(tree, type);
  return type.toObject(type.fromObject(obj), TO_OBJECT) as T;
}
