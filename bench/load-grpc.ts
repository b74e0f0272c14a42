/**
 * gRPC load (issue 4): TensorFlow Serving's `PredictionService/Predict` with requests encoded once from the project's
 * own protos (src/api/grpc/protos.ts), so the client's encode cost is not measured, just as autocannon sends a
 * prebuilt REST body. Closed loop: `concurrency` calls in flight on one connection (as a typical gRPC client uses);
 * responses are received as bytes and decoded only when checked.
 *
 * Two client transports: `grpc-js` (@grpc/grpc-js' generic Client, what a Node user would use) and `http2` (the
 * gRPC unary protocol spoken directly on node:http2: one POST stream per call with the 5-byte length prefix,
 * grpc-status read from the trailers). bench/grpc-probe.ts measured the grpc-js client at ~130–200 µs of CPU per
 * call against ~60 µs for a canned grpc-js server, so on 2 shared cores the grpc-js client, not the server, set the
 * ceiling; `http2` costs a fraction of that and is the bench default, so the numbers reflect the server.
 */
import http2 from 'node:http2';
import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { protoTypes } from '../src/api/grpc/protos.ts';
import { LatencyRecorder, percentile, type LoadResult } from './results.ts';

const PREDICT = '/tensorflow.serving.PredictionService/Predict';
const identity = (b: Buffer): Buffer => b;

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

/** Which client implementation sends the calls. */
export type GrpcClientTransport = 'grpc-js' | 'http2';

/** Options of PredictClient. */
export interface PredictClientOptions {
  /** Connections; calls go round-robin. Default 1. */
  readonly channels?: number;
  /** Client implementation. Default `http2` (the cheaper one; see the file comment). */
  readonly transport?: GrpcClientTransport;
}

/** One connection that can run a unary Predict with raw bytes. */
interface Channel {
  call(request: Buffer): Promise<Buffer>;
  close(): void;
}

/** A gRPC error from the http2 transport, shaped like grpc-js' ServiceError (numeric `code`, `details`). */
class GrpcCallError extends Error {
  constructor(readonly code: number, readonly details: string) {
    super(`${code} ${details}`);
  }
}

/** The 5-byte gRPC message prefix (uncompressed) followed by the message, cached per request buffer. */
const framedCache = new WeakMap<Buffer, Buffer>();
function framed(message: Buffer): Buffer {
  let f = framedCache.get(message);
  if (!f) {
    f = Buffer.allocUnsafe(5 + message.length);
    f[0] = 0;
    f.writeUInt32BE(message.length, 1);
    message.copy(f, 5);
    framedCache.set(message, f);
  }
  return f;
}

const REQUEST_HEADERS = {
  ':method': 'POST', ':path': '/tensorflow.serving.PredictionService/Predict', 'content-type': 'application/grpc', te: 'trailers',
};

/** gRPC unary over one node:http2 session (reconnects lazily when the session is gone). */
function http2Channel(address: string): Channel {
  let session: http2.ClientHttp2Session | undefined;
  const connect = (): http2.ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = http2.connect(`http://${address}`, { settings: { initialWindowSize: 2 ** 31 - 1 } });
    s.on('connect', () => s.setLocalWindowSize(2 ** 31 - 1));
    s.on('error', () => undefined); // surfaced per stream
    s.on('close', () => { if (session === s) session = undefined; });
    session = s;
    return s;
  };
  return {
    call(request) {
      return new Promise((resolve, reject) => {
        const stream = connect().request(REQUEST_HEADERS, { endStream: false });
        const chunks: Buffer[] = [];
        let status: number | undefined;
        let details = '';
        const onHeaders = (h: http2.IncomingHttpHeaders): void => {
          if (h['grpc-status'] !== undefined) {
            status = Number(h['grpc-status']);
            details = String(h['grpc-message'] ?? '');
          }
        };
        stream.on('response', onHeaders);
        stream.on('trailers', onHeaders);
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', (err: Error) => reject(new GrpcCallError(GrpcStatus.UNAVAILABLE, err.message)));
        stream.on('close', () => {
          if (status === undefined) return reject(new GrpcCallError(GrpcStatus.UNAVAILABLE, 'stream closed without grpc-status'));
          if (status !== 0) return reject(new GrpcCallError(status, decodeURIComponent(details)));
          const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
          if (body.length < 5 || body[0] !== 0) return reject(new GrpcCallError(GrpcStatus.INTERNAL, 'bad response framing'));
          resolve(body.subarray(5, 5 + body.readUInt32BE(1)));
        });
        stream.end(framed(request));
      });
    },
    close() {
      session?.close();
    },
  };
}

/** gRPC unary through @grpc/grpc-js' generic Client (its own subchannel pool, so channels are separate connections). */
function grpcJsChannel(address: string): Channel {
  const client = new Client(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': -1,
    'grpc.max_send_message_length': -1,
    'grpc.use_local_subchannel_pool': 1,
  });
  return {
    call(request) {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest<Buffer, Buffer>(PREDICT, identity, identity, request, new Metadata(), {}, (err: ServiceError | null, res?: Buffer) =>
          err || !res ? reject(err ?? new Error('empty response')) : resolve(res),
        );
      });
    },
    close() {
      client.close();
    },
  };
}


/** A Predict client on one or more connections; `close()` ends them. Requests and responses are raw bytes. */
export class PredictClient {
  readonly #channels: Channel[];
  #next = 0;
  /** The client implementation in use. */
  readonly transport: GrpcClientTransport;

  constructor(address: string, options: PredictClientOptions = {}) {
    this.transport = options.transport ?? 'http2';
    const make = this.transport === 'http2' ? http2Channel : grpcJsChannel;
    this.#channels = Array.from({ length: Math.max(1, options.channels ?? 1) }, () => make(address));
  }

  /** Number of connections. */
  get channels(): number {
    return this.#channels.length;
  }

  /** One Predict call with a pre-encoded request; resolves with the raw response bytes, rejects with a numeric `code`. */
  predict(request: Buffer): Promise<Buffer> {
    const channel = this.#channels[this.#next]!;
    this.#next = (this.#next + 1) % this.#channels.length;
    return channel.call(request);
  }

  /** Close every connection (in-flight calls fail). */
  close(): void {
    for (const c of this.#channels) c.close();
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
