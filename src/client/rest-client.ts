/**
 * The REST client: TensorFlow Serving's /v1 API (predict, classify, regress, metadata, status) with typed-array
 * tensors in and out. Output dtypes come from the model's signature, fetched once per model version and cached.
 * Connections are kept alive (undici); TLS with a custom CA and client certificates; bearer tokens; deadlines;
 * retries when the server is unavailable.
 */
import { Agent, fetch } from 'undici';
import { dtypeOfTfName } from '../core/dtype.ts';
import { InferdError } from '../core/errors.ts';
import { DEFAULT_SIGNATURE, type ModelMetadata, type Signature, type TensorSpec } from '../core/signature.ts';
import type { Tensor } from '../core/tensor.ts';
import { connectionError, errorOfHttp, withRetries } from './errors.ts';
import { exampleJson, parseServingJson, tensorJson, tensorOfJson } from './json-tensors.ts';
// The Open Inference Protocol's datatype names (the wire table, read-only use).
import { dtypeOfOip, oipDatatype } from '../api/oip/datatype.ts';
import type { CallOptions, ClassScore, ClientOptions, ExampleInput, ModelRef, Outputs, PredictOptions } from './types.ts';

/** Options of RestClient. */
export interface RestClientOptions extends ClientOptions {
  /** Base URL of the REST port, e.g. `http://127.0.0.1:8501` or `https://…`. */
  readonly url: string;
}

interface TensorInfoJson {
  dtype?: string;
  name?: string;
  tensor_shape?: { dim?: { size?: string | number }[]; unknown_rank?: boolean };
}

/** A TensorInfo of the metadata JSON as a TensorSpec. */
function specOfJson(info: TensorInfoJson): TensorSpec {
  const dtype = dtypeOfTfName(info.dtype ?? '') ?? 'float32';
  const shape = info.tensor_shape === undefined ? undefined : info.tensor_shape.unknown_rank ? null : (info.tensor_shape.dim ?? []).map((d) => Number(d.size ?? -1));
  return { name: info.name ?? '', dtype, ...(shape === undefined ? {} : { shape }) };
}

/** GetModelMetadata's signature_def JSON as core signatures. */
export function metadataOfJson(body: unknown): ModelMetadata {
  const defs = (body as { metadata?: { signature_def?: { signature_def?: Record<string, { inputs?: Record<string, TensorInfoJson>; outputs?: Record<string, TensorInfoJson>; method_name?: string }> } } })
    .metadata?.signature_def?.signature_def ?? {};
  const signatures: Record<string, Signature> = {};
  for (const [key, def] of Object.entries(defs)) {
    const map = (m: Record<string, TensorInfoJson> | undefined): Record<string, TensorSpec> =>
      Object.fromEntries(Object.entries(m ?? {}).map(([alias, info]) => [alias, specOfJson(info)]));
    signatures[key] = { inputs: map(def.inputs), outputs: map(def.outputs), methodName: def.method_name ?? '' };
  }
  return { signatures };
}

/** A client of one inferd (or TensorFlow Serving) REST port. Call close() when done. */
export class RestClient {
  readonly #base: string;
  readonly #options: ClientOptions;
  readonly #agent: Agent;
  readonly #metadata = new Map<string, Promise<ModelMetadata>>();

  /** Create a client; nothing connects until the first call. */
  constructor(options: RestClientOptions) {
    this.#base = options.url.replace(/\/+$/, '');
    this.#options = options;
    const tls = { ...(options.ca ? { ca: Buffer.from(options.ca) } : {}), ...(options.cert ? { cert: Buffer.from(options.cert) } : {}), ...(options.key ? { key: Buffer.from(options.key) } : {}) };
    this.#agent = new Agent({ connect: tls });
  }

