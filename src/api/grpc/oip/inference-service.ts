/**
 * inference.GRPCInferenceService (proto/inference/grpc_service.proto): the Open Inference Protocol over gRPC, beside
 * TensorFlow Serving's services on the same port and over the same facade (api/oip/infer.ts). ModelInfer takes
 * typed `contents` or `raw_input_contents` (never both) and answers in the same form; FP16/BF16 outputs force the
 * raw form for the whole response, as the protocol has no typed field for them. The repository RPCs answer
 * UNIMPLEMENTED unless a ModelRepositoryApi is given (`--enable_model_management`).
 */
import { byteWidth, type DType } from '../../../core/dtype.ts';
import { InferdError } from '../../../core/errors.ts';
import type { ResponseEncoding } from '../../../core/limits.ts';
import type { ModelRepositoryApi } from '../../../server/repository-api.ts';
import type { ReadinessApi, ServingApi } from '../../../server/serving-api.ts';
import {
  oipExtensions, oipInfer, oipModelMetadata, oipModelReady, type OipInput, type OipParameter, type OipServerMetadata,
} from '../../oip/infer.ts';
import { decodeRaw, encodeRaw, rawTensorBytes } from '../../oip/raw.ts';
import { int64ToBigInt, type Int64Like } from '../protos.ts';
import type { CallNotes, UnaryImpl } from '../unary.ts';
import { contentsField, decodeContents, encodeContents, hasContents, type InferTensorContents } from './contents.ts';

/** InferParameter / ModelRepositoryParameter as decoded: one of its fields set, named by `parameter_choice`. */
interface ParameterMessage {
  parameter_choice?: string;
  bool_param?: boolean;
  int64_param?: Int64Like;
  string_param?: string;
  double_param?: number;
  uint64_param?: Int64Like;
  bytes_param?: Uint8Array;
}

interface InferInputMessage {
  name?: string;
  datatype?: string;
  shape?: Int64Like[];
  parameters?: Record<string, ParameterMessage>;
  contents?: InferTensorContents | null;
}

/** ModelInferRequest as decoded by protobufjs. */
export interface ModelInferRequestMessage {
  model_name?: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, ParameterMessage>;
  inputs?: InferInputMessage[];
  outputs?: { name?: string; parameters?: Record<string, ParameterMessage> }[];
  raw_input_contents?: Uint8Array[];
}

/** Options of the service. */
export interface InferenceServiceOptions {
  /** Server name and version for ServerMetadata. */
  readonly server: { readonly name: string; readonly version: string };
  /** ServerReady: true when every configured model can serve. Default: always true. Ignored when `readiness` is given. */
  readonly ready?: () => boolean;
  /** Readiness as the health endpoints report it (draining included) for ServerReady and ModelReady. */
  readonly readiness?: ReadinessApi;
  /** The repository extension's facade; absent = repository RPCs answer UNIMPLEMENTED. */
  readonly repository?: ModelRepositoryApi;
}

/** The method bodies, keyed by RPC name. */
export type InferenceServiceHandlers = Record<string, UnaryImpl<never, unknown>>;

function parameterValue(p: ParameterMessage): OipParameter | undefined {
  switch (p.parameter_choice) {
    case 'bool_param': return p.bool_param === true;
    case 'string_param': return p.string_param ?? '';
    case 'double_param': return p.double_param ?? 0;
    case 'int64_param': case 'uint64_param': {
      const v = int64ToBigInt(p[p.parameter_choice], p.parameter_choice === 'uint64_param');
      return Number.isSafeInteger(Number(v)) ? Number(v) : v;
    }
    case 'bytes_param': return Buffer.from(p.bytes_param ?? new Uint8Array()).toString('utf8');
    default: return undefined;
  }
}

