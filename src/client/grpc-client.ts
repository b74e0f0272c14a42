/**
 * The gRPC client: TensorFlow Serving's PredictionService (Predict, Classify, Regress, GetModelMetadata) and
 * ModelService (GetModelStatus) over @grpc/grpc-js, with typed-array tensors in and out (numbers travel as raw
 * little-endian `tensor_content`, int64 exact). One HTTP/2 channel per client; TLS and mutual TLS; bearer tokens in
 * the `authorization` metadata; deadlines; retries on UNAVAILABLE.
 */
import { Client, credentials, Metadata, type ServiceError, status as GrpcStatus } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { dtypeOfTfNumber } from '../core/dtype.ts';
import { codeName, InferdError } from '../core/errors.ts';
import { DEFAULT_SIGNATURE, type ModelMetadata, type Signature, type TensorSpec } from '../core/signature.ts';
import type { Tensor } from '../core/tensor.ts';
// The wire schema and TensorProto codec are the server's own (read-only use, as the load generator does).
import { protoTypes, type ProtoTypes } from '../api/grpc/protos.ts';
import { decodeShape, decodeTensorProto, encodeTensorProto, type TensorProtoMessage, type TensorShapeMessage } from '../core/tensor-proto.ts';
import { withRetries } from './errors.ts';
import type { CallOptions, ClassScore, ClientOptions, ExampleInput, FeatureValue, ModelRef, Outputs, PredictOptions } from './types.ts';

/** Options of GrpcClient. */
export interface GrpcClientOptions extends ClientOptions {
  /** `host:port` of the gRPC port. */
  readonly address: string;
  /** Use TLS (implied by `ca`, `cert` or `key`). Default false. */
  readonly tls?: boolean;
}

const PREDICTION = '/tensorflow.serving.PredictionService';
const MODEL = '/tensorflow.serving.ModelService';

interface TensorInfoMessage {
  name?: string;
  dtype?: number;
  tensor_shape?: TensorShapeMessage | null;
}

/** A client of one inferd (or TensorFlow Serving) gRPC port. Call close() when done. */
export class GrpcClient {
  readonly #client: Client;
  readonly #options: ClientOptions;
  readonly #types: ProtoTypes;

  /** Create a client; the channel connects on the first call. */
  constructor(options: GrpcClientOptions) {
    const secure = options.tls === true || options.ca !== undefined || options.cert !== undefined;
    const creds = secure
      ? credentials.createSsl(
        options.ca ? Buffer.from(options.ca) : null,
        options.key ? Buffer.from(options.key) : null,
        options.cert ? Buffer.from(options.cert) : null,
      )
      : credentials.createInsecure();
    this.#client = new Client(options.address, creds, { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 });
    this.#options = options;
    this.#types = protoTypes();
  }

