/**
 * Predict request bodies of TensorFlow Serving's REST API (shared/reference/tfserving-api.md §1.4,
 * util/json_tensor.cc FillPredictRequestFromJson): row format (`instances`) and columnar format (`inputs`) to
 * core Tensors, with TF Serving's error texts. Two steps so errors come in TF Serving's order:
 * parsePredictRequest runs before servable lookup (empty body, parse error, not an object, bad signature_name);
 * decodePredictInputs runs after signature lookup (zero-input signature, both/neither keys, then the tensors).
 */
import type { DType } from '../../../core/dtype.ts';
import { tfShortName } from '../../../core/dtype.ts';
import { InferdError } from '../../../core/errors.ts';
import type { Signature } from '../../../core/signature.ts';
import { AllocationBudget } from '../../../core/limits.ts';
import { type Tensor, allocate, tensor } from '../../../core/tensor.ts';
import { decodeBase64Object, isBase64Object } from './base64.ts';
import { debugString } from './format.ts';
import {
  type JsonNode, type JsonObject, integerOf, jsonTypeName, member, parseLenientJson, stringText,
} from './lenient-json.ts';

/** Row (`instances` → `predictions`) or columnar (`inputs` → `outputs`). */
export type PredictFormat = 'row' | 'columnar';

/** A predict body that passed the pre-lookup checks. */
export interface ParsedPredictRequest {
  /** `signature_name` when present (may be empty, which means `serving_default`). */
  readonly signatureName?: string;
  /** `columnar` iff the body has `inputs` and no `instances`; `row` otherwise (key errors surface in decode). */
  readonly format: PredictFormat;
  /** The `instances` or `inputs` value, undefined when the body has neither. */
  readonly payload: JsonNode | undefined;
  /** The whole body (quoted in some error messages). */
  readonly document: JsonObject;
}

/**
 * Parse a predict body. INVALID_ARGUMENT, in this order: `JSON Parse error: ...`, `JSON Value: <dbg> Is not object`,
 * `JSON Value: <dbg> not formatted correctly. 'signature_name' key must be a string value.`
 */
export function parsePredictRequest(body: Uint8Array | string): ParsedPredictRequest {
  const { root } = parseLenientJson(body);
  if (root.kind !== 'object') throw InferdError.invalidArgument(`JSON Value: ${debugString(root)} Is not object`);
  const signatureName = readSignatureName(root);
  const instances = member(root, 'instances');
  const inputs = member(root, 'inputs');
  const format: PredictFormat = instances === undefined && inputs !== undefined ? 'columnar' : 'row';
  const payload = instances ?? inputs;
  return { ...(signatureName === undefined ? {} : { signatureName }), format, payload, document: root };
}

/** `signature_name` of a request object (shared by predict, classify, regress); throws when not a string. */
export function readSignatureName(doc: JsonObject): string | undefined {
  const sig = member(doc, 'signature_name');
  if (sig === undefined) return undefined;
  if (sig.kind !== 'string') {
    throw InferdError.invalidArgument(
      `JSON Value: ${debugString(doc)} not formatted correctly. 'signature_name' key must be a string value.`,
    );
  }
  return stringText(sig);
}

/**
 * Build the input tensors of a parsed request for `signature` (TF Serving error texts of §1.4). The zero-input
 * message names the request's signature (`DEFAULT` when it named none), as TF Serving does; `_signatureName`
 * (the resolved key) is accepted so this fits the facade's InputDecoder.
 */
export function decodePredictInputs(
  parsed: ParsedPredictRequest,
  signature: Signature,
  _signatureName?: string,
  budget: AllocationBudget = new AllocationBudget(),
): Record<string, Tensor> {
  const names = Object.keys(signature.inputs).sort();
  if (names.length === 0) {
    throw InferdError.invalidArgument(`Failed to get input map for signature: ${parsed.signatureName || 'DEFAULT'}`);
  }
  const doc = parsed.document;
  const instances = member(doc, 'instances');
  const inputs = member(doc, 'inputs');
  if (instances !== undefined && inputs !== undefined) {
    throw InferdError.invalidArgument(
      `JSON Value: ${debugString(doc)} Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist `,
    );
  }
  if (instances !== undefined) {
    if (instances.kind !== 'array') {
      throw InferdError.invalidArgument(`JSON Value: ${debugString(doc)} Expecting 'instances' to be an list/array`);
    }
    if (instances.items.length === 0) {
      throw InferdError.invalidArgument(`JSON Value: ${debugString(doc)} No values in 'instances' array`);
    }
    return decodeRows(instances.items, signature, names, budget);
  }
  if (inputs !== undefined) return decodeColumns(inputs, signature, names, budget);
  throw InferdError.invalidArgument("Missing 'inputs' or 'instances' key");
}

