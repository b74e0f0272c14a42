// The Open Inference Protocol's REST API (KServe V2) against the real ONNX runtime, requests written from the spec
// (kserve/open-inference-protocol inference_rest.md), Triton's binary tensor extension (extension_binary_data.md)
// and KServe's examples; binary bodies are built byte by byte here, not with the server's codec.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bfloat16BitsToNumber, halfBitsToNumber, numberToBfloat16Bits, numberToHalfBits } from '../../src/core/half.ts';
import { DATATYPES, SAMPLES, startFixture, type OipFixture } from './support.ts';

let fx: OipFixture;
before(async () => {
  fx = await startFixture();
});
after(async () => {
  await fx?.close();
});

interface Reply { status: number; headers: Record<string, unknown>; body: Buffer; json: () => Record<string, unknown> }

async function request(method: 'GET' | 'POST', url: string, body?: string | Buffer | object, headers: Record<string, string> = {}): Promise<Reply> {
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) || typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fx.app.inject({ method, url, ...(payload !== undefined ? { payload } : {}), headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.statusCode, headers: res.headers, body: res.rawPayload, json: () => JSON.parse(res.body) as Record<string, unknown> };
}

/** Little-endian bytes of one element of a datatype, written by hand (DataView), not by the server's codec. */
function elementBytes(datatype: string, v: number | boolean | string): Buffer {
  const sizes: Record<string, number> = { BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8 };
  if (datatype === 'BYTES') {
    const s = Buffer.from(String(v), 'utf8');
    const b = Buffer.alloc(4 + s.length);
    b.writeUInt32LE(s.length, 0);
    s.copy(b, 4);
    return b;
  }
  const b = Buffer.alloc(sizes[datatype]!);
  const n = Number(v);
  switch (datatype) {
    case 'BOOL': b.writeUInt8(v ? 1 : 0); break;
    case 'UINT8': b.writeUInt8(n); break;
    case 'INT8': b.writeInt8(n); break;
    case 'UINT16': b.writeUInt16LE(n); break;
    case 'INT16': b.writeInt16LE(n); break;
    case 'FP16': b.writeUInt16LE(numberToHalfBits(n)); break;
    case 'UINT32': b.writeUInt32LE(n); break;
    case 'INT32': b.writeInt32LE(n); break;
    case 'FP32': b.writeFloatLE(n); break;
    case 'UINT64': b.writeBigUInt64LE(BigInt(n)); break;
    case 'INT64': b.writeBigInt64LE(BigInt(n)); break;
    case 'FP64': b.writeDoubleLE(n); break;
  }
  return b;
}

/** What a JSON element should read back as (FP32 rounded to float32, FP16 to half). */
function expected(datatype: string, v: number | boolean | string): number | boolean | string {
  if (datatype === 'FP32') return Math.fround(Number(v));
  if (datatype === 'FP16') return halfBitsToNumber(numberToHalfBits(Number(v)));
  return v;
}

function readBack(datatype: string, v: unknown): unknown {
  if (datatype === 'FP32' || datatype === 'FP16') return Math.fround(Number(v));
  return v;
}

const NAMES = Object.keys(DATATYPES);

describe('OIP REST: server and model metadata', () => {
  it('GET /v2 lists the extensions', async () => {
    const r = await request('GET', '/v2');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { name: 'inferd', version: '0.1.0', extensions: ['binary_tensor_data'] });
  });

  it('GET /v2/models/{m}[/versions/{v}]: platform, versions, OIP datatypes and -1 dims', async () => {
    const want = {
      name: 'half', versions: ['7'], platform: 'onnx_onnxv1',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
    };
    assert.deepEqual((await request('GET', '/v2/models/half')).json(), want);
    assert.deepEqual((await request('GET', '/v2/models/half/versions/7')).json(), want);
    const every = (await request('GET', '/v2/models/every')).json() as { inputs: { datatype: string }[] };
    assert.deepEqual(every.inputs.map((i) => i.datatype), NAMES);
  });

  it('model ready and server health answer beside the OIP routes (health.ts)', async () => {
    assert.deepEqual((await request('GET', '/v2/models/half/ready')).json(), { name: 'half', ready: true });
    assert.equal((await request('GET', '/v2/models/half/versions/7/ready')).status, 200);
    assert.equal((await request('GET', '/v2/health/ready')).status, 200);
    assert.equal((await request('GET', '/v2/health/live')).status, 200);
  });

  it('unknown model or version → 404 {"error"}', async () => {
    for (const url of ['/v2/models/nope', '/v2/models/half/versions/8', '/v2/models/nope/infer']) {
      const r = await request(url.endsWith('infer') ? 'POST' : 'GET', url, url.endsWith('infer') ? { inputs: [] } : undefined);
      assert.equal(r.status, 404, url);
      assert.equal(typeof r.json().error, 'string');
    }
  });
});

