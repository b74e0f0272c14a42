// The one TensorProto codec (core): every dtype both ways through real protobuf bytes (protobufjs as the independent
// encoder/decoder), TF's fill rule, tensor_content views, and the limits checked before allocation — each rule on
// both entry points: a decoded message object (decodeTensorProto) and raw bytes (readTensorProto +
// decodeTensorProtoBytes, the gRPC Predict path).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { protoTypes } from '../../src/api/grpc/protos.ts';
import { ALL_DTYPES, tfNumber, type DType } from '../../src/core/dtype.ts';
import { InferdError } from '../../src/core/errors.ts';
import { AllocationBudget, LimitExceededError, MAX_TENSOR_RANK } from '../../src/core/limits.ts';
import { decodeTensorProtoBytes, readTensorProto } from '../../src/core/tensor-proto-reader.ts';
import { decodeTensorProto, encodeTensorProto, type TensorProtoMessage } from '../../src/core/tensor-proto.ts';
import { allocate, type Tensor } from '../../src/core/tensor.ts';

const { TensorProto } = protoTypes();

/** Serialize and parse back, as the wire would. */
function wire(msg: TensorProtoMessage): TensorProtoMessage {
  const bytes = TensorProto.encode(msg).finish();
  return TensorProto.decode(bytes) as unknown as TensorProtoMessage;
}

/** The message's bytes (protobufjs) through both entry points; both must agree, the first result is returned. */
function decodeBoth(msg: TensorProtoMessage, alias = 'x', limits?: { maxTensorBytes: number }): Tensor {
  const bytes = TensorProto.encode(msg).finish();
  const fromObject = decodeTensorProto(TensorProto.decode(bytes) as unknown as TensorProtoMessage, alias, new AllocationBudget(limits));
  const fromBytes = decodeTensorProtoBytes(readTensorProto(bytes), alias, new AllocationBudget(limits));
  assert.deepEqual(plain(fromBytes), plain(fromObject), 'object and bytes decoders agree');
  return fromObject;
}

/** Both entry points throw, and satisfy `check`. */
function throwsBoth(msg: TensorProtoMessage | Uint8Array, check: (e: unknown) => boolean, limits?: { maxTensorBytes: number }): void {
  const bytes = msg instanceof Uint8Array ? msg : TensorProto.encode(msg).finish();
  if (!(msg instanceof Uint8Array)) {
    assert.throws(() => decodeTensorProto(TensorProto.decode(bytes) as unknown as TensorProtoMessage, 'in', new AllocationBudget(limits)), check);
  }
  assert.throws(() => decodeTensorProtoBytes(readTensorProto(bytes), 'in', new AllocationBudget(limits)), check);
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
      assert.deepEqual(plain(decodeBoth(encodeTensorProto(t))), plain(t));
      const raw = wire(encodeTensorProto(t, { tensorContent: true }));
      if (dtype !== 'string') assert.ok((raw.tensor_content?.length ?? 0) > 0, 'tensor_content when asked');
      assert.deepEqual(plain(decodeTensorProto(raw, 'x')), plain(t));
      assert.deepEqual(plain(decodeBoth(encodeTensorProto(t, { tensorContent: true }))), plain(t));
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
    const one = decodeBoth({ dtype: 1, tensor_shape: shape, float_val: [7] });
    assert.deepEqual(Array.from(one.data as Float32Array), [7, 7, 7, 7]);
    const two = decodeBoth({ dtype: 3, tensor_shape: shape, int_val: [1, 2] });
    assert.deepEqual(Array.from(two.data as Int32Array), [1, 2, 2, 2]);
    const none = decodeBoth({ dtype: 9, tensor_shape: shape });
    assert.deepEqual(Array.from(none.data as BigInt64Array), [0n, 0n, 0n, 0n]);
    const extra = decodeBoth({ dtype: 2, tensor_shape: { dim: [{ size: 1 }] }, double_val: [1, 2, 3] });
    assert.deepEqual(Array.from(extra.data as Float64Array), [1]);
    const str = decodeBoth({ dtype: 7, tensor_shape: { dim: [{ size: 3 }] }, string_val: [Buffer.from('a')] });
    assert.deepEqual((str.data as Uint8Array[]).map((b) => Buffer.from(b).toString()), ['a', 'a', 'a']);
  });

  it('decodes no shape as a scalar', () => {
    const t = decodeBoth({ dtype: 1, float_val: [2] });
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
    const t = decodeBoth({ dtype: 7, tensor_shape: { dim: [{ size: 3 }] }, tensor_content: content }, 's');
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
    ['rank 255', { dtype: 1, tensor_shape: { dim: Array.from({ length: MAX_TENSOR_RANK + 1 }, () => ({ size: 1 })) } }],
    ['a dim of 2^63-1', { dtype: 1, tensor_shape: { dim: [{ size: '9223372036854775807' as unknown as number }] } }],
  ];
  for (const [what, msg] of bad) {
    it(`rejects ${what} with tensor parsing error`, () => {
      throwsBoth(msg, (e: unknown) => e instanceof InferdError && e.code === 'INVALID_ARGUMENT' && e.message === 'tensor parsing error: in');
    });
  }

  it('accepts rank 254 (TensorFlow\'s limit)', () => {
    const t = decodeBoth({ dtype: 1, tensor_shape: { dim: Array.from({ length: MAX_TENSOR_RANK }, () => ({ size: 1 })) }, float_val: [5] });
    assert.equal(t.shape.length, MAX_TENSOR_RANK);
    assert.deepEqual(Array.from(t.data as Float32Array), [5]);
  });
});

