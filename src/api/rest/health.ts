/**
 * Health endpoints of the Open Inference Protocol (shared/reference/open-inference-protocol.md), the URLs
 * Kubernetes probes: `GET /v2/health/live` (200 `{"live": true}` while the process serves HTTP),
 * `GET /v2/health/ready` (200 `{"ready": true}`, or 503 `{"ready": false}` while any configured model has no
 * AVAILABLE version or the server drains), and `GET /v2/models/{m}[/versions/{v}]/ready` (200
 * `{"name": m, "ready": true}`, 503 with `"ready": false`, 404 `{"error": ...}` for a model never configured).
 * Stateless: every answer asks the ReadinessApi.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ReadinessApi } from '../../server/serving-api.ts';

const json = (reply: FastifyReply, code: number, body: unknown) =>
  reply.code(code).type('application/json').header('cache-control', 'no-store').send(JSON.stringify(body));

/** Register the health routes on `app`. */
export function registerHealthRoutes(app: FastifyInstance, readiness: ReadinessApi): void {
  app.get('/v2/health/live', async (_req, reply) => json(reply, 200, { live: true }));
  app.get('/v2/health/ready', async (_req, reply) => {
    const ready = readiness.isReady();
    return json(reply, ready ? 200 : 503, { ready });
  });
  const modelReady = (reply: FastifyReply, name: string, versionText?: string) => {
    let version: number | undefined;
    if (versionText !== undefined) {
      if (!/^\d+$/.test(versionText) || !Number.isSafeInteger(Number(versionText))) {
        return json(reply, 400, { error: `Invalid model version: ${versionText}` });
      }
      version = Number(versionText);
    }
    const ready = readiness.isModelReady(name, version);
    if (ready === undefined) return json(reply, 404, { error: `Model ${name} is not configured` });
    return json(reply, ready ? 200 : 503, { name, ...(version !== undefined ? { version: String(version) } : {}), ready });
  };
  app.get<{ Params: { name: string } }>('/v2/models/:name/ready', async (req, reply) => modelReady(reply, req.params.name));
  app.get<{ Params: { name: string; version: string } }>('/v2/models/:name/versions/:version/ready', async (req, reply) =>
    modelReady(reply, req.params.name, req.params.version));
}