describe('OIP REST: JSON inference', () => {
  it('every datatype round-trips as flat JSON data, id echoed', async () => {
    const inputs = NAMES.map((n) => ({ name: `x_${n}`, shape: [2, 2], datatype: n, data: SAMPLES[n] }));
    const r = await request('POST', '/v2/models/every/infer', { id: 'req-1', inputs });
    assert.equal(r.status, 200, r.body.toString());
    const body = r.json() as { model_name: string; model_version: string; id: string; outputs: { name: string; datatype: string; shape: number[]; data: unknown[] }[] };
    assert.equal(body.model_name, 'every');
    assert.equal(body.model_version, '1');
    assert.equal(body.id, 'req-1');
    assert.deepEqual(body.outputs.map((o) => o.name), NAMES.map((n) => `y_${n}`));
    for (const o of body.outputs) {
      const n = o.datatype;
      assert.deepEqual(o.shape, [2, 2]);
      assert.deepEqual(o.data.map((v) => readBack(n, v)), SAMPLES[n]!.map((v) => expected(n, v)), n);
    }
  });

  it('INT64 and UINT64 beyond 2^53 stay exact', async () => {
    const inputs = NAMES.map((n) => ({ name: `x_${n}`, shape: [2, 2], datatype: n, data: SAMPLES[n] }));
    const text = JSON.stringify({ inputs }).replace('"data":[0,1,9007199254740992,7]', '"data":[0,1,18446744073709551615,7]')
      .replace('"data":[-9007199254740992,-1,0,9007199254740992]', '"data":[-9223372036854775808,-1,0,9223372036854775807]');
    const r = await request('POST', '/v2/models/every/infer', text);
    assert.equal(r.status, 200, r.body.toString());
    const raw = r.body.toString();
    assert.match(raw, /"name":"y_UINT64","datatype":"UINT64","shape":\[2,2\],"data":\[0,1,18446744073709551615,7\]/);
    assert.match(raw, /"name":"y_INT64","datatype":"INT64","shape":\[2,2\],"data":\[-9223372036854775808,-1,0,9223372036854775807\]/);
  });

  it('nested data, requested outputs, parameters accepted', async () => {
    const r = await request('POST', '/v2/models/two/infer', {
      parameters: { priority: 1, note: 'x' },
      inputs: [
        { name: 'a', shape: [2, 2], datatype: 'FP32', data: [[1, 2], [3, 4]] },
        { name: 'b', shape: [2, 2], datatype: 'FP32', data: [10, 20, 30, 40], parameters: { any: true } },
      ],
      outputs: [{ name: 'product' }],
    });
    assert.equal(r.status, 200, r.body.toString());
    assert.deepEqual(r.json().outputs, [{ name: 'product', datatype: 'FP32', shape: [2, 2], data: [10, 40, 90, 160] }]);
    assert.equal('id' in r.json(), false);
  });

  it('the spec\'s example request: a corrected one answers output0 [3,2] FP32; as written (3 BOOLs, 1 given) it is a 400', async () => {
    const example = {
      id: '42',
      inputs: [
        { name: 'input0', shape: [2, 2], datatype: 'UINT32', data: [1, 2, 3, 4] },
        { name: 'input1', shape: [3], datatype: 'BOOL', data: [true] },
      ],
      outputs: [{ name: 'output0' }],
    };
    const bad = await request('POST', '/v2/models/mymodel/infer', example);
    assert.equal(bad.status, 400);
    assert.match(String(bad.json().error), /input1.*needs 3, got 1/);
    example.inputs[1]!.data = [true, false, true];
    const ok = await request('POST', '/v2/models/mymodel/infer', example);
    assert.equal(ok.status, 200, ok.body.toString());
    assert.deepEqual(ok.json(), {
      model_name: 'mymodel', model_version: '1', id: '42',
      outputs: [{ name: 'output0', datatype: 'FP32', shape: [3, 2], data: [11, 11, 10, 10, 11, 11] }],
    });
  });

  it('KServe\'s sklearn-iris v2 example (nested FP32 data, no version) works as written', async () => {
    const r = await request('POST', '/v2/models/sklearn-iris/infer', {
      inputs: [{ name: 'input-0', shape: [2, 4], datatype: 'FP32', data: [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]] }],
    });
    assert.equal(r.status, 200, r.body.toString());
    const out = (r.json().outputs as { name: string; shape: number[]; data: number[] }[])[0]!;
    assert.equal(out.name, 'output-0');
    assert.deepEqual(out.shape, [2]);
    assert.ok(Math.abs(out.data[0]! - 15.8) < 1e-5 && Math.abs(out.data[1]! - 15.5) < 1e-5);
  });
});

