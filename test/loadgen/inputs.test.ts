/** Unit tests of request resolution: signature choice, generated inputs, JSON request files, wire encodings. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { protoTypes } from '../../src/api/grpc/protos.ts';
import { ALL_DTYPES, tfName } from '../../src/core/dtype.ts';
import { bfloat16Bits, float16Bits, nest, restPredictBody, tensorProtoObject } from '../../src/loadgen/encode.ts';
import { generateInputs, selectSignature, signatureDefsFromRestMetadata, tensorsFromPredictBody, type SignatureInfo } from '../../src/loadgen/inputs.ts';

const info = (dtype: string, dims: (number | string)[] | null) => ({
  dtype,
  tensor_shape: dims === null ? { dim: [], unknown_rank: true } : { dim: dims.map((size) => ({ size: String(size), name: '' })), unknown_rank: false },
  name: 'n',
});

describe('selectSignature', () => {
  const defs = {
    serving_default: { inputs: { x: info('DT_FLOAT', [-1, 3]) }, outputs: {}, method_name: 'tensorflow/serving/predict' },
    other: { inputs: { b: info('DT_INT64', [2]), a: info('DT_STRING', [-1]) } },
    __saved_model_init_op: { outputs: {} },
  };
  it('defaults to serving_default and sorts inputs by alias', () => {
    assert.deepEqual(selectSignature(defs), { name: 'serving_default', inputs: [{ alias: 'x', dtype: 'float32', shape: [-1, 3] }] });
    assert.deepEqual(selectSignature(defs, 'other').inputs.map((i) => [i.alias, i.dtype]), [['a', 'string'], ['b', 'int64']]);
  });
  it('uses the only signature when there is no serving_default, and names the choices otherwise', () => {
    assert.equal(selectSignature({ only: defs.other, __saved_model_init_op: {} }).name, 'only');
    assert.throws(() => selectSignature(defs, 'nope'), /signature "nope" not found; the model has: serving_default, other/);
  });
  it('reads numeric enums and unknown rank (gRPC decoding) and the REST metadata envelope', () => {
    const sig = selectSignature({ s: { inputs: { x: { dtype: 1, tensor_shape: { unknown_rank: true } } } } });
    assert.deepEqual(sig.inputs[0], { alias: 'x', dtype: 'float32', shape: null });
    assert.throws(() => signatureDefsFromRestMetadata({ error: 'x' }), /no metadata.signature_def/);
    assert.equal(Object.keys(signatureDefsFromRestMetadata({ metadata: { signature_def: { signature_def: defs } } })).length, 3);
  });
});

describe('generateInputs', () => {
  it('fills -1 with the batch and produces values of every dtype', () => {
    const sig: SignatureInfo = { name: 's', inputs: ALL_DTYPES.map((dtype) => ({ alias: dtype, dtype, shape: [-1, 2] })) };
    const tensors = generateInputs(sig, { batch: 3 });
    for (const t of tensors) {
      assert.deepEqual(t.shape, [3, 2]);
      assert.equal(t.values.length, 6);
      const v = t.values[0];
      if (t.dtype === 'string') assert.ok(v instanceof Uint8Array && v.length === 8);
      else if (t.dtype === 'bool') assert.equal(typeof v, 'boolean');
      else assert.equal(typeof v, 'number');
    }
    assert.deepEqual(generateInputs(sig, { batch: 3 }), tensors, 'deterministic for a seed');
  });
  it('takes shape overrides and refuses unknown rank without one', () => {
    const sig: SignatureInfo = { name: 's', inputs: [{ alias: 'img', dtype: 'uint8', shape: null }] };
    assert.throws(() => generateInputs(sig), /unknown rank: give its shape \(--shape img=/);
    assert.deepEqual(generateInputs(sig, { shapes: { img: [2, 2, 3] } })[0]!.shape, [2, 2, 3]);
  });
});

describe('request bodies', () => {
  const sig: SignatureInfo = { name: 'serving_default', inputs: [{ alias: 'a', dtype: 'float32', shape: [-1, 2] }, { alias: 'b', dtype: 'string', shape: [-1] }] };
  const tensors = [
    { alias: 'a', dtype: 'float32' as const, shape: [2, 2], values: [1, 2, 3, 4] },
    { alias: 'b', dtype: 'string' as const, shape: [2], values: [new TextEncoder().encode('hi'), Uint8Array.of(0, 255)] },
  ];
  it('nests flat values', () => {
    assert.deepEqual(nest([1, 2, 3, 4, 5, 6], [2, 3]), [[1, 2, 3], [4, 5, 6]]);
    assert.equal(nest([7], []), 7);
  });
  it('writes columnar and row bodies (binary strings as b64)', () => {
    assert.deepEqual(JSON.parse(restPredictBody(tensors, undefined)), { inputs: { a: [[1, 2], [3, 4]], b: ['hi', { b64: 'AP8=' }] } });
    assert.deepEqual(JSON.parse(restPredictBody(tensors, 'sig', 'row')), {
      signature_name: 'sig',
      instances: [{ a: [1, 2], b: 'hi' }, { a: [3, 4], b: { b64: 'AP8=' } }],
    });
    assert.deepEqual(JSON.parse(restPredictBody([tensors[0]!], undefined, 'row')), { instances: [[1, 2], [3, 4]] });
  });
  it('reads both layouts of a predict body back into tensors', () => {
    const columnar = tensorsFromPredictBody(JSON.parse(restPredictBody(tensors, undefined)), sig);
    const row = tensorsFromPredictBody(JSON.parse(restPredictBody(tensors, undefined, 'row')), sig);
    for (const got of [columnar, row]) {
      assert.deepEqual(got.map((t) => [t.alias, t.dtype, t.shape]), [['a', 'float32', [2, 2]], ['b', 'string', [2]]]);
      assert.deepEqual(got[0]!.values, [1, 2, 3, 4]);
      assert.deepEqual([...(got[1]!.values[1] as Uint8Array)], [0, 255]);
    }
    const one: SignatureInfo = { name: 's', inputs: [{ alias: 'x', dtype: 'int32', shape: [-1] }] };
    assert.deepEqual(tensorsFromPredictBody({ instances: [1, 2, 3] }, one)[0]!.shape, [3]);
    assert.deepEqual(tensorsFromPredictBody({ inputs: 5 }, one)[0]!.shape, []);
    assert.throws(() => tensorsFromPredictBody({ inputs: { y: [1] } }, one), /has no input "y"/);
    assert.throws(() => tensorsFromPredictBody({ instances: [[1, 2], [3]] }, one), /ragged/);
    assert.throws(() => tensorsFromPredictBody({}, one), /needs an 'inputs' or a non-empty 'instances'/);
  });
  it('encodes TensorProtos that protobufjs accepts, typed or as tensor_content', () => {
    const { TensorProto } = protoTypes();
    for (const dtype of ALL_DTYPES) {
      const values = dtype === 'string' ? [Uint8Array.of(97)] : dtype === 'bool' ? [true] : [1.5];
      const t = { alias: 'x', dtype, shape: [1], values } as Parameters<typeof tensorProtoObject>[0];
      for (const content of [false, true]) {
        const obj = tensorProtoObject(t, content);
        const decoded = TensorProto.toObject(TensorProto.decode(TensorProto.encode(TensorProto.fromObject(obj)).finish()), { enums: String, longs: Number }) as Record<string, unknown>;
        assert.equal(decoded['dtype'], tfName(dtype), dtype);
        if (content && dtype !== 'string') assert.ok((decoded['tensor_content'] as Uint8Array).length > 0, dtype);
      }
    }
  });
  it('converts half-precision bits', () => {
    assert.equal(float16Bits(1), 0x3c00);
    assert.equal(float16Bits(-2), 0xc000);
    assert.equal(float16Bits(0.5), 0x3800);
    assert.equal(float16Bits(65520), 0x7c00);
    assert.equal(float16Bits(2 ** -24), 0x0001);
    assert.equal(bfloat16Bits(1), 0x3f80);
    assert.equal(bfloat16Bits(-0.5), 0xbf00);
  });
});
