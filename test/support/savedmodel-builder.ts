/**
 * Writes SavedModels from tests: `saved_model.pb` (encoded with protobufjs and inferd's own protos) and a
 * variables bundle (`variables.index` as a LevelDB-format table, optionally with snappy-compressed data blocks,
 * and `variables.data-00000-of-00001`). Node and attribute objects use protobufjs' camelCase field names.
 */
import fs from 'node:fs';
import path from 'node:path';
import snappy from 'snappyjs';
import type { Tensor } from '../../src/core/tensor.ts';
import { tfName } from '../../src/core/dtype.ts';
import { encodeMessage } from '../../src/runtimes/savedmodel/proto.ts';
import { crc32c, maskCrc } from '../../src/core/crc32c.ts';
import { stringTensorCrc } from '../../src/runtimes/savedmodel/bundle.ts';

/** A NodeDef as plain data. */
export interface NodeSpec {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, unknown>;
}

/** A FunctionDef as plain data. */
export interface FunctionSpec {
  name: string;
  inputs: { name: string; type: string }[];
  outputs: { name: string; type: string }[];
  nodes: NodeSpec[];
  ret: Record<string, string>;
  /** control_ret: name → body node whose effect every call has (TF2 ties variable updates this way). */
  controlRet?: Record<string, string>;
}

/** An OpDef as TensorFlow records it in stripped_op_list: arguments and attributes with their defaults. */
export interface OpDefSpec {
  name: string;
  inputArg?: { name: string; type?: string; typeAttr?: string; numberAttr?: string; typeListAttr?: string }[];
  outputArg?: { name: string; type?: string; typeAttr?: string; numberAttr?: string; typeListAttr?: string }[];
  attr?: { name: string; type: string; defaultValue?: unknown }[];
  isStateful?: boolean;
}

/** A TensorInfo: tensor name, dtype name, shape (null = unknown rank, undefined = none recorded). */
export interface InfoSpec {
  name: string;
  dtype: string;
  shape?: number[] | null;
}

/** A SignatureDef. */
export interface SignatureSpec {
  inputs: Record<string, InfoSpec>;
  outputs: Record<string, InfoSpec>;
  methodName?: string;
}

/** Everything writeSavedModel writes. */
export interface SavedModelSpec {
  nodes: NodeSpec[];
  functions?: FunctionSpec[];
  signatures: Record<string, SignatureSpec>;
  tags?: string[];
  /** Checkpoint tensors by key; when present a variables/ bundle is written. */
  variables?: Record<string, Tensor>;
  /** Compress the second data block of variables.index with snappy (the first stays uncompressed). */
  snappy?: boolean;
  saverDef?: { filenameTensorName: string; restoreOpName: string };
  /** collection_def entries that list node names (e.g. `legacy_init_op`, `saved_model_main_op`). */
  nodeCollections?: Record<string, string[]>;
  /** Asset files: tensor name → file name under `assets/`. */
  assets?: Record<string, string>;
  /** Where assets are recorded: TF2 `asset_file_def` (default) or the TF1 collection `saved_model_assets`. */
  assetsIn?: 'asset_file_def' | 'collection';
  /** Files written under `<dir>/assets/` (file name → contents). */
  assetFiles?: Record<string, string>;
  /** meta_info_def.stripped_op_list (TensorFlow lists the ops of the graph's top level, not of function bodies). */
  strippedOps?: OpDefSpec[];
}

/** A TensorProto object for a core tensor (tensor_content for numbers, string_val for strings). */
export function tensorProto(t: Tensor): Record<string, unknown> {
  const base = { dtype: tfName(t.dtype), tensorShape: { dim: t.shape.map((size) => ({ size })) } };
  if (t.dtype === 'string') return { ...base, stringVal: t.data as Uint8Array[] };
  const d = t.data as Exclude<Tensor['data'], Uint8Array[]>;
  return { ...base, tensorContent: new Uint8Array(d.buffer, d.byteOffset, d.byteLength) };
}

