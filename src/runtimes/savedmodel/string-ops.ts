/**
 * String and ragged ops that Keras TextVectorization / StringLookup exports use and tfjs-converter lacks or gets
 * wrong, as inferd custom ops (registered per thread by GraphRunner.create). Semantics follow TensorFlow's kernels:
 * - StringLower / StringUpper: `encoding` "" changes ASCII letters only (absl::AsciiStrToLower), "utf-8" every
 *   letter;
 * - StaticRegexReplace / RegexReplace: RE2 patterns and rewrites (`\0`–`\9` groups) translated to JavaScript
 *   (re2-regex.ts); `replace_global` replaces every match, else the first;
 * - StringSplitV2: Python's str.split — an empty `sep` splits on runs of whitespace and drops empty tokens, a
 *   given `sep` keeps empty tokens; `maxsplit` > 0 stops after that many splits and keeps the rest as one token.
 *   Outputs the sparse triple (indices [n, 2], values, dense shape [2]) that RaggedTensor.from_value_rowids wraps;
 * - Equal / NotEqual on strings (with broadcasting): tfjs-backend-wasm has no string comparison (it logs
 *   "Unsupported input_type" and answers garbage); numeric comparisons go to tfjs;
 * - RaggedTensorToTensor: the same kernel as tfjs-backend-cpu's (row partitions FIRST_DIM_SIZE, VALUE_ROWIDS,
 *   ROW_SPLITS), run here so that it works on the wasm backend too, which has no such kernel.
 * A string attribute is read from the node's raw bytes (tfjs-converter lowercases the strings it decodes).
 */
import * as tf from '@tensorflow/tfjs-core';
import { shared } from '@tensorflow/tfjs-backend-cpu';
import type { GraphNode, OpExecutor } from '@tensorflow/tfjs-converter';
import { InferdError } from '../../core/errors.ts';
import { rawStringAttr } from './raw-attrs.ts';
import { stringBytes } from './tfjs-tensors.ts';
import { re2Replacement, re2ToRegExp } from './re2-regex.ts';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

function mapStrings(x: tf.Tensor, what: string, f: (s: string) => string): tf.Tensor {
  if (x.dtype !== 'string') throw InferdError.invalidArgument(`${what}: input must be a string tensor, got ${x.dtype}`);
  return tf.tensor(stringBytes(x).map((b) => utf8.encode(f(fromUtf8.decode(b)))), x.shape, 'string');
}

function caseOp(node: GraphNode, lower: boolean): tf.Tensor {
  const encoding = (rawStringAttr(node, 'encoding') ?? '').toLowerCase();
  const ascii = lower ? /[A-Z]+/g : /[a-z]+/g;
  const change = (s: string): string => (lower ? s.toLowerCase() : s.toUpperCase());
  return mapStrings(node.inputs[0] as tf.Tensor, lower ? 'StringLower' : 'StringUpper', (s) => (encoding === '' ? s.replace(ascii, change) : change(s)));
}

function regexReplace(node: GraphNode, pattern: string, rewrite: string, what: string): tf.Tensor {
  const global = node.attrs['replace_global'] !== false;
  const re = re2ToRegExp(pattern, global, what);
  const replacement = re2Replacement(rewrite);
  return mapStrings(node.inputs[0] as tf.Tensor, what, (s) => s.replace(re, replacement));
}

function staticRegexReplace(node: GraphNode): tf.Tensor {
  return regexReplace(node, rawStringAttr(node, 'pattern') ?? '', rawStringAttr(node, 'rewrite') ?? '', 'StaticRegexReplace');
}

function dynamicRegexReplace(node: GraphNode): tf.Tensor {
  const [, pattern, rewrite] = node.inputs as [tf.Tensor, tf.Tensor, tf.Tensor];
  const scalar = (t: tf.Tensor, name: string): string => {
    const v = stringBytes(t);
    if (v.length !== 1) throw InferdError.invalidArgument(`RegexReplace: ${name} must be a scalar`);
    return fromUtf8.decode(v[0] as Uint8Array);
  };
  return regexReplace(node, scalar(pattern, 'pattern'), scalar(rewrite, 'rewrite'), 'RegexReplace');
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]);

