/**
 * A test client for the gRPC API built the way an outside user would: @grpc/proto-loader over the project's .proto
 * files (a different encode/decode path from the server's protobufjs serializers), promisified unary calls.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_ROOT, SERVICE_PROTO_FILES } from '../../../src/api/grpc/protos.ts';

/** The decoded messages are loose objects (proto field names, int64 as strings, enums as names). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Msg = Record<string, any>;

/** A gRPC error as the client sees it. */
export interface CallError extends Error {
  code: grpc.status;
  details: string;
}

/** Unary call with an optional deadline (ms from now). */
export type Unary = (request: Msg, options?: { deadlineMs?: number }) => Promise<Msg>;

/** Clients of the three services on one channel. */
export interface TestClients {
  readonly prediction: Record<'Predict' | 'Classify' | 'Regress' | 'MultiInference' | 'GetModelMetadata', Unary> & { readonly raw: grpc.Client };
  readonly model: Record<'GetModelStatus' | 'HandleReloadConfigRequest', Unary>;
  readonly health: Record<'Check', Unary> & { readonly raw: grpc.Client };
  close(): void;
}

const definition = protoLoader.loadSync([...SERVICE_PROTO_FILES], {
  includeDirs: [PROTO_ROOT], keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const pkg = grpc.loadPackageDefinition(definition) as any;

function promisify(client: grpc.Client, name: string): Unary {
  return (request, options = {}) =>
    new Promise((resolve, reject) => {
      const callOptions: grpc.CallOptions = options.deadlineMs !== undefined ? { deadline: Date.now() + options.deadlineMs } : {};
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      (client as any)[name](request, callOptions, (err: CallError | null, res: Msg) => (err ? reject(err) : resolve(res)));
    });
}

/** Connect to `127.0.0.1:<port>` (or a `unix:` address); plaintext unless `credentials` are given (TLS, tokens). */
export function connect(target: number | string, credentials?: grpc.ChannelCredentials): TestClients {
  const address = typeof target === 'number' ? `127.0.0.1:${target}` : target;
  const creds = credentials ?? grpc.credentials.createInsecure();
  const opts = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 };
  const p = new pkg.tensorflow.serving.PredictionService(address, creds, opts) as grpc.Client;
  const m = new pkg.tensorflow.serving.ModelService(address, creds, opts) as grpc.Client;
  const h = new pkg.grpc.health.v1.Health(address, creds, opts) as grpc.Client;
  const wrap = <K extends string>(c: grpc.Client, names: readonly K[]): Record<K, Unary> =>
    Object.fromEntries(names.map((n) => [n, promisify(c, n)])) as Record<K, Unary>;
  return {
    prediction: { ...wrap(p, ['Predict', 'Classify', 'Regress', 'MultiInference', 'GetModelMetadata'] as const), raw: p },
    model: wrap(m, ['GetModelStatus', 'HandleReloadConfigRequest'] as const),
    health: { ...wrap(h, ['Check'] as const), raw: h },
    close() {
      p.close();
      m.close();
      h.close();
    },
  };
}

/** Expect a call to fail with `code` and (if given) a message matching `message` exactly (string) or by RegExp. */
export async function expectError(promise: Promise<unknown>, code: grpc.status, message?: string | RegExp): Promise<CallError> {
  try {
    await promise;
  } catch (e) {
    const err = e as CallError;
    if (err.code !== code) throw new Error(`expected code ${grpc.status[code]} but got ${grpc.status[err.code]}: ${err.details}`);
    if (typeof message === 'string' && err.details !== message) throw new Error(`expected message ${JSON.stringify(message)} but got ${JSON.stringify(err.details)}`);
    if (message instanceof RegExp && !message.test(err.details)) throw new Error(`expected message ${message} but got ${JSON.stringify(err.details)}`);
    return err;
  }
  throw new Error(`expected ${grpc.status[code]} but the call succeeded`);
}

/** A float TensorProto (client-side plain object) with a shape. */
export function floatTensor(values: number[], shape: number[]): Msg {
  return { dtype: 'DT_FLOAT', tensor_shape: { dim: shape.map((size) => ({ size })) }, float_val: values };
}

/** The floats of a response TensorProto, from float_val or tensor_content. */
export function floatsOf(t: Msg): number[] {
  const content = t.tensor_content as Buffer | undefined;
  if (content && content.length > 0) {
    const copy = Uint8Array.from(content);
    return Array.from(new Float32Array(copy.buffer));
  }
  return (t.float_val as number[]).map(Number);
}
