/**
 * The Open Inference Protocol (KServe V2) on the REST port (shared/reference/open-inference-protocol.md §2.1-2.4):
 * - `GET /v2` (and `/v2/`, as open_inference_rest.yaml writes it) → `{"name", "version", "extensions"}`;
 * - `GET /v2/models/{m}[/versions/{v}]` → `{"name", "versions", "platform", "inputs", "outputs"}`;
 * - `POST /v2/models/{m}[/versions/{v}]/infer` → `$inference_response`, JSON or with the binary tensor extension.
 * `/v2/health/*` and `…/ready` are health.ts' (readiness), `/v2/repository/*` management.ts'. Errors are
 * `{"error": "<message>"}` with the status of status-codes.ts. A thin transport: parse, call the facade through
 * api/oip/infer.ts, write the answer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Code, toInferdError } from '../../../core/errors.ts';
import type { ResponseEncoding } from '../../../core/limits.ts';
import { NO_RECORDER, type RequestRecorder, type RunStats } from '../../../core/request-outcome.ts';
import type { ServingApi } from '../../../server/serving-api.ts';
import { requestIdentity } from '../../request-id.ts';
import { oipExtensions, oipInfer, oipModelMetadata, type OipServerMetadata } from '../../oip/infer.ts';
import { rawTensorBytes } from '../../oip/raw.ts';
import { jsonTensorBytes } from '../json/response-size.ts';
import { abortSignalFor, readBody } from '../server.ts';
import { httpStatusOf } from '../status-codes.ts';
import { parseInferRequest, splitBody } from './infer-request.ts';
import { encodeInferResponse } from './infer-response.ts';

/** Options of the OIP REST routes. */
export interface OipRestOptions {
  /** Server name and version for `GET /v2`. */
  readonly server: { readonly name: string; readonly version: string };
  /** Whether the repository extension is served (`--enable_model_management`); listed in `extensions`. Default false. */
  readonly management?: boolean;
  /** Per-request deadline in ms (`--rest_api_timeout_in_ms`). Default 30000; 0 = none. */
  readonly timeoutMs?: number;
  /** Largest request body after gzip decoding. Default 64 MiB. */
  readonly maxBodyBytes?: number;
  /** Where infer requests are reported (metrics, access log, dashboard), as the /v1 routes do. Default none. */
  readonly recorder?: RequestRecorder;
}

/** The header carrying the JSON part's length in binary bodies (requests and responses). */
export const HEADER_LENGTH = 'inference-header-content-length';

interface ModelParams { name: string; version?: string }

/** What an infer learned for its outcome report: the served version, signature, run stats and answer size. */
interface InferNotes { version?: number; signature?: string; run?: RunStats; responseBytes?: number }

