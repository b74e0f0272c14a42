/**
 * Predict request bodies of TensorFlow Serving's REST API (shared/reference/tfserving-api.md §1.4,
 * util/json_tensor.cc FillPredictRequestFromJson): row format (`instances`) and columnar format (`inputs`) to
 * core Tensors, with TF Serving's error texts. Two steps so errors come in TF Serving's order:
 * parsePredictRequest runs before servable lookup (empty body, parse error, not an object, bad signature_name);
 * decodePredictInputs runs after signature lookup (zero-input signature, both/neither keys, then the tensors).
 *
 * The one decoder for every predict body: values go from the tape (json-tape.ts) straight into the tensor's typed
 * array, which is sized from the dense shape and charged to the request's allocation budget before it is allocated;
 * a row of plain numbers is one typed-array copy. Duplicate keys: the first wins (rapidjson FindMember), also inside
 * an `instances` object.
 */
import type { DType } from '../../../core/dtype.ts';
import { tfShortName } from '../../../core/dtype.ts';
import { InferdError } from '../../../core/errors.ts';
import { AllocationBudget } from '../../../core/limits.ts';
import type { Signature } from '../../../core/signature.ts';
import { type Tensor, allocate, tensor } from '../../../core/tensor.ts';
import { decodeBase64Bytes, decodeBase64Object } from './base64.ts';
import { debugStringAt } from './format.ts';
import {
  KIND, type JsonTape, findMember, keyEquals, nextRow, numberAt, parseJsonTape, stringBytesAt, stringTextAt, tokenText,
} from './json-tape.ts';
import { type JsonObject, nodeAt } from './lenient-json.ts';

/** Row (`instances` → `predictions`) or columnar (`inputs` → `outputs`). */
export type PredictFormat = 'row' | 'columnar';


/** A predict body that passed the pre-lookup checks. */
export interface ParsedPredictRequest {
  /** `signature_name` when present (may be empty, which means `serving_default`). */
  readonly signatureName?: string;
  /** `columnar` iff the body has `inputs` and no `instances`; `row` otherwise (key errors surface in decode). */
  readonly format: PredictFormat;
  /** The parsed body; row 0 is the request object. */
  readonly tape: JsonTape;
}

/**
 * Parse a predict body (or check an already parsed tape, e.g. one a worker built). INVALID_ARGUMENT, in this order:
 * `JSON Parse error: ...`, `JSON Value: <dbg> Is not object`,
 * `JSON Value: <dbg> not formatted correctly. 'signature_name' key must be a string value.`
 */
export function parsePredictRequest(body: Uint8Array | string | JsonTape): ParsedPredictRequest {
  const tape = typeof body === 'object' && 'rows' in body ? body : parseJsonTape(body);
  if (tape.kind[0] !== KIND.object) throw InferdError.invalidArgument(`JSON Value: ${debugStringAt(tape, 0)} Is not object`);
  const signatureName = readSignatureNameAt(tape);
  const format: PredictFormat = findMember(tape, 0, 'instances') < 0 && findMember(tape, 0, 'inputs') >= 0 ? 'columnar' : 'row';
  return { ...(signatureName === undefined ? {} : { signatureName }), format, tape };
}

function readSignatureNameAt(tape: JsonTape): string | undefined {
  const sig = findMember(tape, 0, 'signature_name');
  if (sig < 0) return undefined;
  const k = tape.kind[sig];
  if (k !== KIND.string && k !== KIND.escapedString) {
    throw InferdError.invalidArgument(
      `JSON Value: ${debugStringAt(tape, 0)} not formatted correctly. 'signature_name' key must be a string value.`,
    );
  }
  return stringTextAt(tape, sig);
}

/**
 * Build the input tensors of a parsed request for `signature` (TF Serving error texts of §1.4). The zero-input
 * message names the request's signature (`DEFAULT` when it named none), as TF Serving does; `_signatureName`
 * (the resolved key) is accepted so this fits the facade's InputDecoder. Every tensor is charged to `budget`
 * before its storage is allocated.
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
  const { tape } = parsed;
  const instances = findMember(tape, 0, 'instances');
  const inputs = findMember(tape, 0, 'inputs');
  const dbg = (): string => debugStringAt(tape, 0);
  if (instances >= 0 && inputs >= 0) {
    throw InferdError.invalidArgument(
      `JSON Value: ${dbg()} Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist `,
    );
  }
  const decoder = new TensorDecoder(tape, signature, budget);
  if (instances >= 0) {
    if (tape.kind[instances] !== KIND.array) {
      throw InferdError.invalidArgument(`JSON Value: ${dbg()} Expecting 'instances' to be an list/array`);
    }
    if (tape.count[instances] === 0) throw InferdError.invalidArgument(`JSON Value: ${dbg()} No values in 'instances' array`);
    return decoder.rows(instances, names);
  }
  if (inputs >= 0) return decoder.columns(inputs, names);
  throw InferdError.invalidArgument("Missing 'inputs' or 'instances' key");
}

/** Storage being filled: a typed array (numbers, bools) or an array of byte strings. */
type Storage = Tensor['data'];

