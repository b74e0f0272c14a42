// TensorProto codec: every dtype both ways through real protobuf bytes, TF's fill rule, tensor_content views.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALL_DTYPES, tfNumber, type DType } from '../../../src/core/dtype.ts';
import { InferdError } from '../../../src/core/errors.ts';
import { allocate, type Tensor } from '../../../src/core/tensor.ts';
import { protoTypes } from '../../../src/api/grpc/protos.ts';
import { decodeTensorProto, encodeTensorProto, type TensorProtoMessage } from '../../../src/api/grpc/tensor-proto.ts';

const { TensorProto } = protoTypes();

/** Serialize and parse back, as the wire would. */
function wire(msg: TensorProtoMessage): TensorProtoMessage {
  const bytes = TensorProto.encode(msg).finish();
  return TensorProto.decode(bytes) as unknown as TensorProtoMessage;
}

function sample(dtype: DType): Tensor {
  const data = allocate(dtype, 6);
  for (let i = 0; i < 6; i++) {
    const v = i * 3 - 4; // negatives for signed types
    switch (dtype) {
      case 'string': (data as Uint8Array[])[i] = new TextEncoder().encode(`s${i}`); break;
      case 'int64': (data as BigInt64Array)[i] = BigInt(v) * 10_000_000_000n; break;
      case 'uint64': (data as BigUint64Array)[i] = BigInt(i) * 10_000_000_000n + 2n ** 63n; break;
      case 'bool': (data as Uint8Array)[i] = i % 2; break;
      case 'float32': case 'float64': (data as Float64Array)[i] = v + 0.25; break;
      case 'float16': (data as Uint16Array)[i] = 0x3c00 + i; break;
      case 'bfloat16': (data as Uint16Array)[i] = 0x3f80 + i; break;
      default: (data as Int32Array)[i] = v + (dtype.startsWith('uint') ? 10 : 0);
    }
  }
  return { dtype, shape: [2, 3], data };
}

function plain(t: Tensor): unknown {
  return { dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data as ArrayLike<unknown>, (x) => (x instanceof Uint8Array ? Array.from(x) : x)) };
}

