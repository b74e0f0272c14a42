/**
 * Request allocation limits: how much tensor memory one request may make the server allocate. Every decoder that
 * turns client bytes into tensors (REST JSON, TensorProto, Open Inference Protocol) charges each tensor to the
 * request's `AllocationBudget` *before* allocating its storage, so a 41-byte message claiming shape [1e8] is refused
 * without the 400 MB. The facade charges the outputs of a run to the same kind of budget before they are encoded,
 * at the size the transport's encoding will take (ResponseEncoding) when the transport says it.
 *
 * Cost model (bytes): a numeric element costs its width (float32 4, int64 8, bool 1, ...); a string element costs
 * its byte length plus STRING_ELEMENT_OVERHEAD_BYTES (the JS object that holds it). Strings repeated by TensorFlow's
 * fill rule are charged once per element: runtimes copy them.
 *
 * Pure: no I/O. Errors are `LimitExceededError` (RESOURCE_EXHAUSTED; REST answers 413) naming the limit.
 */
import { byteWidth, type DType } from './dtype.ts';
import { InferdError } from './errors.ts';
import type { Tensor } from './tensor.ts';

/** Default of `RequestLimits.maxTensorBytes`: 256 MiB of inputs (and, separately, of outputs) per request. */
export const DEFAULT_MAX_TENSOR_BYTES = 256 * 1024 * 1024;

/** Bytes charged per string element on top of its content (a JS Uint8Array object and its slot). */
export const STRING_ELEMENT_OVERHEAD_BYTES = 64;

/** Largest element count of any one tensor, whatever the byte limit (typed arrays index with int32-ish lengths). */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/** Largest rank of a tensor (TensorFlow's TensorShape::MaxDimensions()); decoders refuse more dims unread. */
export const MAX_TENSOR_RANK = 254;

/** Limits on what one request may make the server allocate. Each default is beside its field. */
export interface RequestLimits {
  /**
   * Largest total size in bytes of the tensors decoded from one request, and (separately) of the tensors one run
   * answers with. Default DEFAULT_MAX_TENSOR_BYTES (256 MiB); `--max_request_tensor_bytes` on `inferd serve`.
   */
  readonly maxTensorBytes: number;
}

/** The default limits (documented in docs/operations.md). */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxTensorBytes: DEFAULT_MAX_TENSOR_BYTES };

/** A request limit was exceeded. Code RESOURCE_EXHAUSTED; `limit` names the option (`max_request_tensor_bytes`). */
export class LimitExceededError extends InferdError {
  constructor(
    readonly limit: string,
    message: string,
  ) {
    super('RESOURCE_EXHAUSTED', message);
  }
}

/**
 * Elements of `shape`, or an error when a dimension is not a non-negative safe integer or the product passes
 * MAX_TENSOR_ELEMENTS. Computed without overflow (stops at the first excess), so hostile dims cost nothing.
 */
export function checkedElementCount(shape: readonly number[], what: string): number {
  let count = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw InferdError.invalidArgument(`${what}: invalid dimension ${String(d)}`);
    count *= d;
    if (count > MAX_TENSOR_ELEMENTS) {
      throw new LimitExceededError('max_tensor_elements', `${what}: shape [${shape.join(',')}] has more than ${MAX_TENSOR_ELEMENTS} elements`);
    }
  }
  return count;
}

/**
 * Bytes charged for `count` elements of `dtype`; for strings `stringBytes` is the total content length of all
 * `count` elements (repeats counted each time).
 */
export function tensorCostBytes(dtype: DType, count: number, stringBytes = 0): number {
  const width = byteWidth(dtype);
  return width === undefined ? count * STRING_ELEMENT_OVERHEAD_BYTES + stringBytes : count * width;
}

/**
 * How a transport will encode a response, for the response budget: `bytes` is an upper bound of what encoding one
 * output allocates (JSON text, protobuf bytes), so an answer past the limit is refused before it is built.
 */
export interface ResponseEncoding {
  /** Named in messages: `JSON`, `protobuf`, ... */
  readonly name: string;
  /** Upper bound in bytes of output `alias` = `t` once encoded. */
  bytes(alias: string, t: Tensor): number;
}

/**
 * The tensor memory one request may still allocate: one budget for its inputs (every decoder charges each tensor
 * before allocating it) and one for its outputs (the facade charges them after the run, before encoding).
 * Not shared between requests; not thread-safe (one event loop).
 */
export class AllocationBudget {
  private used = 0;

  /** `what` names the side in messages: `request` (inputs) or `response` (outputs). */
  constructor(
    readonly limits: RequestLimits = DEFAULT_REQUEST_LIMITS,
    readonly what: 'request' | 'response' = 'request',
  ) {}

  /** Bytes charged so far. */
  get usedBytes(): number {
    return this.used;
  }

  /**
   * Charge one tensor of `dtype` and `shape` (named `alias` in messages) before allocating it; returns its element
   * count. `stringBytes`: total content bytes of a string tensor (0 when unknown yet, e.g. before reading values).
   * Throws INVALID_ARGUMENT for a malformed shape, LimitExceededError (RESOURCE_EXHAUSTED) past the limit; nothing
   * is charged when it throws.
   */
  charge(dtype: DType, shape: readonly number[], alias: string, stringBytes = 0): number {
    const count = checkedElementCount(shape, alias);
    this.chargeBytes(tensorCostBytes(dtype, count, stringBytes), `${alias}: ${dtype} tensor of shape [${shape.join(',')}]`);
    return count;
  }

  /** Charge an existing tensor (a run's output, a tensor adopted without a copy) under `alias`. */
  chargeTensor(alias: string, t: Tensor): void {
    let stringBytes = 0;
    if (t.dtype === 'string') for (const s of t.data as Uint8Array[]) stringBytes += s.length;
    this.charge(t.dtype, t.shape, alias, stringBytes);
  }

  /** Charge an output as `encoding` will encode it (its element count checked as for `charge`). */
  chargeEncoded(alias: string, t: Tensor, encoding: ResponseEncoding): void {
    checkedElementCount(t.shape, alias);
    this.chargeBytes(encoding.bytes(alias, t), `${alias}: ${t.dtype} output of shape [${t.shape.join(',')}] as ${encoding.name}`);
  }

  /** Charge raw bytes (e.g. string contents learned after `charge`); `what` describes them in the message. */
  chargeBytes(bytes: number, what: string): void {
    const total = this.used + bytes;
    if (total > this.limits.maxTensorBytes) {
      throw new LimitExceededError(
        'max_request_tensor_bytes',
        `${what} needs ${bytes} bytes; the tensors of one ${this.what} may use at most ${this.limits.maxTensorBytes} bytes ` +
          `(max_request_tensor_bytes)`,
      );
    }
    this.used = total;
  }
}

/**
 * Check a single tensor of `dtype` × `shape` against `limits` without a running budget (a tensor on its own).
 * Returns the element count; throws like AllocationBudget.charge.
 */
export function checkTensorAllocation(dtype: DType, shape: readonly number[], limits: RequestLimits, alias: string): number {
  return new AllocationBudget(limits).charge(dtype, shape, alias);
}
