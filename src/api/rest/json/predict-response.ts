/**
 * Predict response bodies of TensorFlow Serving's REST API (shared/reference/tfserving-api.md §1.5,
 * util/json_tensor.cc MakeJsonFromTensors): row format `{"predictions": ...}` split along dimension 0, columnar
 * format `{"outputs": ...}` with whole tensors. Floats are written by WriteDecimal (format.ts); string outputs whose
 * alias ends in `_bytes` are written as `{"b64": ...}`. Hot path: one byte buffer per answer (json-writer.ts), no
 * string per integer, no arrays joined; floats that are not small integers still pass through format.ts's text.
 */
import { Buffer } from 'node:buffer';
import { tfShortName } from '../../../core/dtype.ts';
import { InferdError } from '../../../core/errors.ts';
import type { Signature } from '../../../core/signature.ts';
import type { Tensor } from '../../../core/tensor.ts';
import { base64ObjectJson } from './base64.ts';
import { formatFloat32, formatFloat64, quoteJson } from './format.ts';
import { JsonByteWriter } from './json-writer.ts';
import type { PredictFormat } from './predict-request.ts';

/** Writes element `i` of a tensor as JSON text (AddSingleValueAndAdvance). */
type ElementWriter = (w: JsonByteWriter, i: number) => void;

function utf8Text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
}

/** WriteDecimal for a value that is a float32 or a double: small integers digit by digit, the rest via format.ts. */
function decimalWriter(d: Float32Array | Float64Array, format: (v: number) => string): ElementWriter {
  return (w, i) => {
    const v = d[i]!;
    if (Number.isInteger(v) && v > -1e6 && v < 1e6 && !Object.is(v, -0)) {
      w.int(v);
      w.ascii('.0');
    } else w.ascii(format(v));
  };
}

/** The writer of `t`'s elements. */
function elementWriter(t: Tensor, asBytes: boolean): ElementWriter {
  switch (t.dtype) {
    case 'float32':
      return decimalWriter(t.data as Float32Array, formatFloat32);
    case 'float64':
      return decimalWriter(t.data as Float64Array, formatFloat64);
    case 'int8': case 'int16': case 'int32': case 'uint8': case 'uint32': {
      const d = t.data as ArrayLike<number>;
      return (w, i) => w.int(d[i]!);
    }
    case 'int64': case 'uint64': {
      const d = t.data as ArrayLike<number | bigint>;
      return (w, i) => w.ascii(String(d[i]));
    }
    case 'bool': {
      const d = t.data as Uint8Array;
      return (w, i) => w.ascii(d[i] ? 'true' : 'false');
    }
    case 'string': {
      const d = t.data as Uint8Array[];
      return asBytes ? (w, i) => w.ascii(base64ObjectJson(d[i]!)) : (w, i) => w.utf8(quoteJson(utf8Text(d[i]!)));
    }
    default:
      return () => {
        throw InferdError.invalidArgument(`Failed to write JSON value for tensor type: ${tfShortName(t.dtype)}`);
      };
  }
}

const COMMA = 0x2c;
const SPACE = 0x20;

/** AddTensorValues: the sub-tensor of `shape` starting at element `offset` (a bare value for rank 0). */
function writeValues(w: JsonByteWriter, shape: readonly number[], dim: number, offset: number, write: ElementWriter): void {
  if (dim >= shape.length) {
    write(w, offset);
    return;
  }
  const n = shape[dim]!;
  w.byte(0x5b); // [
  if (dim === shape.length - 1) {
    for (let i = 0; i < n; i++) {
      if (i > 0) {
        w.byte(COMMA);
        w.byte(SPACE);
      }
      write(w, offset + i);
    }
  } else {
    let stride = 1;
    for (let k = dim + 1; k < shape.length; k++) stride *= shape[k]!;
    for (let i = 0; i < n; i++) {
      if (i > 0) {
        w.byte(COMMA);
        w.byte(SPACE);
      }
      writeValues(w, shape, dim + 1, offset + i * stride, write);
    }
  }
  w.byte(0x5d); // ]
}

/** About how many bytes the answer takes (the writer grows past it when needed). */
function sizeHint(names: readonly string[], outputs: Readonly<Record<string, Tensor>>): number {
  let elements = 0;
  for (const name of names) elements += outputs[name]!.data.length;
  return 64 + names.length * 32 + elements * 12;
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

function rowFormat(w: JsonByteWriter, names: readonly string[], outputs: Readonly<Record<string, Tensor>>): void {
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
  if (batch <= 0) {
    w.ascii('{\n    "predictions": []\n}');
    return;
  }
  w.ascii('{\n    "predictions": [');
  for (let item = 0; item < batch; item++) {
    if (item > 0) w.ascii(', ');
    if (cols.length === 1) {
      const c = cols[0]!;
      writeValues(w, c.inner, 0, item * c.stride, c.write);
    } else {
      w.ascii('{\n');
      cols.forEach((c, k) => {
        if (k > 0) w.ascii(',\n');
        w.ascii('        ');
        w.utf8(c.key);
        w.ascii(': ');
        writeValues(w, c.inner, 0, item * c.stride, c.write);
      });
      w.ascii('\n    }');
    }
  }
  w.ascii('\n    ]\n}');
}

function columnarFormat(w: JsonByteWriter, names: readonly string[], outputs: Readonly<Record<string, Tensor>>): void {
  const whole = (name: string): void => {
    const t = outputs[name]!;
    writeValues(w, t.shape, 0, 0, elementWriter(t, isBytesAlias(name, t)));
  };
  if (names.length === 1) {
    w.ascii('{\n    "outputs": ');
    whole(names[0]!);
    w.ascii('\n}');
    return;
  }
  w.ascii('{\n    "outputs": {\n');
  names.forEach((name, k) => {
    if (k > 0) w.ascii(',\n');
    w.ascii('        ');
    w.utf8(quoteJson(name));
    w.ascii(': ');
    whole(name);
  });
  w.ascii('\n    }\n}');
}

/**
 * The predict response body for `format`, as UTF-8 bytes written into one buffer. Output order follows
 * `signature.outputs` when given (TF Serving's order is a protobuf map's, i.e. unspecified). INVALID_ARGUMENT:
 * `Cannot convert empty tensor map to JSON`, row format `Tensor name: <n> has no shape information `,
 * `Tensor name: <n> has inconsistent batch size: <a> expecting: <b>`, and
 * `Failed to write JSON value for tensor type: <half|bfloat16|uint16>` for dtypes JSON cannot carry.
 */
export function encodePredictResponseBytes(
  format: PredictFormat,
  outputs: Readonly<Record<string, Tensor>>,
  signature?: Signature,
): Buffer {
  const names = orderedNames(outputs, signature);
  if (names.length === 0) throw InferdError.invalidArgument('Cannot convert empty tensor map to JSON');
  const w = new JsonByteWriter(sizeHint(names, outputs));
  if (format === 'row') rowFormat(w, names, outputs);
  else columnarFormat(w, names, outputs);
  return w.bytes();
}

/** encodePredictResponseBytes as a string. */
export function encodePredictResponse(
  format: PredictFormat,
  outputs: Readonly<Record<string, Tensor>>,
  signature?: Signature,
): string {
  return encodePredictResponseBytes(format, outputs, signature).toString('utf8');
}