function parametersOf(map: Record<string, ParameterMessage> | undefined): Record<string, OipParameter> {
  const out: Record<string, OipParameter> = {};
  for (const [key, p] of Object.entries(map ?? {})) {
    const v = parameterValue(p);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** Response sizes for the budget: raw_output_contents, or typed contents (a varint is at most 10 bytes). */
const RAW_RESPONSE: ResponseEncoding = { name: 'raw_output_contents', bytes: (name, t) => rawTensorBytes(t) + 3 * name.length + 64 };
const TYPED_RESPONSE: ResponseEncoding = {
  name: 'typed contents',
  bytes: (name, t) => {
    const width = byteWidth(t.dtype);
    const perElement = t.dtype === 'string' ? 6 : t.dtype.startsWith('float') || t.dtype === 'bool' ? (width ?? 1) : 10;
    return (t.dtype === 'string' ? rawTensorBytes(t) : 0) + t.data.length * perElement + 3 * name.length + 64;
  },
};

/** Whether a dtype can only travel as raw contents. */
function rawOnly(dtype: DType): boolean {
  return contentsField(dtype) === undefined;
}

const unimplementedRepository = () =>
  InferdError.unimplemented('The model repository extension is not enabled; start inferd with --enable_model_management');

/** Build the service's handlers over the facade. */
export function inferenceServiceHandlers(api: ServingApi, options: InferenceServiceOptions): InferenceServiceHandlers {
  const metadata: OipServerMetadata = {
    name: options.server.name, version: options.server.version, extensions: oipExtensions(options.repository !== undefined),
  };
  const repository = (): ModelRepositoryApi => {
    if (!options.repository) throw unimplementedRepository();
    return options.repository;
  };

  const modelInfer = async (req: ModelInferRequestMessage, signal: AbortSignal, notes: CallNotes): Promise<unknown> => {
    const raw = req.raw_input_contents ?? [];
    const messages = req.inputs ?? [];
    const useRaw = raw.length > 0;
    if (useRaw && raw.length !== messages.length) {
      throw InferdError.invalidArgument(`raw_input_contents has ${raw.length} entries, expecting one per input (${messages.length})`);
    }
    const inputs: OipInput[] = messages.map((m, i) => {
      const name = m.name ?? '';
      const datatype = m.datatype ?? '';
      if (useRaw && hasContents(m.contents)) throw InferdError.invalidArgument(`input '${name}' sets contents, but the request uses raw_input_contents (the protocol allows one form per request)`);
      const shape = (m.shape ?? []).map((d) => {
        const n = int64ToBigInt(d);
        return n < 0n || n > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(n);
      });
      const bytes = raw[i];
      return {
        name, datatype, shape,
        decode: bytes !== undefined
          ? (dtype, count) => decodeRaw(dtype, count, bytes, name)
          : (dtype, count) => decodeContents(m.contents, dtype, datatype, count, name),
      };
    });
    const outputs = (req.outputs ?? []).map((o) => o.name ?? '');
    const result = await oipInfer(api, {
      model: req.model_name ?? '',
      ...(req.model_version ? { version: req.model_version } : {}),
      inputs,
      ...(outputs.length > 0 ? { outputs } : {}),
      parameters: parametersOf(req.parameters),
      signal,
      responseEncoding: useRaw ? RAW_RESPONSE : TYPED_RESPONSE,
    });
    notes.version = Number(result.modelVersion);
    notes.signature = result.signatureName;
    if (result.run) notes.run = result.run;
    const answerRaw = useRaw || result.outputs.some((o) => rawOnly(o.tensor.dtype));
    return {
      model_name: result.modelName,
      model_version: result.modelVersion,
      id: req.id ?? '',
      outputs: result.outputs.map((o) => ({
        name: o.name,
        datatype: o.datatype,
        shape: o.tensor.shape,
        ...(answerRaw ? {} : { contents: encodeContents(o.tensor.dtype, o.tensor.data) }),
      })),
      ...(answerRaw ? { raw_output_contents: result.outputs.map((o) => encodeRaw(o.tensor.dtype, o.tensor.data)) } : {}),
    };
  };

  return {
    ServerLive: async () => ({ live: true }),
    ServerReady: async () => ({ ready: options.readiness ? options.readiness.isReady() : options.ready ? options.ready() : true }),
    ModelReady: async (req: { name?: string; version?: string }) => {
      const version = req.version ?? '';
      if (options.readiness && /^\d{0,15}$/.test(version)) {
        // A model the server never served is simply not ready (Triton answers the same).
        return { ready: options.readiness.isModelReady(req.name ?? '', version === '' ? undefined : Number(version)) ?? false };
      }
      try {
        return { ready: await oipModelReady(api, req.name ?? '', req.version || undefined) };
      } catch (err) {
        // A model the server never served is simply not ready (Triton answers the same).
        if (err instanceof InferdError && err.code === 'NOT_FOUND') return { ready: false };
        throw err;
      }
    },
    ServerMetadata: async () => metadata,
    ModelMetadata: async (req: { name?: string; version?: string }) => oipModelMetadata(api, req.name ?? '', req.version || undefined),
    ModelInfer: modelInfer as UnaryImpl<never, unknown>,
    RepositoryIndex: async (req: { ready?: boolean }) => ({
      models: repository().repositoryIndex()
        .filter((row) => req.ready !== true || row.state === 'READY')
        .map((row) => ({ name: row.name, version: row.version !== undefined ? String(row.version) : '', state: row.state, reason: row.reason })),
    }),
    RepositoryModelLoad: async (req: { model_name?: string; parameters?: Record<string, ParameterMessage> }) => {
      const repo = repository();
      const params = parametersOf(req.parameters);
      if (Object.keys(params).some((k) => k.startsWith('file:'))) {
        throw InferdError.unimplemented('Loading model files sent over gRPC is not supported; put the model under a base_path and pass parameters.config');
      }
      await repo.loadModel(req.model_name ?? '', params.config !== undefined ? { config: params.config } : {});
      return {};
    },
    RepositoryModelUnload: async (req: { model_name?: string }) => {
      await repository().unloadModel(req.model_name ?? '');
      return {};
    },
  };
}
