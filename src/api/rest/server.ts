/**
 * The REST transport: TensorFlow Serving's /v1 API on fastify. It parses, validates, calls the ServingApi facade
 * and maps errors (status-codes.ts); nothing else. Every request gets a JSON answer: `{"error": "..."}` on failure.
 */
import type { Server as TlsServer } from 'node:tls';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type Code, InferdError, toInferdError } from '../../core/errors.ts';
import { LimitExceededError } from '../../core/limits.ts';
import {
  type MetricsExporter, NO_RECORDER, type RequestKind, type RequestOutcome, type RequestRecorder, type RunStats,
} from '../../core/request-outcome.ts';
import { requestIdentity } from '../request-id.ts';
import { REQUEST_SIGNALS } from '../request-signal.ts';
import { effectiveCores } from '../../server/cores.ts';
import type { ReadinessApi, ServingApi } from '../../server/serving-api.ts';
import { registerHealthRoutes } from './health.ts';
import { parseExampleRequest } from './json/example-request.ts';
import { encodeClassifyResponse, encodeRegressResponse } from './json/example-response.ts';
import { CodecThreads } from './json/json-threads.ts';
import { decodePredictInputs, parsePredictRequest, type ParsedPredictRequest } from './json/predict-request.ts';
import { encodePredictResponseBytes, orderOutputs } from './json/predict-response.ts';
import { JSON_RESPONSE } from './json/response-size.ts';
import { trackForDrain } from './drain.ts';
import { encodeMetadata, encodeStatus } from './json/status-json.ts';
import { routeV1 } from './routes.ts';
import { registerSecurityHook, type RestSecurityOptions } from './security.ts';
import { guardRestConnections, restServerOptions, type RestConnectionOptions } from './http-limits.ts';
import { httpStatusOf } from './status-codes.ts';

/** Options of the REST server (connection limits and timeouts: http-limits.ts). */
export interface RestServerOptions extends RestConnectionOptions {
  /** Interface to bind. Default `0.0.0.0` (TF Serving binds all interfaces); tests use 127.0.0.1. */
  readonly host?: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** Largest accepted request body in bytes, compressed or decompressed. Default 64 MiB; larger → 413. */
  readonly maxBodyBytes?: number;
  /** Per-request deadline in ms (`--rest_api_timeout_in_ms`). Default 30000; 0 = none. */
  readonly timeoutMs?: number;
  /** Add CORS headers to every /v1 response (`--rest_api_enable_cors_support`). Default false. */
  readonly enableCors?: boolean;
  /** Where each /v1 request's outcome is reported (metrics, access log). Default: nowhere. */
  readonly recorder?: RequestRecorder;
  /** Serve Prometheus text at `path` (`--monitoring_config_file`; GET only, exact path). Default none. */
  readonly metrics?: { readonly path: string; readonly exporter: MetricsExporter };
  /** Serve /v2/health/live, /v2/health/ready and /v2/models/{m}[/versions/{v}]/ready from this (health.ts). Default none. */
  readonly readiness?: ReadinessApi;
  /**
   * Worker threads for parsing large bodies and encoding large answers (`--rest_api_num_threads`); 0 keeps all
   * codec work on the event loop. Default: effectiveCores() (server/cores.ts, cgroup-aware). Started on first use.
   */
  readonly numThreads?: number;
  /** Extra routes (metrics, dashboard, Open Inference Protocol) registered on the same server. */
  readonly plugins?: readonly ((app: FastifyInstance) => void | Promise<void>)[];
  /** Authentication and the state-changing-route rules (security.ts), applied to every route. Default: no authentication. */
  readonly security?: RestSecurityOptions;
  /** Serve HTTPS (HTTP/1.1) with this key and certificate (`--rest_api_ssl_config_file`). Default: plain HTTP. */
  readonly tls?: RestTlsOptions;
  /** Serve TF Serving's /v1 routes. Default true; false for a port that serves only `plugins` (the management port). */
  readonly servingRoutes?: boolean;
}

/** TLS settings of the REST port: PEM text, as node:tls takes it. */
export interface RestTlsOptions {
  readonly key: string;
  readonly cert: string;
  /** CAs that sign accepted client certificates; undefined = the system's roots. */
  readonly ca?: string;
  /** Require a client certificate signed by `ca` (mutual TLS); the handshake fails without one. */
  readonly clientVerify: boolean;
}

