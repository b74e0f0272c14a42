/**
 * Predict response bodies of TensorFlow Serving's REST API (shared/reference/tfserving-api.md §1.5,
 * util/json_tensor.cc MakeJsonFromTensors): row format `{"predictions": ...}` split along dimension 0, columnar
 * format `{"outputs": ...}` with whole tensors. Floats are written by WriteDecimal (format.ts); string outputs whose
 * alias ends in `_bytes` are written as `{"b64": ...}`. Hot path: one string build per tensor, no regexes per element.
 */
import { Buffer } from 'node:buffer';
import { tfShortName } from '../../../core/dtype.ts';
import { InferdError } from '../../../core/errors.ts';
import type { Signature } from '../../../core/signature.ts';
import type { Tensor } from '../../../core/tensor.ts';
import { base64ObjectJson } from './base64.ts';
import { formatFloat32, formatFloat64, quoteJson } from './format.ts';
import type { PredictFormat } from './predict-request.ts';

type ElementWriter = (i: number) => string;

function utf8Text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
}

/** A function writing element `i` of `t` as JSON text (AddSingleValueAndAdvance). */
function elementWriter(t: Tensor, asBytes: boolean): ElementWriter {
  switch (t.dtype) {
    case 'float32': {
      const d = t.data as Float32Array;
      return (i) => formatFloat32(d[i]!);
    }
    case 'float64': {
      const d = t.data as Float64Array;
      return (i) => formatFloat64(d[i]!);
    }
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint32': case 'int64': case 'uint64': {
      const d = t.data as ArrayLike<number | bigint>;
      return (i) => String(d[i]);
    }
    case 'bool': {
      const d = t.data as Uint8Array;
      return (i) => (d[i] ? 'true' : 'false');
    }
    case 'string': {
      const d = t.data as Uint8Array[];
      return asBytes ? (i) => base64ObjectJson(d[i]!) : (i) => quoteJson(utf8Text(d[i]!));
    }
    default:
      return () => {
        throw InferdError.invalidArgument(`Failed to write JSON value for tensor type: ${tfShortName(t.dtype)}`);
      };
  }
}

/** AddTensorValues: the sub-tensor of `shape` starting at element `offset` (a bare value for rank 0). */
function writeValues(shape: readonly number[], dim: number, offset: number, write: ElementWriter): string {
  if (dim >= shape.length) return write(offset);
  const n = shape[dim]!;
  const parts = new Array<string>(n);
  if (dim === shape.length - 1) {
    for (let i = 0; i < n; i++) parts[i] = write(offset + i);
  } else {
    let stride = 1;
    for (let k = dim + 1; k < shape.length; k++) stride *= shape[k]!;
    for (let i = 0; i < n; i++) parts[i] = writeValues(shape, dim + 1, offset + i * stride, write);
  }
  return `[${parts.join(', ')}]`;
}

const isBytesAlias = (name: string, t: Tensor): boolean => t.dtype === 'string' && name.endsWith('_bytes');

function orderedNames(outputs: Readonly<Record<string, Tensor>>, signature?: Signature): string[] {
  const names = Object.keys(outputs);
  if (!signature) return names;
  const order = Object.keys(signature.outputs);
  const rank = (n: string): number => {
    const i = order.indexOf(n);
    return i < 0 ? order.length : i;
  };
  return names.sort((a, b) => rank(a) - rank(b));
}

/** `outputs` re-keyed in the order encodePredictResponse writes them (for encoding elsewhere without the signature). */
export function orderOutputs(outputs: Readonly<Record<string, Tensor>>, signature?: Signature): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const name of orderedNames(outputs, signature)) out[name] = outputs[name]!;
  return out;
}

function rowFormat(names: readonly string[], outputs: Readonly<Record<string, Tensor>>): string {
  let batch = -1;
  for (const name of names) {
    const t = outputs[name]!;
    if (t.shape.length === 0) throw InferdError.invalidArgument(`Tensor name: ${name} has no shape information `);
    const cur = t.shape[0]!;
    if (batch >= 0 && batch !== cur) {
      throw InferdError.invalidArgument(`Tensor name: ${name} has inconsistent batch size: ${cur} expecting: ${batch}`);
    }
    batch = cur;
  }
  const cols = names.map((name) => {
    const t = outputs[name]!;
    const inner = t.shape.slice(1);
    let stride = 1;
    for (const d of inner) stride *= d;
    return { key: quoteJson(name), inner, stride, write: elementWriter(t, isBytesAlias(name, t)) };
  });
  const items = new Array<string>(Math.max(batch, 0));
  for (let item = 0; item < batch; item++) {
    if (cols.length === 1) {
      const c = cols[0]!;
      items[item] = writeValues(c.inner, 0, item * c.stride, c.write);
    } else {
      const fields = cols.map((c) => `        ${c.key}: ${writeValues(c.inner, 0, item * c.stride, c.write)}`);
      items[item] = `{\n${fields.join(',\n')}\n    }`;
    }
  }
  return items.length === 0 ? '{\n    "predictions": []\n}' : `{\n    "predictions": [${items.join(', ')}\n    ]\n}`;
}

function columnarFormat(names: readonly string[], outputs: Readonly<Record<string, Tensor>>): string {
  const whole = (name: string): string => {
    const t = outputs[name]!;
    return writeValues(t.shape, 0, 0, elementWriter(t, isBytesAlias(name, t)));
  };
  if (names.length === 1) return `{\n    "outputs": ${whole(names[0]!)}\n}`;
  const fields = names.map((name) => `        ${quoteJson(name)}: ${whole(name)}`);
  return `{\n    "outputs": {\n${fields.join(',\n')}\n    }\n}`;
}

/**
 * The predict response body for `format`. Output order follows `signature.outputs` when given (TF Serving's order
 * is a protobuf map's, i.e. unspecified). INVALID_ARGUMENT: `Cannot convert empty tensor map to JSON`, row format
 * `Tensor name: <n> has no shape information `, `Tensor name: <n> has inconsistent batch size: <a> expecting: <b>`,
 * and `Failed to write JSON value for tensor type: <half|bfloat16|uint16>` for dtypes JSON cannot carry.
 */
export function encodePredictResponse(
  format: PredictFormat,
  outputs: Readonly<Record<string, Tensor>>,
  signature?: Signature,
): string {
  const names = orderedNames(outputs, signature);
  if (names.length === 0) throw InferdError.invalidArgument('Cannot convert empty tensor map to JSON');
  return format === 'row' ? rowFormat(names, outputs) : columnarFormat(names, outputs);
}