  /** Predict; outputs are tensors of the dtypes the server sends. */
  async predict(model: string, inputs: Readonly<Record<string, Tensor>>, options: PredictOptions = {}): Promise<Outputs> {
    const request = {
      model_spec: this.#spec(model, options),
      inputs: Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, encodeTensorProto(t, { tensorContent: true })])),
      output_filter: [...(options.outputFilter ?? [])],
    };
    const res = await this.#call<{ outputs?: Record<string, TensorProtoMessage> }>(PREDICTION, 'Predict', this.#types.PredictRequest, this.#types.PredictResponse, request, options);
    return Object.fromEntries(Object.entries(res.outputs ?? {}).map(([alias, proto]) => [alias, decodeTensorProto(proto, alias)]));
  }

  /** Classify tf.Examples: per example, its classes with scores. */
  async classify(model: string, examples: readonly ExampleInput[], options: CallOptions = {}): Promise<ClassScore[][]> {
    const res = await this.#call<{ result?: { classifications?: { classes?: { label?: string; score?: number }[] }[] } }>(
      PREDICTION, 'Classify', this.#types.ClassificationRequest, this.#types.ClassificationResponse, this.#examplesRequest(model, examples, options), options);
    return (res.result?.classifications ?? []).map((c) => (c.classes ?? []).map((k) => ({ label: k.label ?? '', score: k.score ?? 0 })));
  }

  /** Regress tf.Examples: one value per example. */
  async regress(model: string, examples: readonly ExampleInput[], options: CallOptions = {}): Promise<number[]> {
    const res = await this.#call<{ result?: { regressions?: { value?: number }[] } }>(
      PREDICTION, 'Regress', this.#types.RegressionRequest, this.#types.RegressionResponse, this.#examplesRequest(model, examples, options), options);
    return (res.result?.regressions ?? []).map((r) => r.value ?? 0);
  }

  /** The model version's signatures. */
  async metadata(model: string, options: CallOptions = {}): Promise<ModelMetadata> {
    const res = await this.#call<{ metadata?: Record<string, { value?: Uint8Array }> }>(PREDICTION, 'GetModelMetadata',
      this.#types.GetModelMetadataRequest, this.#types.GetModelMetadataResponse,
      { model_spec: this.#spec(model, options), metadata_field: ['signature_def'] }, options);
    const packed = res.metadata?.['signature_def']?.value ?? new Uint8Array(0);
    const map = this.#types.SignatureDefMap.toObject(this.#types.SignatureDefMap.decode(packed), { longs: Number }) as {
      signature_def?: Record<string, { inputs?: Record<string, TensorInfoMessage>; outputs?: Record<string, TensorInfoMessage>; method_name?: string }>;
    };
    const signatures: Record<string, Signature> = {};
    for (const [key, def] of Object.entries(map.signature_def ?? {})) {
      const specs = (m: Record<string, TensorInfoMessage> | undefined): Record<string, TensorSpec> =>
        Object.fromEntries(Object.entries(m ?? {}).map(([alias, info]) => {
          const shape = info.tensor_shape?.unknown_rank ? null : decodeShape(info.tensor_shape);
          return [alias, { name: info.name ?? '', dtype: dtypeOfTfNumber(info.dtype ?? 1) ?? 'float32', ...(shape === undefined ? {} : { shape }) }];
        }));
      signatures[key] = { inputs: specs(def.inputs), outputs: specs(def.outputs), methodName: def.method_name ?? '' };
    }
    return { signatures };
  }

  /** GetModelStatus (versions with their states), as the protobuf object with proto field names. */
  async status(model: string, options: ModelRef & Pick<CallOptions, 'timeoutMs' | 'signal'> = {}): Promise<unknown> {
    const spec: Record<string, unknown> = { name: model };
    if (options.version !== undefined) spec['version'] = { value: options.version };
    if (options.label !== undefined) spec['version_label'] = options.label;
    return this.#call(MODEL, 'GetModelStatus', this.#types.GetModelStatusRequest, this.#types.GetModelStatusResponse, { model_spec: spec }, options);
  }

  /** Close the channel. */
  async close(): Promise<void> {
    this.#client.close();
  }

  #spec(model: string, options: CallOptions): Record<string, unknown> {
    const spec: Record<string, unknown> = { name: model, signature_name: options.signatureName ?? DEFAULT_SIGNATURE };
    if (options.version !== undefined) spec['version'] = { value: options.version };
    if (options.label !== undefined) spec['version_label'] = options.label;
    return spec;
  }

  #examplesRequest(model: string, examples: readonly ExampleInput[], options: CallOptions): Record<string, unknown> {
    return { model_spec: this.#spec(model, options), input: { example_list: { examples: examples.map(exampleMessage) } } };
  }

  #call<T>(service: string, method: string, requestType: protobuf.Type, responseType: protobuf.Type, request: Record<string, unknown>,
    options: Pick<CallOptions, 'timeoutMs' | 'signal'>): Promise<T> {
    const bytes = Buffer.from(requestType.encode(requestType.fromObject(request)).finish());
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs ?? 30_000;
    const attempt = (): Promise<T> => new Promise<T>((resolve, reject) => {
      const metadata = new Metadata();
      if (this.#options.token) metadata.set('authorization', `Bearer ${this.#options.token}`);
      const call = this.#client.makeUnaryRequest<Buffer, Buffer>(`${service}/${method}`, (b) => b, (b) => b, bytes, metadata,
        { deadline: Date.now() + timeoutMs },
        (err: ServiceError | null, res?: Buffer) => {
          options.signal?.removeEventListener('abort', cancel);
          if (err || res === undefined) {
            reject(new InferdError(err ? codeNameOf(err.code) : 'INTERNAL', err?.details || err?.message || 'empty answer'));
            return;
          }
          resolve(responseType.toObject(responseType.decode(res), { longs: String, defaults: false }) as T);
        });
      const cancel = (): void => call.cancel();
      options.signal?.addEventListener('abort', cancel, { once: true });
    });
    return withRetries(attempt, this.#options.retries ?? 2, this.#options.retryDelayMs ?? 100, options.signal);
  }
}

function codeNameOf(code: GrpcStatus): Exclude<ReturnType<typeof codeName>, 'OK'> {
  const name = codeName(code);
  return name === 'OK' ? 'UNKNOWN' : name;
}

/** A plain feature object as a tf.Example message (proto field names). */
function exampleMessage(example: ExampleInput): Record<string, unknown> {
  const feature: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(example)) {
    const values = (Array.isArray(raw) ? raw : [raw]) as readonly FeatureValue[];
    const first = values[0];
    if (typeof first === 'bigint') feature[name] = { int64_list: { value: values.map((v) => String(v)) } };
    else if (typeof first === 'number') feature[name] = { float_list: { value: values } };
    else feature[name] = { bytes_list: { value: values.map((v) => (typeof v === 'string' ? Buffer.from(v) : v)) } };
  }
  return { features: { feature } };
}
