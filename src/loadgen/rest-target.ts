/**
 * REST target: TensorFlow Serving's `POST /v1/models/<m>[/versions/<v>]:predict` over an undici Pool (keep-alive,
 * pipelining 1, up to `connections` sockets). The body is sent as prepared; responses are read to the end and
 * only their status is checked (the load generator does not parse predictions).
 */
import { Pool } from 'undici';
import type { SignatureDefLike } from './inputs.ts';
import { signatureDefsFromRestMetadata } from './inputs.ts';
import type { ModelRef, Outcome, Target } from './target.ts';

/** Options of RestTarget.create. */
export interface RestTargetOptions {
  /** Base URL, e.g. `http://127.0.0.1:8501` (a trailing slash is ignored). */
  readonly url: string;
  readonly model: ModelRef;
  /** Maximum sockets; set it to the highest concurrency. Default 64. */
  readonly connections?: number;
  /** Per-request timeout for headers and body, ms. Default 30000. */
  readonly timeoutMs?: number;
}

const segment = (s: string): string => encodeURIComponent(s);

/** A REST target; set the body with `setBody` before sending. */
export class RestTarget implements Target {
  readonly description: string;
  readonly #pool: Pool;
  readonly #modelPath: string;
  readonly #timeoutMs: number;
  #body: Buffer = Buffer.alloc(0);

  private constructor(options: RestTargetOptions) {
    const origin = new URL(options.url).origin;
    this.#pool = new Pool(origin, { connections: options.connections ?? 64, pipelining: 1, keepAliveTimeout: 60_000 });
    const version = options.model.version === undefined ? '' : `/versions/${options.model.version}`;
    this.#modelPath = `/v1/models/${segment(options.model.name)}${version}`;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.description = `REST ${origin} model ${options.model.name}${options.model.version === undefined ? '' : ` version ${options.model.version}`}`;
  }

  /** Create a target (no request is made yet). */
  static async create(options: RestTargetOptions): Promise<RestTarget> {
    return new RestTarget(options);
  }

  /** The predict body (a TF Serving JSON request), sent unchanged by every `send`. */
  setBody(body: string | Uint8Array): void {
    this.#body = Buffer.from(body);
  }

  async signatureDefs(): Promise<Record<string, SignatureDefLike>> {
    const { statusCode, body } = await this.#pool.request({ path: `${this.#modelPath}/metadata`, method: 'GET', headersTimeout: this.#timeoutMs, bodyTimeout: this.#timeoutMs });
    const text = await body.text();
    if (statusCode !== 200) throw new Error(`GET ${this.#modelPath}/metadata answered ${statusCode}: ${text.slice(0, 300)}`);
    return signatureDefsFromRestMetadata(JSON.parse(text));
  }

  async send(): Promise<Outcome> {
    try {
      const { statusCode, body } = await this.#pool.request({
        path: `${this.#modelPath}:predict`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: this.#body,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      // Read to the end so the socket can be reused; the content is not inspected.
      for await (const _chunk of body) { /* drain */ }
      return statusCode === 200 ? null : String(statusCode);
    } catch (err) {
      return (err as { code?: string }).code ?? (err as Error).name ?? 'error';
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