describe('OIP REST: floating-point data read straight from the JSON tape', () => {
  const infer = (model: string, input: Record<string, unknown>) =>
    request('POST', `/v2/models/${model}/infer`, { inputs: [{ name: 'x', datatype: 'FP32', ...input }] });

  it('nested and flat FP32 data are the same tensor; 17-digit floats round to float32', async () => {
    const values = [0.30000001192092896, -1e-45, 1e30, 1];
    const nested = await infer('half', { shape: [4, 1], data: values.map((v) => [v]) });
    const flat = await infer('half', { shape: [4, 1], data: values });
    assert.equal(nested.status, 200, nested.body.toString());
    assert.deepEqual(nested.json(), flat.json());
    const half = await infer('half', { shape: [2, 1], data: [[0.30000001192092896], [2]] });
    assert.deepEqual((half.json().outputs as { data: number[] }[])[0]!.data.map(Math.fround), [Math.fround(0.5 * Math.fround(0.30000001192092896) + 2), 3]);
  });

  it('FP16 JSON data rounds to nearest even; wrong counts, strings among numbers and duplicate data keys answer as before', async () => {
    const r = await request('POST', '/v2/models/halves/infer', {
      inputs: [{ name: 'h', datatype: 'FP16', shape: [1, 3], data: [[1.00048828125, 1.00146484375, 65504]] }], outputs: [{ name: 'h_fp32' }],
    });
    assert.equal(r.status, 200, r.body.toString());
    assert.deepEqual((r.json().outputs as { data: number[] }[])[0]!.data.map(Math.fround), [1, 1.001953125, 65504]);
    const short = await infer('half', { shape: [3, 1], data: [[1], [2]] });
    assert.deepEqual([short.status, short.json()], [400, { error: "unexpected number of elements in 'data' of input 'x': the shape needs 3, got 2" }]);
    const text = await infer('half', { shape: [2, 1], data: [[1], ['2']] });
    assert.deepEqual([text.status, text.json()], [400, { error: "unable to parse 'data' of input 'x': element 1 is String, expected FP32" }]);
    const twice = await request('POST', '/v2/models/half/infer', '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 1], "data": [4], "data": [6]}]}');
    assert.equal(twice.status, 200, twice.body.toString());
    assert.deepEqual((twice.json().outputs as { data: number[] }[])[0]!.data, [4], 'the first of duplicate keys, as rapidjson FindMember');
  });
});

