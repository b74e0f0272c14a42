/**
 * Micro-benchmark of the Predict codec (issue 4, item 1): protobufjs versus the hand-written wire codec
 * (src/api/grpc/predict-wire.ts) for PredictResponse encoding and PredictRequest decoding, float32 tensors of 10,
 * 784 and 1,048,576 values. In-process, no gRPC. Usage: `npx tsx bench/grpc-codec.ts [--seconds=1]`.
 * Prints one line per case: µs per message and the ratio to protobufjs.
 */
import { parseArgs } from 'node:util';
import { encodePredictResponse, readPredictRequest } from '../src/api/grpc/predict-wire.ts';
import { protoTypes } from '../src/api/grpc/protos.ts';
import { decodeTensorProtoBytes } from '../src/core/tensor-proto-reader.ts';
import { decodeTensorProto, encodeTensorProto, type TensorProtoMessage } from '../src/core/tensor-proto.ts';
import type { Tensor } from '../src/core/tensor.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '1' } } });
const seconds = Number(values.seconds);
const { PredictRequest, PredictResponse, ModelSpec } = protoTypes();
const served = { name: 'mlp', version: 1, signatureName: 'serving_default' };

/** Mean µs per call of `fn` over about `seconds` (after a warm-up of a quarter of that). */
function time(fn: () => unknown): number {
  const run = (ms: number): number => {
    let n = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ms) {
      for (let i = 0; i < 8; i++) fn();
      n += 8;
      now = performance.now();
    }
    return ((now - start) * 1000) / n;
  };
  run(seconds * 250);
  return run(seconds * 1000);
}

const floats = (n: number): Float32Array => new Float32Array(n).map((_, i) => (i % 1000) / 7);
const line = (what: string, base: number, ours: number): void =>
  void process.stdout.write(`${what.padEnd(52)} protobufjs ${base.toFixed(1).padStart(9)} µs   wire codec ${ours.toFixed(1).padStart(8)} µs   ${(base / ours).toFixed(1)}×\n`);

for (const n of [10, 784, 1 << 20]) {
  const t: Tensor = { dtype: 'float32', shape: [1, n], data: floats(n) };
  const spec = { name: served.name, version: { value: 1 }, signature_name: served.signatureName };
  const typed = time(() => PredictResponse.encode({ model_spec: spec, outputs: { y: encodeTensorProto(t) } }).finish());
  const array = time(() => PredictResponse.encode({ model_spec: spec, outputs: { y: { ...encodeTensorProto(t), float_val: Array.from(t.data as Float32Array) } } }).finish());
  const ours = time(() => encodePredictResponse(served, [['y', t]], false));
  line(`encode response, ${n} float_val (typed array in)`, typed, ours);
  line(`encode response, ${n} float_val (number array in)`, array, ours);
  const tc = time(() => PredictResponse.encode({ model_spec: spec, outputs: { y: encodeTensorProto(t, { tensorContent: true }) } }).finish());
  line(`encode response, ${n} tensor_content`, tc, time(() => encodePredictResponse(served, [['y', t]], true)));
  for (const field of ['float_val', 'tensor_content'] as const) {
    const tensor = { dtype: 1, tensor_shape: { dim: [{ size: 1 }, { size: n }] }, [field]: field === 'float_val' ? t.data : new Uint8Array((t.data as Float32Array).buffer) };
    const bytes = Buffer.from(PredictRequest.encode({ model_spec: { name: 'mlp' }, inputs: { x: tensor } }).finish());
    const base = time(() => {
      const req = PredictRequest.decode(bytes) as unknown as { inputs: Record<string, TensorProtoMessage> };
      return decodeTensorProto(req.inputs['x'] ?? {}, 'x');
    });
    const mine = time(() => decodeTensorProtoBytes(readPredictRequest(bytes, ModelSpec).inputs!['x']!, 'x'));
    line(`decode request, ${n} ${field}`, base, mine);
  }
}
