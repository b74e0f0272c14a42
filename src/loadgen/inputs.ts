/**
 * The load generator's view of a model's inputs: signatures read from TensorFlow Serving's metadata (REST JSON or
 * the decoded gRPC SignatureDefMap, both in proto field spelling), random request tensors generated from them, and
 * request tensors read from a TF Serving predict body (`--input file.json`, for gRPC targets).
 */
import { dtypeOfTfName, dtypeOfTfNumber, type DType } from '../core/dtype.ts';
import { DEFAULT_SIGNATURE } from '../core/signature.ts';

/** One input of a signature as the load generator needs it. `shape` null = unknown rank; -1 = unknown dimension. */
export interface InputSpec {
  readonly alias: string;
  readonly dtype: DType;
  readonly shape: readonly number[] | null;
}

/** The chosen signature of the target model. */
export interface SignatureInfo {
  readonly name: string;
  readonly inputs: readonly InputSpec[];
}

/**
 * A request tensor, independent of wire format. Numbers for numeric dtypes (int64 as JS numbers), booleans for bool,
 * bytes for string. Row-major; `values.length` is the product of `shape`.
 */
export interface RequestTensor {
  readonly alias: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly values: readonly number[] | readonly boolean[] | readonly Uint8Array[];
}

/** A TensorInfo in proto field spelling (REST metadata JSON, or gRPC decoded with enums and longs as strings). */
interface TensorInfoLike {
  readonly dtype?: string | number;
  readonly tensor_shape?: { readonly dim?: readonly { readonly size?: string | number }[]; readonly unknown_rank?: boolean } | null;
}

/** A SignatureDef in proto field spelling. */
export interface SignatureDefLike {
  readonly inputs?: Readonly<Record<string, TensorInfoLike>>;
  readonly outputs?: Readonly<Record<string, TensorInfoLike>>;
  readonly method_name?: string;
}

function dtypeOf(info: TensorInfoLike, alias: string): DType {
  const d = info.dtype;
  const dtype = typeof d === 'number' ? dtypeOfTfNumber(d) : typeof d === 'string' ? dtypeOfTfName(d) : undefined;
  if (!dtype) throw new Error(`input "${alias}" has a dtype the load generator cannot produce: ${String(d)}`);
  return dtype;
}

/**
 * Pick a signature from a SignatureDefMap: `wanted` when given (must exist), else `serving_default`, else the only
 * one that is not `__saved_model_init_op`. Throws with the available names otherwise.
 */
export function selectSignature(defs: Readonly<Record<string, SignatureDefLike>>, wanted?: string): SignatureInfo {
  const names = Object.keys(defs).filter((n) => n !== '__saved_model_init_op');
  let name: string | undefined = wanted;
  if (name === undefined || name === '') {
    if (DEFAULT_SIGNATURE in defs) name = DEFAULT_SIGNATURE;
    else if (names.length === 1) name = names[0];
  }
  const def = name === undefined ? undefined : defs[name];
  if (name === undefined || !def) throw new Error(`signature "${wanted ?? DEFAULT_SIGNATURE}" not found; the model has: ${names.join(', ') || '(none)'}`);
  const inputs = Object.entries(def.inputs ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([alias, info]): InputSpec => {
      const ts = info.tensor_shape;
      const shape = !ts ? null : ts.unknown_rank ? null : (ts.dim ?? []).map((d) => Number(d.size ?? -1));
      return { alias, dtype: dtypeOf(info, alias), shape };
    });
  if (inputs.length === 0) throw new Error(`signature "${name}" has no inputs`);
  return { name, inputs };
}

/** Read the SignatureDefMap out of a REST metadata body (`GET /v1/models/m/metadata`). */
export function signatureDefsFromRestMetadata(body: unknown): Record<string, SignatureDefLike> {
  const defs = (body as { metadata?: { signature_def?: { signature_def?: Record<string, SignatureDefLike> } } } | null)?.metadata?.signature_def?.signature_def;
  if (!defs || typeof defs !== 'object') throw new Error('metadata response has no metadata.signature_def.signature_def');
  return defs;
}

/** mulberry32: a small deterministic PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of generateInputs. */
export interface GenerateOptions {
  /** Value of every `-1` dimension. Default 1. */
  readonly batch?: number;
  /** Full shapes by input alias, overriding the signature's (needed for unknown-rank inputs). */
  readonly shapes?: Readonly<Record<string, readonly number[]>>;
  /** PRNG seed. Default 1. */
  readonly seed?: number;
}

const STRING_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Random values of each input's dtype and shape, `-1` → `batch`. Floats are k/1024 in [0, 1) (exact in float16 and
 * bfloat16 too); integers in [0, 10); strings 8 lowercase ASCII letters/digits.
 */
