/**
 * The Open Inference Protocol's REST inference request (`$inference_request`, shared/reference/open-inference-
 * protocol.md §2.2) and the binary tensor data extension (§2.4): the JSON header, then the raw tensors of the
 * inputs that carry a `binary_data_size` parameter, concatenated in input order. The JSON is read by the project's
 * one JSON parser (json-tape.ts). The request's small parts become a node tree (lenient-json.ts: exact int64, raw
 * string bytes); each input's `data` stays on the tape and is decoded only when the facade asks for it (after the
 * model is resolved), never into more elements than the body holds: floating-point data that is only numbers is
 * copied from the tape's number column in one pass, anything else goes through the node tree.
 */
import type { DType } from '../../../core/dtype.ts';
import { InferdError } from '../../../core/errors.ts';
import { numberToBfloat16Bits, numberToHalfBits } from '../../../core/half.ts';
import { allocate, type TensorData } from '../../../core/tensor.ts';
import { type OipInput, type OipParameter } from '../../oip/infer.ts';
import { decodeRaw } from '../../oip/raw.ts';
import { KIND, nextRow, parseJsonTape, stringTextAt, type JsonTape } from '../json/json-tape.ts';
import {
  integerOf, jsonTypeName, member, nodeAt, stringText, type JsonMember, type JsonNode, type JsonObject,
} from '../json/lenient-json.ts';

/** A requested output and whether it should come back as binary data. */
export interface RequestedOutput {
  readonly name: string;
  /** `parameters.binary_data` of the output, when given. */
  readonly binary?: boolean;
}

/** A parsed inference request body. */
export interface ParsedInferRequest {
  readonly id?: string;
  readonly parameters: Readonly<Record<string, OipParameter>>;
  readonly inputs: readonly OipInput[];
  readonly outputs?: readonly RequestedOutput[];
  /** Request parameter `binary_data_output`: the default for outputs without their own `binary_data`. */
  readonly binaryDataOutput: boolean;
}

const invalid = (message: string) => InferdError.invalidArgument(message);

/**
 * Split a body into JSON header and binary part by the `Inference-Header-Content-Length` header (absent = the
 * whole body is JSON). INVALID_ARGUMENT for a value that is not an integer within the body.
 */
export function splitBody(body: Uint8Array, headerLength: string | string[] | undefined): { json: Uint8Array; binary: Uint8Array } {
  if (headerLength === undefined) return { json: body, binary: body.subarray(body.length) };
  const text = Array.isArray(headerLength) ? headerLength[0] ?? '' : headerLength;
  if (!/^\d+$/.test(text.trim())) throw invalid(`Inference-Header-Content-Length must be a non-negative integer, got '${text}'`);
  const n = Number(text.trim());
  if (n > body.length) throw invalid(`Inference-Header-Content-Length ${text.trim()} is larger than the request body (${body.length} bytes)`);
  return { json: body.subarray(0, n), binary: body.subarray(n) };
}

function parameterValue(node: JsonNode, key: string): OipParameter {
  switch (node.kind) {
    case 'string': return stringText(node);
    case 'bool': return node.value;
    case 'number': return node.isDouble ? node.value : (() => {
      const i = integerOf(node);
      return Number.isSafeInteger(Number(i)) ? Number(i) : i;
    })();
    default: throw invalid(`parameter '${key}' must be a string, number or boolean, got ${jsonTypeName(node)}`);
  }
}

/** `$parameters`: an object of scalar values (absent = empty). */
function parametersOf(node: JsonNode | undefined, where: string): Record<string, OipParameter> {
  if (node === undefined) return {};
  if (node.kind !== 'object') throw invalid(`'parameters' of ${where} must be an object, got ${jsonTypeName(node)}`);
  const out: Record<string, OipParameter> = {};
  for (const m of node.members) out[m.key] = parameterValue(m.value, m.key);
  return out;
}