describe('OIP REST: binary tensor data extension', () => {
  it('Triton\'s documented example: binary inputs, output0 binary, output1 JSON', async () => {
    const header = JSON.stringify({
      model_name: 'mymodel',
      inputs: [
        { name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } },
        { name: 'input1', shape: [3], datatype: 'BOOL', parameters: { binary_data_size: 3 } },
      ],
      outputs: [{ name: 'output0', parameters: { binary_data: true } }, { name: 'output1' }],
    });
    const input0 = Buffer.from([1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0]);
    const input1 = Buffer.from([1, 0, 1]);
    const body = Buffer.concat([Buffer.from(header), input0, input1]);
    const r = await request('POST', '/v2/models/mymodel/infer', body, {
      'content-type': 'application/octet-stream', 'inference-header-content-length': String(Buffer.byteLength(header)),
    });
    assert.equal(r.status, 200, r.body.toString());
    assert.equal(r.headers['content-type'], 'application/octet-stream');
    const jsonLength = Number(r.headers['inference-header-content-length']);
    const head = JSON.parse(r.body.subarray(0, jsonLength).toString()) as { outputs: unknown[] };
    assert.deepEqual(head.outputs, [
      { name: 'output0', datatype: 'FP32', shape: [3, 2], parameters: { binary_data_size: 24 } },
      { name: 'output1', datatype: 'UINT32', shape: [2, 2], data: [1, 2, 3, 4] },
    ]);
    const tail = r.body.subarray(jsonLength);
    assert.equal(tail.length, 24);
    assert.deepEqual(Array.from({ length: 6 }, (_, i) => tail.readFloatLE(i * 4)), [11, 11, 10, 10, 11, 11]);
  });

  it('every datatype round-trips as raw bytes (BYTES length-prefixed), binary_data_output for all outputs', async () => {
    const parts = NAMES.map((n) => Buffer.concat(SAMPLES[n]!.map((v) => elementBytes(n, v))));
    const header = JSON.stringify({
      parameters: { binary_data_output: true },
      inputs: NAMES.map((n, i) => ({ name: `x_${n}`, shape: [2, 2], datatype: n, parameters: { binary_data_size: parts[i]!.length } })),
    });
    const r = await request('POST', '/v2/models/every/infer', Buffer.concat([Buffer.from(header), ...parts]), {
      'content-type': 'application/octet-stream', 'inference-header-content-length': String(Buffer.byteLength(header)),
    });
    assert.equal(r.status, 200, r.body.toString());
    const jsonLength = Number(r.headers['inference-header-content-length']);
    const head = JSON.parse(r.body.subarray(0, jsonLength).toString()) as { outputs: { name: string; parameters: { binary_data_size: number } }[] };
    let pos = jsonLength;
    head.outputs.forEach((o, i) => {
      const size = o.parameters.binary_data_size;
      assert.deepEqual(r.body.subarray(pos, pos + size), parts[i], o.name);
      pos += size;
    });
    assert.equal(pos, r.body.length);
  });

  it('BF16 and FP16 element codecs are exact on representable values', () => {
    for (const v of [0, 1, -2, 0.5, 65504, -(2 ** -14), 2 ** -24, Infinity]) assert.equal(halfBitsToNumber(numberToHalfBits(v)), v);
    for (const v of [0, 1, -2, 0.5, 3.140625, 2 ** 100, -Infinity]) assert.equal(bfloat16BitsToNumber(numberToBfloat16Bits(v)), v);
    assert.ok(Number.isNaN(halfBitsToNumber(numberToHalfBits(NaN))) && Number.isNaN(bfloat16BitsToNumber(numberToBfloat16Bits(NaN))));
    assert.equal(numberToHalfBits(1e6), 0x7c00);
  });

  it('binary inputs mixed with JSON inputs; one output binary by its own parameter', async () => {
    const header = JSON.stringify({
      inputs: [
        { name: 'a', shape: [1, 2], datatype: 'FP32', parameters: { binary_data_size: 8 } },
        { name: 'b', shape: [1, 2], datatype: 'FP32', data: [3, 4] },
      ],
      outputs: [{ name: 'sum', parameters: { binary_data: true } }, { name: 'product', parameters: { binary_data: false } }],
    });
    const a = Buffer.alloc(8);
    a.writeFloatLE(1, 0);
    a.writeFloatLE(2, 4);
    const r = await request('POST', '/v2/models/two/infer', Buffer.concat([Buffer.from(header), a]), {
      'inference-header-content-length': String(Buffer.byteLength(header)),
    });
    assert.equal(r.status, 200, r.body.toString());
    const n = Number(r.headers['inference-header-content-length']);
    const head = JSON.parse(r.body.subarray(0, n).toString()) as { outputs: unknown[] };
    assert.deepEqual(head.outputs[1], { name: 'product', datatype: 'FP32', shape: [1, 2], data: [3, 8] });
    assert.deepEqual([r.body.readFloatLE(n), r.body.readFloatLE(n + 4)], [4, 6]);
  });
});

