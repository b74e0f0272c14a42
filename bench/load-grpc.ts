/**
 * gRPC load (issue 4): TensorFlow Serving's `PredictionService/Predict` over @grpc/grpc-js with requests encoded
 * once from the project's own protos (src/api/grpc/protos.ts), so the client's encode cost is not measured, just as
 * autocannon sends a prebuilt REST body. Closed loop: `concurrency` calls in flight on one channel (one HTTP/2
 * connection, as a typical gRPC client uses); responses are received as bytes and decoded only when checked.
 */
import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { protoTypes } from '../src/api/grpc/protos.ts';
import { LatencyRecorder, percentile, type LoadResult } from './results.ts';

const PREDICT = '/tensorflow.serving.PredictionService/Predict';

/** How a float input is put in the TensorProto. */
export type FloatEncoding = 'float_val' | 'tensor_content';

/** Encode a PredictRequest for `model` with one float32 input `name` of `shape`. */
export function encodePredict(model: string, name: string, values: Float32Array, shape: readonly number[], encoding: FloatEncoding): Buffer {
  const { PredictRequest } = protoTypes();
  const tensor: Record<string, unknown> = { dtype: 'DT_FLOAT', tensor_shape: { dim: shape.map((size) => ({ size })) } };
  if (encoding === 'float_val') tensor['float_val'] = Array.from(values);
  else tensor['tensor_content'] = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return Buffer.from(PredictRequest.encode(PredictRequest.fromObject({ model_spec: { name: model }, inputs: { [name]: tensor } })).finish());
}

/** Decode a PredictResponse's output `name` as float32 (typed float_val or tensor_content). */
export function decodeFloatOutput(bytes: Buffer, name: string): Float32Array {
  const { PredictResponse } = protoTypes();
  const msg = PredictResponse.toObject(PredictResponse.decode(bytes), { defaults: false }) as { outputs?: Record<string, { float_val?: number[]; tensor_content?: Uint8Array }> };
  const out = msg.outputs?.[name];
  if (!out) throw new Error(`PredictResponse has no output "${name}"`);
  if (out.tensor_content && out.tensor_content.length > 0) return new Float32Array(Uint8Array.from(out.tensor_content).buffer);
  return Float32Array.from(out.float_val ?? []);
}

/** A Predict client on one channel; `close()` ends it. */
export class PredictClient {
  readonly #client: Client;

  constructor(address: string) {
    this.#client = new Client(address, credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    });
  }

  /** One Predict call with a pre-encoded request; resolves with the raw response bytes. */
  predict(request: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest<Buffer, Buffer>(PREDICT, (b) => b, (b) => b, request, new Metadata(), {}, (err: ServiceError | null, res?: Buffer) =>
        err || !res ? reject(err ?? new Error('empty response')) : resolve(res),
      );
    });
  }

  /** Close the channel (in-flight calls fail). */
  close(): void {
    this.#client.close();
  }
}

async function loop(client: PredictClient, request: Buffer, concurrency: number, seconds: number, recorder: LatencyRecorder | null): Promise<number> {
  const start = performance.now();
  const end = start + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        await client.predict(request);
        recorder?.ok(performance.now() - t0);
      } catch (err) {
        recorder?.error();
        if ((err as ServiceError).code === GrpcStatus.UNAVAILABLE) await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return (performance.now() - start) / 1000;
}

/** One gRPC load step: warm-up, then the measured window. */
export async function grpcLoad(contender: string, client: PredictClient, model: string, request: Buffer, concurrency: number, durationSec: number, warmupSec: number): Promise<LoadResult> {
  if (warmupSec > 0) await loop(client, request, concurrency, warmupSec, null);
  const recorder = new LatencyRecorder();
  const seconds = await loop(client, request, concurrency, durationSec, recorder);
  return recorder.result(contender, model, concurrency, seconds);
}

/** Result of the large-tensor round trip. */
export interface RoundTripResult {
  readonly megabytes: number;
  readonly calls: number;
  readonly p50: number;
  readonly p99: number;
  /** Request + response payload MB moved per second. */
  readonly mbPerSec: number;
}

/** Sequential round trips of one large request for `seconds` (at least 3 calls); the first (warm-up) is not counted. */
export async function roundTrip(client: PredictClient, request: Buffer, payloadBytes: number, seconds: number): Promise<RoundTripResult> {
  await client.predict(request);
  const latencies: number[] = [];
  const start = performance.now();
  while (latencies.length < 3 || performance.now() - start < seconds * 1000) {
    const t0 = performance.now();
    await client.predict(request);
    latencies.push(performance.now() - t0);
  }
  const sorted = Float64Array.from(latencies).sort();
  const elapsed = (performance.now() - start) / 1000;
  const mb = payloadBytes / (1024 * 1024);
  return { megabytes: mb, calls: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), mbPerSec: (2 * mb * sorted.length) / elapsed };
}
