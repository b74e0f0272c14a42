/**
 * Shared fixtures of the Open Inference Protocol tests: an ONNX model with one Identity per OIP datatype that ONNX
 * Runtime carries (inputs `x_<DATATYPE>`, outputs `y_<DATATYPE>`, shape [batch, 2]), sample values per datatype,
 * and an in-process ModelServer over the real ONNX runtime with the REST (OIP plugin) and gRPC transports.
 * The official open_inference_grpc.proto beside this file is kserve/open-inference-protocol's, unmodified
 * (commit d49cc23f89d709d87b210ef9449e273ae243984e, Apache-2.0): the independent clients are generated from it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { DType } from '../../src/core/dtype.ts';
import { startGrpcServer, type GrpcServer } from '../../src/api/grpc/server.ts';
import { managementPlugin } from '../../src/api/rest/management.ts';
import { oipRestPlugin } from '../../src/api/rest/oip/routes.ts';
import { buildRestApp } from '../../src/api/rest/server.ts';
import { OnnxRuntime } from '../../src/runtimes/onnx/index.ts';
import { ModelServer } from '../../src/server/model-server.ts';
import { halfPlusTwo, ONNX_MODEL_FILE, twoInTwoOut } from '../support/models.ts';
import { writeModel } from '../support/onnx-builder.ts';

/** The official OIP proto (client side only). */
export const OFFICIAL_PROTO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'open_inference_grpc.proto');

/** OIP datatype → core dtype, for every datatype the `every` model carries (BF16 has no ONNX Runtime tensor). */
export const DATATYPES: Readonly<Record<string, DType>> = {
  BOOL: 'bool', UINT8: 'uint8', UINT16: 'uint16', UINT32: 'uint32', UINT64: 'uint64', INT8: 'int8', INT16: 'int16',
  INT32: 'int32', INT64: 'int64', FP16: 'float16', FP32: 'float32', FP64: 'float64', BYTES: 'string',
};

/** Four sample elements per datatype, as JSON values (extremes of each integer range, exact int64 included). */
export const SAMPLES: Readonly<Record<string, readonly (number | boolean | string)[]>> = {
  BOOL: [true, false, false, true],
  UINT8: [0, 1, 254, 255],
  UINT16: [0, 1, 65534, 65535],
  UINT32: [0, 1, 4294967294, 4294967295],
  UINT64: [0, 1, 2 ** 53, 7],
  INT8: [-128, -1, 0, 127],
  INT16: [-32768, -1, 0, 32767],
  INT32: [-2147483648, -1, 0, 2147483647],
  INT64: [-(2 ** 53), -1, 0, 2 ** 53],
  FP16: [0.5, -2, 1024, 0.099975586],
  FP32: [1.5, -0.25, 3.4028234663852886e38, 0.1],
  FP64: [0.1, -1e300, 2.5, Math.PI],
  BYTES: ['hello', '', 'wörld', 'a b c'],
};

/** Write the identity model of `names` (default: every datatype) into `<versionDir>/model.onnx`. */
export function everyDatatype(versionDir: string, names: readonly string[] = Object.keys(DATATYPES)): Promise<string> {
  return writeModel(path.join(versionDir, ONNX_MODEL_FILE), {
    name: 'every_datatype',
    inputs: names.map((n) => ({ name: `x_${n}`, dtype: DATATYPES[n]!, shape: ['batch', 2] })),
    outputs: names.map((n) => ({ name: `y_${n}`, dtype: DATATYPES[n]!, shape: ['batch', 2] })),
    nodes: names.map((n) => ({ op: 'Identity', inputs: [`x_${n}`], outputs: [`y_${n}`] })),
  });
}

/**
 * FP16 both ways (`halves`): input h FP16 [batch, n] → `h_out` (Identity, FP16) and `h_fp32` (Cast to FP32).
 * `to_half`: x FP32 [batch, n] → `y` = Cast(x) FP16 (ONNX Runtime rounds to nearest even).
 */
export async function halfModels(dir: string): Promise<void> {
  await writeModel(path.join(dir, 'halves', '1', ONNX_MODEL_FILE), {
    name: 'halves',
    inputs: [{ name: 'h', dtype: 'float16', shape: ['batch', 'n'] }],
    outputs: [{ name: 'h_out', dtype: 'float16', shape: ['batch', 'n'] }, { name: 'h_fp32', dtype: 'float32', shape: ['batch', 'n'] }],
    nodes: [
      { op: 'Identity', inputs: ['h'], outputs: ['h_out'] },
      { op: 'Cast', inputs: ['h'], outputs: ['h_fp32'], attributes: { to: { i: 1 } } },
    ],
  });
  await writeModel(path.join(dir, 'to_half', '1', ONNX_MODEL_FILE), {
    name: 'to_half',
    inputs: [{ name: 'x', dtype: 'float32', shape: ['batch', 'n'] }],
    outputs: [{ name: 'y', dtype: 'float16', shape: ['batch', 'n'] }],
    nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], attributes: { to: { i: 10 } } }],
  });
}