/** One input alias of a row-format request: its element shape and the storage for all items. */
interface Column {
  readonly dtype: DType;
  readonly shape: number[];
  readonly size: number;
  /** Undefined when the claimed size cannot fit the body: the column is validated, never stored. */
  readonly data: Storage | undefined;
  filled: number;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const shapeText = (s: readonly number[]): string => `[${s.join(',')}]`;
const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function wrap(err: unknown, prefix: string): unknown {
  return err instanceof InferdError ? InferdError.invalidArgument(`${prefix} Error: ${err.toString()}`) : err;
}

/** rapidjson's type names used in TF Serving messages. */
const TYPE_NAMES = ['Null', 'False', 'True', 'Number', 'Number', 'String', 'String', 'Array', 'Object'];

class TensorDecoder {
  constructor(
    private readonly tape: JsonTape,
    private readonly signature: Signature,
    private readonly budget: AllocationBudget,
  ) {}

  private typeError(r: number, dtype: DType): InferdError {
    return InferdError.invalidArgument(
      `JSON Value: ${debugStringAt(this.tape, r)} Type: ${TYPE_NAMES[this.tape.kind[r]!]} is not of expected type: ${tfShortName(dtype)}`,
    );
  }

  /** `{"b64": "<string>"}` exactly. */
  private isBase64(r: number): boolean {
    const t = this.tape;
    if (t.kind[r] !== KIND.object || t.count[r] !== 1 || !keyEquals(t, r + 1, 'b64')) return false;
    const k = t.kind[r + 2];
    return k === KIND.string || k === KIND.escapedString;
  }

  /** The bytes of b64 object row `r` (errors as decodeBase64Object); unescaped text decodes from the source bytes. */
  private base64(r: number): Uint8Array {
    const t = this.tape;
    if (!this.isBase64(r) || t.kind[r + 2] !== KIND.string) return decodeBase64Object(nodeAt(t, r) as JsonObject);
    const bytes = decodeBase64Bytes(t.source.subarray(t.start[r + 2]! + 1, t.end[r + 2]! - 1));
    if (!bytes) throw InferdError.invalidArgument('Unable to base64 decode');
    return bytes;
  }

  private isElementObject(r: number): boolean {
    return this.tape.kind[r] === KIND.object && !this.isBase64(r);
  }

  /** GetDenseTensorShape: sizes along the first-element path. */
  private denseShape(r: number): number[] {
    const t = this.tape;
    const shape: number[] = [];
    let n = r;
    while (t.kind[n] === KIND.array) {
      shape.push(t.count[n]!);
      if (t.count[n] === 0) break;
      n++;
    }
    return shape;
  }

  /**
   * Storage for `count` elements of `shape` under `alias`, charged first. A dense shape claiming more elements than
   * the subtree at `r` has rows is ragged: the fill that follows throws, so validate without allocating.
   */
  private storage(dtype: DType, shape: readonly number[], alias: string, count: number, subtreeRows: number): Storage | undefined {
    if (count > subtreeRows) return undefined;
    this.budget.charge(dtype, shape, alias);
    return dtype === 'string' ? new Array<Uint8Array>(count) : allocate(dtype, count);
  }

  /** String contents are known only once read: charge them after the element overhead charged up front. */
  private chargeStrings(alias: string, data: Storage): void {
    if (!Array.isArray(data)) return;
    let bytes = 0;
    for (const s of data as Uint8Array[]) bytes += s.length;
    this.budget.chargeBytes(bytes, `${alias}: string contents`);
  }

