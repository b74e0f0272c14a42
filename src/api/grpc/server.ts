/**
 * The gRPC transport: TensorFlow Serving's PredictionService and ModelService over @grpc/grpc-js, plus optional
 * grpc.health.v1.Health and server reflection (v1 and v1alpha, via @grpc/reflection). Messages are encoded and
 * decoded with protobufjs from the project's own .proto files (protos.ts), except Predict's request and response,
 * which predict-wire.ts reads and writes by hand (tensor values straight between the wire and typed arrays).
 * Stateless apart from the listener.
 */
import {
  Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation, type ChannelOptions,
} from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import type protobuf from 'protobufjs';
import type { Server as NetServer } from 'node:net';
import { InferdError } from '../../core/errors.ts';
import { guardConnections, type ConnectionCaps } from '../connection-guard.ts';
import type { RequestRecorder } from '../../core/request-outcome.ts';
import type { ServingApi } from '../../server/serving-api.ts';
import { healthService } from './health.ts';
import { inferenceServiceHandlers, type InferenceServiceOptions } from './oip/inference-service.ts';
import { modelServiceHandlers, type ReloadConfigCallback } from './model-service.ts';
import { readPredictRequest } from './predict-wire.ts';
import { predictionHandlers } from './prediction-service.ts';
import { PROTO_ROOT, SERVICE_PROTO_FILES, protoTypes } from './protos.ts';
import { authInterceptor, RotatingServerCredentials, type DeniedCall, type GrpcTlsOptions } from './security.ts';
import { unary, type UnaryImpl } from './unary.ts';
import type { AccessCheck } from '../../server/security/tokens.ts';
import { rememberWireSize } from './wire-size.ts';

/** Options of startGrpcServer; each default is beside its field. */
export interface GrpcServerOptions {
  /** TCP port (`--port`). Default 8500; 0 = an ephemeral port (read it from the result). */
  readonly port?: number;
  /** Interface to bind. Default `0.0.0.0`; tests use `127.0.0.1`. */
  readonly host?: string;
  /** Also listen on `unix:<socketPath>` (`--grpc_socket_path`). Default none. */
  readonly socketPath?: string;
  /** Serve grpc.health.v1.Health (`--enable_grpc_healthcheck_service`). Default false. */
  readonly enableHealthCheck?: boolean;
  /** Health of the empty service name: the server's readiness (every configured model AVAILABLE, not draining). Default: always true. */
  readonly allModelsAvailable?: () => boolean;
  /** Encode output tensors as tensor_content (`--enable_serialization_as_tensor_content`). Default false. */
  readonly tensorContent?: boolean;
  /** Extra grpc-js channel options (`--grpc_channel_arguments`, see parseChannelArguments); override the defaults. */
  readonly channelArguments?: Readonly<Record<string, string | number>>;
  /** Serve grpc.reflection (v1, v1alpha) so tools like grpcurl can list the API. Default true. */
  readonly enableReflection?: boolean;
  /** Connection caps per port and per client address (`--max_connections`, `--max_connections_per_client`). Defaults: connection-guard.ts. */
  readonly connectionCaps?: ConnectionCaps;
  /** Where PredictionService, ModelService and GRPCInferenceService calls are reported (metrics, access log, live stats). Default: nowhere. */
  readonly recorder?: RequestRecorder;
  /** Applies HandleReloadConfigRequest; absent → that RPC answers UNIMPLEMENTED. */
  readonly reloadConfig?: ReloadConfigCallback;
  /** Serve TLS (`--ssl_config_file`) on the TCP port and the socket. Default: insecure, as TF Serving without the flag. */
  readonly tls?: GrpcTlsOptions;
  /** Authenticate every call (security.ts); absent = authentication off. */
  readonly access?: AccessCheck;
  /** Called for every call refused by `access` (logging). */
  readonly onDenied?: (denied: DeniedCall) => void;
  /**
   * inference.GRPCInferenceService (Open Inference Protocol): server name/version and the repository API (absent →
   * repository RPCs answer UNIMPLEMENTED). ServerReady follows `allModelsAvailable`. Default: name `inferd`, no repository.
   */
  readonly inference?: Omit<InferenceServiceOptions, 'ready'>;
}