/**
 * The model of the spec's and Triton's examples (`mymodel`): input0 UINT32 [2,2], input1 BOOL [3] →
 * output0 FP32 [3,2] (row i = input1[i] + sum(input0), twice), output1 = input0. `input1Length` 'n' makes input1 [-1]
 * and output0 [-1, 2].
 */
export function specExampleModel(versionDir: string, input1Length: number | string = 3): Promise<string> {
  return writeModel(path.join(versionDir, ONNX_MODEL_FILE), {
    name: 'mymodel',
    opset: 13,
    inputs: [{ name: 'input0', dtype: 'uint32', shape: [2, 2] }, { name: 'input1', dtype: 'bool', shape: [input1Length] }],
    outputs: [{ name: 'output0', dtype: 'float32', shape: [input1Length, 2] }, { name: 'output1', dtype: 'uint32', shape: [2, 2] }],
    initializers: [{ name: 'axis1', dtype: 'int64', dims: [1], data: new BigInt64Array([1n]) }],
    nodes: [
      { op: 'Cast', inputs: ['input0'], outputs: ['f0'], attributes: { to: { i: 1 } } },
      { op: 'ReduceSum', inputs: ['f0'], outputs: ['s'], attributes: { keepdims: { i: 0 } } },
      { op: 'Cast', inputs: ['input1'], outputs: ['f1'], attributes: { to: { i: 1 } } },
      { op: 'Add', inputs: ['f1', 's'], outputs: ['t'] },
      { op: 'Unsqueeze', inputs: ['t', 'axis1'], outputs: ['u'] },
      { op: 'Concat', inputs: ['u', 'u'], outputs: ['output0'], attributes: { axis: { i: 1 } } },
      { op: 'Identity', inputs: ['input0'], outputs: ['output1'] },
    ],
  });
}

/** KServe's sklearn-iris example signature: `input-0` FP32 [batch, 4] → `output-0` (the row sums), FP32 [batch]. */
export function irisLikeModel(versionDir: string): Promise<string> {
  return writeModel(path.join(versionDir, ONNX_MODEL_FILE), {
    name: 'iris_like',
    opset: 13,
    inputs: [{ name: 'input-0', dtype: 'float32', shape: ['batch', 4] }],
    outputs: [{ name: 'output-0', dtype: 'float32', shape: ['batch'] }],
    initializers: [{ name: 'axis1', dtype: 'int64', dims: [1], data: new BigInt64Array([1n]) }],
    nodes: [{ op: 'ReduceSum', inputs: ['input-0', 'axis1'], outputs: ['output-0'], attributes: { keepdims: { i: 0 } } }],
  });
}

/**
 * A running in-process fixture: models `every` (v1), `typed` (every datatype but FP16, which has no typed gRPC form), `half` (y = 0.5x + 2 on [batch, 1], v7), `two` (a+b, a·b),
 * `mymodel` (specExampleModel), `sklearn-iris` (irisLikeModel), `halves` and `to_half` (halfModels).
 */
export interface OipFixture {
  readonly server: ModelServer;
  readonly app: FastifyInstance;
  readonly grpc: GrpcServer;
  close(): Promise<void>;
}

/** Start the fixture; `management` serves the repository extension on both transports. */
export async function startFixture(options: { management?: boolean } = {}): Promise<OipFixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-oip-'));
  await everyDatatype(path.join(dir, 'every', '1'));
  await everyDatatype(path.join(dir, 'typed', '1'), Object.keys(DATATYPES).filter((n) => n !== 'FP16'));
  await halfPlusTwo(path.join(dir, 'half', '7'), ['batch', 1]);
  await twoInTwoOut(path.join(dir, 'two', '1'));
  await specExampleModel(path.join(dir, 'mymodel', '1'));
  await irisLikeModel(path.join(dir, 'sklearn-iris', '1'));
  await halfModels(dir);
  const server = await ModelServer.create({
    models: ['every', 'typed', 'half', 'two', 'mymodel', 'sklearn-iris', 'halves', 'to_half'].map((name) => ({ name, basePath: path.join(dir, name) })),
    runtimes: [await OnnxRuntime.create()],
    pollWaitSeconds: 0,
  });
  await server.whenSettled();
  const info = { name: 'inferd', version: '0.1.0' };
  const app = await buildRestApp(server, {
    readiness: server,
    plugins: [oipRestPlugin(server, { server: info, management: options.management ?? false }), ...(options.management ? [managementPlugin(server)] : [])],
  });
  const grpc = await startGrpcServer(server, {
    host: '127.0.0.1', port: 0, inference: { server: info, readiness: server, ...(options.management ? { repository: server } : {}) },
  });
  return {
    server, app, grpc,
    async close() {
      await grpc.close();
      await app.close();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
