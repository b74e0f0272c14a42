/**
 * The operator API on the REST port: the Open Inference Protocol's model repository extension
 * (shared/reference/open-inference-protocol.md §2.6), off unless `--enable_model_management`:
 * - `POST /v2/repository/index`, body `{"ready"?: bool}` → `[{"name", "version"?, "state", "reason"}]`;
 * - `POST /v2/repository/models/{m}/load`, body `{"parameters"?: {"config"?: <ModelConfig JSON>}}` → `{}` once
 *   the model's versions are AVAILABLE (a new model needs `config` with its `base_path`);
 * - `POST /v2/repository/models/{m}/unload` → `{}` (versions unload after their in-flight requests).
 * Errors are `{"error": "<message>"}` with the status of status-codes.ts. Parse, call the facade, map errors.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InferdError, toInferdError } from '../../core/errors.ts';
import type { ModelRepositoryApi } from '../../server/repository-api.ts';
import { httpStatusOf } from './status-codes.ts';

/** Options of the management plugin. */
export interface ManagementOptions {
  /** Called after each successful load or unload (for logs). */
  readonly onChange?: (action: 'load' | 'unload', model: string) => void;
}

/** The fastify plugin serving the repository extension; pass it in `plugins` of startRestServer's options. */
export function managementPlugin(api: ModelRepositoryApi, options: ManagementOptions = {}): (app: FastifyInstance) => void {
  return (app) => {
    const send = (reply: FastifyReply, status: number, body: unknown) =>
      reply.code(status).type('application/json').send(JSON.stringify(body));
    const guarded = (work: (req: FastifyRequest) => Promise<unknown>) => async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        return send(reply, 200, await work(req));
      } catch (err) {
        const error = toInferdError(err);
        return send(reply, httpStatusOf(error), { error: error.message });
      }
    };
    // Scope `admin`: state-changing (api/rest/security.ts refuses non-JSON and cross-origin requests to them).
    const admin = { config: { scope: 'admin' as const } };
    app.post('/v2/repository/index', admin, guarded(async (req) => {
      const body = jsonBody(req);
      const ready = body.ready;
      if (ready !== undefined && typeof ready !== 'boolean') throw InferdError.invalidArgument('"ready" must be a boolean');
      return api.repositoryIndex()
        .filter((row) => ready !== true || row.state === 'READY')
        .map((row) => ({ name: row.name, ...(row.version !== undefined ? { version: String(row.version) } : {}), state: row.state, reason: row.reason }));
    }));
    app.post<{ Params: { model: string } }>('/v2/repository/models/:model/load', admin, guarded(async (req) => {
      const name = (req.params as { model: string }).model;
      const parameters = parametersOf(jsonBody(req));
      for (const key of Object.keys(parameters)) {
        if (key.startsWith('file:')) throw InferdError.unimplemented('Loading model files sent over HTTP is not supported; put the model under a base_path and pass parameters.config');
      }
      await api.loadModel(name, parameters.config !== undefined ? { config: parameters.config } : {});
      options.onChange?.('load', name);
      return {};
    }));
    app.post<{ Params: { model: string } }>('/v2/repository/models/:model/unload', admin, guarded(async (req) => {
      const name = (req.params as { model: string }).model;
      parametersOf(jsonBody(req));
      await api.unloadModel(name);
      options.onChange?.('unload', name);
      return {};
    }));
  };
}

/** The request body as a JSON object; an empty body is `{}`. INVALID_ARGUMENT otherwise. */
function jsonBody(req: FastifyRequest): Record<string, unknown> {
  const raw = req.body;
  const text = raw instanceof Uint8Array ? Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8') : typeof raw === 'string' ? raw : '';
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw InferdError.invalidArgument(`Request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw InferdError.invalidArgument('Request body must be a JSON object');
  return value as Record<string, unknown>;
}

function parametersOf(body: Record<string, unknown>): Record<string, unknown> {
  const p = body.parameters;
  if (p === undefined) return {};
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw InferdError.invalidArgument('"parameters" must be a JSON object');
  return p as Record<string, unknown>;
}