function requiredString(obj: JsonObject, key: string, where: string): string {
  const node = member(obj, key);
  if (node === undefined) throw invalid(`missing '${key}' in ${where}`);
  if (node.kind !== 'string') throw invalid(`'${key}' of ${where} must be a string, got ${jsonTypeName(node)}`);
  return stringText(node);
}

function shapeOf(obj: JsonObject, where: string): number[] {
  const node = member(obj, 'shape');
  if (node === undefined) throw invalid(`missing 'shape' in ${where}`);
  if (node.kind !== 'array') throw invalid(`'shape' of ${where} must be an array, got ${jsonTypeName(node)}`);
  return node.items.map((d) => {
    if (d.kind !== 'number' || d.isDouble || integerOf(d) < 0n || integerOf(d) > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw invalid(`'shape' of ${where} must hold non-negative integers`);
    }
    return Number(integerOf(d));
  });
}

function binarySize(parameters: Readonly<Record<string, OipParameter>>, where: string): number | undefined {
  const v = parameters.binary_data_size;
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(`parameter binary_data_size of ${where} must be a non-negative integer`);
  return v;
}

/** Every leaf of nested arrays, row-major (flat and nested `data` are the same tensor). */
function leaves(node: JsonNode, out: JsonNode[], depth: number): void {
  if (node.kind !== 'array') {
    out.push(node);
    return;
  }
  for (const item of node.items) leaves(item, out, depth + 1);
}

const INT_RANGE: Partial<Record<DType, readonly [bigint, bigint]>> = {
  int8: [-128n, 127n], int16: [-32768n, 32767n], int32: [-(2n ** 31n), 2n ** 31n - 1n], int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8: [0n, 255n], uint16: [0n, 65535n], uint32: [0n, 2n ** 32n - 1n], uint64: [0n, 2n ** 64n - 1n],
};

/** The element-count error of `data`. */
const countMismatch = (name: string, count: number, got: number) =>
  invalid(`unexpected number of elements in 'data' of input '${name}': the shape needs ${count}, got ${got}`);

/**
 * Floating-point `data` at tape row `row` when it is numbers in (nested) arrays only: its values in document order,
 * a view of the tape's number column (numbers of a subtree are contiguous there). Undefined for anything else.
 */
function tapeNumbers(tape: JsonTape, row: number): Float64Array | undefined {
  if (tape.kind[row] !== KIND.array) return undefined;
  let first = -1;
  let n = 0;
  for (let r = row + 1; r < tape.end[row]!; r++) {
    const k = tape.kind[r];
    if (k === KIND.int || k === KIND.double) {
      if (first < 0) first = tape.count[r]!;
      n++;
    } else if (k !== KIND.array) return undefined;
  }
  return first < 0 ? new Float64Array(0) : tape.numbers.subarray(first, first + n);
}

/** JSON `data` at tape row `row` → storage of `count` elements of `dtype` (see decodeJsonData). */
function decodeTapeData(tape: JsonTape, row: number, dtype: DType, datatype: string, count: number, name: string): TensorData {
  const floating = dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
  const numbers = floating ? tapeNumbers(tape, row) : undefined;
  if (numbers === undefined) return decodeJsonData(nodeAt(tape, row), dtype, datatype, count, name);
  if (numbers.length !== count) throw countMismatch(name, count, numbers.length);
  const out = allocate(dtype, count);
  if (dtype === 'float32' || dtype === 'float64') (out as Float32Array | Float64Array).set(numbers);
  else {
    const toBits = dtype === 'float16' ? numberToHalfBits : numberToBfloat16Bits;
    for (let i = 0; i < count; i++) (out as Uint16Array)[i] = toBits(numbers[i]!);
  }
  return out;
}