  /** AddValueToTensor for leaf row `r` into `out[pos]` (`out` undefined: validate only). */
  private leaf(r: number, dtype: DType, out: Storage | undefined, pos: number): void {
    const t = this.tape;
    const k = t.kind[r]!;
    const isNumber = k === KIND.int || k === KIND.double;
    switch (dtype) {
      case 'float32': case 'float64':
        if (!isNumber) throw this.typeError(r, dtype);
        if (out) (out as Float32Array)[pos] = numberAt(t, r);
        return;
      case 'int32': case 'int16': case 'int8': case 'uint8': {
        const v = numberAt(t, r);
        if (k !== KIND.int || v < -2147483648 || v > 2147483647) throw this.typeError(r, dtype);
        if (out) (out as Int32Array)[pos] = v;
        return;
      }
      case 'uint32': {
        const v = numberAt(t, r);
        if (k !== KIND.int || v < 0 || v > 4294967295) throw this.typeError(r, dtype);
        if (out) (out as Uint32Array)[pos] = v;
        return;
      }
      case 'int64': {
        if (k !== KIND.int) throw this.typeError(r, dtype);
        const v = this.integer(r);
        if (v < INT64_MIN || v > INT64_MAX) throw this.typeError(r, dtype);
        if (out) (out as BigInt64Array)[pos] = v;
        return;
      }
      case 'uint64': {
        if (k !== KIND.int || (t.source[t.start[r]!] === 0x2d && numberAt(t, r) !== 0)) throw this.typeError(r, dtype);
        if (out) (out as BigUint64Array)[pos] = this.integer(r);
        return;
      }
      case 'bool':
        if (k !== KIND.true && k !== KIND.false) throw this.typeError(r, dtype);
        if (out) (out as Uint8Array)[pos] = k === KIND.true ? 1 : 0;
        return;
      case 'string':
        if (k !== KIND.string && k !== KIND.escapedString) throw this.typeError(r, dtype);
        if (out) (out as Uint8Array[])[pos] = stringBytesAt(t, r);
        return;
      default:
        throw InferdError.unimplemented(`Conversion of JSON Value: ${debugStringAt(t, r)} to type: ${tfShortName(dtype)}`);
    }
  }

  /** The exact integer of int row `r`. */
  private integer(r: number): bigint {
    const v = numberAt(this.tape, r);
    return Number.isSafeInteger(v) ? BigInt(v) : BigInt(tokenText(this.tape, r));
  }

  /** FillTensorProto: checks rectangularity against `shape`, writes leaves from `pos`; returns the next position. */
  private fill(r: number, level: number, shape: readonly number[], dtype: DType, out: Storage | undefined, pos: number): number {
    const t = this.tape;
    const rank = shape.length;
    const k = t.kind[r]!;
    if (k !== KIND.array) {
      if (level !== rank) {
        throw InferdError.invalidArgument(
          `JSON Value: ${debugStringAt(t, r)} found at incorrect level: ${level + 1} in the JSON DOM. Expected at level: ${rank}`,
        );
      }
      if (k === KIND.object) {
        if (dtype !== 'string') throw this.typeError(r, dtype);
        const bytes = this.base64(r);
        if (out) (out as Uint8Array[])[pos] = bytes;
      } else {
        this.leaf(r, dtype, out, pos);
      }
      return pos + 1;
    }
    if (level >= rank) throw InferdError.invalidArgument(`Encountered list at unexpected level: ${level} expected < ${rank}`);
    const n = t.count[r]!;
    const expected = shape[level]!;
    if (n !== expected) {
      throw InferdError.invalidArgument(`Encountered list at unexpected size: ${n} at level: ${level} expected size: ${expected}`);
    }
    if (level === rank - 1 && out && (dtype === 'float32' || dtype === 'float64') && this.allNumbers(r + 1, n)) {
      // A row of plain numbers: their doubles are consecutive on the tape; one copy (rounding to float32 if needed).
      const first = t.count[r + 1]!;
      (out as Float32Array).set(t.numbers.subarray(first, first + n), pos);
      return pos + n;
    }
    let p = pos;
    for (let c = r + 1; c < t.end[r]!; c = nextRow(t, c)) p = this.fill(c, level + 1, shape, dtype, out, p);
    return p;
  }

  private allNumbers(from: number, n: number): boolean {
    const kind = this.tape.kind;
    for (let c = from; c < from + n; c++) {
      const k = kind[c];
      if (k !== KIND.int && k !== KIND.double) return false;
    }
    return true;
  }

  /** One whole tensor from value row `r` (columnar format). */
  private whole(r: number, name: string): Tensor {
    const dtype = this.signature.inputs[name]!.dtype;
    const shape = this.denseShape(r);
    const out = this.storage(dtype, shape, name, product(shape), nextRow(this.tape, r) - r);
    this.fill(r, 0, shape, dtype, out, 0); // throws when `out` is undefined (ragged)
    if (!out) throw InferdError.internal('ragged input was not rejected');
    this.chargeStrings(name, out);
    return tensor(dtype, shape, out);
  }