/** TensorFlow's SplitV2 on bytes (Python str.split semantics). */
export function splitV2(text: Uint8Array, sep: Uint8Array, maxsplit: number): Uint8Array[] {
  if (maxsplit === 0) return [text];
  const out: Uint8Array[] = [];
  if (sep.length === 0) {
    let i = 0;
    const skip = (): void => {
      while (i < text.length && WHITESPACE.has(text[i] as number)) i++;
    };
    skip();
    while (i < text.length) {
      const start = i;
      while (i < text.length && !WHITESPACE.has(text[i] as number)) i++;
      out.push(text.subarray(start, i));
      skip();
      if (maxsplit > 0 && out.length === maxsplit) {
        out.push(text.subarray(i));
        return out;
      }
    }
    return out;
  }
  const buf = Buffer.from(text.buffer, text.byteOffset, text.byteLength);
  let start = 0;
  let splits = 0;
  for (let p = buf.indexOf(sep, start); p >= 0; p = buf.indexOf(sep, start)) {
    out.push(text.subarray(start, p));
    start = p + sep.length;
    splits++;
    if (maxsplit > 0 && splits === maxsplit) break;
  }
  out.push(text.subarray(start));
  return out;
}

function stringSplitV2(node: GraphNode): tf.Tensor[] {
  const [input, sepT] = node.inputs as [tf.Tensor, tf.Tensor];
  if (input.rank !== 1) throw InferdError.invalidArgument(`StringSplitV2: input must be a vector, got shape [${input.shape.join(', ')}]`);
  const sep = stringBytes(sepT);
  if (sep.length !== 1) throw InferdError.invalidArgument('StringSplitV2: sep must be a scalar');
  const maxsplit = Number(node.attrs['maxsplit'] ?? -1);
  const rows = stringBytes(input);
  const indices: number[] = [];
  const values: Uint8Array[] = [];
  let widest = 0;
  rows.forEach((row, r) => {
    const parts = splitV2(row, sep[0] as Uint8Array, maxsplit);
    parts.forEach((p, j) => {
      indices.push(r, j);
      values.push(p);
    });
    widest = Math.max(widest, parts.length);
  });
  return [
    tf.tensor2d(Int32Array.from(indices), [values.length, 2], 'int32'),
    tf.tensor1d(values as unknown as string[], 'string'),
    tf.tensor1d([rows.length, widest], 'int32'),
  ];
}

function raggedTensorToTensor(node: GraphNode): tf.Tensor {
  const [shape, values, dflt, ...partitions] = node.inputs as tf.Tensor[];
  const types = node.attrs['row_partition_types'] as string[] | undefined;
  if (!shape || !values || !dflt || !types) throw InferdError.invalidArgument('RaggedTensorToTensor: missing inputs or row_partition_types');
  if (values.dtype === 'string') throw InferdError.unimplemented('RaggedTensorToTensor on string values is not supported');
  const [outShape, data] = shared.raggedTensorToTensorImpl(
    shape.dataSync() as Int32Array, shape.shape, values.dataSync() as Float32Array, values.shape, values.dtype,
    dflt.dataSync() as Float32Array, dflt.shape, partitions.map((p) => p.dataSync() as Int32Array), partitions.map((p) => p.shape),
    types.map((t) => t.toUpperCase()),
  );
  return tf.tensor(data as Float32Array, outShape, values.dtype);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Equal / NotEqual: strings compared here with broadcasting (tfjs-backend-wasm cannot), numbers by tfjs. */
function compare(node: GraphNode, equal: boolean): tf.Tensor {
  const [a, b] = node.inputs as [tf.Tensor, tf.Tensor];
  if (a.dtype !== 'string' || b.dtype !== 'string') return equal ? tf.equal(a, b) : tf.notEqual(a, b);
  const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const av = stringBytes(a);
  const bv = stringBytes(b);
  const size = shape.reduce((x, y) => x * y, 1);
  const out = new Uint8Array(size);
  const offset = (t: tf.Tensor, flat: number): number => {
    // Row-major index into t for output position `flat`, broadcasting t's size-1 (or missing) leading dimensions.
    let rem = flat;
    let idx = 0;
    let stride = 1;
    for (let d = shape.length - 1, td = t.rank - 1; d >= 0; d--, td--) {
      const coord = rem % (shape[d] as number);
      rem = Math.floor(rem / (shape[d] as number));
      if (td >= 0) {
        const dim = t.shape[td] as number;
        if (dim !== 1) idx += coord * stride;
        stride *= dim;
      }
    }
    return idx;
  };
  for (let i = 0; i < size; i++) out[i] = sameBytes(av[offset(a, i)] as Uint8Array, bv[offset(b, i)] as Uint8Array) === equal ? 1 : 0;
  return tf.tensor(out, shape, 'bool');
}

/** The string and ragged ops, by op name: graph-runner.ts registers them with tfjs-converter. */
export const STRING_OPS: Readonly<Record<string, OpExecutor>> = {
  StringLower: (node) => caseOp(node, true),
  StringUpper: (node) => caseOp(node, false),
  StaticRegexReplace: staticRegexReplace,
  RegexReplace: dynamicRegexReplace,
  StringSplitV2: stringSplitV2,
  RaggedTensorToTensor: raggedTensorToTensor,
  Equal: (node) => compare(node, true),
  NotEqual: (node) => compare(node, false),
};