/** JSON `data` → storage of `count` elements of `dtype` (the server coerces 0/1 to BOOL and integral floats to ints). */
export function decodeJsonData(data: JsonNode, dtype: DType, datatype: string, count: number, name: string): TensorData {
  const items: JsonNode[] = [];
  if (data.kind === 'array') leaves(data, items, 0);
  else items.push(data);
  if (items.length !== count) throw countMismatch(name, count, items.length);
  const bad = (i: number, node: JsonNode): never => {
    throw invalid(`unable to parse 'data' of input '${name}': element ${i} is ${jsonTypeName(node)}${node.kind === 'number' ? ` ${node.text}` : ''}, expected ${datatype}`);
  };
  if (dtype === 'string') {
    return items.map((node, i) => (node.kind === 'string' ? node.bytes : bad(i, node)));
  }
  const out = allocate(dtype, count);
  const range = INT_RANGE[dtype];
  for (let i = 0; i < count; i++) {
    const node = items[i]!;
    if (dtype === 'bool') {
      if (node.kind === 'bool') (out as Uint8Array)[i] = node.value ? 1 : 0;
      else if (node.kind === 'number' && (node.value === 0 || node.value === 1)) (out as Uint8Array)[i] = node.value;
      else bad(i, node);
      continue;
    }
    if (node.kind !== 'number') bad(i, node);
    const n = node as Extract<JsonNode, { kind: 'number' }>;
    if (range) {
      let v: bigint;
      if (!n.isDouble) v = integerOf(n);
      else if (Number.isInteger(n.value)) v = BigInt(n.value);
      else return bad(i, node);
      if (v < range[0] || v > range[1]) throw invalid(`unable to parse 'data' of input '${name}': element ${i} (${n.text}) is out of range for ${datatype}`);
      if (dtype === 'int64' || dtype === 'uint64') (out as BigInt64Array | BigUint64Array)[i] = v;
      else (out as Int32Array)[i] = Number(v);
    } else if (dtype === 'float16') {
      (out as Uint16Array)[i] = numberToHalfBits(n.value);
    } else if (dtype === 'bfloat16') {
      (out as Uint16Array)[i] = numberToBfloat16Bits(n.value);
    } else {
      (out as Float32Array | Float64Array)[i] = n.value;
    }
  }
  return out;
}

/** The request as a node tree in which inputs' `data` members are left out; their tape rows are in `dataRows`. */
interface RequestTree {
  readonly root: JsonNode;
  /** Tape row of the first `data` member of each input object. */
  readonly dataRows: WeakMap<JsonObject, number>;
}

/** Build the request's tree from the tape without materializing the inputs' `data` (the bulk of a JSON request). */
function requestTree(tape: JsonTape): RequestTree {
  const dataRows = new WeakMap<JsonObject, number>();
  const objectAt = (r: number, visit: (key: string, valueRow: number, members: JsonMember[]) => void): JsonObject => {
    const members: JsonMember[] = [];
    for (let c = r + 1; c < tape.end[r]!; c = nextRow(tape, c + 1)) visit(stringTextAt(tape, c), c + 1, members);
    return { kind: 'object', members };
  };
  const input = (r: number): JsonNode => {
    if (tape.kind[r] !== KIND.object) return nodeAt(tape, r);
    let dataRow = -1;
    const obj = objectAt(r, (key, v, members) => {
      if (key !== 'data') members.push({ key, value: nodeAt(tape, v) });
      else if (dataRow < 0) dataRow = v;
    });
    if (dataRow >= 0) dataRows.set(obj, dataRow);
    return obj;
  };
  if (tape.kind[0] !== KIND.object) return { root: nodeAt(tape, 0), dataRows };
  const root = objectAt(0, (key, v, members) => {
    if (key !== 'inputs' || tape.kind[v] !== KIND.array) {
      members.push({ key, value: nodeAt(tape, v) });
      return;
    }
    const items: JsonNode[] = [];
    for (let i = v + 1; i < tape.end[v]!; i = nextRow(tape, i)) items.push(input(i));
    members.push({ key, value: { kind: 'array', items } });
  });
  return { root, dataRows };
}