  columns(r: number, names: readonly string[]): Record<string, Tensor> {
    const t = this.tape;
    if (t.kind[r] !== KIND.object || this.isBase64(r)) {
      if (names.length > 1) {
        throw InferdError.invalidArgument(
          'inputs is a plain value/list, but expecting an object as multiple input tensors required as per tensorinfo_map',
        );
      }
      return { [names[0]!]: this.whole(r, names[0]!) };
    }
    const out: Record<string, Tensor> = {};
    for (const name of names) {
      const item = findMember(t, r, name);
      if (item < 0) throw InferdError.invalidArgument(`Missing named input: ${name} in 'inputs' object.`);
      out[name] = this.whole(item, name);
    }
    return out;
  }

  rows(instances: number, names: readonly string[]): Record<string, Tensor> {
    const t = this.tape;
    const items = t.count[instances]!;
    const first = instances + 1;
    const instancesRows = t.end[instances]! - instances;
    if (t.kind[first] !== KIND.object && names.length > 1) {
      throw InferdError.invalidArgument(
        'instances is a plain list, but expecting list of objects as multiple input tensors required as per tensorinfo_map',
      );
    }
    const named = this.isElementObject(first);
    const wanted = names.join(',');
    const columns = new Map<string, Column>();
    let i = 0;
    for (let r = first; r < t.end[instances]!; r = nextRow(t, r), i++) {
      if (named) {
        if (!this.isElementObject(r)) throw InferdError.invalidArgument(`Expecting object but got list at item ${i} of input list`);
        const keys = new Set<string>();
        for (let m = r + 1; m < t.end[r]!; m = nextRow(t, m + 1)) {
          const key = stringTextAt(t, m);
          if (keys.has(key)) continue; // duplicate key: the first value counts
          keys.add(key);
          try {
            this.addInstanceItem(m + 1, key, items, instancesRows, columns);
          } catch (err) {
            throw wrap(err, `Failed to process element: ${i} key: ${key} of 'instances' list.`);
          }
        }
        if ([...keys].sort().join(',') !== wanted) {
          throw InferdError.invalidArgument(
            `Failed to process element: ${i} of 'instances' list. JSON object: ${debugStringAt(t, r)} keys must be equal to: ${wanted}`,
          );
        }
      } else {
        if (this.isElementObject(r)) throw InferdError.invalidArgument(`Expecting value/list but got object at item ${i} of input list`);
        try {
          this.addInstanceItem(r, names[0]!, items, instancesRows, columns);
        } catch (err) {
          throw wrap(err, `Failed to process element: ${i} of 'instances' list.`);
        }
      }
    }
    const out: Record<string, Tensor> = {};
    for (const [name, col] of columns) {
      if (!col.data) throw InferdError.internal(`ragged input '${name}' was not rejected`);
      this.chargeStrings(name, col.data);
      out[name] = tensor(col.dtype, [items, ...col.shape], col.data);
    }
    return out;
  }

  /** AddInstanceItem: one element (or one named value of an element) of `instances`. */
  private addInstanceItem(r: number, name: string, items: number, instancesRows: number, columns: Map<string, Column>): void {
    const spec = this.signature.inputs[name];
    if (!Object.hasOwn(this.signature.inputs, name) || !spec) {
      throw InferdError.invalidArgument(`JSON object: does not have named input: ${name}`);
    }
    const shape = this.denseShape(r);
    const size = product(shape);
    const subtreeRows = nextRow(this.tape, r) - r;
    let col = columns.get(name);
    if (!col) {
      // Every leaf of every item is a row of the `instances` subtree: more elements than that is a ragged body.
      // Every leaf of every item is a row of the `instances` subtree: more elements than that is a ragged body,
      // so the column is only validated (some item throws) and nothing is allocated.
      const data = this.storage(spec.dtype, [items, ...shape], name, items * size, size > subtreeRows ? 0 : instancesRows);
      col = { dtype: spec.dtype, shape, size, data, filled: 0 };
      columns.set(name, col);
    }
    const fits = col.size === size && shapeText(col.shape) === shapeText(shape);
    // A mismatching item is validated (its own errors come first, as TF Serving's order) without being stored.
    this.fill(r, 0, shape, col.dtype, fits ? col.data : undefined, col.filled);
    if (col.size !== size) throw InferdError.invalidArgument(`Expecting tensor size: ${col.size} but got: ${size}`);
    if (!fits) throw InferdError.invalidArgument(`Expecting shape ${shapeText(col.shape)} but got: ${shapeText(shape)}`);
    col.filled += size;
  }
}