describe('OIP REST: error paths answer {"error"} with the spec\'s statuses', () => {
  const half = (over: Record<string, unknown> = {}) => ({ inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', data: [1], ...over }] });
  const cases: [string, string | Buffer | object, RegExp, Record<string, string>?][] = [
    ['malformed JSON', '{"inputs": [', /JSON Parse error/],
    ['not an object', '[1]', /must be a JSON object/],
    ['missing inputs', {}, /missing 'inputs'/],
    ['unknown input', { inputs: [{ name: 'z', shape: [1, 1], datatype: 'FP32', data: [1] }] }, /unexpected inference input 'z'/],
    ['missing input', { inputs: [] }, /expected 1 inputs but got 0/],
    ['wrong datatype', half({ datatype: 'FP64' }), /unexpected datatype FP64 for inference input 'x', expecting FP32/],
    ['invalid datatype', half({ datatype: 'FLOAT' }), /invalid datatype 'FLOAT'/],
    ['element count', half({ data: [1, 2] }), /needs 1, got 2/],
    ['element type', half({ data: ['a'] }), /element 0 is String/],
    ['shape against the model', half({ shape: [1, 2], data: [1, 2] }), /unexpected shape for input 'x'.*Expected \[-1,1\], got \[1,2\]/],
    ['negative dim', half({ shape: [-1, 1] }), /non-negative integers/],
    ['missing data', { inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32' }] }, /missing 'data'/],
    ['unknown output', { ...half(), outputs: [{ name: 'nope' }] }, /unexpected inference output 'nope'/],
    ['id not a string', { ...half(), id: 42 }, /'id' must be a string/],
    ['bad header length', Buffer.from('{}'), /Inference-Header-Content-Length/, { 'inference-header-content-length': 'x' }],
    ['header length past the body', Buffer.from('{}'), /larger than the request body/, { 'inference-header-content-length': '99' }],
  ];
  for (const [name, body, message, headers] of cases) {
    it(`${name} → 400`, async () => {
      const r = await request('POST', '/v2/models/half/infer', body, headers);
      assert.equal(r.status, 400, r.body.toString());
      assert.match(String(r.json().error), message);
    });
  }

  it('binary sizes that do not add up → 400', async () => {
    const send = (header: object, tail: Buffer) => {
      const h = JSON.stringify(header);
      return request('POST', '/v2/models/half/infer', Buffer.concat([Buffer.from(h), tail]), { 'inference-header-content-length': String(Buffer.byteLength(h)) });
    };
    const input = (size: number) => ({ inputs: [{ name: 'x', shape: [1, 1], datatype: 'FP32', parameters: { binary_data_size: size } }] });
    const cases: [object, Buffer, RegExp][] = [
      [input(4), Buffer.alloc(6), /2 byte\(s\) of binary data that no input/],
      [input(8), Buffer.alloc(4), /runs past the end/],
      [input(2), Buffer.alloc(2), /unexpected size 2 for raw contents of input 'x', expecting 4/],
    ];
    for (const [header, tail, message] of cases) {
      const r = await send(header, tail);
      assert.equal(r.status, 400);
      assert.match(String(r.json().error), message);
    }
  });

  it('a tensor past the request allocation limit → 413 before anything is allocated', async () => {
    const h = JSON.stringify({ inputs: [{ name: 'x', shape: [100_000_000, 1], datatype: 'FP32', parameters: { binary_data_size: 4 } }] });
    const r = await request('POST', '/v2/models/half/infer', Buffer.concat([Buffer.from(h), Buffer.alloc(4)]), { 'inference-header-content-length': String(Buffer.byteLength(h)) });
    assert.equal(r.status, 413);
    assert.match(String(r.json().error), /max_request_tensor_bytes/);
  });

  it('a model version label or number that does not exist → 404; unknown /v2 route → 404', async () => {
    assert.equal((await request('POST', '/v2/models/half/versions/3/infer', half())).status, 404);
    assert.equal((await request('GET', '/v2/nothing')).status, 404);
  });
});
