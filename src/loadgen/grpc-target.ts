/**
 * gRPC target: TensorFlow Serving's `PredictionService/Predict` and `GetModelMetadata` over @grpc/grpc-js on one
 * channel (one HTTP/2 connection, as a typical client uses). Requests are encoded once with the project's own
 * protos (src/api/grpc/protos.ts, read-only use) and sent as bytes; responses are not decoded.
 */
import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { protoTypes } from '../api/grpc/protos.ts';
import type { RequestTensor, SignatureDefLike } from './inputs.ts';
import { tensorProtoObject } from './encode.ts';
import type { ModelRef, Outcome, Target } from './target.ts';

const SERVICE = '/tensorflow.serving.PredictionService';

/** Options of GrpcTarget.create. */
export interface GrpcTargetOptions {
  /** `host:port`. */
  readonly address: string;
  readonly model: ModelRef;
  /** Per-call deadline, ms. Default 30000. */
  readonly timeoutMs?: number;
}

const identity = (b: Buffer): Buffer => b;
const statusName = (code: number): string => (GrpcStatus as unknown as Record<number, string>)[code] ?? String(code);

/** A gRPC target; set the request with `setRequest` before sending. */
export class GrpcTarget implements Target {
  readonly description: string;
  readonly #client: Client;
  readonly #model: ModelRef;
  readonly #timeoutMs: number;
  #request: Buffer = Buffer.alloc(0);

  private constructor(options: GrpcTargetOptions) {
    this.#client = new Client(options.address, credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    });
    this.#model = options.model;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.description = `gRPC ${options.address} model ${options.model.name}${options.model.version === undefined ? '' : ` version ${options.model.version}`}`;
  }

  /** Create a target (the channel connects lazily). */
  static async create(options: GrpcTargetOptions): Promise<GrpcTarget> {
    return new GrpcTarget(options);
  }

  #modelSpec(signatureName?: string): Record<string, unknown> {
    const spec: Record<string, unknown> = { name: this.#model.name };
    if (this.#model.version !== undefined) spec['version'] = { value: this.#model.version };
    if (signatureName) spec['signature_name'] = signatureName;
    return spec;
  }

  #call(method: string, request: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest<Buffer, Buffer>(`${SERVICE}/${method}`, identity, identity, request, new Metadata(), { deadline: Date.now() + this.#timeoutMs },
        (err: ServiceError | null, res?: Buffer) => (err || !res ? reject(err ?? new Error('empty response')) : resolve(res)));
    });
  }

  /** Encode the PredictRequest sent by every `send` (`tensorContent`: numeric inputs as tensor_content bytes). */
  setRequest(tensors: readonly RequestTensor[], signatureName: string | undefined, tensorContent: boolean): void {
    const { PredictRequest } = protoTypes();
    const inputs = Object.fromEntries(tensors.map((t) => [t.alias, tensorProtoObject(t, tensorContent)]));
    this.#request = Buffer.from(PredictRequest.encode(PredictRequest.fromObject({ model_spec: this.#modelSpec(signatureName), inputs })).finish());
  }

  /** Size of the encoded request, bytes. */
  get requestBytes(): number {
    return this.#request.length;
  }

  async signatureDefs(): Promise<Record<string, SignatureDefLike>> {
    const { GetModelMetadataRequest, GetModelMetadataResponse, SignatureDefMap } = protoTypes();
    const req = Buffer.from(GetModelMetadataRequest.encode(GetModelMetadataRequest.fromObject({ model_spec: this.#modelSpec(), metadata_field: ['signature_def'] })).finish());
    let res: Buffer;
    try {
      res = await this.#call('GetModelMetadata', req);
    } catch (err) {
      const e = err as ServiceError;
      throw new Error(`GetModelMetadata failed: ${e.code === undefined ? '' : `${statusName(e.code)}: `}${e.details ?? e.message}`);
    }
    const decoded = GetModelMetadataResponse.decode(res) as unknown as { metadata?: Record<string, { value?: Uint8Array }> };
    const any = decoded.metadata?.['signature_def'];
    if (!any?.value) throw new Error('GetModelMetadata response has no signature_def');
    const map = SignatureDefMap.toObject(SignatureDefMap.decode(any.value), { enums: String, longs: String }) as { signature_def?: Record<string, SignatureDefLike> };
    return map.signature_def ?? {};
  }

  send(): Promise<Outcome> {
    return new Promise((resolve) => {
      this.#client.makeUnaryRequest<Buffer, Buffer>(`${SERVICE}/Predict`, identity, identity, this.#request, new Metadata(), { deadline: Date.now() + this.#timeoutMs },
        (err: ServiceError | null) => resolve(err ? (err.code === undefined ? 'error' : statusName(err.code)) : null));
    });
  }

  async close(): Promise<void> {
    this.#client.close();
  }
}