  /** Predict with columnar inputs; outputs are tensors of the signature's dtypes. */
  async predict(model: string, inputs: Readonly<Record<string, Tensor>>, options: PredictOptions = {}): Promise<Outputs> {
    const signatureName = options.signatureName ?? DEFAULT_SIGNATURE;
    const parts = [`"signature_name":${JSON.stringify(signatureName)}`, `"inputs":{${Object.entries(inputs).map(([k, t]) => `${JSON.stringify(k)}:${tensorJson(t)}`).join(',')}}`];
    if (options.outputFilter?.length) parts.push(`"output_filter":${JSON.stringify(options.outputFilter)}`);
    const [body, metadata] = await Promise.all([this.#post(model, 'predict', `{${parts.join(',')}}`, options), this.metadata(model, options)]);
    const signature = metadata.signatures[signatureName];
    const outputs = (body as { outputs?: unknown }).outputs;
    const aliases = options.outputFilter?.length ? [...options.outputFilter] : Object.keys(signature?.outputs ?? {});
    const dtypeOf = (alias: string) => signature?.outputs[alias]?.dtype ?? 'float32';
    if (aliases.length === 1 && (outputs === null || typeof outputs !== 'object' || Array.isArray(outputs))) {
      const alias = aliases[0] as string;
      return { [alias]: tensorOfJson(outputs, dtypeOf(alias), alias) };
    }
    const result: Outputs = {};
    for (const [alias, value] of Object.entries(outputs as Record<string, unknown>)) result[alias] = tensorOfJson(value, dtypeOf(alias), alias);
    return result;
  }

  /**
   * Open Inference Protocol (KServe V2) infer over REST JSON: inputs by name, outputs typed by the datatypes the
   * server answers. `version` is a version number or label (V2 puts either in the path).
   */
  async infer(model: string, inputs: Readonly<Record<string, Tensor>>, options: Omit<PredictOptions, 'signatureName'> & { readonly id?: string } = {}): Promise<Outputs> {
    const parts = [`"inputs":[${Object.entries(inputs).map(([name, t]) =>
      `{"name":${JSON.stringify(name)},"shape":${JSON.stringify(t.shape)},"datatype":"${oipDatatype(t.dtype)}","data":${tensorJson({ ...t, shape: [t.data.length] } as Tensor)}}`).join(',')}]`];
    if (options.outputFilter?.length) parts.push(`"outputs":${JSON.stringify(options.outputFilter.map((name) => ({ name })))}`);
    if (options.id !== undefined) parts.push(`"id":${JSON.stringify(options.id)}`);
    const ref = options.version ?? options.label;
    const path = `/v2/models/${encodeURIComponent(model)}${ref === undefined ? '' : `/versions/${encodeURIComponent(String(ref))}`}/infer`;
    const body = await this.#request('POST', path, `{${parts.join(',')}}`, options) as { outputs?: { name: string; shape: number[]; datatype: string; data: unknown }[] };
    const result: Outputs = {};
    for (const o of body.outputs ?? []) {
      const flat = tensorOfJson(o.data, dtypeOfOip(o.datatype, o.name), o.name);
      result[o.name] = { ...flat, shape: o.shape } as Tensor;
    }
    return result;
  }

  /** Classify tf.Examples: per example, its classes with scores. */
  async classify(model: string, examples: readonly ExampleInput[], options: CallOptions = {}): Promise<ClassScore[][]> {
    const body = await this.#post(model, 'classify', this.#examplesBody(examples, options), options);
    const results = (body as { results?: [string, number][][] }).results ?? [];
    return results.map((row) => row.map(([label, score]) => ({ label: String(label), score: Number(score) })));
  }

  /** Regress tf.Examples: one value per example. */
  async regress(model: string, examples: readonly ExampleInput[], options: CallOptions = {}): Promise<number[]> {
    const body = await this.#post(model, 'regress', this.#examplesBody(examples, options), options);
    return ((body as { results?: number[] }).results ?? []).map(Number);
  }

  /** The model version's signatures (cached per model and version/label). */
  metadata(model: string, options: CallOptions = {}): Promise<ModelMetadata> {
    const key = `${model}\u0000${this.#path(model, options)}`;
    let cached = this.#metadata.get(key);
    if (cached === undefined) {
      cached = this.#request('GET', `${this.#path(model, options)}/metadata`, undefined, options).then(metadataOfJson);
      cached.catch(() => this.#metadata.delete(key));
      this.#metadata.set(key, cached);
    }
    return cached;
  }

  /** GetModelStatus as TensorFlow Serving's JSON (`model_version_status`). */
  async status(model: string, options: ModelRef & Pick<CallOptions, 'timeoutMs' | 'signal'> = {}): Promise<unknown> {
    return this.#request('GET', this.#path(model, options), undefined, options);
  }

  /** Close kept-alive connections. */
  async close(): Promise<void> {
    await this.#agent.close();
  }

  #examplesBody(examples: readonly ExampleInput[], options: CallOptions): string {
    return `{"signature_name":${JSON.stringify(options.signatureName ?? DEFAULT_SIGNATURE)},"examples":[${examples.map((e) => exampleJson(e)).join(',')}]}`;
  }

  #path(model: string, ref: ModelRef): string {
    const base = `/v1/models/${encodeURIComponent(model)}`;
    if (ref.version !== undefined) return `${base}/versions/${ref.version}`;
    if (ref.label !== undefined) return `${base}/labels/${encodeURIComponent(ref.label)}`;
    return base;
  }

  #post(model: string, verb: string, body: string, options: CallOptions): Promise<unknown> {
    return this.#request('POST', `${this.#path(model, options)}:${verb}`, body, options);
  }

  #request(method: 'GET' | 'POST', path: string, body: string | undefined, options: Pick<CallOptions, 'timeoutMs' | 'signal'>): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs ?? 30_000;
    const attempt = async (): Promise<unknown> => {
      const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
      const headers: Record<string, string> = { accept: 'application/json' };
      if (body !== undefined) headers['content-type'] = 'application/json';
      if (this.#options.token) headers['authorization'] = `Bearer ${this.#options.token}`;
      let res;
      try {
        res = await fetch(`${this.#base}${path}`, { method, headers, body: body ?? null, dispatcher: this.#agent, signal: AbortSignal.any(signals) });
      } catch (err) {
        if ((err as Error).name === 'TimeoutError') throw InferdError.deadlineExceeded(`${method} ${path}: no answer within ${timeoutMs} ms`);
        if ((err as Error).name === 'AbortError') throw new InferdError('CANCELLED', `${method} ${path}: cancelled`);
        throw connectionError(`${method} ${this.#base}${path}`, err);
      }
      const text = await res.text();
      if (!res.ok) throw errorOfHttp(res.status, text);
      return parseServingJson(text);
    };
    return withRetries(attempt, this.#options.retries ?? 2, this.#options.retryDelayMs ?? 100, options.signal);
  }
}
