/**
 * The TensorFlow .proto subset of inferd (proto/tensorflow/**), loaded at runtime with protobufjs, and plain-object
 * types for what this runtime decodes. Decoded objects use protobufjs' camelCase field names (tensorShape,
 * unknownRank, inputArg, nodeDef), which is also the JSON shape tfjs-converter reads; int64 fields are decimal
 * strings (exact), bytes fields are Uint8Array, enums are their names (`DT_FLOAT`).
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import protobuf from 'protobufjs';

/** Absolute path of the repository's proto/ folder (found relative to this module). */
export const PROTO_ROOT = fileURLToPath(new URL('../../../proto/', import.meta.url));

let root: protobuf.Root | undefined;

/** The protobufjs Root holding the TensorFlow core messages (SavedModel, TensorBundle, Example). Loaded once. */
export function tensorflowRoot(): protobuf.Root {
  if (root) return root;
  const r = new protobuf.Root();
  r.resolvePath = (_origin, target) => (path.isAbsolute(target) ? target : path.join(PROTO_ROOT, target));
  r.loadSync([
    'tensorflow/core/protobuf/saved_model.proto',
    'tensorflow/core/protobuf/tensor_bundle.proto',
    'tensorflow/core/example/example.proto',
  ]);
  r.resolveAll();
  root = r;
  return r;
}

/** Options for Type.toObject used everywhere in this runtime (see the module comment). */
export const TO_OBJECT: protobuf.IConversionOptions = { enums: String, longs: String, arrays: true, objects: true };

/** Decode `bytes` as message `type` (e.g. `tensorflow.SavedModel`) into a plain object. */
export function decodeMessage<T>(type: string, bytes: Uint8Array): T {
  const t = tensorflowRoot().lookupType(type);
  return t.toObject(t.decode(bytes), TO_OBJECT) as T;
}

/** Encode a plain object (camelCase or snake_case fields) as message `type`. */
export function encodeMessage(type: string, value: unknown): Uint8Array {
  const t = tensorflowRoot().lookupType(type);
  return t.encode(t.fromObject(value as Record<string, unknown>)).finish();
}

/** TensorShapeProto. */
export interface ShapeProto {
  dim: { size?: string; name?: string }[];
  unknownRank?: boolean;
}

/** TensorProto (only the fields this runtime reads). */
export interface TensorProtoObj {
  dtype?: string;
  tensorShape?: ShapeProto;
  tensorContent?: Uint8Array;
  halfVal: number[];
  floatVal: number[];
  doubleVal: number[];
  intVal: number[];
  stringVal: Uint8Array[];
  int64Val: string[];
  boolVal: boolean[];
  uint32Val: number[];
  uint64Val: string[];
}

/** AttrValue.ListValue. */
export interface AttrListObj {
  s: Uint8Array[];
  i: string[];
  f: number[];
  b: boolean[];
  type: string[];
  shape: ShapeProto[];
  tensor: TensorProtoObj[];
  func: NameAttrListObj[];
}

/** AttrValue: exactly one field set. */
export interface AttrObj {
  s?: Uint8Array;
  i?: string;
  f?: number;
  b?: boolean;
  type?: string;
  shape?: ShapeProto;
  tensor?: TensorProtoObj;
  list?: Partial<AttrListObj>;
  func?: NameAttrListObj;
  placeholder?: string;
}

/** NameAttrList (a function reference). */
export interface NameAttrListObj {
  name: string;
  attr: Record<string, AttrObj>;
}

/** NodeDef. */
export interface NodeObj {
  name: string;
  op: string;
  input: string[];
  device?: string;
  attr: Record<string, AttrObj>;
}

/** OpDef.ArgDef. */
export interface ArgDefObj {
  name: string;
  type?: string;
  typeAttr?: string;
  numberAttr?: string;
  typeListAttr?: string;
}

/** OpDef (as used for op and function signatures). */
export interface OpDefObj {
  name: string;
  inputArg: ArgDefObj[];
  outputArg: ArgDefObj[];
  attr: { name: string; type?: string; defaultValue?: AttrObj }[];
}

/** FunctionDef. */
export interface FunctionObj {
  signature: OpDefObj;
  attr: Record<string, AttrObj>;
  nodeDef: NodeObj[];
  ret: Record<string, string>;
  controlRet: Record<string, string>;
}

/** GraphDef. */
export interface GraphObj {
  node: NodeObj[];
  library?: { function: FunctionObj[] };
  versions?: { producer?: number; minConsumer?: number };
}

/** TensorInfo. */
export interface TensorInfoObj {
  name?: string;
  cooSparse?: { valuesTensorName?: string; indicesTensorName?: string; denseShapeTensorName?: string };
  compositeTensor?: unknown;
  dtype?: string;
  tensorShape?: ShapeProto;
}

/** SignatureDef. */
export interface SignatureDefObj {
  inputs: Record<string, TensorInfoObj>;
  outputs: Record<string, TensorInfoObj>;
  methodName?: string;
  defaults: Record<string, TensorProtoObj>;
}

/** MetaGraphDef. */
export interface MetaGraphObj {
  metaInfoDef?: { tags: string[]; tensorflowVersion?: string; strippedOpList?: { op: OpDefObj[] } };
  graphDef?: GraphObj;
  saverDef?: { filenameTensorName?: string; restoreOpName?: string };
  /** AnyList entries are google.protobuf.Any, which protobufjs decodes with its original field name `type_url`. */
  collectionDef: Record<string, { nodeList?: { value: string[] }; anyList?: { value: { type_url?: string; typeUrl?: string; value: Uint8Array }[] } }>;
  signatureDef: Record<string, SignatureDefObj>;
  assetFileDef: { tensorInfo?: TensorInfoObj; filename?: string }[];
}

/** SavedModel. */
export interface SavedModelObj {
  savedModelSchemaVersion?: string;
  metaGraphs: MetaGraphObj[];
}

/** BundleEntryProto. */
export interface BundleEntryObj {
  dtype?: string;
  shape?: ShapeProto;
  shardId?: number;
  offset?: string;
  size?: string;
  crc32c?: number;
  slices: unknown[];
}

/** BundleHeaderProto. */
export interface BundleHeaderObj {
  numShards?: number;
  endianness?: string;
}

/** Dimensions of a ShapeProto as numbers (-1 unknown), or null for unknown rank. */
export function shapeDims(shape: ShapeProto | undefined): number[] | null {
  if (!shape) return null;
  if (shape.unknownRank) return null;
  return shape.dim.map((d) => Number(d.size ?? 0));
}
