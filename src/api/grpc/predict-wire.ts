/**
 * PredictRequest / PredictResponse (tensorflow_serving/apis/predict.proto) read and written by hand, so a tensor's
 * values go between the wire and typed arrays without per-element JS values (core/tensor-proto-reader.ts and
 * core/tensor-proto-writer.ts). Only Predict uses
 * this; every other RPC goes through protobufjs (protos.ts). The small ModelSpec of a request is still decoded by
 * protobufjs, so its oneof and wrapper handling stay in one place (model-spec.ts).
 *
 * Field numbers: PredictRequest { model_spec = 1; map<string, TensorProto> inputs = 2; repeated string
 * output_filter = 3 }, PredictResponse { map<string, TensorProto> outputs = 1; ModelSpec model_spec = 2 },
 * ModelSpec { name = 1; Int64Value version = 2 (value = 1); signature_name = 3 }; a map entry is { key = 1; value = 2 }.
 */
import type protobuf from 'protobufjs';
import type { Tensor } from '../../core/tensor.ts';
import type { ServedSpec } from '../../server/serving-api.ts';
import type { ModelSpecMessage } from './model-spec.ts';
import type { PredictRequestMessage } from './prediction-service.ts';
import { WIRE, WireReader, delimitedSize, tagOf, varint64Size, writeDelimitedHeader, writeVarint64 } from '../../core/proto-wire.ts';
import { readTensorProto, type EncodedTensorProto } from '../../core/tensor-proto-reader.ts';
import { planTensorProto, writeTensorProto, type TensorPlan } from '../../core/tensor-proto-writer.ts';

const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/**
 * Parse a PredictRequest. `modelSpec` is the protobufjs `tensorflow.serving.ModelSpec` type. Each input TensorProto
 * is only located and its framing checked (readTensorProto); its values are decoded later, against the request's
 * allocation budget, by the input decoder (predict-inputs.ts). Decoded tensors may be views of `bytes`, so `bytes`
 * must outlive them and must not be modified (grpc-js hands each call its own buffer). Repeated map keys: the last
 * entry wins; an entry without a value is an empty TensorProto (DT_INVALID).
 */
export function readPredictRequest(bytes: Uint8Array, modelSpec: protobuf.Type): PredictRequestMessage {
  const buf = asBuffer(bytes);
  const r = new WireReader(buf);
  const inputs: Record<string, EncodedTensorProto> = {};
  const filter: string[] = [];
  let spec: ModelSpecMessage | undefined;
  while (r.more()) {
    const t = r.tag();
    if (t === tagOf(1, WIRE.bytes)) {
      // A message field seen twice merges; decoding the concatenation is that merge.
      const [s, e] = r.span();
      spec = modelSpec.decode(spec ? Buffer.concat([modelSpec.encode(spec).finish(), buf.subarray(s, e)]) : buf.subarray(s, e)) as ModelSpecMessage;
    } else if (t === tagOf(2, WIRE.bytes)) {
      const [s, e] = r.span();
      const entry = new WireReader(buf, s, e);
      let key = '';
      let value = readTensorProto(buf, s, s);
      while (entry.more()) {
        const et = entry.tag();
        if (et === tagOf(1, WIRE.bytes)) {
          const [ks, ke] = entry.span();
          key = buf.toString('utf8', ks, ke);
        } else if (et === tagOf(2, WIRE.bytes)) {
          const [vs, ve] = entry.span();
          value = readTensorProto(buf, vs, ve);
        } else entry.skip(et & 7, et >>> 3);
      }
      // `__proto__` is a legal alias; define it as an own property instead of setting the prototype.
      if (key === '__proto__') Object.defineProperty(inputs, key, { value, enumerable: true, configurable: true, writable: true });
      else inputs[key] = value;
    } else if (t === tagOf(3, WIRE.bytes)) {
      const [s, e] = r.span();
      filter.push(buf.toString('utf8', s, e));
    } else r.skip(t & 7, t >>> 3);
  }
  const msg: PredictRequestMessage = { inputs, output_filter: filter };
  if (spec) msg.model_spec = spec;
  return msg;
}

/** Bytes of a ModelSpec payload for a served spec (name, version wrapper, signature name). */
function specParts(served: ServedSpec): { size: number; nameLen: number; sigLen: number; versionSize: number } {
  const nameLen = utf8Length(served.name);
  const sigLen = utf8Length(served.signatureName);
  const v = served.version;
  const versionSize = v === 0 ? 0 : 1 + varint64Size(v >>> 0, Math.floor(v / 4294967296) >>> 0);
  const size = (nameLen > 0 ? delimitedSize(1, nameLen) : 0) + delimitedSize(2, versionSize) + (sigLen > 0 ? delimitedSize(3, sigLen) : 0);
  return { size, nameLen, sigLen, versionSize };
}

/**
 * Encode a PredictResponse: every `[alias, tensor]` in `outputs` (order kept) and the served model_spec (name,
 * version, resolved signature key). Typed `*_val` fields unless `tensorContent`. One allocation of the exact size.
 */
export function encodePredictResponse(served: ServedSpec, outputs: readonly (readonly [string, Tensor])[], tensorContent: boolean): Buffer {
  const plans: { key: string; keyLen: number; entrySize: number; plan: TensorPlan }[] = [];
  let total = 0;
  for (const [key, tensor] of outputs) {
    const plan = planTensorProto(tensor, tensorContent);
    const keyLen = utf8Length(key);
    const entrySize = (keyLen > 0 ? delimitedSize(1, keyLen) : 0) + delimitedSize(2, plan.size);
    plans.push({ key, keyLen, entrySize, plan });
    total += delimitedSize(1, entrySize);
  }
  const spec = specParts(served);
  total += delimitedSize(2, spec.size);
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const { key, keyLen, entrySize, plan } of plans) {
    pos = writeDelimitedHeader(out, pos, 1, entrySize);
    if (keyLen > 0) pos = writeStringField(out, pos, 1, key, keyLen);
    pos = writeTensorProto(out, writeDelimitedHeader(out, pos, 2, plan.size), plan);
  }
  pos = writeDelimitedHeader(out, pos, 2, spec.size);
  if (spec.nameLen > 0) pos = writeStringField(out, pos, 1, served.name, spec.nameLen);
  pos = writeDelimitedHeader(out, pos, 2, spec.versionSize);
  if (spec.versionSize > 0) {
    out[pos++] = tagOf(1, WIRE.varint);
    pos = writeVarint64(out, pos, served.version >>> 0, Math.floor(served.version / 4294967296) >>> 0);
  }
  if (spec.sigLen > 0) pos = writeStringField(out, pos, 3, served.signatureName, spec.sigLen);
  if (pos !== total) throw new Error(`PredictResponse writer wrote ${pos} bytes, planned ${total}`);
  return out;
}

/** UTF-8 byte length of a JS string. */
function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Write a string field (key, length, UTF-8); returns the next offset. */
function writeStringField(out: Buffer, pos: number, field: number, s: string, len = utf8Length(s)): number {
  pos = writeDelimitedHeader(out, pos, field, len);
  return pos + out.write(s, pos, len, 'utf8');
}
