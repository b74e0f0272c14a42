/**
 * The tfjs-converter custom op `InferdLookupTableFind` that replaces LookupTableFind(V2) in flattened graphs:
 * inputs (table keys, table values, keys, default_value), where the first two are the constants the flattener
 * bound from the initialized table (tables.ts). Output: the keys' shape, the values' dtype; keys not in the table
 * get default_value (a scalar, or one default per key). Synchronous; the key → position index is built once per
 * table-keys tensor and thread (cached on the weight tensor, which lives as long as the runner).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GraphNode, OpExecutor } from '@tensorflow/tfjs-converter';
import { InferdError } from '../../core/errors.ts';
import { LOOKUP_OP } from './tables.ts';
import { stringBytes } from './tfjs-tensors.ts';

const latin1 = new TextDecoder('latin1');
const indexes = new WeakMap<tf.Tensor, Map<string | number, number>>();

function elements(t: tf.Tensor): (string | number)[] {
  if (t.dtype === 'string') return stringBytes(t).map((b) => latin1.decode(b));
  return Array.from(t.dataSync() as Float32Array | Int32Array | Uint8Array);
}

function indexOf(tableKeys: tf.Tensor): Map<string | number, number> {
  let index = indexes.get(tableKeys);
  if (!index) {
    index = new Map();
    const keys = elements(tableKeys);
    for (let i = 0; i < keys.length; i++) index.set(keys[i] as string | number, i);
    indexes.set(tableKeys, index);
  }
  return index;
}

function lookup(node: GraphNode): tf.Tensor {
  const [tableKeys, tableValues, keys, dflt] = node.inputs as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
  if (keys.dtype !== tableKeys.dtype) {
    throw InferdError.invalidArgument(`Expected key dtype ${tableKeys.dtype === 'int32' ? 'int64' : tableKeys.dtype} but got ${keys.dtype === 'int32' ? 'int64' : keys.dtype} for table lookup`);
  }
  if (dflt.size !== 1 && dflt.size !== keys.size) {
    throw InferdError.invalidArgument(`Expected shape [] or [${keys.shape.join(',')}] for default value, got [${dflt.shape.join(',')}]`);
  }
  const index = indexOf(tableKeys);
  const wanted = elements(keys);
  const positions = wanted.map((k) => index.get(k) ?? -1);
  if (tableValues.dtype === 'string') {
    const values = stringBytes(tableValues);
    const defaults = stringBytes(dflt);
    const out = positions.map((p, i) => (p >= 0 ? values[p] : defaults[defaults.length === 1 ? 0 : i]) as Uint8Array);
    return tf.tensor(out, keys.shape, 'string');
  }
  const values = tableValues.dataSync() as Float32Array | Int32Array | Uint8Array;
  const defaults = dflt.dataSync() as Float32Array | Int32Array | Uint8Array;
  const out = new (values.constructor as new (n: number) => Float32Array | Int32Array | Uint8Array)(positions.length);
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i] as number;
    out[i] = p >= 0 ? (values[p] as number) : (defaults[defaults.length === 1 ? 0 : i] as number);
  }
  return tf.tensor(out, keys.shape, tableValues.dtype);
}

/** The table lookup op, by op name: graph-runner.ts registers them with tfjs-converter. */
export const TABLE_OPS: Readonly<Record<string, OpExecutor>> = { [LOOKUP_OP]: lookup };
