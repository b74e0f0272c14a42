/**
 * Warmup files for tests, written independently of the code under test: a TFRecord writer with its own bitwise
 * CRC-32C (no table, unlike src/core/crc32c.ts) and PredictionLog records whose requests protobufjs encodes from
 * the project's .proto files (the server reads Predict with its own wire reader).
 * TFRecord: uint64le length | uint32le masked crc32c(length) | data | uint32le masked crc32c(data).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import protobuf from 'protobufjs';
import { protoTypes } from '../../src/api/grpc/protos.ts';

/** CRC-32C, bit by bit (reflected polynomial 0x82F63B78). */
export function crc32cBitwise(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** TensorFlow's checksum mask: rotate right by 15, add 0xa282ead8. */
function masked(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** A TFRecord header claiming `length` bytes, with the right checksum of the length. */
export function tfRecordHeader(length: bigint): Buffer {
  const header = Buffer.alloc(12);
  header.writeBigUInt64LE(length, 0);
  header.writeUInt32LE(masked(crc32cBitwise(header.subarray(0, 8))), 8);
  return header;
}

/** One TFRecord frame around `data`. */
export function tfRecordFrame(data: Uint8Array): Buffer {
  const header = tfRecordHeader(BigInt(data.length));
  const footer = Buffer.alloc(4);
  footer.writeUInt32LE(masked(crc32cBitwise(data)), 0);
  return Buffer.concat([header, data, footer]);
}

/** The kinds of PredictionLog a warmup file may hold, with their field numbers. */
const LOG_FIELD = { classify_log: 2, regress_log: 3, multi_inference_log: 4, session_run_log: 5, predict_log: 6 } as const;

/** A PredictionLog record: `kind` wraps `request` (a plain object for the request type) as `<kind> { request }`. */
export function predictionLog(kind: keyof typeof LOG_FIELD, request: Record<string, unknown>): Uint8Array {
  const t = protoTypes();
  const type = {
    predict_log: t.PredictRequest, classify_log: t.ClassificationRequest, regress_log: t.RegressionRequest,
    multi_inference_log: t.MultiInferenceRequest, session_run_log: undefined,
  }[kind];
  const requestBytes = type ? type.encode(type.fromObject(request)).finish() : new Uint8Array();
  const log = protobuf.Writer.create().uint32((1 << 3) | 2).bytes(requestBytes).finish();
  return protobuf.Writer.create().uint32((LOG_FIELD[kind] << 3) | 2).bytes(log).finish();
}

/** Write `<versionDir>/assets.extra/tf_serving_warmup_requests` from whole records (or raw bytes). */
export function writeWarmupFile(versionDir: string, records: readonly Uint8Array[] | Buffer): string {
  const dir = path.join(versionDir, 'assets.extra');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'tf_serving_warmup_requests');
  writeFileSync(file, Buffer.isBuffer(records) ? records : Buffer.concat(records.map((r) => tfRecordFrame(r))));
  return file;
}

/** A float TensorProto message (for PredictRequest inputs). */
export function floatTensorProto(values: number[], shape: number[]): Record<string, unknown> {
  return { dtype: 'DT_FLOAT', tensor_shape: { dim: shape.map((size) => ({ size })) }, float_val: values };
}

/** A tensorflow.serving.Input with one tf.Example per value of float feature `feature`. */
export function exampleInput(feature: string, values: number[]): Record<string, unknown> {
  return { example_list: { examples: values.map((v) => ({ features: { feature: { [feature]: { float_list: { value: [v] } } } } })) } };
}
