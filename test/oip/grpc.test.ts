// inference.GRPCInferenceService through an independent grpc-js client: @grpc/proto-loader over the official
// open_inference_grpc.proto of kserve/open-inference-protocol (not the project's own .proto), so field numbers and
// names are checked against the published protocol. Typed contents and raw contents, every datatype, error statuses.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { numberToHalfBits } from '../../src/core/half.ts';
import { DATATYPES, OFFICIAL_PROTO, SAMPLES, startFixture, type OipFixture } from './support.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Msg = Record<string, any>;
type Call = (request: Msg) => Promise<Msg>;

const definition = protoLoader.loadSync(OFFICIAL_PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const Service = (grpc.loadPackageDefinition(definition) as any).inference.GRPCInferenceService as typeof grpc.Client;

let fx: OipFixture;
let client: grpc.Client;
const call = (name: string): Call => (request) => new Promise((resolve, reject) => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (client as any)[name](request, (err: grpc.ServiceError | null, res: Msg) => (err ? reject(err) : resolve(res)));
});
const rejectsWith = async (p: Promise<unknown>, code: grpc.status, message: RegExp) => {
  await assert.rejects(p, (err: grpc.ServiceError) => {
    assert.equal(err.code, code, err.details);
    assert.match(err.details, message);
    return true;
  });
};

before(async () => {
  fx = await startFixture();
  client = new Service(`127.0.0.1:${fx.grpc.port}`, grpc.credentials.createInsecure());
});
after(async () => {
  client?.close();
  await fx?.close();
});

const NAMES = Object.keys(DATATYPES);
const FIELD: Record<string, string> = {
  BOOL: 'bool_contents', UINT8: 'uint_contents', UINT16: 'uint_contents', UINT32: 'uint_contents', UINT64: 'uint64_contents',
  INT8: 'int_contents', INT16: 'int_contents', INT32: 'int_contents', INT64: 'int64_contents', FP32: 'fp32_contents',
  FP64: 'fp64_contents', BYTES: 'bytes_contents',
};

/** Raw little-endian bytes of the samples, written with Buffer's own writers. */
function rawOf(datatype: string): Buffer {
  return Buffer.concat(SAMPLES[datatype]!.map((v) => {
    if (datatype === 'BYTES') {
      const s = Buffer.from(String(v));
      const b = Buffer.alloc(4);
      b.writeUInt32LE(s.length);
      return Buffer.concat([b, s]);
    }
    const n = Number(v);
    const b = Buffer.alloc({ BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2, UINT32: 4, INT32: 4, FP32: 4 }[datatype] ?? 8);
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
  }));
}

