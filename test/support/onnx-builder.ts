/**
 * A small ONNX writer for tests: builds real ModelProto bytes with protobufjs from a declarative graph spec.
 * The message subset below uses the public field numbers of onnx/onnx.proto (IR version 8 era); it is enough
 * for single-graph models with tensor inputs, initializers and plain attributes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import protobuf from 'protobufjs';
import type { DType } from '../../src/core/dtype.ts';
import type { TensorDataByDType } from '../../src/core/tensor.ts';

const ONNX_PROTO = `
syntax = "proto2";
package onnx;
message AttributeProto {
  enum AttributeType { UNDEFINED = 0; FLOAT = 1; INT = 2; STRING = 3; TENSOR = 4; GRAPH = 5;
    FLOATS = 6; INTS = 7; STRINGS = 8; TENSORS = 9; GRAPHS = 10; }
  optional string name = 1;
  optional float f = 2;
  optional int64 i = 3;
  optional bytes s = 4;
  optional TensorProto t = 5;
  optional GraphProto g = 6;
  repeated float floats = 7;
  repeated int64 ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
  optional string doc_string = 13;
  optional AttributeType type = 20;
}
message ValueInfoProto {
  optional string name = 1;
  optional TypeProto type = 2;
  optional string doc_string = 3;
}
message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  optional string name = 3;
  optional string op_type = 4;
  repeated AttributeProto attribute = 5;
  optional string doc_string = 6;
  optional string domain = 7;
}
message StringStringEntryProto {
  optional string key = 1;
  optional string value = 2;
}
message ModelProto {
  optional int64 ir_version = 1;
  optional string producer_name = 2;
  optional string producer_version = 3;
  optional string domain = 4;
  optional int64 model_version = 5;
  optional string doc_string = 6;
  optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8;
  repeated StringStringEntryProto metadata_props = 14;
}
message GraphProto {
  repeated NodeProto node = 1;
  optional string name = 2;
  repeated TensorProto initializer = 5;
  optional string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}
message TensorProto {
  repeated int64 dims = 1;
  optional int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  optional string name = 8;
  optional bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
  repeated uint64 uint64_data = 11 [packed = true];
  optional string doc_string = 12;
}
message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    }
    optional string denotation = 3;
  }
  repeated Dimension dim = 1;
}
message TypeProto {
  message Tensor {
    optional int32 elem_type = 1;
    optional TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  optional string denotation = 6;
}
message OperatorSetIdProto {
  optional string domain = 1;
  optional int64 version = 2;
}
`;

const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

/** TensorProto.DataType numbers from onnx.proto, for the DTypes ONNX can carry. */
export const ONNX_ELEMENT_TYPE: Readonly<Record<DType, number>> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9,
  float16: 10, float64: 11, uint32: 12, uint64: 13, bfloat16: 16,
};

/** One dimension of a declared shape: a size, a symbolic name (`dim_param`), or null for an unnamed unknown dim. */
export type DimSpec = number | string | null;

/** A graph input or output. `shape: null` writes a tensor type with no shape (unknown rank). */
export interface ValueSpec {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly DimSpec[] | null;
}

/** A constant tensor stored in the graph (ONNX initializer). Numeric data is written as little-endian raw_data. */
export interface InitializerSpec<D extends DType = DType> {
  readonly name: string;
  readonly dtype: D;
  readonly dims: readonly number[];
  readonly data: D extends 'string' ? readonly string[] : TensorDataByDType[D];
}

/** An attribute value, tagged by its AttributeProto field: f (float), i (int), s (string), floats, ints, t (tensor). */
export type AttrValue =
  | { readonly f: number }
  | { readonly i: number }
  | { readonly s: string }
  | { readonly floats: readonly number[] }
  | { readonly ints: readonly number[] }
  | { readonly t: InitializerSpec };

/** One operator node. */
export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attributes?: Readonly<Record<string, AttrValue>>;
}

/** A whole single-graph model. Defaults: IR version 8, default-domain opset 17. */
export interface ModelSpec {
  readonly name: string;
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly nodes: readonly NodeSpec[];
  readonly initializers?: readonly InitializerSpec[];
  readonly opset?: number;
  readonly irVersion?: number;
  readonly docString?: string;
}

function valueInfo(v: ValueSpec): object {
  const tensorType: Record<string, unknown> = { elem_type: ONNX_ELEMENT_TYPE[v.dtype] };
  if (v.shape !== null) {
    tensorType['shape'] = {
      dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {})),
    };
  }
  return { name: v.name, type: { tensor_type: tensorType } };
}

function tensorProto(t: InitializerSpec): object {
  const base = { name: t.name, data_type: ONNX_ELEMENT_TYPE[t.dtype], dims: [...t.dims] };
  if (t.dtype === 'string') {
    const enc = new TextEncoder();
    return { ...base, string_data: (t.data as readonly string[]).map((s) => enc.encode(s)) };
  }
  // Typed arrays on this platform are little-endian, which is what raw_data requires.
  const arr = t.data as ArrayBufferView;
  return { ...base, raw_data: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength).slice() };
}

function attribute(name: string, v: AttrValue): object {
  if ('f' in v) return { name, type: 1, f: v.f };
  if ('i' in v) return { name, type: 2, i: v.i };
  if ('s' in v) return { name, type: 3, s: new TextEncoder().encode(v.s) };
  if ('t' in v) return { name, type: 4, t: tensorProto(v.t) };
  if ('floats' in v) return { name, type: 6, floats: [...v.floats] };
  return { name, type: 7, ints: [...v.ints] };
}

/** Serialize a model spec to ONNX ModelProto bytes. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const message = {
    ir_version: spec.irVersion ?? 8,
    producer_name: 'inferd-test-builder',
    producer_version: '1',
    model_version: 1,
    ...(spec.docString === undefined ? {} : { doc_string: spec.docString }),
    opset_import: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: spec.name,
      node: spec.nodes.map((n, i) => ({
        input: [...n.inputs],
        output: [...n.outputs],
        name: n.name ?? `${n.op.toLowerCase()}_${i}`,
        op_type: n.op,
        domain: n.domain ?? '',
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: (spec.initializers ?? []).map(tensorProto),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  };
  const err = ModelProto.verify(message);
  if (err) throw new Error(`onnx-builder: invalid ModelProto: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(message)).finish();
}

/** Decode ModelProto bytes back to a plain object (snake_case keys, int64 as strings); for tests of the builder. */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: String, bytes: Array, defaults: false }) as Record<string, unknown>;
}

/** Write a model spec to `file` (parent directories created). Returns `file`. */
export async function writeModel(file: string, spec: ModelSpec): Promise<string> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, encodeModel(spec));
  return file;
}