/** A running gRPC server. */
export interface GrpcServer {
  /** The bound TCP port (useful with port 0). */
  readonly port: number;
  /** Replace the TLS key and certificates for new connections (rotation); a no-op without TLS. */
  setTls(tls: GrpcTlsOptions): void;
  /** Stop accepting calls, end health watches, wait for in-flight calls (force after `graceMs`, default 5000). Idempotent. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Server options: TensorFlow Serving's message size limits (INT32_MAX both ways; `inferd serve` lowers the receive
 * limit to fit --max_request_tensor_bytes), channelz off — grpc-js tracks every call and stream for channelz by
 * default (a per-call cost; inferd serves no channelz service) — and connection lifetimes (docs/operations.md
 * "Limits and timeouts"): a connection without calls closes after 5 minutes (the client reconnects when it needs
 * to), and the server pings every minute, closing a connection whose peer does not answer within 20 s. All can be
 * overridden with `--grpc_channel_arguments`.
 */
export const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = {
  'grpc.max_receive_message_length': 2 ** 31 - 1,
  'grpc.max_send_message_length': 2 ** 31 - 1,
  'grpc.enable_channelz': 0,
  'grpc.max_connection_idle_ms': 300_000,
  'grpc.keepalive_time_ms': 60_000,
  'grpc.keepalive_timeout_ms': 20_000,
};

/**
 * Parse `--grpc_channel_arguments` (`key=value,key=value`): integer values become numbers, others stay strings.
 * Throws INVALID_ARGUMENT on an item without `=`.
 */
export function parseChannelArguments(text: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw InferdError.invalidArgument(`Invalid gRPC channel argument (expected key=value): ${item}`);
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    out[key] = /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return out;
}

/** The encoder's output as a Buffer without copying (protobufjs already returns a Buffer under Node). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * A grpc-js service definition for a protobufjs service: paths `/<package>.<Service>/<Method>`. `deserializers`
 * replaces protobufjs' request decoding per method name (Predict's hand-written reader). A handler may answer with
 * ready-encoded bytes (a Uint8Array), which are sent as they are; any other response object is encoded by protobufjs.
 */
export function serviceDefinition(
  root: protobuf.Root,
  serviceName: string,
  deserializers: Readonly<Record<string, (bytes: Buffer) => unknown>> = {},
): ServiceDefinition {
  const service = root.lookupService(serviceName);
  const def: Record<string, ServiceDefinition[string]> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const req = method.resolvedRequestType;
    const res = method.resolvedResponseType;
    if (!req || !res) throw InferdError.internal(`unresolved types of ${serviceName}.${method.name}`);
    def[method.name] = {
      path: `/${serviceName}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (m: object) => asBuffer(req.encode(m).finish()),
      requestDeserialize: sized(tolerant(deserializers[method.name] ?? ((b: Buffer) => req.decode(b)))),
      responseSerialize: (m: object) => {
        if (m instanceof Uint8Array) return asBuffer(m);
        const bytes = asBuffer(res.encode(m).finish());
        rememberWireSize(m, bytes.byteLength);
        return bytes;
      },
      responseDeserialize: (b: Buffer) => res.decode(b),
      originalName: method.name,
    };
  }
  return def as ServiceDefinition;
}

/** A request whose bytes did not parse; the handler answers INVALID_ARGUMENT instead of grpc-js' INTERNAL. */
class MalformedRequest {
  constructor(readonly reason: string) {}
}

/** A deserializer that never throws: malformed bytes become a MalformedRequest for the handler to refuse. */
function tolerant(deserialize: (bytes: Buffer) => unknown): (bytes: Buffer) => unknown {
  return (bytes) => {
    try {
      return deserialize(bytes);
    } catch (err) {
      return new MalformedRequest(err instanceof Error ? err.message : String(err));
    }
  };
}

/** A deserializer that remembers each decoded message's wire size (wire-size.ts). */
function sized(decode: (bytes: Buffer) => unknown): (bytes: Buffer) => unknown {
  return (bytes) => {
    const message = decode(bytes);
    rememberWireSize(message, bytes.byteLength);
    return message;
  };
}

/** RPCs that run a model (TF Serving's request metrics); the others are metadata calls. */
const INFERENCE_RPCS = new Set(['Predict', 'Classify', 'Regress', 'MultiInference', 'ModelInfer']);

/**
 * The model an inference.GRPCInferenceService request names: `model_name` (ModelInfer, repository load/unload) or
 * `name` (ModelReady, ModelMetadata).
 */
function oipModelOf(request: unknown): string | undefined {
  const r = request as { model_name?: string; name?: string } | null;
  return r?.model_name || r?.name || undefined;
}

function handlersOf(
  impls: Readonly<Record<string, UnaryImpl<never, unknown>>>,
  recorder?: RequestRecorder,
  modelOf?: (request: unknown) => string | undefined,
): UntypedServiceImplementation {
  return Object.fromEntries(Object.entries(impls).map(([k, impl]) => [
    k,
    unary((request: unknown, signal, notes) =>
      request instanceof MalformedRequest
        ? Promise.reject(InferdError.invalidArgument(`Failed to parse request: ${request.reason}`))
        : impl(request as never, signal, notes),
    recorder ? { recorder, api: k, kind: INFERENCE_RPCS.has(k) ? 'inference' : 'metadata', ...(modelOf ? { modelOf } : {}) } : undefined),
  ])) as UntypedServiceImplementation;
}

function address(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

function bind(server: Server, addr: string, credentials: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(addr, credentials, (err, port) => {
      if (err) reject(InferdError.unavailable(`Failed to bind gRPC server to ${addr}: ${err.message}`));
      else resolve(port);
    });
  });
}

/**
 * Apply the connection caps to every listener grpc-js created. grpc-js has no public option for them; its listeners
 * are the `http2Servers` map's keys (grpc-js 1.x), so this reaches into that one field and fails loudly if it is gone
 * (the e2e connection-cap test covers it).
 */
function guardGrpcConnections(server: Server, caps: ConnectionCaps): void {
  const listeners = (server as unknown as { http2Servers?: Map<NetServer, unknown> }).http2Servers;
  if (!(listeners instanceof Map)) throw InferdError.internal('grpc-js internals changed: cannot apply connection caps');
  for (const listener of listeners.keys()) guardConnections(listener, caps);
}

let reflectionPackage: protoLoader.PackageDefinition | undefined;

/** Start the gRPC server over a facade. Resolves once bound. */
export async function startGrpcServer(api: ServingApi, options: GrpcServerOptions = {}): Promise<GrpcServer> {
  const types = protoTypes();
  const server = new Server({
    ...DEFAULT_CHANNEL_OPTIONS, ...options.channelArguments,
    ...(options.access ? { interceptors: [authInterceptor(options.access, options.onDenied)] } : {}),
  });
  const tlsCredentials = options.tls ? new RotatingServerCredentials(options.tls) : undefined;
  const credentials = tlsCredentials ?? ServerCredentials.createInsecure();
  server.addService(
    serviceDefinition(types.root, 'tensorflow.serving.PredictionService', {
      Predict: (bytes) => readPredictRequest(bytes, types.ModelSpec),
    }),
    handlersOf(predictionHandlers(api, types, { tensorContent: options.tensorContent ?? false }), options.recorder),
  );
  server.addService(
    serviceDefinition(types.root, 'tensorflow.serving.ModelService'),
    handlersOf(modelServiceHandlers(api, types, options.reloadConfig), options.recorder),
  );
  server.addService(
    serviceDefinition(types.root, 'inference.GRPCInferenceService'),
    handlersOf(inferenceServiceHandlers(api, {
      server: { name: 'inferd', version: '' },
      ...options.inference,
      ...(options.allModelsAvailable ? { ready: options.allModelsAvailable } : {}),
    }), options.recorder, oipModelOf),
  );
  const health = options.enableHealthCheck ? healthService(options.allModelsAvailable) : undefined;
  if (health) {
    server.addService(serviceDefinition(types.root, 'grpc.health.v1.Health'), {
      Check: health.Check, Watch: health.Watch,
    } as UntypedServiceImplementation);
  }
  if (options.enableReflection ?? true) {
    reflectionPackage ??= protoLoader.loadSync([...SERVICE_PROTO_FILES], { includeDirs: [PROTO_ROOT], keepCase: true });
    const services = ['tensorflow.serving.PredictionService', 'tensorflow.serving.ModelService', 'inference.GRPCInferenceService'];
    if (health) services.push('grpc.health.v1.Health');
    new ReflectionService(reflectionPackage, { services }).addToServer(server);
  }
  let port: number;
  try {
    port = await bind(server, address(options.host ?? '0.0.0.0', options.port ?? 8500), credentials);
    if (options.socketPath) await bind(server, `unix:${options.socketPath}`, credentials);
  } catch (err) {
    server.forceShutdown();
    throw err;
  }
  guardGrpcConnections(server, options.connectionCaps ?? {});
  let closing: Promise<void> | undefined;
  return {
    port,
    setTls(tls) {
      tlsCredentials?.update(tls);
    },
    close(graceMs = 5000) {
      closing ??= new Promise<void>((resolve) => {
        health?.close();
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return closing;
    },
  };
}
