// The hand-written Predict wire codec against protobufjs: every dtype both ways, random values (fast-check),
// unpacked and split fields, unknown fields, malformed bytes, whole PredictRequest/PredictResponse messages.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ALL_DTYPES, type DType } from '../../../src/core/dtype.ts';
import { allocate, type Tensor } from '../../../src/core/tensor.ts';
import { encodePredictResponse, readPredictRequest } from '../../../src/api/grpc/predict-wire.ts';
import { protoTypes } from '../../../src/api/grpc/protos.ts';
import { WireError, WireReader, writeVarint64, varint64Size } from '../../../src/core/proto-wire.ts';
import { decodeTensorProtoBytes, readTensorProto } from '../../../src/core/tensor-proto-reader.ts';
import { encodeTensorProtoBytes } from '../../../src/core/tensor-proto-writer.ts';
import { decodeTensorProto, encodeTensorProto, type TensorProtoMessage } from '../../../src/core/tensor-proto.ts';

const { TensorProto, PredictRequest, PredictResponse, ModelSpec } = protoTypes();

function sample(dtype: DType, n = 6): Tensor {
  const data = allocate(dtype, n);
  for (let i = 0; i < n; i++) {
    const v = i * 3 - 4;
    switch (dtype) {
      case 'string': (data as Uint8Array[])[i] = new TextEncoder().encode(`s${i}`); break;
      case 'int64': (data as BigInt64Array)[i] = BigInt(v) * 10_000_000_000n; break;
      case 'uint64': (data as BigUint64Array)[i] = BigInt(i) * 10_000_000_000n + 2n ** 63n; break;
      case 'bool': (data as Uint8Array)[i] = i % 2; break;
      case 'float32': case 'float64': (data as Float64Array)[i] = v + 0.25; break;
      case 'float16': case 'bfloat16': (data as Uint16Array)[i] = 0x3c00 + i * 4000; break;
      default: (data as Int32Array)[i] = v + (dtype.startsWith('uint') ? 10 : 0);
    }
  }
  return { dtype, shape: [2, n / 2], data };
}

function plain(t: Tensor): unknown {
  return { dtype: t.dtype, shape: [...t.shape], data: Array.from(t.data as ArrayLike<unknown>, (x) => (x instanceof Uint8Array ? Array.from(x) : x)) };
}

/** Our bytes → protobufjs → core tensor. */
const viaProtobufjs = (t: Tensor, tc = false): Tensor =>
  decodeTensorProto(TensorProto.decode(encodeTensorProtoBytes(t, tc)) as unknown as TensorProtoMessage, 'x');
/** protobufjs bytes → our reader → core tensor. */
const viaReader = (t: Tensor, tc = false): Tensor =>
  decodeTensorProtoBytes(readTensorProto(TensorProto.encode(encodeTensorProto(t, { tensorContent: tc })).finish()), 'x');

/** One key + value, hand-laid: `field`, wire type, payload bytes. */
const key = (field: number, wt: number): number[] => {
  const out = new Uint8Array(10);
  return Array.from(out.subarray(0, writeVarint64(out, 0, (field << 3) | wt, 0)));
};