/**
 * Parse an inference request: `json` is the JSON header, `binary` the bytes after it (empty without the binary
 * extension). INVALID_ARGUMENT for anything malformed, including binary sizes that do not add up to `binary`.
 */
export function parseInferRequest(json: Uint8Array, binary: Uint8Array): ParsedInferRequest {
  const tape = parseJsonTape(json);
  const { root, dataRows } = requestTree(tape);
  if (root.kind !== 'object') throw invalid(`inference request must be a JSON object, got ${jsonTypeName(root)}`);
  const idNode = member(root, 'id');
  if (idNode !== undefined && idNode.kind !== 'string') throw invalid(`'id' must be a string, got ${jsonTypeName(idNode)}`);
  const parameters = parametersOf(member(root, 'parameters'), 'the request');
  const binaryDataOutput = parameters.binary_data_output;
  if (binaryDataOutput !== undefined && typeof binaryDataOutput !== 'boolean') throw invalid('parameter binary_data_output must be a boolean');
  const inputsNode = member(root, 'inputs');
  if (inputsNode === undefined) throw invalid("missing 'inputs' in the inference request");
  if (inputsNode.kind !== 'array') throw invalid(`'inputs' must be an array, got ${jsonTypeName(inputsNode)}`);
  let offset = 0;
  const inputs: OipInput[] = inputsNode.items.map((node, index) => {
    if (node.kind !== 'object') throw invalid(`input ${index} must be an object, got ${jsonTypeName(node)}`);
    const name = requiredString(node, 'name', `input ${index}`);
    const where = `input '${name}'`;
    const datatype = requiredString(node, 'datatype', where);
    const shape = shapeOf(node, where);
    const size = binarySize(parametersOf(member(node, 'parameters'), where), where);
    const data = dataRows.get(node);
    if (size !== undefined) {
      if (data !== undefined) throw invalid(`${where} has both 'data' and parameter binary_data_size`);
      if (offset + size > binary.length) throw invalid(`${where}: binary_data_size ${size} runs past the end of the binary data (${binary.length - offset} bytes left)`);
      const bytes = binary.subarray(offset, offset + size);
      offset += size;
      return { name, datatype, shape, decode: (dtype, count) => decodeRaw(dtype, count, bytes, name) };
    }
    if (data === undefined) throw invalid(`missing 'data' in ${where}`);
    return { name, datatype, shape, decode: (dtype, count) => decodeTapeData(tape, data, dtype, datatype, count, name) };
  });
  if (offset !== binary.length) throw invalid(`the request has ${binary.length - offset} byte(s) of binary data that no input's binary_data_size accounts for`);
  const outputsNode = member(root, 'outputs');
  let outputs: RequestedOutput[] | undefined;
  if (outputsNode !== undefined) {
    if (outputsNode.kind !== 'array') throw invalid(`'outputs' must be an array, got ${jsonTypeName(outputsNode)}`);
    outputs = outputsNode.items.map((node, index) => {
      if (node.kind !== 'object') throw invalid(`output ${index} must be an object, got ${jsonTypeName(node)}`);
      const name = requiredString(node, 'name', `output ${index}`);
      const p = parametersOf(member(node, 'parameters'), `output '${name}'`);
      if (p.binary_data !== undefined && typeof p.binary_data !== 'boolean') throw invalid(`parameter binary_data of output '${name}' must be a boolean`);
      return { name, ...(p.binary_data !== undefined ? { binary: p.binary_data } : {}) };
    });
  }
  return {
    ...(idNode !== undefined ? { id: stringText(idNode as Extract<JsonNode, { kind: 'string' }>) } : {}),
    parameters,
    inputs,
    ...(outputs !== undefined ? { outputs } : {}),
    binaryDataOutput: binaryDataOutput === true,
  };
}