describe('TensorProto codec: limits checked before allocating', () => {
  const resourceExhausted = (e: unknown): boolean =>
    e instanceof LimitExceededError && e.code === 'RESOURCE_EXHAUSTED' && /max_request_tensor_bytes/.test(e.message);

  it('refuses TF\'s fill rule past the budget for every dtype (one value, shape [1e9]), before allocating', () => {
    for (const dtype of ALL_DTYPES) {
      const one = encodeTensorProto({ ...sample(dtype), shape: [1], data: sample(dtype).data.slice(0, 1) } as Tensor);
      throwsBoth({ ...one, tensor_shape: { dim: [{ size: 1e9 }] } }, resourceExhausted);
    }
  });

  it('refuses more than 2^31-1 elements whatever the byte limit', () => {
    throwsBoth({ dtype: 10, tensor_shape: { dim: [{ size: 2 ** 31 }] }, bool_val: [true] },
      (e: unknown) => e instanceof LimitExceededError && /more than 2147483647 elements/.test(e.message), { maxTensorBytes: Infinity });
  });

  it('reads at most count values of a packed int64 run (no 8× expansion of the extras), charging only the tensor', () => {
    const many = Array.from({ length: 200_000 }, (_, i) => i * 1_000_000_007); // ~7-byte varints, exact below 2^53
    const bytes = TensorProto.encode({ dtype: 9, tensor_shape: { dim: [{ size: 3 }] }, int64_val: many }).finish();
    const budget = new AllocationBudget({ maxTensorBytes: 24 }); // exactly 3 int64 values
    const t = decodeTensorProtoBytes(readTensorProto(bytes), 'x', budget);
    assert.deepEqual(Array.from(t.data as BigInt64Array), [0n, 1_000_000_007n, 2_000_000_014n]);
    assert.equal(budget.usedBytes, 24);
  });

  it('ignores the value fields of other dtypes, as TensorFlow does, and does not decode them', () => {
    const t = decodeBoth({ dtype: 1, tensor_shape: { dim: [{ size: 2 }] }, float_val: [1.5], int64_val: Array.from({ length: 10_000 }, (_, i) => i) });
    assert.deepEqual(Array.from(t.data as Float32Array), [1.5, 1.5]);
  });

  it('takes only count string_val values and charges their bytes (fill rule included)', () => {
    const values = Array.from({ length: 10_000 }, (_, i) => Buffer.from(`v${i}`));
    const t = decodeBoth({ dtype: 7, tensor_shape: { dim: [{ size: 2 }] }, string_val: values });
    assert.deepEqual((t.data as Uint8Array[]).map((b) => Buffer.from(b).toString()), ['v0', 'v1']);
    // One 1 KiB string repeated 1e6 times by the fill rule: 64 MiB of elements + 1 GiB of content > 256 MiB.
    throwsBoth({ dtype: 7, tensor_shape: { dim: [{ size: 1e6 }] }, string_val: [Buffer.alloc(1024)] }, resourceExhausted);
  });

  it('turns malformed packed values into tensor parsing error (not a crash)', () => {
    // dtype DT_INT32, shape [2], int_val packed run whose last varint is cut.
    const bytes = Uint8Array.from([0x08, 3, 0x12, 4, 0x12, 2, 0x08, 2, 0x3a, 2, 0x01, 0x80]);
    throwsBoth(bytes, (e: unknown) => e instanceof InferdError && e.message === 'tensor parsing error: in');
    // A float run with a partial element.
    throwsBoth(Uint8Array.from([0x08, 1, 0x2a, 3, 0, 0, 0]), (e: unknown) => e instanceof InferdError && e.message === 'tensor parsing error: in');
  });
});