type Value = number | bigint | Uint8Array;
type Converter = (node: JsonNode) => Value;

function typeError(node: JsonNode, dtype: DType): InferdError {
  return InferdError.invalidArgument(
    `JSON Value: ${debugString(node)} Type: ${jsonTypeName(node)} is not of expected type: ${tfShortName(dtype)}`,
  );
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** AddValueToTensor: one JSON leaf (not an object, not an array) to one element of `dtype`. */
function converterFor(dtype: DType): Converter {
  switch (dtype) {
    case 'float32': case 'float64':
      return (n) => {
        if (n.kind !== 'number') throw typeError(n, dtype);
        return n.value;
      };
    case 'int32': case 'int16': case 'int8': case 'uint8':
      return (n) => {
        if (n.kind !== 'number' || n.isDouble || n.value < -2147483648 || n.value > 2147483647) throw typeError(n, dtype);
        return n.value;
      };
    case 'int64':
      return (n) => {
        if (n.kind !== 'number' || n.isDouble) throw typeError(n, dtype);
        const v = integerOf(n);
        if (v < INT64_MIN || v > INT64_MAX) throw typeError(n, dtype);
        return v;
      };
    case 'uint32':
      return (n) => {
        if (n.kind !== 'number' || n.isDouble || n.value < 0 || n.value > 4294967295) throw typeError(n, dtype);
        return n.value;
      };
    case 'uint64':
      return (n) => {
        if (n.kind !== 'number' || n.isDouble || (n.text.startsWith('-') && n.value !== 0)) throw typeError(n, dtype);
        return integerOf(n);
      };
    case 'bool':
      return (n) => {
        if (n.kind !== 'bool') throw typeError(n, dtype);
        return n.value ? 1 : 0;
      };
    case 'string':
      return (n) => {
        if (n.kind !== 'string') throw typeError(n, dtype);
        return n.bytes;
      };
    default:
      return (n) => {
        throw InferdError.unimplemented(`Conversion of JSON Value: ${debugString(n)} to type: ${tfShortName(dtype)}`);
      };
  }
}

/** GetDenseTensorShape: sizes along the first-element path. */
function denseShape(node: JsonNode): number[] {
  const shape: number[] = [];
  let n = node;
  while (n.kind === 'array') {
    shape.push(n.items.length);
    if (n.items.length === 0) break;
    n = n.items[0]!;
  }
  return shape;
}

/** FillTensorProto: checks rectangularity against `shape` and appends converted leaves to `out`. */
function fill(node: JsonNode, level: number, shape: readonly number[], dtype: DType, conv: Converter, out: Value[]): void {
  const rank = shape.length;
  if (node.kind !== 'array') {
    if (level !== rank) {
      throw InferdError.invalidArgument(
        `JSON Value: ${debugString(node)} found at incorrect level: ${level + 1} in the JSON DOM. Expected at level: ${rank}`,
      );
    }
    if (node.kind === 'object') {
      if (dtype !== 'string') throw typeError(node, dtype);
      out.push(decodeBase64Object(node));
    } else {
      out.push(conv(node));
    }
    return;
  }
  if (level >= rank) {
    throw InferdError.invalidArgument(`Encountered list at unexpected level: ${level} expected < ${rank}`);
  }
  const expected = shape[level]!;
  if (node.items.length !== expected) {
    throw InferdError.invalidArgument(
      `Encountered list at unexpected size: ${node.items.length} at level: ${level} expected size: ${expected}`,
    );
  }
  for (const item of node.items) fill(item, level + 1, shape, dtype, conv, out);
}

/** Values collected for one input alias. */
interface Column {
  readonly dtype: DType;
  readonly conv: Converter;
  readonly values: Value[];
  shape?: number[];
  size?: number;
}

function column(dtype: DType): Column {
  return { dtype, conv: converterFor(dtype), values: [] };
}

/** The tensor of `alias` from its collected values; charged to `budget` before its typed array is allocated. */
function buildTensor(dtype: DType, shape: readonly number[], values: Value[], budget: AllocationBudget, alias: string): Tensor {
  let stringBytes = 0;
  if (dtype === 'string') for (const v of values as Uint8Array[]) stringBytes += v.length;
  budget.charge(dtype, shape, alias, stringBytes);
  switch (dtype) {
    case 'float32': return tensor(dtype, shape, Float32Array.from(values as number[]));
    case 'float64': return tensor(dtype, shape, Float64Array.from(values as number[]));
    case 'int32': return tensor(dtype, shape, Int32Array.from(values as number[]));
    case 'int16': return tensor(dtype, shape, Int16Array.from(values as number[]));
    case 'int8': return tensor(dtype, shape, Int8Array.from(values as number[]));
    case 'uint8': return tensor(dtype, shape, Uint8Array.from(values as number[]));
    case 'uint32': return tensor(dtype, shape, Uint32Array.from(values as number[]));
    case 'int64': return tensor(dtype, shape, BigInt64Array.from(values as bigint[]));
    case 'uint64': return tensor(dtype, shape, BigUint64Array.from(values as bigint[]));
    case 'bool': return tensor(dtype, shape, Uint8Array.from(values as number[]));
    case 'string': return tensor(dtype, shape, values as Uint8Array[]);
    default:
      // float16/bfloat16/uint16: the converter throws on any value, so only empty tensors get here.
      return tensor(dtype, shape, allocate(dtype, values.length));
  }
}

const shapeText = (s: readonly number[]): string => `[${s.join(',')}]`;

/** AddInstanceItem: one element (or one named value of an element) of `instances`. */
function addInstanceItem(item: JsonNode, name: string, signature: Signature, columns: Map<string, Column>): void {
  const spec = signature.inputs[name];
  if (!Object.hasOwn(signature.inputs, name) || !spec) {
    throw InferdError.invalidArgument(`JSON object: does not have named input: ${name}`);
  }
  let col = columns.get(name);
  if (!col) {
    col = column(spec.dtype);
    columns.set(name, col);
  }
  const shape = denseShape(item);
  const before = col.values.length;
  fill(item, 0, shape, col.dtype, col.conv, col.values);
  const size = col.values.length - before;
  if (col.size === undefined || col.shape === undefined) {
    col.size = size;
    col.shape = shape;
  } else if (col.size !== size) {
    throw InferdError.invalidArgument(`Expecting tensor size: ${col.size} but got: ${size}`);
  } else if (shapeText(col.shape) !== shapeText(shape)) {
    throw InferdError.invalidArgument(`Expecting shape ${shapeText(col.shape)} but got: ${shapeText(shape)}`);
  }
}

function wrap(err: unknown, prefix: string): unknown {
  return err instanceof InferdError ? InferdError.invalidArgument(`${prefix} Error: ${err.toString()}`) : err;
}

const isElementObject = (n: JsonNode): boolean => n.kind === 'object' && !isBase64Object(n);

function decodeRows(items: readonly JsonNode[], signature: Signature, names: readonly string[], budget: AllocationBudget): Record<string, Tensor> {
  const first = items[0]!;
  if (first.kind !== 'object' && names.length > 1) {
    throw InferdError.invalidArgument(
      'instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map',
    );
  }
  const named = isElementObject(first);
  const wanted = names.join(',');
  const columns = new Map<string, Column>();
  items.forEach((elem, i) => {
    if (named) {
      if (elem.kind !== 'object' || !isElementObject(elem)) {
        throw InferdError.invalidArgument(`Expecting object but got list at item ${i} of input list`);
      }
      const keys = new Set<string>();
      for (const m of elem.members) {
        keys.add(m.key);
        try {
          addInstanceItem(m.value, m.key, signature, columns);
        } catch (err) {
          throw wrap(err, `Failed to process element: ${i} key: ${m.key} of 'instances' list.`);
        }
      }
      if ([...keys].sort().join(',') !== wanted || keys.size !== names.length) {
        throw InferdError.invalidArgument(
          `Failed to process element: ${i} of 'instances' list. JSON object: ${debugString(elem)} keys must be equal to: ${wanted}`,
        );
      }
    } else {
      if (isElementObject(elem)) {
        throw InferdError.invalidArgument(`Expecting value/list but got object at item ${i} of input list`);
      }
      try {
        addInstanceItem(elem, names[0]!, signature, columns);
      } catch (err) {
        throw wrap(err, `Failed to process element: ${i} of 'instances' list.`);
      }
    }
  });
  const out: Record<string, Tensor> = {};
  for (const [name, col] of columns) {
    out[name] = buildTensor(col.dtype, [items.length, ...(col.shape ?? [])], col.values, budget, name);
  }
  return out;
}

function decodeColumns(val: JsonNode, signature: Signature, names: readonly string[], budget: AllocationBudget): Record<string, Tensor> {
  const decodeOne = (node: JsonNode, name: string): Tensor => {
    const col = column(signature.inputs[name]!.dtype);
    const shape = denseShape(node);
    fill(node, 0, shape, col.dtype, col.conv, col.values);
    return buildTensor(col.dtype, shape, col.values, budget, name);
  };
  if (val.kind !== 'object' || isBase64Object(val)) {
    if (names.length > 1) {
      throw InferdError.invalidArgument(
        'inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map',
      );
    }
    return { [names[0]!]: decodeOne(val, names[0]!) };
  }
  const out: Record<string, Tensor> = {};
  for (const name of names) {
    const item = member(val, name);
    if (item === undefined) throw InferdError.invalidArgument(`Missing named input: ${name} in 'inputs' object.`);
    out[name] = decodeOne(item, name);
  }
  return out;
}
