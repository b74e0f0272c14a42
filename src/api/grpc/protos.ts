/**
 * Loads the project's own .proto files (proto/, the include root) with protobufjs and hands out the message types
 * the gRPC transport uses. Field names keep their proto spelling (`model_spec`, `tensor_content`), as in the wire
 * schema. The Root is built once per process and shared (it is immutable after resolveAll()).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { bigIntToInt64, int64ToBigInt, type Int64Like } from '../../core/int64.ts';

/** Absolute path of the proto/ include root (the folder holding `tensorflow/` and `tensorflow_serving/`). */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));

/** The entry .proto files of the services inferd serves over gRPC (paths relative to PROTO_ROOT). */
export const SERVICE_PROTO_FILES: readonly string[] = [
  'tensorflow_serving/apis/prediction_service.proto',
  'tensorflow_serving/apis/model_service.proto',
  'grpc/health/v1/health.proto',
  'inference/grpc_service.proto',
];

/** The message types the transport encodes and decodes. */
export interface ProtoTypes {
  readonly root: protobuf.Root;
  readonly PredictRequest: protobuf.Type;
  readonly PredictResponse: protobuf.Type;
  readonly ClassificationRequest: protobuf.Type;
  readonly ClassificationResponse: protobuf.Type;
  readonly RegressionRequest: protobuf.Type;
  readonly RegressionResponse: protobuf.Type;
  readonly MultiInferenceRequest: protobuf.Type;
  readonly MultiInferenceResponse: protobuf.Type;
  readonly GetModelMetadataRequest: protobuf.Type;
  readonly GetModelMetadataResponse: protobuf.Type;
  readonly SignatureDefMap: protobuf.Type;
  readonly GetModelStatusRequest: protobuf.Type;
  readonly GetModelStatusResponse: protobuf.Type;
  readonly ReloadConfigRequest: protobuf.Type;
  readonly ReloadConfigResponse: protobuf.Type;
  readonly HealthCheckRequest: protobuf.Type;
  readonly HealthCheckResponse: protobuf.Type;
  readonly TensorProto: protobuf.Type;
  readonly ModelSpec: protobuf.Type;
}

let cached: ProtoTypes | undefined;

/** A protobufjs Root over PROTO_ROOT; `google/protobuf/*` imports resolve to protobufjs' bundled well-known types. */
export function loadRoot(files: readonly string[] = SERVICE_PROTO_FILES): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin: string, target: string): string =>
    target.startsWith('google/protobuf/') ? target : path.join(PROTO_ROOT, target);
  root.loadSync([...files], { keepCase: true });
  root.resolveAll();
  return root;
}

/** The shared message types (loaded on first call). */
export function protoTypes(): ProtoTypes {
  if (cached) return cached;
  const root = loadRoot();
  const t = (name: string): protobuf.Type => root.lookupType(name);
  const s = (name: string): protobuf.Type => t(`tensorflow.serving.${name}`);
  cached = {
    root,
    PredictRequest: s('PredictRequest'),
    PredictResponse: s('PredictResponse'),
    ClassificationRequest: s('ClassificationRequest'),
    ClassificationResponse: s('ClassificationResponse'),
    RegressionRequest: s('RegressionRequest'),
    RegressionResponse: s('RegressionResponse'),
    MultiInferenceRequest: s('MultiInferenceRequest'),
    MultiInferenceResponse: s('MultiInferenceResponse'),
    GetModelMetadataRequest: s('GetModelMetadataRequest'),
    GetModelMetadataResponse: s('GetModelMetadataResponse'),
    SignatureDefMap: s('SignatureDefMap'),
    GetModelStatusRequest: s('GetModelStatusRequest'),
    GetModelStatusResponse: s('GetModelStatusResponse'),
    ReloadConfigRequest: s('ReloadConfigRequest'),
    ReloadConfigResponse: s('ReloadConfigResponse'),
    HealthCheckRequest: t('grpc.health.v1.HealthCheckRequest'),
    HealthCheckResponse: t('grpc.health.v1.HealthCheckResponse'),
    TensorProto: t('tensorflow.TensorProto'),
    ModelSpec: s('ModelSpec'),
  };
  return cached;
}

/** The 64-bit helpers live in core (core/int64.ts); re-exported for the gRPC handlers. */
export { bigIntToInt64, int64ToBigInt, type Int64Like };

/** Convert a decoded 64-bit field to a JS number (precision lost beyond 2^53; fine for versions). */
export function int64ToNumber(v: Int64Like | null | undefined): number {
  return Number(int64ToBigInt(v));
}

/** A decoded int64 version: a number when exactly representable (|v| ≤ 2^53), else the exact bigint. */
export function int64ToVersion(v: Int64Like | null | undefined): number | bigint {
  const b = int64ToBigInt(v);
  const n = Number(b);
  return Number.isSafeInteger(n) ? n : b;
}