/** A running REST server. */
export interface RestServer {
  readonly port: number;
  readonly app: FastifyInstance;
  /** Replace the TLS key and certificates for new connections (rotation); a no-op on a plain HTTP server. */
  setTls(tls: RestTlsOptions): void;
  /** Graceful shutdown, step 1: every answer from now on carries `Connection: close`; still accepting (drain.ts). */
  startDraining(): void;
  /**
   * Stop accepting, let requests in flight finish (each connection closes after its answer) and resolve when all
   * connections ended; those still open after `graceMs` are destroyed. Default 0: destroy at once. Idempotent.
   */
  close(graceMs?: number): Promise<void>;
}

const DEFAULT_MAX_BODY = 64 * 1024 * 1024;

/** Build the fastify app (not listening); `inject` works on it for in-process tests. */
export async function buildRestApp(api: ServingApi, options: Omit<RestServerOptions, 'port' | 'host'> = {}): Promise<FastifyInstance> {
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const app = Fastify({
    bodyLimit: maxBody, logger: false, forceCloseConnections: false, return503OnClosing: false, ...restServerOptions(options),
    ...(options.tls ? { https: tlsServerOptions(options.tls) } : {}),
  }) as unknown as FastifyInstance;
  guardRestConnections(app.server, options);
  registerSecurityHook(app, options.security ?? {});
  const codec = new CodecThreads({ threads: options.numThreads ?? effectiveCores() });
  app.addHook('onClose', () => codec.close());
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  const sendError = (reply: FastifyReply, err: unknown) => {
    const error = toInferdError(err);
    return reply.code(httpStatusOf(error)).type('application/json').send(JSON.stringify({ error: error.message }));
  };
  const recorder = options.recorder ?? NO_RECORDER;
  const observed = recorder !== NO_RECORDER;

  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    if (err.statusCode === 413 || err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).type('application/json').send(JSON.stringify({ error: `Request body is larger than the limit of ${maxBody} bytes` }));
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).type('application/json').send(JSON.stringify({ error: err.message }));
    }
    return sendError(reply, err);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).type('application/json').send(JSON.stringify({ error: `Not found: ${req.method} ${req.url}` })),
  );

  if (options.enableCors) {
    app.addHook('onSend', async (req, reply, payload) => {
      if (req.url.toLowerCase().startsWith('/v1/')) {
        reply.header('Access-Control-Allow-Origin', '*');
        reply.header('Access-Control-Allow-Methods', 'POST, GET');
        reply.header('Access-Control-Allow-Headers', 'Content-Type');
      }
      return payload;
    });
  }

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method === 'OPTIONS') {
      const origin = req.headers.origin;
      if (typeof origin === 'string' && /^https?:\/\//.test(origin)) return reply.code(200).send('');
      return reply.code(400).type('application/json').send(JSON.stringify({ error: 'OPTIONS (CORS preflight) needs an http(s) Origin header' }));
    }
    const started = performance.now();
    const identity = requestIdentity(req.headers['x-request-id'], req.headers.traceparent);
    reply.header('x-request-id', identity.requestId);
    if (identity.traceparent !== undefined) reply.header('traceparent', identity.traceparent);
    const info: RequestInfo = { api: '', kind: 'metadata' };
    let done: (() => void) | undefined;
    let code: Code = 'OK';
    let error: string | undefined;
    let payload: string | Uint8Array;
    try {
      const r = routeV1(req.method, req.url);
      info.model = r.model;
      if (r.version !== undefined) info.version = r.version;
      if (r.kind === 'status' || r.kind === 'metadata') {
        // Named as the gRPC service names the same calls, so access-log lines of both transports read alike.
        info.api = r.kind === 'status' ? 'GetModelStatus' : 'GetModelMetadata';
      } else {
        info.api = r.kind;
        info.kind = 'inference';
      }
      if (observed) done = recorder.started('REST', r.model);
      const read = readBody(req, maxBody);
      const body = read instanceof Uint8Array ? read : await read;
      payload = await dispatch(api, codec, r, body, abortSignalFor(reply, options.timeoutMs ?? 30_000), info);
      reply.code(200).type('application/json').send(payload);
    } catch (err) {
      const e = toInferdError(err);
      code = e.code;
      error = e.message;
      payload = JSON.stringify({ error: e.message });
      reply.code(httpStatusOf(e)).type('application/json').send(payload);
    }
    if (observed) {
      done?.();
      const outcome: Mutable<RequestOutcome> = {
        entrypoint: 'REST', api: info.api, kind: info.kind, code, latencyMicros: (performance.now() - started) * 1000,
        requestBytes: req.body instanceof Uint8Array ? req.body.byteLength : 0, responseBytes: typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength,
        requestId: identity.requestId,
      };
      if (info.model !== undefined) outcome.model = info.model;
      if (info.version !== undefined) outcome.version = info.version;
      if (info.signature !== undefined) outcome.signature = info.signature;
      if (info.examples !== undefined) outcome.examples = info.examples;
      if (info.run !== undefined) outcome.runMicros = info.run.runMicros;
      if (info.run?.batchSize !== undefined) outcome.batchSize = info.run.batchSize;
      if (error !== undefined) outcome.error = error;
      recorder.finished(outcome);
    }
    return reply;
  };
  if (options.servingRoutes ?? true) {
    app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'], url: '/v1/*', handler });
    app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'], url: '/V1/*', handler });
  }
  if (options.readiness) registerHealthRoutes(app, options.readiness);
  const metrics = options.metrics;
  if (metrics) {
    app.get(metrics.path, async (_req, reply) => reply.code(200).type(metrics.exporter.contentType).send(await metrics.exporter.scrape()));
  }
  for (const plugin of options.plugins ?? []) await plugin(app);
  return app;
}

/** Start the REST server. */
export async function startRestServer(api: ServingApi, options: RestServerOptions): Promise<RestServer> {
  const app = await buildRestApp(api, options);
  const drain = trackForDrain(app.server);
  await app.listen({ host: options.host ?? '0.0.0.0', port: options.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    app,
    setTls: (tls) => {
      if (options.tls) (app.server as unknown as TlsServer).setSecureContext(tlsServerOptions(tls));
    },
    startDraining: () => drain.startDraining(),
    close: (graceMs = 0) => drain.close(graceMs, () => app.close()),
  };
}

/** node:tls server options for a RestTlsOptions (HTTP/1.1; client certificates checked in the handshake). */
function tlsServerOptions(tls: RestTlsOptions): { key: string; cert: string; ca?: string; requestCert: boolean; rejectUnauthorized: boolean } {
  return { key: tls.key, cert: tls.cert, ...(tls.ca !== undefined ? { ca: tls.ca } : {}), requestCert: tls.clientVerify, rejectUnauthorized: tls.clientVerify };
}

/** `T` without readonly, for building an outcome field by field. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** What the handler learns about a request while serving it, for its outcome report. */
interface RequestInfo {
  api: string;
  kind: RequestKind;
  model?: string;
  version?: number;
  signature?: string;
  examples?: number;
  run?: RunStats;
}

/** Answer one routed request; fills `info` with what the facade resolved (version, signature, run stats). */
async function dispatch(
  api: ServingApi,
  codec: CodecThreads,
  r: ReturnType<typeof routeV1>,
  body: Uint8Array,
  signal: AbortSignal,
  info: RequestInfo,
): Promise<string | Uint8Array> {
  switch (r.kind) {
    case 'status':
      return encodeStatus(api.status(r.model, r.version));
    case 'metadata': {
      const md = await api.metadata({ name: r.model, ...versionOf(r) });
      info.version = md.version;
      return encodeMetadata(md.name, md.version, md.signatures);
    }
    case 'predict': {
      // One decoder (json/predict-request.ts): the body's tape is parsed before lookup (TF Serving's error order)
      // and turned into tensors once the signature is known; nothing of it is kept across the runtime call.
      // Large bodies are parsed on a codec thread (json/json-threads.ts), racing the deadline.
      let parsed: ParsedPredictRequest | undefined = parsePredictRequest(
        codec.parsesOffThread(body.length) ? await codec.parse(body, signal) : body,
      );
      const { format, signatureName } = parsed;
      const result = await api.predict({
        spec: { name: r.model, ...versionOf(r), ...(signatureName !== undefined ? { signatureName } : {}) },
        decodeInputs: (signature, name, budget) => {
          const inputs = decodePredictInputs(parsed as ParsedPredictRequest, signature, name, budget);
          parsed = undefined;
          return inputs;
        },
        signal,
        dialect: 'rest',
        responseEncoding: JSON_RESPONSE,
      });
      parsed = undefined;
      info.version = result.served.version;
      info.signature = result.served.signatureName;
      if (result.run) info.run = result.run;
      if (!codec.encodesOffThread(result.outputs)) return encodePredictResponseBytes(format, result.outputs, result.signature);
      return codec.encode(format, orderOutputs(result.outputs, result.signature), signal);
    }
    case 'classify':
    case 'regress': {
      const parsed = parseExampleRequest(body, r.kind);
      info.examples = parsed.examples.length;
      const call = {
        spec: { name: r.model, ...versionOf(r), ...(parsed.signatureName !== undefined ? { signatureName: parsed.signatureName } : {}) },
        examples: parsed.examples,
        ...(parsed.context ? { context: parsed.context } : {}),
        signal,
      };
      const result = r.kind === 'classify' ? await api.classify(call) : await api.regress(call);
      info.version = result.served.version;
      info.signature = result.served.signatureName;
      if (result.run) info.run = result.run;
      return 'classifications' in result ? encodeClassifyResponse(result.classifications) : encodeRegressResponse(result.values);
    }
  }
}

function versionOf(r: { version?: number; label?: string }): { version?: number; label?: string } {
  return { ...(r.version !== undefined ? { version: r.version } : {}), ...(r.label !== undefined ? { label: r.label } : {}) };
}

const gunzipAsync = promisify(gunzip);

/**
 * The request body, gunzipped when `Content-Encoding: gzip`, never larger than `maxBody`. Decompression runs on
 * zlib's thread pool (not on the event loop) and stops as soon as the output passes `maxBody`. An uncompressed body
 * is returned as is, not wrapped in a promise (most requests: no extra microtask turn).
 */
export function readBody(req: FastifyRequest, maxBody: number): Uint8Array | Promise<Uint8Array> {
  const raw = req.body;
  const body = raw instanceof Uint8Array ? raw : new Uint8Array(0);
  const header = req.headers['content-encoding'];
  if (header === undefined) return body;
  const encoding = String(header).toLowerCase().trim();
  if (encoding === '' || encoding === 'identity') return body;
  if (encoding !== 'gzip') throw InferdError.invalidArgument(`Unsupported Content-Encoding: ${encoding} (only gzip and identity are accepted)`);
  return gunzipBody(body, maxBody);
}

async function gunzipBody(body: Uint8Array, maxBody: number): Promise<Uint8Array> {
  try {
    return await gunzipAsync(body, { maxOutputLength: maxBody });
  } catch (err) {
    const e = err as { code?: string };
    if (e.code === 'ERR_BUFFER_TOO_LARGE') {
      throw new LimitExceededError('rest_api_max_body_bytes', `Decompressed request body is larger than the limit of ${maxBody} bytes (rest_api_max_body_bytes)`);
    }
    throw InferdError.invalidArgument(`Failed to decompress gzip request body: ${(err as Error).message}`);
  }
}

/**
 * Aborts when the client disconnects before the answer or the REST deadline passes (DEADLINE_EXCEEDED). The
 * controller comes from the shared pool (../request-signal.ts) and goes back to it once the answer is written.
 */
export function abortSignalFor(reply: FastifyReply, timeoutMs: number): AbortSignal {
  const controller = REQUEST_SIGNALS.take();
  let timer: NodeJS.Timeout | undefined;
  if (timeoutMs > 0) {
    timer = setTimeout(() => controller.abort(InferdError.deadlineExceeded(`Request timed out after ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
  }
  // 'close' on the response fires when the answer is written or the connection dropped, whichever comes first.
  reply.raw.once('close', () => {
    if (timer) clearTimeout(timer);
    if (!reply.raw.writableFinished) controller.abort(InferdError.cancelled('Client closed the connection'));
    else REQUEST_SIGNALS.give(controller);
  });
  return controller.signal;
}
