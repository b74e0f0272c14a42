/**
 * The REST port's access rules, applied by one fastify `onRequest` hook to every route — /v1, and whatever other
 * plugins register (/v2 Open Inference Protocol, metrics, the repository API) — before the body is read:
 *
 * 1. Authentication (server/security/tokens.ts): the route's scope, then `access.authorize(Authorization header)`.
 *    A route declares its scope in its options, `app.post(url, { config: { scope: 'admin' } }, handler)`; a route
 *    that declares none gets restRouteScope's rule for its registered URL pattern (never the raw URL, so
 *    `%`-encoding or `..` cannot move a request into a laxer rule). Unknown routes (404) need `admin`.
 * 2. State-changing routes (scope `admin`, method other than GET/HEAD/OPTIONS) accept only `application/json`
 *    bodies (415 otherwise; a request with neither body nor Content-Type passes) and refuse cross-origin requests
 *    (403: an `Origin` other than the Host, or `Sec-Fetch-Site` other than same-origin/none): a browser can send a
 *    cross-origin `text/plain` POST without a CORS preflight, which must not be able to unload a model (issue 9, D14).
 * Errors are `{"error": "..."}` like every other answer; 401 carries `WWW-Authenticate: Bearer`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { InferdError } from '../../core/errors.ts';
import type { AccessCheck, RouteScope } from '../../server/security/tokens.ts';
import { httpStatus } from './status-codes.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route requires (see api/rest/security.ts); absent = restRouteScope's rule for its URL pattern. */
    scope?: RouteScope;
  }
}

/** A refused request, for logs (no token, no body). */
export interface DeniedRequest {
  readonly method: string;
  readonly route: string;
  readonly scope: RouteScope;
  readonly status: number;
  readonly reason: string;
  readonly remoteAddress: string | undefined;
}

/** Options of registerSecurityHook. */
export interface RestSecurityOptions {
  /** The access check; absent = authentication off (the cross-origin rules still apply). */
  readonly access?: AccessCheck;
  /** Called for every refused request (logging). */
  readonly onDenied?: (denied: DeniedRequest) => void;
}

/**
 * The scope a route needs when it declares none, from its registered URL pattern (case-insensitive):
 * OPTIONS (CORS preflight) and `/v2/health/*` are public; `/v1/*`, `/v2`, `/v2/models/*` need `predict`;
 * `/monitoring/*` needs `metrics`; everything else — `/v2/repository/*`, unknown routes — needs `admin`.
 */
export function restRouteScope(method: string, pattern: string | undefined): RouteScope {
  if (method === 'OPTIONS') return 'public';
  const p = (pattern ?? '').toLowerCase();
  if (p.startsWith('/v2/health/')) return 'public';
  if (p.startsWith('/v1/') || p === '/v2' || p === '/v2/' || p.startsWith('/v2/models')) return 'predict';
  if (p.startsWith('/monitoring/')) return 'metrics';
  return 'admin';
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Why a state-changing request is refused as cross-origin, or undefined when it is same-origin or not from a browser. */
export function crossOriginReason(headers: FastifyRequest['headers']): string | undefined {
  const refused = 'Cross-origin requests to state-changing endpoints are refused';
  const site = one(headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return refused;
  const origin = one(headers.origin);
  if (origin === undefined) return undefined;
  try {
    const from = new URL(origin);
    // The Host header in the origin's scheme, so default ports compare equal (`http://h` vs `Host: h:80`).
    const to = new URL(`${from.protocol}//${one(headers.host) ?? ''}`);
    return from.host !== '' && from.host === to.host ? undefined : refused;
  } catch {
    return refused;
  }
}

/** True when the Content-Type's media type is application/json (parameters such as charset allowed). */
export function isJsonContentType(value: string | string[] | undefined): boolean {
  const v = one(value);
  return v !== undefined && v.split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** Register the hook on `app`; call before any route is added. */
export function registerSecurityHook(app: FastifyInstance, options: RestSecurityOptions): void {
  const deny = (req: FastifyRequest, reply: FastifyReply, scope: RouteScope, status: number, reason: string) => {
    options.onDenied?.({ method: req.method, route: req.routeOptions.url ?? '(no route)', scope, status, reason, remoteAddress: req.socket.remoteAddress });
    if (status === 401) reply.header('WWW-Authenticate', 'Bearer');
    return reply.code(status).type('application/json').send(JSON.stringify({ error: reason }));
  };
  // Callback style (not async): a refusal answers with reply.send and does not call done; a pass costs no promise.
  app.addHook('onRequest', (req, reply, done) => {
    const scope = req.routeOptions.config?.scope ?? restRouteScope(req.method, req.routeOptions.url);
    if (options.access) {
      try {
        options.access.authorize(one(req.headers.authorization), scope);
      } catch (err) {
        const e = err instanceof InferdError ? err : InferdError.internal(String(err));
        deny(req, reply, scope, httpStatus(e.code), e.message);
        return;
      }
    }
    if (scope === 'admin' && !SAFE_METHODS.has(req.method)) {
      const crossOrigin = crossOriginReason(req.headers);
      if (crossOrigin) {
        deny(req, reply, scope, 403, crossOrigin);
        return;
      }
      if (!isJsonContentType(req.headers['content-type']) && !isBodilessWithoutType(req.headers)) {
        deny(req, reply, scope, 415, 'State-changing requests must be sent with Content-Type: application/json');
        return;
      }
    }
    done();
  });
}

/** No Content-Type and no body (`curl -X POST`): nothing for a browser form to smuggle; the Origin rule still applies. */
function isBodilessWithoutType(headers: FastifyRequest['headers']): boolean {
  const length = one(headers['content-length']);
  return headers['content-type'] === undefined && headers['transfer-encoding'] === undefined && (length === undefined || length.trim() === '0');
}

function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
