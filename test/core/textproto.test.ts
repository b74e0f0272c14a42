import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextFormatError, parseTextProto, valueOf, valuesOf } from '../../src/core/textproto.ts';
import type { MessageSchema, ScalarValue, TextMessage } from '../../src/core/textproto.ts';

const scalar = (m: TextMessage, name: string): ScalarValue => {
  const v = valueOf(m, name);
  assert.ok(v && v.kind !== 'message', `field ${name} is a scalar`);
  return v;
};
const message = (m: TextMessage, name: string): TextMessage => {
  const v = valueOf(m, name);
  assert.ok(v?.kind === 'message', `field ${name} is a message`);
  return v;
};
const errorOf = (text: string, schema?: MessageSchema): string => {
  try {
    parseTextProto(text, schema);
  } catch (err) {
    assert.ok(err instanceof TextFormatError, `TextFormatError expected, got ${String(err)}`);
    return err.message;
  }
  return assert.fail(`no error for ${JSON.stringify(text)}`);
};

describe('textproto: generic mode', () => {
  it('parses scalars of every kind', () => {
    const m = parseTextProto(
      `s: "a\\n\\t\\x41\\101\\u00e9" 'b' # comment
       i: 42 neg: -7 hex: 0x1F oct: 017 f: 1.5 g: .5f e: 1e3 inf: -inf id: SOME_ENUM yes: true`,
    );
    assert.deepEqual(scalar(m, 's'), { kind: 'string', value: 'a\n\tAAéb' });
    assert.deepEqual(scalar(m, 'i'), { kind: 'integer', value: 42n });
    assert.deepEqual(scalar(m, 'neg'), { kind: 'integer', value: -7n });
    assert.deepEqual(scalar(m, 'hex'), { kind: 'integer', value: 31n });
    assert.deepEqual(scalar(m, 'oct'), { kind: 'integer', value: 15n });
    assert.deepEqual(scalar(m, 'f'), { kind: 'float', value: 1.5 });
    assert.deepEqual(scalar(m, 'g'), { kind: 'float', value: 0.5 });
    assert.deepEqual(scalar(m, 'e'), { kind: 'float', value: 1000 });
    assert.deepEqual(scalar(m, 'inf'), { kind: 'float', value: -Infinity });
    assert.deepEqual(scalar(m, 'id'), { kind: 'identifier', value: 'SOME_ENUM' });
    assert.deepEqual(scalar(m, 'yes'), { kind: 'identifier', value: 'true' });
  });

  it('parses nested messages with { } or < >, optional colon, separators and repeated fields', () => {
    const m = parseTextProto('outer: { inner < x: 1; x: 2, > other {} list: [1, 2, 3] msgs: [{a: 1}, <a: 2>] };');
    const outer = message(m, 'outer');
    const inner = message(outer, 'inner');
    assert.deepEqual(valuesOf(inner, 'x'), [
      { kind: 'integer', value: 1n },
      { kind: 'integer', value: 2n },
    ]);
    assert.equal(message(outer, 'other').fields.length, 0);
    assert.deepEqual(
      valuesOf(outer, 'list').map((v) => (v.kind === 'integer' ? v.value : null)),
      [1n, 2n, 3n],
    );
    assert.equal(valuesOf(outer, 'msgs').length, 2);
  });

  it('keeps `${VAR}` literally (TensorFlow Serving expands nothing)', () => {
    const m = parseTextProto('base_path: "${HOME}/models"');
    assert.deepEqual(scalar(m, 'base_path'), { kind: 'string', value: '${HOME}/models' });
  });

  it('records 1-based positions of field names', () => {
    const m = parseTextProto('a: 1\n  b {\n\tc: 2 }');
    assert.deepEqual(m.fields[0]?.position, { line: 1, column: 1 });
    assert.deepEqual(m.fields[1]?.position, { line: 2, column: 3 });
    const b = message(m, 'b');
    assert.deepEqual(b.fields[0]?.position, { line: 3, column: 9 }, 'a tab advances to the next multiple of 8');
  });

  it('an empty or comment-only text is an empty message', () => {
    assert.equal(parseTextProto('').fields.length, 0);
    assert.equal(parseTextProto('# nothing\n\n').fields.length, 0);
  });
});

describe('textproto: errors carry protobuf wording and line:col', () => {
  const cases: [string, string][] = [
    ['improperly formatted file', '1:12: Expected "{", found "formatted".'],
    ['a { b: 1', '1:9: Expected "}", found "".'],
    ['a { b: 1 >', '1:10: Expected "}", found ">".'],
    ['a: "abc\n"', '1:8: String literals cannot cross line boundaries.'],
    ['a: "abc', '1:8: Unexpected end of string.'],
    ['a: "\\q"', '1:6: Invalid escape sequence in string literal.'],
    ['a: "\\xZ"', '1:7: Expected hex digits for escape sequence.'],
    ['a: 08', '1:5: Numbers starting with leading zero must be in octal.'],
    ['a: 0x', '1:6: "0x" must be followed by hex digits.'],
    ['a: 12abc', '1:6: Need space between number and identifier.'],
    ['a: 1.5.3', "1:7: Already saw decimal point or exponent; can't have another one."],
    ['a: 1e', '1:6: "e" must be followed by exponent.'],
    ['a: 1\n: 2', '2:1: Expected identifier, got: :'],
    ['a: ]', '1:4: Cannot skip field value, unexpected token: ]'],
    ['a: -foo', '1:5: Invalid float number: foo'],
    ['a: [1 2]', '1:7: Expected ",", found "2".'],
    ['a: "é" b c', '1:11: Expected "{", found "c".'],
  ];
  for (const [text, expected] of cases) {
    it(JSON.stringify(text), () => assert.equal(errorOf(text), expected));
  }
});