/** attr helpers. */
export const attr = {
  type: (t: string) => ({ type: t }),
  tensor: (t: Tensor) => ({ tensor: tensorProto(t) }),
  shape: (dims: number[] | null) => ({ shape: dims === null ? { unknownRank: true } : { dim: dims.map((size) => ({ size })) } }),
  i: (i: number) => ({ i }),
  b: (b: boolean) => ({ b }),
  s: (s: string) => ({ s: Buffer.from(s) }),
  func: (name: string) => ({ func: { name } }),
  types: (ts: string[]) => ({ list: { type: ts } }),
  shapes: (ss: number[][]) => ({ list: { shape: ss.map((d) => ({ dim: d.map((size) => ({ size })) })) } }),
};

/** A Const node holding `t`. */
export function constNode(name: string, t: Tensor): NodeSpec {
  return { name, op: 'Const', attr: { dtype: attr.type(tfName(t.dtype)), value: attr.tensor(t) } };
}

const utf8 = new TextEncoder();

/** A string tensor from JS strings. */
export function strings(shape: number[], values: string[]): Tensor {
  return { dtype: 'string', shape, data: values.map((v) => utf8.encode(v)) };
}

function varint(n: number, out: number[]): void {
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

function block(entries: [Uint8Array, Uint8Array][]): Uint8Array {
  const out: number[] = [];
  const restarts: number[] = [];
  let last: Uint8Array = new Uint8Array(0);
  entries.forEach(([k, v], i) => {
    let shared = 0;
    if (i % 16 === 0) restarts.push(out.length);
    else while (shared < last.length && shared < k.length && last[shared] === k[shared]) shared++;
    varint(shared, out);
    varint(k.length - shared, out);
    varint(v.length, out);
    out.push(...k.subarray(shared), ...v);
    last = k;
  });
  if (restarts.length === 0) restarts.push(0);
  const tail = new Uint8Array(restarts.length * 4 + 4);
  const view = new DataView(tail.buffer);
  restarts.forEach((r, i) => view.setUint32(i * 4, r, true));
  view.setUint32(restarts.length * 4, restarts.length, true);
  return new Uint8Array([...out, ...tail]);
}

/** Serialize sorted key/values as a LevelDB-format table; `compressFrom` is the first data block index to snappy. */
export function writeTable(entries: [Uint8Array, Uint8Array][], blockSize = 2, compressFrom = Infinity): Uint8Array {
  const file: number[] = [];
  const put = (contents: Uint8Array, compress: boolean): number[] => {
    const body = compress ? snappy.compress(contents) : contents;
    const offset = file.length;
    const withType = new Uint8Array([...body, compress ? 1 : 0]);
    const crc = new Uint8Array(4);
    new DataView(crc.buffer).setUint32(0, maskCrc(crc32c(withType)), true);
    file.push(...withType, ...crc);
    const h: number[] = [];
    varint(offset, h);
    varint(body.length, h);
    return h;
  };
  const index: [Uint8Array, Uint8Array][] = [];
  for (let i = 0, b = 0; i < entries.length; i += blockSize, b++) {
    const chunk = entries.slice(i, i + blockSize);
    const handle = put(block(chunk), b >= compressFrom);
    index.push([(chunk[chunk.length - 1] as [Uint8Array, Uint8Array])[0], Uint8Array.from(handle)]);
  }
  const meta = put(block([]), false);
  const idx = put(block(index), false);
  const footer = new Uint8Array(48);
  footer.set([...meta, ...idx]);
  const fv = new DataView(footer.buffer);
  fv.setUint32(40, 0x8b80fb57, true);
  fv.setUint32(44, 0xdb477524, true);
  return new Uint8Array([...file, ...footer]);
}

/** Write a TensorBundle at `<prefix>.index` / `<prefix>.data-00000-of-00001`. */
export function writeBundle(prefix: string, tensors: Record<string, Tensor>, snappyBlocks = false): void {
  const data: number[] = [];
  const entries: [Uint8Array, Uint8Array][] = [];
  entries.push([new Uint8Array(0), encodeMessage('tensorflow.BundleHeaderProto', { numShards: 1, endianness: 0, version: { producer: 1 } })]);
  for (const key of Object.keys(tensors).sort()) {
    const t = tensors[key] as Tensor;
    let bytes: Uint8Array;
    let crc: number;
    if (t.dtype === 'string') {
      const parts: number[] = [];
      const strs = t.data as Uint8Array[];
      for (const s of strs) varint(s.length, parts);
      const lenCrc = new Uint8Array(4);
      let c = 0;
      const w = new Uint8Array(4);
      for (const s of strs) {
        new DataView(w.buffer).setUint32(0, s.length, true);
        c = crc32c(w, c);
      }
      new DataView(lenCrc.buffer).setUint32(0, maskCrc(c), true);
      bytes = new Uint8Array([...parts, ...lenCrc, ...strs.flatMap((s) => [...s])]);
      crc = stringTensorCrc(bytes, strs);
    } else {
      const d = t.data as Exclude<Tensor['data'], Uint8Array[]>;
      bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
      crc = crc32c(bytes);
    }
    const entry = encodeMessage('tensorflow.BundleEntryProto', {
      dtype: tfName(t.dtype), shape: { dim: t.shape.map((size) => ({ size })) }, shardId: 0,
      offset: data.length, size: bytes.length, crc32c: maskCrc(crc),
    });
    data.push(...bytes);
    entries.push([utf8.encode(key), entry]);
  }
  fs.mkdirSync(path.dirname(prefix), { recursive: true });
  fs.writeFileSync(`${prefix}.index`, writeTable(entries, 2, snappyBlocks ? 1 : Infinity));
  fs.writeFileSync(`${prefix}.data-00000-of-00001`, Uint8Array.from(data));
}

function info(i: InfoSpec): Record<string, unknown> {
  const out: Record<string, unknown> = { name: i.name, dtype: i.dtype };
  if (i.shape !== undefined) out['tensorShape'] = i.shape === null ? { unknownRank: true } : { dim: i.shape.map((size) => ({ size })) };
  return out;
}

/** Write a SavedModel into `dir` (created). */
export function writeSavedModel(dir: string, spec: SavedModelSpec): void {
  fs.mkdirSync(dir, { recursive: true });
  const signatureDef: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(spec.signatures)) {
    signatureDef[k] = {
      inputs: Object.fromEntries(Object.entries(s.inputs).map(([a, i]) => [a, info(i)])),
      outputs: Object.fromEntries(Object.entries(s.outputs).map(([a, i]) => [a, info(i)])),
      methodName: s.methodName ?? 'tensorflow/serving/predict',
    };
  }
  const fn = (f: FunctionSpec): unknown => ({
    signature: { name: f.name, inputArg: f.inputs, outputArg: f.outputs },
    nodeDef: f.nodes.map((n) => ({ input: [], attr: {}, ...n })),
    ret: f.ret,
    controlRet: f.controlRet ?? {},
  });
  const assetDefs = Object.entries(spec.assets ?? {}).map(([tensor, filename]) => ({ tensorInfo: { name: tensor, dtype: 'DT_STRING' }, filename }));
  const collectionDef: Record<string, unknown> = {};
  for (const [k, names] of Object.entries(spec.nodeCollections ?? {})) collectionDef[k] = { nodeList: { value: names } };
  if (spec.assetsIn === 'collection' && assetDefs.length > 0) {
    collectionDef['saved_model_assets'] = {
      anyList: { value: assetDefs.map((d) => ({ type_url: 'type.googleapis.com/tensorflow.AssetFileDef', value: encodeMessage('tensorflow.AssetFileDef', d) })) },
    };
  }
  const model = {
    savedModelSchemaVersion: 1,
    metaGraphs: [{
      metaInfoDef: {
        tags: spec.tags ?? ['serve'], metaGraphVersion: 'inferd-test',
        ...(spec.strippedOps ? { strippedOpList: { op: spec.strippedOps } } : {}),
      },
      graphDef: {
        node: spec.nodes.map((n) => ({ input: [], attr: {}, ...n })),
        library: { function: (spec.functions ?? []).map(fn) },
        versions: { producer: 1 },
      },
      saverDef: spec.saverDef,
      signatureDef,
      collectionDef,
      assetFileDef: spec.assetsIn === 'collection' ? [] : assetDefs,
    }],
  };
  fs.writeFileSync(path.join(dir, 'saved_model.pb'), encodeMessage('tensorflow.SavedModel', model));
  for (const [name, text] of Object.entries(spec.assetFiles ?? {})) {
    fs.mkdirSync(path.join(dir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'assets', name), text);
  }
  if (spec.variables) writeBundle(path.join(dir, 'variables', 'variables'), spec.variables, spec.snappy ?? false);
}
