import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DType } from '../../../../src/core/dtype.ts';
import type { Signature } from '../../../../src/core/signature.ts';
import { decodeString } from '../../../../src/core/tensor.ts';
import { decodePredictInputs, parsePredictRequest } from '../../../../src/api/rest/json/predict-request.ts';
import { assertInferdError } from './helpers.ts';

function sig(inputs: Record<string, DType>): Signature {
  return {
    inputs: Object.fromEntries(Object.entries(inputs).map(([k, dtype]) => [k, { name: `${k}:0`, dtype }])),
    outputs: {},
    methodName: 'tensorflow/serving/predict',
  };
}
const X = sig({ x: 'float32' });
const AB = sig({ a: 'int64', b: 'string' });
const decode = (body: string, s: Signature = X) => decodePredictInputs(parsePredictRequest(body), s, 'serving_default');

describe('parsePredictRequest', () => {
  const cases: [string, string][] = [
    ['', 'JSON Parse error: The document is empty'],
    ['{"instances": [1,}', 'JSON Parse error: Invalid value. at offset: 17'],
    ['[1, 2]', 'JSON Value: [1, 2] Is not object'],
    ['"s"', 'JSON Value: "s" Is not object'],
    ['{"signature_name": 7, "instances": [1]}', 'JSON Value: {\n    "signature_name": 7,\n    "instances": [1]\n} not formatted correctly. \'signature_name\' key must be a string value.'],
  ];
  for (const [body, message] of cases) {
    it(`rejects ${JSON.stringify(body)}`, () => assertInferdError(() => parsePredictRequest(body), 'INVALID_ARGUMENT', message));
  }
  it('reports format, signature name and payload; unknown keys ignored', () => {
    const row = parsePredictRequest('{"signature_name": "s", "instances": [1], "extra": 1}');
    assert.equal(row.format, 'row');
    assert.equal(row.signatureName, 's');
    assert.equal(row.format, 'row');
    const col = parsePredictRequest(Buffer.from('{"inputs": {"x": 1}}'));
    assert.equal(col.format, 'columnar');
    assert.equal(col.signatureName, undefined);
  });
  it('defers both/neither-key errors to decode (after signature lookup, as TF Serving)', () => {
    assert.doesNotThrow(() => parsePredictRequest('{}'));
    assert.doesNotThrow(() => parsePredictRequest('{"inputs": 1, "instances": 2}'));
  });
});