describe('wire codec: TensorProto', () => {
  for (const dtype of ALL_DTYPES) {
    it(`${dtype}: our writer reads back in protobufjs, protobufjs' bytes read back in ours (typed and tensor_content)`, () => {
      const t = sample(dtype);
      for (const tc of [false, true]) {
        assert.deepEqual(plain(viaProtobufjs(t, tc)), plain(t));
        assert.deepEqual(plain(viaReader(t, tc)), plain(t));
      }
    });
  }

  it('writes the same bytes as protobufjs for a float tensor', () => {
    const t: Tensor = { dtype: 'float32', shape: [1, 3], data: new Float32Array([1, -2.5, 3]) };
    assert.deepEqual(Buffer.from(encodeTensorProtoBytes(t)), Buffer.from(TensorProto.encode(encodeTensorProto(t)).finish()));
  });

  it('round-trips random values of the numeric dtypes, shapes with zero dims and extreme 64-bit values', () => {
    const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
    const cases: [DType, fc.Arbitrary<unknown[]>, (v: unknown[]) => Tensor['data']][] = [
      ['float32', fc.array(fc.float({ noNaN: true })), (v) => Float32Array.from(v as number[])],
      ['float64', fc.array(fc.double({ noNaN: true })), (v) => Float64Array.from(v as number[])],
      ['int32', fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), (v) => Int32Array.from(v as number[])],
      ['uint32', fc.array(fc.integer({ min: 0, max: 2 ** 32 - 1 })), (v) => Uint32Array.from(v as number[])],
      ['int64', fc.array(int64), (v) => BigInt64Array.from(v as bigint[])],
      ['uint64', fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), (v) => BigUint64Array.from(v as bigint[])],
      ['int8', fc.array(fc.integer({ min: -128, max: 127 })), (v) => Int8Array.from(v as number[])],
    ];
    for (const [dtype, values, make] of cases) {
      fc.assert(fc.property(values, fc.boolean(), (v, tc) => {
        const t = { dtype, shape: [v.length], data: make(v) } as Tensor;
        assert.deepEqual(plain(viaProtobufjs(t, tc)), plain(t));
        assert.deepEqual(plain(viaReader(t, tc)), plain(t));
      }), { numRuns: 50 });
    }
    const empty: Tensor = { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) };
    assert.deepEqual(plain(viaProtobufjs(empty)), plain(empty));
  });

  it('varint64 sizes match what is written', () => {
    const out = new Uint8Array(10);
    for (const [lo, hi] of [[0, 0], [127, 0], [128, 0], [0xffffffff, 0], [0, 1], [0, 7], [0, 8], [0, 0x3ff], [0, 0x400], [1, 0x7fffffff], [0, 0x80000000], [0xffffffff, 0xffffffff]] as const) {
      assert.equal(writeVarint64(out, 0, lo, hi), varint64Size(lo, hi), `${lo},${hi}`);
    }
  });

  it('accepts unpacked values, split packed runs and unknown fields (a group, fixed64, varint)', () => {
    const f = (v: number): number[] => Array.from(new Uint8Array(new Float32Array([v]).buffer));
    const bytes = Uint8Array.from([
      ...key(1, 0), 1, // dtype DT_FLOAT
      ...key(99, 0), 0x96, 0x01, // unknown varint
      ...key(5, 5), ...f(1), // float_val unpacked
      ...key(5, 2), 8, ...f(2), ...f(3), // a packed run
      ...key(98, 3), ...key(1, 0), 5, ...key(98, 4), // unknown group with a field inside
      ...key(97, 1), 1, 2, 3, 4, 5, 6, 7, 8, // unknown fixed64
      ...key(5, 5), ...f(4),
      ...key(2, 2), 4, ...key(2, 2), 2, ...key(1, 0), 4, // shape [4]
    ]);
    const t = decodeTensorProtoBytes(readTensorProto(bytes), 'x');
    assert.deepEqual(plain(t), { dtype: 'float32', shape: [4], data: [1, 2, 3, 4] });
    const ints = Uint8Array.from([...key(1, 0), 9, ...key(10, 0), 0x7f, ...key(10, 2), 2, 1, 2]);
    assert.deepEqual(Array.from(decodeTensorProtoBytes(readTensorProto(ints), 'x').data as BigInt64Array), [127n]); // scalar: first value
    const three = Uint8Array.from([...ints, ...key(2, 2), 4, ...key(2, 2), 2, ...key(1, 0), 3]); // shape [3]
    assert.deepEqual(Array.from(decodeTensorProtoBytes(readTensorProto(three), 'x').data as BigInt64Array), [127n, 1n, 2n]);
  });

  it('keeps a large aligned packed float_val as a view of the request bytes, and copies an unaligned one once', () => {
    const floats = new Float32Array(1 << 20).map((_, i) => i % 1000);
    for (const alias of ['x', 'xx', 'xxx', 'xxxx']) {
      const bytes = Buffer.from(PredictRequest.encode({ inputs: { [alias]: { dtype: 1, tensor_shape: { dim: [{ size: floats.length }] }, float_val: floats } } }).finish());
      const req = readPredictRequest(bytes, ModelSpec);
      const t = decodeTensorProtoBytes(req.inputs![alias]!, alias);
      const fv = t.data as Float32Array;
      assert.ok(fv instanceof Float32Array);
      assert.equal(fv.buffer === bytes.buffer, (bytes.byteOffset + (bytes.length - floats.byteLength)) % 4 === 0, 'a view exactly when aligned');
      assert.equal(fv[999], 999);
      assert.equal(fv[floats.length - 1], (floats.length - 1) % 1000);
    }
  });

  it('throws WireError on truncated and malformed bytes', () => {
    const good = encodeTensorProtoBytes(sample('float32'));
    for (let cut = 1; cut < good.length; cut++) {
      const head = good.subarray(0, cut);
      // Some prefixes are valid messages (a cut between fields); the others must throw WireError, not anything else.
      try {
        readTensorProto(head);
      } catch (err) {
        assert.ok(err instanceof WireError, `cut at ${cut}: ${String(err)}`);
      }
    }
    const partialFloat = readTensorProto(Uint8Array.from([...key(1, 0), 1, ...key(5, 2), 3, 0, 0, 0])); // framing is fine
    assert.throws(() => decodeTensorProtoBytes(partialFloat, 'x'), /tensor parsing error: x/); // the values are not
    assert.throws(() => readTensorProto(Uint8Array.from([...key(1, 7)])), WireError); // wire type 7
    assert.throws(() => new WireReader(Uint8Array.from(Array(11).fill(0xff))).uint32(), WireError);
  });
});