describe('TensorProto codec', () => {
  for (const dtype of ALL_DTYPES) {
    it(`round-trips ${dtype} via typed fields and via tensor_content`, () => {
      const t = sample(dtype);
      const typed = wire(encodeTensorProto(t));
      assert.equal(typed.dtype, tfNumber(dtype));
      if (dtype !== 'string') assert.equal(typed.tensor_content?.length ?? 0, 0, 'typed fields by default');
      assert.deepEqual(plain(decodeTensorProto(typed, 'x')), plain(t));
      const raw = wire(encodeTensorProto(t, { tensorContent: true }));
      if (dtype !== 'string') assert.ok((raw.tensor_content?.length ?? 0) > 0, 'tensor_content when asked');
      assert.deepEqual(plain(decodeTensorProto(raw, 'x')), plain(t));
    });
  }

  it('uses the right typed field per dtype', () => {
    const field = (d: DType): string[] =>
      Object.entries(wire(encodeTensorProto(sample(d))) as Record<string, unknown>)
        .filter(([k, v]) => k.endsWith('_val') && Array.isArray(v) && v.length > 0).map(([k]) => k);
    assert.deepEqual(field('float32'), ['float_val']);
    assert.deepEqual(field('float64'), ['double_val']);
    assert.deepEqual(field('float16'), ['half_val']);
    assert.deepEqual(field('bfloat16'), ['half_val']);
    for (const d of ['int8', 'int16', 'int32', 'uint8', 'uint16'] as const) assert.deepEqual(field(d), ['int_val']);
    assert.deepEqual(field('int64'), ['int64_val']);
    assert.deepEqual(field('uint32'), ['uint32_val']);
    assert.deepEqual(field('uint64'), ['uint64_val']);
    assert.deepEqual(field('bool'), ['bool_val']);
    assert.deepEqual(field('string'), ['string_val']);
  });

  it('applies the fill rule: last value repeats, none gives zeros, extras are ignored', () => {
    const shape = { dim: [{ size: 2 }, { size: 2 }] };
    const one = decodeTensorProto(wire({ dtype: 1, tensor_shape: shape, float_val: [7] }), 'x');
    assert.deepEqual(Array.from(one.data as Float32Array), [7, 7, 7, 7]);
    const two = decodeTensorProto(wire({ dtype: 3, tensor_shape: shape, int_val: [1, 2] }), 'x');
    assert.deepEqual(Array.from(two.data as Int32Array), [1, 2, 2, 2]);
    const none = decodeTensorProto(wire({ dtype: 9, tensor_shape: shape }), 'x');
    assert.deepEqual(Array.from(none.data as BigInt64Array), [0n, 0n, 0n, 0n]);
    const extra = decodeTensorProto(wire({ dtype: 2, tensor_shape: { dim: [{ size: 1 }] }, double_val: [1, 2, 3] }), 'x');
    assert.deepEqual(Array.from(extra.data as Float64Array), [1]);
    const str = decodeTensorProto(wire({ dtype: 7, tensor_shape: { dim: [{ size: 3 }] }, string_val: [Buffer.from('a')] }), 'x');
    assert.deepEqual((str.data as Uint8Array[]).map((b) => Buffer.from(b).toString()), ['a', 'a', 'a']);
  });

  it('decodes no shape as a scalar', () => {
    const t = decodeTensorProto(wire({ dtype: 1, float_val: [2] }), 'x');
    assert.deepEqual(t.shape, []);
    assert.deepEqual(Array.from(t.data as Float32Array), [2]);
  });

  it('decodes aligned tensor_content as a view and unaligned as one copy', () => {
    const floats = new Float32Array([1.5, -2, 3.25, 4]);
    const payload = Buffer.from(floats.buffer);
    // Aligned: the bytes sit at a multiple of 4 inside a larger buffer.
    const big = Buffer.alloc(64);
    payload.copy(big, 16);
    const aligned = decodeTensorProto({ dtype: 1, tensor_shape: { dim: [{ size: 4 }] }, tensor_content: big.subarray(16, 32) }, 'x');
    assert.equal((aligned.data as Float32Array).buffer, big.buffer, 'view shares the request buffer');
    assert.deepEqual(Array.from(aligned.data as Float32Array), Array.from(floats));
    payload.copy(big, 17);
    const unaligned = decodeTensorProto({ dtype: 1, tensor_shape: { dim: [{ size: 4 }] }, tensor_content: big.subarray(17, 33) }, 'x');
    assert.notEqual((unaligned.data as Float32Array).buffer, big.buffer);
    assert.deepEqual(Array.from(unaligned.data as Float32Array), Array.from(floats));
  });

  it('keeps a large tensor_content from a decoded PredictRequest as a view of the request buffer', () => {
    const { PredictRequest } = protoTypes();
    const floats = new Float32Array(2_500_000).map((_, i) => i % 1000);
    // Pad the alias so tensor_content lands on a 4-byte boundary, as a zero-copy view needs.
    for (const alias of ['x', 'xx', 'xxx', 'xxxx']) {
      const bytes = Buffer.from(PredictRequest.encode({
        inputs: { [alias]: { dtype: 1, tensor_shape: { dim: [{ size: floats.length }] }, tensor_content: new Uint8Array(floats.buffer) } },
      }).finish());
      const req = PredictRequest.decode(bytes) as unknown as { inputs: Record<string, TensorProtoMessage> };
      const content = req.inputs[alias]?.tensor_content as Uint8Array;
      assert.equal(content.buffer, bytes.buffer, 'protobufjs hands out a view of the message bytes');
      const t = decodeTensorProto(req.inputs[alias] as TensorProtoMessage, alias);
      const data = t.data as Float32Array;
      assert.equal(data.buffer === bytes.buffer, content.byteOffset % 4 === 0, 'view exactly when aligned');
      assert.equal(data[999], 999);
      assert.equal(data[2_499_999], 2_499_999 % 1000);
    }
  });

  it('decodes string tensor_content in TF encoding (varint lengths, then bytes)', () => {
    const content = Buffer.from([2, 0, 1, 0x68, 0x69, 0x21]);
    const t = decodeTensorProto({ dtype: 7, tensor_shape: { dim: [{ size: 3 }] }, tensor_content: content }, 's');
    assert.deepEqual((t.data as Uint8Array[]).map((b) => Buffer.from(b).toString()), ['hi', '', '!']);
  });

  it('encodes a scalar with a present, empty shape', () => {
    const msg = wire(encodeTensorProto({ dtype: 'float32', shape: [], data: new Float32Array([3]) }));
    assert.ok(msg.tensor_shape);
    assert.equal(msg.tensor_shape.dim?.length ?? 0, 0);
    assert.deepEqual(Array.from(msg.float_val ?? []), [3]);
  });

  const bad: [string, TensorProtoMessage][] = [
    ['DT_INVALID', { dtype: 0, float_val: [1] }],
    ['complex64', { dtype: 8 }],
    ['a _REF type', { dtype: 101, float_val: [1] }],
    ['negative dim', { dtype: 1, tensor_shape: { dim: [{ size: -1 }] } }],
    ['unknown rank', { dtype: 1, tensor_shape: { unknown_rank: true } }],
    ['short tensor_content', { dtype: 1, tensor_shape: { dim: [{ size: 2 }] }, tensor_content: Buffer.alloc(7) }],
    ['long tensor_content', { dtype: 3, tensor_shape: { dim: [{ size: 1 }] }, tensor_content: Buffer.alloc(8) }],
    ['bad string tensor_content', { dtype: 7, tensor_shape: { dim: [{ size: 1 }] }, tensor_content: Buffer.from([5, 1]) }],
  ];
  for (const [what, msg] of bad) {
    it(`rejects ${what} with tensor parsing error`, () => {
      assert.throws(() => decodeTensorProto(wire(msg), 'in'), (e: unknown) =>
        e instanceof InferdError && e.code === 'INVALID_ARGUMENT' && e.message === 'tensor parsing error: in');
    });
  }
});