describe('decodePredictInputs: errors of §1.4', () => {
  const H = sig({ x: 'float16' });
  const cases: [string, Signature, string, string | RegExp][] = [
    ['{"instances": [1]}', sig({}), 'INVALID_ARGUMENT', 'Failed to get input map for signature: DEFAULT'],
    ['{"signature_name": "foo", "instances": [1]}', sig({}), 'INVALID_ARGUMENT', 'Failed to get input map for signature: foo'],
    ['{"instances": [1], "inputs": [1]}', X, 'INVALID_ARGUMENT', 'JSON Value: {\n    "instances": [1],\n    "inputs": [1]\n} Not formatted correctly expecting only one of \'inputs\' or \'instances\' keys to exist '],
    ['{"foo": 1}', X, 'INVALID_ARGUMENT', "Missing 'inputs' or 'instances' key"],
    ['{"instances": 1}', X, 'INVALID_ARGUMENT', 'JSON Value: {\n    "instances": 1\n} Expecting \'instances\' to be an list/array'],
    ['{"instances": []}', X, 'INVALID_ARGUMENT', 'JSON Value: {\n    "instances": []\n} No values in \'instances\' array'],
    ['{"instances": [1]}', AB, 'INVALID_ARGUMENT', 'instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map'],
    ['{"instances": [{"a": 1, "b": "x"}, [1]]}', AB, 'INVALID_ARGUMENT', 'Expecting object but got list at item 1 of input list'],
    ['{"instances": [{"a": 1}]}', AB, 'INVALID_ARGUMENT', 'Failed to process element: 0 of \'instances\' list. JSON object: {\n    "a": 1\n} keys must be equal to: a,b'],
    ['{"instances": [{"a": 1, "b": "x", "c": 1}]}', AB, 'INVALID_ARGUMENT', "Failed to process element: 0 key: c of 'instances' list. Error: INVALID_ARGUMENT: JSON object: does not have named input: c"],
    ['{"instances": [{"a": "s", "b": "x"}]}', AB, 'INVALID_ARGUMENT', 'Failed to process element: 0 key: a of \'instances\' list. Error: INVALID_ARGUMENT: JSON Value: "s" Type: String is not of expected type: int64'],
    ['{"instances": [1, {"x": 1}]}', X, 'INVALID_ARGUMENT', 'Expecting value/list but got object at item 1 of input list'],
    ['{"instances": [[1, 2], [3]]}', X, 'INVALID_ARGUMENT', "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting tensor size: 2 but got: 1"],
    ['{"instances": [[1, 2], [[3], [4]]]}', X, 'INVALID_ARGUMENT', "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting shape [2] but got: [2,1]"],
    ['{"instances": [1, [2]]}', X, 'INVALID_ARGUMENT', "Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting shape [] but got: [1]"],
    ['{"instances": [["x"]]}', X, 'INVALID_ARGUMENT', 'Failed to process element: 0 of \'instances\' list. Error: INVALID_ARGUMENT: JSON Value: "x" Type: String is not of expected type: float'],
    ['{"inputs": [[1, 2], [3]]}', X, 'INVALID_ARGUMENT', 'Encountered list at unexpected size: 1 at level: 1 expected size: 2'],
    ['{"inputs": [[1, 2], 3]}', X, 'INVALID_ARGUMENT', 'JSON Value: 3 found at incorrect level: 2 in the JSON DOM. Expected at level: 2'],
    ['{"inputs": [[1], [[2]]]}', X, 'INVALID_ARGUMENT', 'Encountered list at unexpected level: 2 expected < 2'],
    ['{"inputs": [1, 2]}', AB, 'INVALID_ARGUMENT', 'inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map'],
    ['{"inputs": {"a": [1]}}', AB, 'INVALID_ARGUMENT', "Missing named input: b in 'inputs' object."],
    ['{"inputs": "x"}', X, 'INVALID_ARGUMENT', 'JSON Value: "x" Type: String is not of expected type: float'],
    ['{"inputs": [null]}', X, 'INVALID_ARGUMENT', 'JSON Value: null Type: Null is not of expected type: float'],
    ['{"inputs": [true]}', sig({ x: 'float64' }), 'INVALID_ARGUMENT', 'JSON Value: true Type: True is not of expected type: double'],
    ['{"inputs": [1.0]}', sig({ x: 'int32' }), 'INVALID_ARGUMENT', 'JSON Value: 1.0 Type: Number is not of expected type: int32'],
    ['{"inputs": [2147483648]}', sig({ x: 'int32' }), 'INVALID_ARGUMENT', 'JSON Value: 2147483648 Type: Number is not of expected type: int32'],
    ['{"inputs": [9223372036854775808]}', sig({ x: 'int64' }), 'INVALID_ARGUMENT', 'JSON Value: 9223372036854775808 Type: Number is not of expected type: int64'],
    ['{"inputs": [-1]}', sig({ x: 'uint32' }), 'INVALID_ARGUMENT', 'JSON Value: -1 Type: Number is not of expected type: uint32'],
    ['{"inputs": [4294967296]}', sig({ x: 'uint32' }), 'INVALID_ARGUMENT', 'JSON Value: 4294967296 Type: Number is not of expected type: uint32'],
    ['{"inputs": [-1]}', sig({ x: 'uint64' }), 'INVALID_ARGUMENT', 'JSON Value: -1 Type: Number is not of expected type: uint64'],
    ['{"inputs": [1]}', sig({ x: 'bool' }), 'INVALID_ARGUMENT', 'JSON Value: 1 Type: Number is not of expected type: bool'],
    ['{"inputs": [1]}', sig({ x: 'string' }), 'INVALID_ARGUMENT', 'JSON Value: 1 Type: Number is not of expected type: string'],
    ['{"inputs": [{"b64": "aGk="}]}', X, 'INVALID_ARGUMENT', 'JSON Value: {\n    "b64": "aGk="\n} Type: Object is not of expected type: float'],
    ['{"inputs": [{"b64": "a!k="}]}', sig({ x: 'string' }), 'INVALID_ARGUMENT', 'Unable to base64 decode'],
    ['{"inputs": [{"b64": "aGk=", "x": 1}]}', sig({ x: 'string' }), 'INVALID_ARGUMENT', /^JSON Value: \{\n {4}"b64": "aGk=",\n {4}"x": 1\n\} not formatted correctly for base64 data$/],
    ['{"inputs": [1.5]}', H, 'UNIMPLEMENTED', 'Conversion of JSON Value: 1.5 to type: half'],
    ['{"inputs": [1]}', sig({ x: 'bfloat16' }), 'UNIMPLEMENTED', 'Conversion of JSON Value: 1 to type: bfloat16'],
    ['{"instances": [1]}', H, 'INVALID_ARGUMENT', "Failed to process element: 0 of 'instances' list. Error: UNIMPLEMENTED: Conversion of JSON Value: 1 to type: half"],
  ];
  for (const [body, s, code, message] of cases) {
    it(`${body} → ${String(message).split('\n')[0]}`, () => assertInferdError(() => decode(body, s), code, message));
  }
});

