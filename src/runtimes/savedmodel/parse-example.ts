/**
 * ParseExample and ParseExampleV2 as tfjs-converter custom ops (tfjs has neither; synchronous, so graphs using them
 * still run with execute()): decode serialized tf.Example
 * protos (protobufjs, inferd's example.proto) into dense features (fixed shape, or first dimension -1 for padded
 * var-len, with defaults for missing features) and sparse var-len features (indices, values, dense_shape).
 * Errors follow TensorFlow's example_proto_fast_parsing texts and are INVALID_ARGUMENT. int64 features must fit
 * int32 (tfjs has no int64). Ragged features are not supported.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode, OpExecutor } from '@tensorflow/tfjs-converter';
import type protobuf from 'protobufjs';
import { InferdError } from '../../core/errors.ts';
import { elementCount } from '../../core/tensor.ts';
import { tensorflowRoot } from './proto.ts';
import { stringBytes } from './tfjs-tensors.ts';

type Kind = 'float32' | 'int32' | 'string';
type Values = number[] | Uint8Array[];

interface FeatureMsg {
  bytesList?: { value: Uint8Array[] };
  floatList?: { value: number[] };
  int64List?: { value: (number | { low: number; high: number; toNumber(): number })[] };
}

let exampleType: protobuf.Type | undefined;
const utf8 = new TextDecoder();
const TF_TYPE: Record<Kind, string> = { float32: 'float', int32: 'int64', string: 'string' };

function decodeExamples(serialized: Uint8Array[]): Map<string, FeatureMsg>[] {
  exampleType ??= tensorflowRoot().lookupType('tensorflow.Example');
  return serialized.map((bytes, i) => {
    try {
      const msg = exampleType!.decode(bytes) as unknown as { features?: { feature?: Record<string, FeatureMsg> } };
      return new Map(Object.entries(msg.features?.feature ?? {}));
    } catch {
      throw InferdError.invalidArgument(`Could not parse example input, value: '${utf8.decode(bytes).slice(0, 64)}' (index ${i})`);
    }
  });
}

function valuesOf(f: FeatureMsg, kind: Kind, key: string, index: number): Values | undefined {
  if (f.floatList === undefined && f.int64List === undefined && f.bytesList === undefined) return undefined;
  const mismatch = (): never => {
    throw InferdError.invalidArgument(`Name: <unknown>, Key: ${key}, Index: ${index}.  Data types don't match. Expected type: ${TF_TYPE[kind]}`);
  };
  if (kind === 'float32') return f.floatList ? f.floatList.value : mismatch();
  if (kind === 'string') return f.bytesList ? f.bytesList.value : mismatch();
  if (!f.int64List) return mismatch();
  return f.int64List.value.map((v) => {
    const n = typeof v === 'number' ? v : v.toNumber();
    if (!Number.isInteger(n) || n > 2147483647 || n < -2147483648) {
      throw InferdError.invalidArgument(`Key: ${key}, Index: ${index}: int64 value ${n} does not fit int32 (inferd computes int64 as int32)`);
    }
    return n;
  });
}

function tensorValues(t: tf.Tensor): Values {
  return t.dtype === 'string' ? stringBytes(t) : Array.from(t.dataSync() as Float32Array | Int32Array);
}

function makeTensor(values: Values, shape: number[], kind: Kind): tf.Tensor {
  return kind === 'string' ? tf.tensor(values as Uint8Array[], shape, 'string') : tf.tensor(values as number[], shape, kind);
}

interface Spec {
  sparseKeys: string[];
  sparseTypes: Kind[];
  denseKeys: string[];
  denseTypes: Kind[];
  denseShapes: number[][];
  denseDefaults: tf.Tensor[];
}

function parse(serializedT: tf.Tensor, spec: Spec): tf.Tensor[] {
  const serialized = stringBytes(serializedT);
  const scalar = serializedT.rank === 0;
  const examples = decodeExamples(serialized);
  const batch = examples.length;
  const out: tf.Tensor[] = [];
  const sparse: tf.Tensor[][] = [[], [], []];
  spec.sparseKeys.forEach((key, s) => {
    const kind = spec.sparseTypes[s] ?? 'float32';
    const indices: number[] = [];
    const values: (number | Uint8Array)[] = [];
    let maxLen = 0;
    examples.forEach((ex, b) => {
      const f = ex.get(key);
      const vals = f ? valuesOf(f, kind, key, b) ?? [] : [];
      vals.forEach((v, j) => {
        if (scalar) indices.push(j);
        else indices.push(b, j);
        values.push(v);
      });
      maxLen = Math.max(maxLen, vals.length);
    });
    const rank = scalar ? 1 : 2;
    sparse[0]!.push(tf.tensor2d(indices, [values.length, rank], 'int32'));
    sparse[1]!.push(makeTensor(values as Values, [values.length], kind));
    sparse[2]!.push(tf.tensor1d(scalar ? [maxLen] : [batch, maxLen], 'int32'));
  });
  out.push(...sparse[0]!, ...sparse[1]!, ...sparse[2]!);
  for (let d = 0; d < spec.denseKeys.length; d++) {
    const key = spec.denseKeys[d] as string;
    const kind = spec.denseTypes[d] ?? 'float32';
    const shape = spec.denseShapes[d] ?? [];
    const def = spec.denseDefaults[d];
    const defVals = def && def.size > 0 ? tensorValues(def) : undefined;
    const varLen = shape.length > 0 && shape[0] === -1;
    const inner = varLen ? shape.slice(1) : shape;
    const stride = elementCount(inner);
    const rows: Values[] = examples.map((ex, b) => {
      const f = ex.get(key);
      const vals = f ? valuesOf(f, kind, key, b) : undefined;
      if (vals === undefined) {
        if (varLen) return [] as number[];
        if (!defVals) {
          throw InferdError.invalidArgument(`Name: <unknown>, Feature: ${key} (data type: ${TF_TYPE[kind]}) is required but could not be found.`);
        }
        return defVals;
      }
      if (varLen ? vals.length % stride !== 0 : vals.length !== stride) {
        throw InferdError.invalidArgument(
          `Name: <unknown>, Key: ${key}, Index: ${b}.  Number of ${TF_TYPE[kind]} values != expected.  ` +
            `Values size: ${vals.length} but output shape: [${shape.join(',')}]`,
        );
      }
      return vals;
    });
    let rowShape = shape;
    if (varLen) {
      const maxRows = Math.max(0, ...rows.map((r) => r.length / stride));
      rowShape = [maxRows, ...inner];
      const pad = defVals?.[0] ?? (kind === 'string' ? new Uint8Array(0) : 0);
      for (let b = 0; b < rows.length; b++) {
        const r = rows[b] as (number | Uint8Array)[];
        rows[b] = [...r, ...new Array<number | Uint8Array>(maxRows * stride - r.length).fill(pad)] as Values;
      }
    }
    const flat = rows.flatMap((r) => r as (number | Uint8Array)[]) as Values;
    out.push(makeTensor(flat, scalar ? rowShape : [batch, ...rowShape], kind));
  }
  return out;
}

function strings(t: tf.Tensor | undefined): string[] {
  if (!t) return [];
  return stringBytes(t).map((b) => utf8.decode(b));
}

function kinds(v: unknown): Kind[] {
  return ((v as string[] | undefined) ?? []).map((k) => (k === 'string' ? 'string' : k === 'int32' ? 'int32' : 'float32'));
}

/** ParseExample (v1): inputs serialized, names, sparse_keys×Nsparse, dense_keys×Ndense, dense_defaults×Ndense. */
function parseExampleV1(node: GraphNode): tf.Tensor[] {
  const nSparse = Number(node.attrs['Nsparse'] ?? 0);
  const nDense = Number(node.attrs['Ndense'] ?? 0);
  const ins = node.inputs;
  return parse(ins[0] as tf.Tensor, {
    sparseKeys: ins.slice(2, 2 + nSparse).flatMap(strings),
    sparseTypes: kinds(node.attrs['sparse_types']),
    denseKeys: ins.slice(2 + nSparse, 2 + nSparse + nDense).flatMap(strings),
    denseTypes: kinds(node.attrs['Tdense']),
    denseShapes: (node.attrs['dense_shapes'] as number[][] | undefined) ?? [],
    denseDefaults: ins.slice(2 + nSparse + nDense),
  });
}

/** ParseExampleV2: inputs serialized, names, sparse_keys, dense_keys, ragged_keys (vectors), dense_defaults×len(Tdense). */
function parseExampleV2(node: GraphNode): tf.Tensor[] {
  const ins = node.inputs;
  if (strings(ins[4]).length > 0) throw InferdError.unimplemented('ParseExampleV2 with ragged features is not supported');
  return parse(ins[0] as tf.Tensor, {
    sparseKeys: strings(ins[2]),
    sparseTypes: kinds(node.attrs['sparse_types']),
    denseKeys: strings(ins[3]),
    denseTypes: kinds(node.attrs['Tdense']),
    denseShapes: (node.attrs['dense_shapes'] as number[][] | undefined) ?? [],
    denseDefaults: ins.slice(5),
  });
}

/** ParseExample and ParseExampleV2, by op name: graph-runner.ts registers them with tfjs-converter. */
export const PARSE_EXAMPLE_OPS: Readonly<Record<string, OpExecutor>> = {
  ParseExample: parseExampleV1,
  ParseExampleV2: parseExampleV2,
};