describe('wire codec: PredictRequest and PredictResponse', () => {
  it('reads what protobufjs writes: model_spec (version, label), inputs, output_filter', () => {
    for (const spec of [
      { name: 'm', version: { value: 123 }, signature_name: 'serving_default' },
      { name: 'm', version_label: 'stable' },
      { name: 'ü' },
    ]) {
      const msg = { model_spec: spec, inputs: { a: encodeTensorProto(sample('int64')), 'b/ü': encodeTensorProto(sample('string')) }, output_filter: ['y', 'z'] };
      const bytes = Buffer.from(PredictRequest.encode(msg).finish());
      const ours = readPredictRequest(bytes, ModelSpec);
      const theirs = PredictRequest.decode(bytes) as unknown as { model_spec: unknown; inputs: Record<string, TensorProtoMessage> };
      assert.deepEqual(ModelSpec.toObject(ours.model_spec as never), ModelSpec.toObject(theirs.model_spec as never));
      assert.deepEqual(ours.output_filter, ['y', 'z']);
      assert.deepEqual(Object.keys(ours.inputs ?? {}).sort(), ['a', 'b/ü']);
      for (const k of ['a', 'b/ü']) {
        assert.deepEqual(plain(decodeTensorProtoBytes(ours.inputs![k]!, k)), plain(decodeTensorProto(theirs.inputs[k] ?? {}, k)));
      }
    }
    const proto = readPredictRequest(Buffer.from(PredictRequest.encode({ inputs: { ['__proto__']: encodeTensorProto(sample('float32')) } }).finish()), ModelSpec);
    assert.deepEqual(Object.keys(proto.inputs ?? {}), ['__proto__'], 'a __proto__ alias is an own key');
    assert.equal(Object.getPrototypeOf(proto.inputs), Object.prototype);
    const empty = readPredictRequest(Buffer.alloc(0), ModelSpec);
    assert.equal(empty.model_spec, undefined);
    assert.deepEqual(Object.keys(empty.inputs ?? {}), []);
  });

  it('writes a PredictResponse that protobufjs reads: outputs in order, served model_spec', () => {
    const outputs: [string, Tensor][] = [['y', sample('float32')], ['classes', sample('string')], ['ids', sample('int64')]];
    for (const tc of [false, true]) {
      for (const version of [1, 123, 2 ** 40]) {
        const bytes = encodePredictResponse({ name: 'mlp', version, signatureName: 'serving_default' }, outputs, tc);
        const msg = PredictResponse.toObject(PredictResponse.decode(bytes), { longs: Number }) as {
          model_spec: unknown; outputs: Record<string, TensorProtoMessage>;
        };
        assert.deepEqual(msg.model_spec, { name: 'mlp', version: { value: version }, signature_name: 'serving_default' });
        assert.deepEqual(Object.keys(msg.outputs), ['y', 'classes', 'ids']);
        const decoded = PredictResponse.decode(bytes) as unknown as { outputs: Record<string, TensorProtoMessage> };
        for (const [k, t] of outputs) {
          const back = decodeTensorProto(decoded.outputs[k] ?? {}, k);
          assert.deepEqual(plain(back), plain(t));
          assert.equal((msg.outputs[k]?.tensor_content?.length ?? 0) > 0, tc && t.dtype !== 'string');
        }
      }
    }
  });
});
