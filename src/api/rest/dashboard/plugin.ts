/**
 * The dashboard on the REST port (`/dashboard/`, on by default, `--enable_dashboard=false` turns it off): a static
 * page (web/dashboard/: HTML, CSS, one ES module; no build step, no CDN) and two JSON endpoints it polls:
 * - `GET /dashboard/api/overview` — models, their versions and states (with load errors), the signatures of the
 *   version serving now, and whether the operator API (reload/unload buttons) is enabled;
 * - `GET /dashboard/api/stats?seconds=60` — requests/s, errors, p50/p99 latency and batch sizes per second.
 * The page's try-it form and buttons call the public APIs (/v1 predict, /v2/repository) like any client, with the
 * bearer token typed into the page when the server has --auth_tokens_file. Base paths never appear (they are
 * server file-system paths).
 */
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { tfName } from '../../../core/dtype.ts';
import type { VersionStatus } from '../../../core/lifecycle/state.ts';
import type { Signature, TensorSpec } from '../../../core/signature.ts';
import type { LiveSnapshot } from '../../../observability/live-stats.ts';
import type { MetadataResult, ModelSpec } from '../../../server/serving-api.ts';

/** The static files, at the package root (beside proto/), so the same path works from src/ and from dist/. */
const ASSETS = new URL('../../../../web/dashboard/', import.meta.url);
const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/** What the dashboard reads from the server. */
export interface DashboardSource {
  /** Names of the configured models. */
  modelNames(): string[];
  /** Configured models (only name and platform are shown). */
  models(): readonly { readonly name: string; readonly platform?: string }[];
  /** Version states, newest first. */
  status(name: string): readonly VersionStatus[];
  /** Signatures of the version serving now. */
  metadata(spec: ModelSpec): Promise<MetadataResult>;
  /** True while draining (graceful shutdown). */
  readonly draining?: boolean;
}

/** Options of the dashboard. */
export interface DashboardOptions {
  /** Live statistics (observability/live-stats.ts). */
  readonly stats: (seconds: number) => LiveSnapshot;
  /** Show reload/unload buttons (`--enable_model_management`). */
  readonly management: boolean;
}

const specJson = (s: TensorSpec) => ({ dtype: tfName(s.dtype), shape: s.shape === undefined ? null : s.shape, name: s.name });
const signatureJson = (sig: Signature) => ({
  methodName: sig.methodName,
  inputs: Object.fromEntries(Object.entries(sig.inputs).map(([k, v]) => [k, specJson(v)])),
  outputs: Object.fromEntries(Object.entries(sig.outputs).map(([k, v]) => [k, specJson(v)])),
});

/** The fastify plugin serving the dashboard; pass it in `plugins` of the REST server's options. */
export function dashboardPlugin(source: DashboardSource, options: DashboardOptions): (app: FastifyInstance) => void {
  const startedAt = Date.now();
  return (app) => {
    // The page and its scripts hold no data (a browser cannot send a bearer token when navigating); the data
    // endpoints need the scopes of what they show: status and metadata (predict), traffic statistics (metrics).
    const page = { config: { scope: 'public' as const } };
    app.get('/dashboard', page, (_req, reply) => reply.redirect('/dashboard/'));
    app.get('/dashboard/', page, (_req, reply) => sendAsset(reply, 'index.html'));
    app.get<{ Params: { file: string } }>('/dashboard/:file', page, (req, reply) => sendAsset(reply, req.params.file));

    app.get('/dashboard/api/overview', { config: { scope: 'predict' as const } }, async (_req, reply) => {
      const platforms = new Map(source.models().map((m) => [m.name, m.platform]));
      const models = await Promise.all(source.modelNames().sort().map(async (name) => {
        const versions = source.status(name).map((v) => ({ version: v.version, state: v.state, error: v.error?.message ?? null }));
        let serving: number | null = null;
        let signatures: Record<string, ReturnType<typeof signatureJson>> = {};
        if (versions.some((v) => v.state === 'AVAILABLE')) {
          try {
            const meta = await source.metadata({ name });
            serving = meta.version;
            signatures = Object.fromEntries(Object.entries(meta.signatures).map(([k, s]) => [k, signatureJson(s)]));
          } catch {
            // unloaded between the two calls: shown without signatures
          }
        }
        return { name, platform: platforms.get(name) ?? null, serving, versions, signatures };
      }));
      return reply.type('application/json').header('cache-control', 'no-store').send(JSON.stringify({
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        draining: source.draining ?? false,
        management: options.management,
        models,
      }));
    });

    app.get<{ Querystring: { seconds?: string } }>('/dashboard/api/stats', { config: { scope: 'metrics' as const } }, (req, reply) => {
      const seconds = Number(req.query.seconds ?? 60);
      return reply.type('application/json').header('cache-control', 'no-store')
        .send(JSON.stringify(options.stats(Number.isFinite(seconds) ? seconds : 60)));
    });
  };
}

async function sendAsset(reply: import('fastify').FastifyReply, file: string): Promise<unknown> {
  const type = FILES[file];
  if (type === undefined) return reply.code(404).type('application/json').send(JSON.stringify({ error: `No dashboard file ${file}` }));
  const body = await readFile(new URL(file, ASSETS));
  return reply.type(type).header('cache-control', 'no-cache').send(body);
}