const INNER: MessageSchema = {
  fullName: 'test.Inner',
  fields: { v: { type: 'int64' } },
};
const SCHEMA: MessageSchema = {
  fullName: 'test.Outer',
  fields: {
    name: { type: 'string' },
    count: { type: 'uint32' },
    small: { type: 'int32' },
    ratio: { type: 'double' },
    on: { type: 'bool' },
    color: { type: 'enum', enumValues: { RED: 0, GREEN: 1 } },
    tags: { type: 'string', repeated: true },
    inner: { type: 'message', message: () => INNER },
    many: { type: 'message', repeated: true, message: () => INNER },
    one_a: { type: 'message', message: () => INNER, oneof: 'choice' },
    one_b: { type: 'message', message: () => INNER, oneof: 'choice' },
  },
  reserved: ['old_field'],
};

describe('textproto: schema mode', () => {
  it('types scalars by field type', () => {
    const m = parseTextProto(
      'name: "n" count: 0x10 small: -5 ratio: 2 on: t color: GREEN tags: ["a", "b"] inner: { v: -9223372036854775808 } many {v: 1} many {v: 2}',
      SCHEMA,
    );
    assert.deepEqual(scalar(m, 'name'), { kind: 'string', value: 'n' });
    assert.deepEqual(scalar(m, 'count'), { kind: 'integer', value: 16n });
    assert.deepEqual(scalar(m, 'small'), { kind: 'integer', value: -5n });
    assert.deepEqual(scalar(m, 'ratio'), { kind: 'float', value: 2 });
    assert.deepEqual(scalar(m, 'on'), { kind: 'bool', value: true });
    assert.deepEqual(scalar(m, 'color'), { kind: 'enum', name: 'GREEN', number: 1 });
    assert.equal(valuesOf(m, 'tags').length, 2);
    assert.deepEqual(scalar(message(m, 'inner'), 'v'), { kind: 'integer', value: -(2n ** 63n) });
    assert.equal(valuesOf(m, 'many').length, 2);
  });

  it('accepts 0/1 for bools and numbers for enums (proto3 enums are open)', () => {
    const m = parseTextProto('on: 1 color: 7', SCHEMA);
    assert.deepEqual(scalar(m, 'on'), { kind: 'bool', value: true });
    assert.deepEqual(scalar(m, 'color'), { kind: 'enum', name: '7', number: 7 });
  });

  it('skips reserved field names', () => {
    const m = parseTextProto('old_field: 3 old_field { x: "y" } name: "n"', SCHEMA);
    assert.deepEqual(
      m.fields.map((f) => f.name),
      ['name'],
    );
  });

  const cases: [string, string][] = [
    ['nope: 1', '1:5: Message type "test.Outer" has no field named "nope".'],
    ['inner { w: 1 }', '1:10: Message type "test.Inner" has no field named "w".'],
    ['name "x"', '1:6: Expected ":", found ""x"".'],
    ['name: 1', '1:7: Expected string, got: 1'],
    ['count: -1', '1:8: Expected integer, got: -'],
    ['count: 4294967296', '1:8: Integer out of range (4294967296)'],
    ['small: 2147483648', '1:8: Integer out of range (2147483648)'],
    ['ratio: 0x10', '1:8: Expect a decimal number, got: 0x10'],
    ['ratio: abc', '1:8: Expected double, got: abc'],
    ['on: maybe', '1:10: Invalid value for boolean field "on". Value: "maybe".'],
    ['on: 2', '1:5: Integer out of range (2)'],
    ['color: BLUE', '1:12: Unknown enumeration value of "BLUE" for field "color".'],
    ['color: "RED"', '1:8: Expected integer or identifier, got: "RED"'],
    ['name: "a" name: "b"', '1:15: Non-repeated field "name" is specified multiple times.'],
    ['one_a {} one_b {}', '1:16: Field "one_b" is specified along with field "one_a", another member of oneof "choice".'],
    ['inner: 3', '1:8: Expected "{", found "3".'],
  ];
  for (const [text, expected] of cases) {
    it(`error: ${text}`, () => assert.equal(errorOf(text, SCHEMA), expected));
  }
});

describe('textproto: robustness', () => {
  it('any input either parses or throws a TextFormatError with a valid position', async () => {
    const fc = (await import('fast-check')).default;
    const pieces = ['a', 'b_1', ':', '{', '}', '<', '>', '[', ']', ',', ';', '-', '"s"', "'t'", '"\\x4', '1', '0x1f', '1.5', '.5', 'inf', '#c\n', '\n', ' ', '\t', 'é', '"\\', '0', '8'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), fc.boolean(), (parts, withSchema) => {
        const text = parts.join('');
        try {
          parseTextProto(text, withSchema ? SCHEMA : undefined);
        } catch (err) {
          assert.ok(err instanceof TextFormatError, `${JSON.stringify(text)} threw ${String(err)}`);
          assert.ok(err.line >= 1 && err.column >= 1);
          assert.ok(err.line <= text.split('\n').length);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