describe('OIP gRPC (official proto, grpc-js client)', () => {
  it('ServerLive, ServerReady, ServerMetadata, ModelReady', async () => {
    assert.deepEqual(await call('ServerLive')({}), { live: true });
    assert.deepEqual(await call('ServerReady')({}), { ready: true });
    assert.deepEqual(await call('ServerMetadata')({}), { name: 'inferd', version: '0.1.0', extensions: ['binary_tensor_data'] });
    assert.deepEqual(await call('ModelReady')({ name: 'half' }), { ready: true });
    assert.deepEqual(await call('ModelReady')({ name: 'half', version: '7' }), { ready: true });
    assert.deepEqual(await call('ModelReady')({ name: 'half', version: '8' }), { ready: false });
    assert.deepEqual(await call('ModelReady')({ name: 'nope' }), { ready: false });
  });

  it('ModelMetadata: platform, versions, datatypes, -1 dims; unknown model NOT_FOUND', async () => {
    assert.deepEqual(await call('ModelMetadata')({ name: 'half' }), {
      name: 'half', versions: ['7'], platform: 'onnx_onnxv1',
      inputs: [{ name: 'x', datatype: 'FP32', shape: ['-1', '1'] }], outputs: [{ name: 'y', datatype: 'FP32', shape: ['-1', '1'] }],
      properties: {},
    });
    await rejectsWith(call('ModelMetadata')({ name: 'nope' }), grpc.status.NOT_FOUND, /nope/);
  });

  it('ModelInfer with typed contents: every typed datatype round-trips and the answer is typed too', async () => {
    const typed = NAMES.filter((n) => n !== 'FP16');
    const contentsOf = (n: string) => ({
      [FIELD[n]!]: n === 'BYTES' ? SAMPLES[n]!.map((s) => Buffer.from(String(s))) : SAMPLES[n]!.map((v) => (/INT64/.test(n) ? String(v) : v)),
    });
    const res = await call('ModelInfer')({
      model_name: 'typed', id: 'grpc-1', inputs: typed.map((n) => ({ name: `x_${n}`, datatype: n, shape: [2, 2], contents: contentsOf(n) })),
    });
    assert.equal(res.id, 'grpc-1');
    assert.deepEqual(res.raw_output_contents, []);
    for (const [i, n] of typed.entries()) {
      const o = res.outputs[i];
      assert.equal(o.name, `y_${n}`);
      const got = o.contents[FIELD[n]!] as unknown[];
      const want = contentsOf(n)[FIELD[n]!] as unknown[];
      assert.deepEqual(n === 'FP32' ? got.map((v) => Math.fround(v as number)) : got, n === 'FP32' ? want.map((v) => Math.fround(v as number)) : want, n);
    }
  });

  // The protocol (open_inference_grpc.proto, raw_input_contents/raw_output_contents): "the FP16 and BF16 data types
  // must be represented as raw content as there is no specific data type for a 16-bit float type". So FP16 goes in
  // raw_input_contents, an FP16 output forces raw_output_contents for the whole answer, and FP16 in `contents` (any
  // field, or none) is INVALID_ARGUMENT with one exact text.
  // binary16 bit patterns written out by hand from IEEE 754's definition ((-1)^s · 1.m · 2^(e-15), subnormals
  // m · 2^-24) and cross-checked with CPython's struct format 'e'; they do not come from the code under test.
  const HALF_BITS: readonly (readonly [number, number])[] = [
    [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [0.333251953125, 0x3555], [0.0999755859375, 0x2e66],
    [2 ** -24, 0x0001], [-0, 0x8000], [2 ** -14, 0x0400], [6.097555160522461e-5, 0x03ff], [-Infinity, 0xfc00], [1.0009765625, 0x3c01],
  ];
  const halfBuffer = (bits: readonly number[]) => {
    const b = Buffer.alloc(bits.length * 2);
    bits.forEach((v, i) => b.writeUInt16LE(v, i * 2));
    return b;
  };

  it('FP16 raw round trip: bits come back exactly, and their FP32 values are the exact binary16 values', async () => {
    const bits = [...HALF_BITS.map(([, h]) => h), 0x7e00, 0xfbff, 0x8001, 0x3555];
    const res = await call('ModelInfer')({
      model_name: 'halves', inputs: [{ name: 'h', datatype: 'FP16', shape: [4, 4] }], raw_input_contents: [halfBuffer(bits)],
    });
    assert.deepEqual(res.outputs.map((o: Msg) => [o.name, o.datatype, o.shape]), [['h_out', 'FP16', ['4', '4']], ['h_fp32', 'FP32', ['4', '4']]]);
    assert.equal(res.outputs[0].contents, null, 'an FP16 answer is raw only');
    assert.deepEqual(Buffer.from(res.raw_output_contents[0]), halfBuffer(bits));
    const fp32 = Buffer.from(res.raw_output_contents[1]);
    const want = [...HALF_BITS.map(([v]) => v), Number.NaN, -65504, -(2 ** -24), 0.333251953125];
    assert.equal(fp32.byteLength, want.length * 4);
    want.forEach((v, i) => assert.ok(Object.is(fp32.readFloatLE(i * 4), v), `element ${i}: ${fp32.readFloatLE(i * 4)} is not ${v}`));
  });

  it('an FP16 output forces raw_output_contents: FP32 typed in, binary16 bits out, rounded to nearest even', async () => {
    // Values that need rounding: 1/3 and 0.1 (nearest), 1 + 2^-11 (a tie: to even, 1.0), 1 + 3·2^-11 (a tie: to even,
    // 0x3c02), 2^-25 (a tie with zero: 0), 1e5 (beyond 65504: +Infinity).
    const rounded: [number, number][] = [[1 / 3, 0x3555], [0.1, 0x2e66], [1 + 2 ** -11, 0x3c00], [1 + 3 * 2 ** -11, 0x3c02], [2 ** -25, 0x0000], [1e5, 0x7c00]];
    const cases = [...HALF_BITS.filter(([v]) => Number.isFinite(v)), ...rounded, [-0.5, 0xb800] as [number, number]];
    assert.equal(cases.length, 18);
    const res = await call('ModelInfer')({
      model_name: 'to_half', inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 9], contents: { fp32_contents: cases.map(([v]) => v) } }],
    });
    assert.deepEqual(res.outputs.map((o: Msg) => [o.name, o.datatype, o.shape, o.contents]), [['y', 'FP16', ['2', '9'], null]]);
    assert.deepEqual([...Buffer.from(res.raw_output_contents[0])], [...halfBuffer(cases.map(([, h]) => h))]);
  });

  it('FP16 in typed contents is INVALID_ARGUMENT with the exact text, whatever field (or none) carries it', async () => {
    const text = "FP16 input 'h' must be sent in raw_input_contents (the protocol has no typed contents for it)";
    for (const contents of [undefined, { fp32_contents: [1, 2] }, { uint_contents: [0x3c00, 0x4000] }, { bytes_contents: [halfBuffer([0x3c00, 0x4000])] }]) {
      await assert.rejects(call('ModelInfer')({
        model_name: 'halves', inputs: [{ name: 'h', datatype: 'FP16', shape: [1, 2], ...(contents ? { contents } : {}) }],
      }), (err: grpc.ServiceError) => {
        assert.equal(err.code, grpc.status.INVALID_ARGUMENT);
        assert.equal(err.details, text, JSON.stringify(contents));
        return true;
      });
    }
  });

  it('ModelInfer with raw_input_contents: every datatype round-trips byte for byte in raw_output_contents', async () => {
    const res = await call('ModelInfer')({
      model_name: 'every', model_version: '1', id: 'raw-1',
      inputs: NAMES.map((n) => ({ name: `x_${n}`, datatype: n, shape: [2, 2] })),
      raw_input_contents: NAMES.map(rawOf),
    });
    assert.equal(res.model_name, 'every');
    assert.equal(res.model_version, '1');
    assert.equal(res.id, 'raw-1');
    assert.deepEqual(res.outputs.map((o: Msg) => [o.name, o.datatype, o.shape]), NAMES.map((n) => [`y_${n}`, n, ['2', '2']]));
    assert.deepEqual(res.raw_output_contents, NAMES.map(rawOf));
  });

  it('ModelInfer typed contents per datatype (model two) and requested outputs', async () => {
    const res = await call('ModelInfer')({
      model_name: 'two',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [1, 2] } },
        { name: 'b', datatype: 'FP32', shape: [1, 2], contents: { fp32_contents: [3, 4] } },
      ],
      outputs: [{ name: 'sum' }],
    });
    assert.equal(res.outputs.length, 1);
    assert.deepEqual(res.outputs[0].contents.fp32_contents, [4, 6]);
    assert.deepEqual(res.raw_output_contents, []);
  });

  it('error paths: unknown model NOT_FOUND, bad datatype/shape/count INVALID_ARGUMENT, raw + typed mixed, repository off', async () => {
    const x = (over: Msg = {}) => ({ model_name: 'half', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], contents: { fp32_contents: [1] }, ...over }] });
    await rejectsWith(call('ModelInfer')({ ...x(), model_name: 'nope' }), grpc.status.NOT_FOUND, /nope/);
    await rejectsWith(call('ModelInfer')(x({ datatype: 'INT32', contents: { int_contents: [1] } })), grpc.status.INVALID_ARGUMENT, /unexpected datatype INT32/);
    await rejectsWith(call('ModelInfer')(x({ contents: { fp32_contents: [1, 2] } })), grpc.status.INVALID_ARGUMENT, /needs 1, got 2/);
    await rejectsWith(call('ModelInfer')(x({ contents: { fp64_contents: [1] } })), grpc.status.INVALID_ARGUMENT, /expects fp32_contents, got fp64_contents/);
    await rejectsWith(call('ModelInfer')({ ...x(), raw_input_contents: [Buffer.alloc(4)] }), grpc.status.INVALID_ARGUMENT, /sets contents, but the request uses raw_input_contents/);
    await rejectsWith(call('ModelInfer')({ model_name: 'half', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1] }], raw_input_contents: [Buffer.alloc(3)] }), grpc.status.INVALID_ARGUMENT, /expecting 4 bytes/);
    await rejectsWith(call('ModelInfer')({ model_name: 'half', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1] }], raw_input_contents: [Buffer.alloc(4), Buffer.alloc(4)] }), grpc.status.INVALID_ARGUMENT, /2 entries, expecting one per input \(1\)/);
    await rejectsWith(call('ModelInfer')({ ...x(), outputs: [{ name: 'z' }] }), grpc.status.INVALID_ARGUMENT, /unexpected inference output 'z'/);
    await rejectsWith(call('ModelInfer')({ ...x(), model_version: '9' }), grpc.status.NOT_FOUND, /half/);
  });
});

describe('OIP gRPC repository extension (official proto has no such RPCs: called by path)', () => {
  it('answers UNIMPLEMENTED unless management is enabled', async () => {
    const method = '/inference.GRPCInferenceService/RepositoryIndex';
    const err = await new Promise<grpc.ServiceError>((resolve) => {
      client.makeUnaryRequest(method, (x: Buffer) => x, (b: Buffer) => b, Buffer.alloc(0), (e) => resolve(e as grpc.ServiceError));
    });
    assert.equal(err.code, grpc.status.UNIMPLEMENTED);
    assert.match(err.details, /--enable_model_management/);
  });
});