export function generateInputs(signature: SignatureInfo, options: GenerateOptions = {}): RequestTensor[] {
  const batch = options.batch ?? 1;
  const rand = prng(options.seed ?? 1);
  return signature.inputs.map((input) => {
    const override = options.shapes?.[input.alias];
    const base = override ?? input.shape;
    if (!base) throw new Error(`input "${input.alias}" has unknown rank: give its shape (--shape ${input.alias}=d0,d1,...) or use --input`);
    const shape = base.map((d) => (d < 0 ? batch : d));
    let count = 1;
    for (const d of shape) count *= d;
    const values = ((): RequestTensor['values'] => {
      switch (input.dtype) {
        case 'bool': return Array.from({ length: count }, () => rand() < 0.5);
        case 'string': return Array.from({ length: count }, () => {
          const bytes = new Uint8Array(8);
          for (let i = 0; i < 8; i++) bytes[i] = STRING_ALPHABET.charCodeAt(Math.floor(rand() * STRING_ALPHABET.length));
          return bytes;
        });
        case 'float32': case 'float64': case 'float16': case 'bfloat16':
          return Array.from({ length: count }, () => Math.floor(rand() * 1024) / 1024);
        default: return Array.from({ length: count }, () => Math.floor(rand() * 10));
      }
    })();
    return { alias: input.alias, dtype: input.dtype, shape, values };
  });
}

/** Flatten a nested JSON array into shape + leaves (shape from first elements; ragged arrays are rejected). */
function flatten(value: unknown, what: string): { shape: number[]; leaves: unknown[] } {
  const shape: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  const leaves: unknown[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      if (Array.isArray(v)) throw new Error(`${what}: ragged nested list`);
      leaves.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) throw new Error(`${what}: ragged nested list`);
    for (const e of v) walk(e, depth + 1);
  };
  walk(value, 0);
  return { shape, leaves };
}

function leafValues(leaves: readonly unknown[], dtype: DType, what: string): RequestTensor['values'] {
  if (dtype === 'string') {
    return leaves.map((l) => {
      if (typeof l === 'string') return new TextEncoder().encode(l);
      if (l && typeof l === 'object' && typeof (l as { b64?: unknown }).b64 === 'string') return new Uint8Array(Buffer.from((l as { b64: string }).b64, 'base64'));
      throw new Error(`${what}: expected strings`);
    });
  }
  if (dtype === 'bool') return leaves.map((l) => l === true || l === 1);
  return leaves.map((l) => {
    if (typeof l === 'number') return l;
    if (typeof l === 'boolean') return l ? 1 : 0;
    if (l === 'NaN' || l === 'Infinity' || l === '-Infinity') return Number(l);
    throw new Error(`${what}: expected numbers`);
  });
}

/**
 * The tensors of a TF Serving predict body (`inputs` columnar or `instances` row format, named or plain), typed by
 * the signature's dtypes. Used to send a JSON request file over gRPC.
 */
export function tensorsFromPredictBody(body: unknown, signature: SignatureInfo): RequestTensor[] {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error('request file: not a JSON object');
  const b = body as { inputs?: unknown; instances?: unknown };
  const byAlias = new Map(signature.inputs.map((i) => [i.alias, i]));
  const make = (alias: string, value: unknown): RequestTensor => {
    const spec = byAlias.get(alias);
    if (!spec) throw new Error(`request file: signature "${signature.name}" has no input "${alias}"`);
    const { shape, leaves } = flatten(value, `input "${alias}"`);
    return { alias, dtype: spec.dtype, shape, values: leafValues(leaves, spec.dtype, `input "${alias}"`) };
  };
  const single = (): string => {
    if (signature.inputs.length !== 1) throw new Error('request file: a plain value needs a single-input signature');
    return signature.inputs[0]!.alias;
  };
  if (b.inputs !== undefined) {
    const named = b.inputs && typeof b.inputs === 'object' && !Array.isArray(b.inputs) && !('b64' in b.inputs);
    return named ? Object.entries(b.inputs as Record<string, unknown>).map(([k, v]) => make(k, v)) : [make(single(), b.inputs)];
  }
  if (Array.isArray(b.instances) && b.instances.length > 0) {
    const first: unknown = b.instances[0];
    if (first && typeof first === 'object' && !Array.isArray(first) && !('b64' in first)) {
      const aliases = Object.keys(first);
      return aliases.map((alias) => make(alias, (b.instances as Record<string, unknown>[]).map((row) => row[alias])));
    }
    return [make(single(), b.instances)];
  }
  throw new Error("request file: needs an 'inputs' or a non-empty 'instances' key");
}
