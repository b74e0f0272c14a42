/**
 * Requests a test can hold in flight on purpose: the server has received the request's head (so the request is
 * in flight by any definition) but not all of its body, until the test calls `release()`. Used by the shutdown
 * and rolling-update tests to send a signal while requests are provably in flight, without timing guesses.
 * - REST: `Expect: 100-continue`; node:http answers `100 Continue` once it has parsed the head (`accepted`).
 * - gRPC: HEADERS plus half the length-prefixed message, then an HTTP/2 PING; frames are handled in order, so the
 *   PING's ack proves the server has seen the stream (`accepted`).
 */
import http from 'node:http';
import http2 from 'node:http2';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_ROOT, SERVICE_PROTO_FILES } from '../../src/api/grpc/protos.ts';
import { textAnswer } from './http-text.ts';

/** A request held in flight until `release()`. */
export interface HeldRequest<T> {
  /** Resolves once the server has the request (head received, body still missing). */
  readonly accepted: Promise<void>;
  /** Send the rest of the body. */
  release(): void;
  /** The answer once released (rejects on a transport error). */
  readonly answer: Promise<T>;
}

/** A REST POST of `body` to `path`, held after its head. */
export function heldRestPost(port: number, path: string, body: string): HeldRequest<{ status: number; body: string }> {
  let accept!: () => void;
  const accepted = new Promise<void>((resolve) => (accept = resolve));
  let req!: http.ClientRequest;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req = http.request({
      host: '127.0.0.1', port, method: 'POST', path, agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue' },
    }, (res) => {
      textAnswer(res).then(resolve, reject);
    });
    req.on('error', reject);
    req.on('continue', accept);
    req.flushHeaders();
  });
  answer.catch(() => accept());
  return { accepted, answer, release: () => req.end(body) };
}

const definition = protoLoader.loadSync([...SERVICE_PROTO_FILES], { includeDirs: [PROTO_ROOT], keepCase: true, longs: String, enums: String, defaults: true });
const predict = definition['tensorflow.serving.PredictionService'] as unknown as Record<'Predict', {
  requestSerialize(value: object): Buffer;
  responseDeserialize(bytes: Buffer): Record<string, unknown>;
}>;

/** A gRPC Predict held after half of its message; the answer is the decoded PredictResponse or the grpc-status. */
export function heldGrpcPredict(port: number, request: object): HeldRequest<{ grpcStatus: number; message?: string; response?: Record<string, unknown> }> {
  const message = predict.Predict.requestSerialize(request);
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  message.copy(frame, 5);
  const half = 5 + Math.floor(message.length / 2);
  const session = http2.connect(`http://127.0.0.1:${port}`);
  const stream = session.request({
    ':method': 'POST', ':path': '/tensorflow.serving.PredictionService/Predict', 'content-type': 'application/grpc', te: 'trailers',
  });
  stream.write(frame.subarray(0, half));
  const accepted = new Promise<void>((resolve, reject) => {
    session.once('error', reject);
    // A ping sent before the connection is up is cancelled: send it once connected (after the stream's frames).
    session.once('connect', () => setImmediate(() => session.ping((err) => (err ? reject(err) : resolve()))));
  });
  const answer = new Promise<{ grpcStatus: number; message?: string; response?: Record<string, unknown> }>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let headers: http2.IncomingHttpHeaders = {};
    stream.on('response', (h) => (headers = h));
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('trailers', (trailers) => (headers = { ...headers, ...trailers }));
    stream.on('error', reject);
    stream.on('close', () => {
      session.close();
      const grpcStatus = Number(headers['grpc-status'] ?? -1);
      const data = Buffer.concat(chunks);
      const messageText = headers['grpc-message'];
      resolve({
        grpcStatus,
        ...(typeof messageText === 'string' ? { message: decodeURIComponent(messageText) } : {}),
        ...(grpcStatus === 0 && data.length >= 5 ? { response: predict.Predict.responseDeserialize(data.subarray(5, 5 + data.readUInt32BE(1))) } : {}),
      });
    });
  });
  accepted.catch(() => undefined);
  return { accepted, answer, release: () => stream.end(frame.subarray(half)) };
}