describe('decodePredictInputs: tensors', () => {
  it('row format stacks instances: shape [n] + element shape', () => {
    const t = decode('{"instances": [[1, 2], [3, 4], [5, 6]]}').x!;
    assert.equal(t.dtype, 'float32');
    assert.deepEqual(t.shape, [3, 2]);
    assert.deepEqual(Array.from(t.data as Float32Array), [1, 2, 3, 4, 5, 6]);
  });
  it('row format with named inputs', () => {
    const out = decode('{"instances": [{"a": 9223372036854775807, "b": "hi"}, {"b": {"b64": "AAH/"}, "a": -9223372036854775808}]}', AB);
    assert.deepEqual(out.a!.shape, [2]);
    assert.deepEqual(Array.from(out.a!.data as BigInt64Array), [9223372036854775807n, -9223372036854775808n]);
    const b = out.b!.data as Uint8Array[];
    assert.equal(decodeString(b[0]!), 'hi');
    assert.deepEqual(Array.from(b[1]!), [0, 1, 255]);
  });
  it('row format with a single b64 input is plain mode', () => {
    const t = decode('{"instances": [{"b64": "aGk="}, {"b64": "aA"}]}', sig({ x_bytes: 'string' })).x_bytes!;
    assert.deepEqual(t.shape, [2]);
    assert.deepEqual((t.data as Uint8Array[]).map(decodeString), ['hi', 'h']);
  });
  it('columnar format: scalars, nested lists, NaN and Infinity, float overflow', () => {
    const s = decode('{"inputs": 2.5}').x!;
    assert.deepEqual(s.shape, []);
    assert.deepEqual(Array.from(s.data as Float32Array), [2.5]);
    const t = decode('{"inputs": [[NaN, Infinity], [-Inf, 1e39]]}').x!;
    assert.deepEqual(t.shape, [2, 2]);
    const d = Array.from(t.data as Float32Array);
    assert.ok(Number.isNaN(d[0]));
    assert.deepEqual(d.slice(1), [Infinity, -Infinity, Infinity]);
  });
  it('columnar named inputs take only the signature inputs', () => {
    const out = decode('{"inputs": {"a": [[1], [2]], "b": [["x"], ["y"]], "extra": 1}}', AB);
    assert.deepEqual(Object.keys(out).sort(), ['a', 'b']);
    assert.deepEqual(out.a!.shape, [2, 1]);
  });
  it('every integer dtype and bool, with TensorProto narrowing for int8/int16/uint8', () => {
    const vals = (dtype: DType, body: string) => Array.from(decode(body, sig({ x: dtype })).x!.data as ArrayLike<unknown>);
    assert.deepEqual(vals('int32', '{"inputs": [-2147483648, 2147483647, -0]}'), [-2147483648, 2147483647, 0]);
    assert.deepEqual(vals('int8', '{"inputs": [1, 200]}'), [1, -56]);
    assert.deepEqual(vals('uint8', '{"inputs": [255, 256]}'), [255, 0]);
    assert.deepEqual(vals('uint32', '{"inputs": [4294967295]}'), [4294967295]);
    assert.deepEqual(vals('uint64', '{"inputs": [18446744073709551615]}'), [18446744073709551615n]);
    assert.deepEqual(vals('float64', '{"inputs": [0.1, 12345678901234567890]}'), [0.1, Number('12345678901234567890')]);
    assert.deepEqual(vals('bool', '{"inputs": [true, false]}'), [1, 0]);
  });
  it('empty lists make zero-sized tensors', () => {
    assert.deepEqual(decode('{"inputs": []}').x!.shape, [0]);
    assert.deepEqual(decode('{"instances": [[], []]}').x!.shape, [2, 0]);
    assert.deepEqual(decode('{"inputs": [[]]}', sig({ x: 'float16' })).x!.shape, [1, 0]);
  });
  it('huge claimed shapes (1000^5 along the first path) fail fast without allocating', () => {
    let node = Array(1000).fill('0').join(',');
    for (let level = 0; level < 5; level++) node = `[${level === 0 ? node : `${node},${Array(999).fill('0').join(',')}`}]`;
    assertInferdError(() => decode(`{"inputs": ${node}}`), 'INVALID_ARGUMENT', /found at incorrect level: 5 in the JSON DOM\. Expected at level: 5$/);
  });
  it('a ragged instances list with a large first item fails without allocating items × first-item size', () => {
    const first = `[${Array(20_000).fill('0').join(',')}]`;
    const body = `{"instances": [${first}, ${Array(20_000).fill('0').join(',')}]}`;
    assertInferdError(() => decode(body), 'INVALID_ARGUMENT', /Failed to process element: 1 of 'instances' list\. Error: INVALID_ARGUMENT: Expecting tensor size: 20000 but got: 1$/);
  });
  it('duplicate keys: the first value counts, as rapidjson FindMember (issue 9 D8)', () => {
    assert.deepEqual(Array.from(decode('{"inputs": [1, 2], "inputs": [3]}').x!.data as Float32Array), [1, 2]);
    assert.deepEqual(Array.from(decode('{"instances": [[1]], "instances": [[2]]}').x!.data as Float32Array), [1]);
    const out = decode('{"inputs": {"a": [1], "a": [2], "b": ["x"]}}', AB);
    assert.deepEqual(Array.from(out.a!.data as BigInt64Array), [1n]);
    const rows = decode('{"instances": [{"a": 1, "a": 2, "b": "x"}]}', AB);
    assert.deepEqual(Array.from(rows.a!.data as BigInt64Array), [1n]);
    assert.equal(parsePredictRequest('{"signature_name": "a", "signature_name": 7, "instances": [1]}').signatureName, 'a');
  });
  it('numbers equal V8\'s Number() of their text, Python repr floats (17 digits) included, for float32 and float64', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const texts: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const f = Math.fround((rand() - 0.5) * 10 ** Math.floor(rand() * 12 - 6));
      texts.push(String(f), f.toPrecision(17), f.toExponential(9), String(Math.round(f * 1e6)));
    }
    texts.push('0.30000001192092896', '-0.0', '1e-320', '123456789012345678', '1.7976931348623157e308', '0.000000000000000000000012');
    const body = `{"inputs": [${texts.join(',')}]}`;
    for (const dtype of ['float32', 'float64'] as const) {
      const got = Array.from(decode(body, sig({ x: dtype })).x!.data as Float32Array | Float64Array);
      const want = texts.map((t) => (dtype === 'float32' ? Math.fround(Number(t)) : Number(t)));
      assert.deepEqual(got, want);
    }
  });
});