/** The fastify plugin serving the OIP routes; pass it in `plugins` of startRestServer's options. */
export function oipRestPlugin(api: ServingApi, options: OipRestOptions): (app: FastifyInstance) => void {
  const maxBody = options.maxBodyBytes ?? 64 * 1024 * 1024;
  const serverMetadata: OipServerMetadata = {
    name: options.server.name, version: options.server.version, extensions: oipExtensions(options.management ?? false),
  };
  const sendJson = (reply: FastifyReply, status: number, body: string | Buffer) => reply.code(status).type('application/json').send(body);
  const sendError = (reply: FastifyReply, err: unknown) => {
    const error = toInferdError(err);
    return sendJson(reply, httpStatusOf(error), JSON.stringify({ error: error.message }));
  };
  const guarded = (work: (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => Promise<unknown>) =>
    async (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
      try {
        return await work(req, reply);
      } catch (err) {
        return sendError(reply, err);
      }
    };

  const metadata = guarded(async (req, reply) => {
    const md = await oipModelMetadata(api, req.params.name, req.params.version);
    return sendJson(reply, 200, JSON.stringify(md));
  });

  const inferWork = async (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply, notes: InferNotes) => {
    const body = await readBody(req, maxBody);
    const { json, binary } = splitBody(body, req.headers[HEADER_LENGTH]);
    const parsed = parseInferRequest(json, binary);
    const perOutput = new Map((parsed.outputs ?? []).map((o) => [o.name, o.binary]));
    const isBinary = (name: string): boolean => perOutput.get(name) ?? parsed.binaryDataOutput;
    const responseEncoding: ResponseEncoding = {
      name: 'JSON or binary tensor data',
      bytes: (name, t) => (isBinary(name) ? rawTensorBytes(t) + 256 : jsonTensorBytes(name, t)),
    };
    const result = await oipInfer(api, {
      responseEncoding,
      model: req.params.name,
      ...(req.params.version !== undefined ? { version: req.params.version } : {}),
      inputs: parsed.inputs,
      ...(parsed.outputs ? { outputs: parsed.outputs.map((o) => o.name) } : {}),
      parameters: parsed.parameters,
      signal: abortSignalFor(reply, options.timeoutMs ?? 30_000),
    });
    notes.version = Number(result.modelVersion);
    notes.signature = result.signatureName;
    if (result.run) notes.run = result.run;
    const encoded = encodeInferResponse(result, parsed.id, isBinary);
    if (encoded.binary.length === 0) {
      notes.responseBytes = encoded.json.byteLength;
      return sendJson(reply, 200, encoded.json);
    }
    const head = encoded.json;
    const answer = Buffer.concat([head, ...encoded.binary]);
    notes.responseBytes = answer.byteLength;
    return reply.code(200)
      .type('application/octet-stream')
      .header('Inference-Header-Content-Length', String(head.byteLength))
      .send(answer);
  };

  // Every infer is reported once, with the status its answer carries (api `infer`, entrypoint REST), under the
  // request id the /v1 routes use (x-request-id kept, else traceparent's trace id, else generated; echoed).
  const recorder = options.recorder ?? NO_RECORDER;
  const infer = async (req: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
    const notes: InferNotes = {};
    if (recorder === NO_RECORDER) {
      try {
        return await inferWork(req, reply, notes);
      } catch (err) {
        return sendError(reply, err);
      }
    }
    const started = performance.now();
    const identity = requestIdentity(req.headers['x-request-id'], req.headers.traceparent);
    reply.header('x-request-id', identity.requestId);
    if (identity.traceparent !== undefined) reply.header('traceparent', identity.traceparent);
    const done = recorder.started('REST', req.params.name);
    let code: Code = 'OK';
    let error: string | undefined;
    try {
      return await inferWork(req, reply, notes);
    } catch (err) {
      const e = toInferdError(err);
      code = e.code;
      error = e.message;
      notes.responseBytes = Buffer.byteLength(JSON.stringify({ error: e.message }));
      return sendError(reply, e);
    } finally {
      done();
      const addressed = req.params.version !== undefined && /^\d+$/.test(req.params.version) ? Number(req.params.version) : undefined;
      const version = notes.version ?? addressed;
      recorder.finished({
        entrypoint: 'REST', api: 'infer', kind: 'inference', model: req.params.name, code,
        latencyMicros: (performance.now() - started) * 1000,
        requestBytes: req.body instanceof Uint8Array ? req.body.byteLength : 0,
        responseBytes: notes.responseBytes ?? 0,
        requestId: identity.requestId,
        ...(version !== undefined ? { version } : {}),
        ...(notes.signature !== undefined ? { signature: notes.signature } : {}),
        ...(notes.run !== undefined ? { runMicros: notes.run.runMicros } : {}),
        ...(notes.run?.batchSize !== undefined ? { batchSize: notes.run.batchSize } : {}),
        ...(error !== undefined ? { error } : {}),
      });
    }
  };

  return (app) => {
    const serverMetadataRoute = async (_req: FastifyRequest, reply: FastifyReply) => sendJson(reply, 200, JSON.stringify(serverMetadata));
    // open_inference_rest.yaml spells the path `/v2/`, the prose `v2`: both answer.
    app.get('/v2', serverMetadataRoute);
    app.get('/v2/', serverMetadataRoute);
    app.get<{ Params: ModelParams }>('/v2/models/:name', metadata);
    app.get<{ Params: ModelParams }>('/v2/models/:name/versions/:version', metadata);
    app.post<{ Params: ModelParams }>('/v2/models/:name/infer', infer);
    app.post<{ Params: ModelParams }>('/v2/models/:name/versions/:version/infer', infer);
  };
}
