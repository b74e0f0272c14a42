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

  it('FP16 in typed form is refused (the protocol says raw only)', async () => {
    await rejectsWith(call('ModelInfer')({
      model_name: 'every', inputs: NAMES.map((n) => ({ name: `x_${n}`, datatype: n, shape: [2, 2] })),
    }), grpc.status.INVALID_ARGUMENT, /must be sent in raw_input_contents|unexpected number of elements/);
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
