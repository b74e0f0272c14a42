// The REST port's one security hook, in process (fastify inject): every route — /v1, the repository API, routes
// other plugins add (health, OIP, metrics, a route declaring its own scope, unknown routes) — is authenticated by
// its scope; state-changing routes take only same-origin application/json requests, with or without tokens (D14).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { managementPlugin } from '../../../src/api/rest/management.ts';
import { crossOriginReason, restRouteScope } from '../../../src/api/rest/security.ts';
import { buildRestApp } from '../../../src/api/rest/server.ts';
import type { ModelRepositoryApi } from '../../../src/server/repository-api.ts';
import { parseTokens, TokenAuthenticator } from '../../../src/server/security/tokens.ts';
import { FakeApi } from '../grpc/fake-api.ts';

const P = 'predict-0123456789abcdef';
const M = 'metrics-0123456789abcdef';
const A = 'admin-0123456789abcdefgh';

/** A repository API that records what it was asked to do. */
function recordingRepository(calls: string[]): ModelRepositoryApi {
  return {
    repositoryIndex: () => [{ name: 'm', version: 1, state: 'READY', reason: '' }],
    loadModel: async (name) => {
      calls.push(`load ${name}`);
    },
    unloadModel: async (name) => {
      calls.push(`unload ${name}`);
    },
  };
}

/** Routes another helper's plugin would add, none declaring a scope except /custom. */
function otherRoutes(app: FastifyInstance): void {
  app.get('/v2/health/live', async () => ({ live: true }));
  app.get('/v2/models/:m', async () => ({ name: 'm' }));
  app.post('/v2/models/:m/infer', async () => ({ outputs: [] }));
  app.get('/monitoring/prometheus/metrics', async () => 'metric 1\n');
  app.get('/custom', { config: { scope: 'public' } }, async () => ({ ok: true }));
}

const json = { 'content-type': 'application/json' };

describe('REST security hook', () => {
  const calls: string[] = [];
  let open: FastifyInstance;
  let locked: FastifyInstance;

  before(async () => {
    const plugins = [managementPlugin(recordingRepository(calls)), otherRoutes];
    open = await buildRestApp(new FakeApi(), { plugins });
    locked = await buildRestApp(new FakeApi(), {
      plugins, security: { access: new TokenAuthenticator(parseTokens(`predict ${P}\nmetrics ${M}\nadmin ${A}`)) },
    });
  });
  after(async () => {
    await open?.close();
    await locked?.close();
  });

  const call = (app: FastifyInstance, method: 'GET' | 'POST' | 'OPTIONS', url: string, token?: string, headers: Record<string, string> = {}, payload?: string) =>
    app.inject({ method, url, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers }, ...(payload !== undefined ? { payload } : {}) });

  it('D14: a cross-origin text/plain POST cannot unload a model (authentication off)', async () => {
    calls.length = 0;
    const simple = await call(open, 'POST', '/v2/repository/models/m/unload', undefined, { 'content-type': 'text/plain', origin: 'http://evil.example' }, '{}');
    assert.equal(simple.statusCode, 403);
    assert.deepEqual(simple.json(), { error: 'Cross-origin requests to state-changing endpoints are refused' });
    const textPlain = await call(open, 'POST', '/v2/repository/models/m/unload', undefined, { 'content-type': 'text/plain' }, '{}');
    assert.equal(textPlain.statusCode, 415);
    assert.deepEqual(textPlain.json(), { error: 'State-changing requests must be sent with Content-Type: application/json' });
    for (const headers of [{ 'content-length': '2' }, { 'content-type': 'application/x-www-form-urlencoded' }, { 'content-type': 'multipart/form-data; boundary=x' }]) {
      assert.equal((await call(open, 'POST', '/v2/repository/models/m/load', undefined, headers, '{}')).statusCode, 415);
    }
    const jsonCrossSite = await call(open, 'POST', '/v2/repository/models/m/unload', undefined, { ...json, 'sec-fetch-site': 'cross-site' }, '{}');
    assert.equal(jsonCrossSite.statusCode, 403);
    const nullOrigin = await call(open, 'POST', '/v2/repository/models/m/unload', undefined, { ...json, origin: 'null' }, '{}');
    assert.equal(nullOrigin.statusCode, 403);
    const bodiless = await open.inject({ method: 'POST', url: '/v2/repository/models/m/unload', headers: { origin: 'http://evil.example' } });
    assert.equal(bodiless.statusCode, 403, 'a bodiless cross-origin POST');
    assert.deepEqual(calls, [], 'nothing was unloaded');

    const sameOrigin = await call(open, 'POST', '/v2/repository/models/m/unload', undefined, { ...json, 'content-type': 'application/json; charset=utf-8', origin: 'http://localhost:80', host: 'localhost:80', 'sec-fetch-site': 'same-origin' }, '{}');
    assert.equal(sameOrigin.statusCode, 200, sameOrigin.body);
    const curl = await call(open, 'POST', '/v2/repository/models/m/unload', undefined, json, '{}');
    assert.equal(curl.statusCode, 200);
    const curlXPost = await open.inject({ method: 'POST', url: '/v2/repository/models/m/unload' });
    assert.equal(curlXPost.statusCode, 200, 'no body, no Content-Type, no Origin (curl -X POST)');
    assert.deepEqual(calls, ['unload m', 'unload m', 'unload m']);
  });

  it('D14: inference stays as TensorFlow Serving has it (any content type, CORS as configured)', async () => {
    const res = await call(open, 'POST', '/v1/models/m:predict', undefined, { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://elsewhere.example' }, '{"instances": [1]}');
    assert.equal(res.statusCode, 200, res.body);
  });

  it('authentication: no token, wrong token, wrong scope, right scope — on every kind of route', async () => {
    const table: [method: 'GET' | 'POST', url: string, scope: 'predict' | 'metrics' | 'admin' | 'public'][] = [
      ['GET', '/v1/models/default', 'predict'], ['POST', '/v1/models/m:predict', 'predict'], ['GET', '/V1/models/m/metadata', 'predict'],
      ['GET', '/v2/models/m', 'predict'], ['POST', '/v2/models/m/infer', 'predict'],
      ['GET', '/monitoring/prometheus/metrics', 'metrics'],
      ['POST', '/v2/repository/index', 'admin'], ['POST', '/v2/repository/models/m/load', 'admin'],
      ['GET', '/no/such/route', 'admin'],
      ['GET', '/v2/health/live', 'public'], ['GET', '/custom', 'public'],
    ];
    const body = (url: string) => (url.includes(':predict') ? '{"instances": [1]}' : url.startsWith('/v2/') ? '{}' : undefined);
    for (const [method, url, scope] of table) {
      const expectOk = url === '/no/such/route' ? 404 : 200;
      const none = await call(locked, method, url, undefined, json, body(url));
      if (scope === 'public') {
        assert.equal(none.statusCode, expectOk, `${url} is public`);
        continue;
      }
      assert.equal(none.statusCode, 401, `${url} without a token`);
      assert.equal(none.headers['www-authenticate'], 'Bearer');
      assert.equal((await call(locked, method, url, 'wrong-0123456789abcdef', json, body(url))).statusCode, 401, `${url} wrong token`);
      const lacking = scope === 'predict' ? M : P;
      const denied = await call(locked, method, url, lacking, json, body(url));
      assert.equal(denied.statusCode, 403, `${url} wrong scope`);
      assert.deepEqual(denied.json(), { error: `This token does not have the "${scope}" scope this endpoint requires` });
      const right = scope === 'predict' ? P : scope === 'metrics' ? M : A;
      const ok = await call(locked, method, url, right, json, body(url));
      assert.equal(ok.statusCode, expectOk, `${url} right scope: ${ok.body}`);
      assert.equal((await call(locked, method, url, A, json, body(url))).statusCode, expectOk, `${url} admin`);
    }
  });

  it('CORS preflight needs no token; a state-changing request needs both the token and JSON', async () => {
    assert.equal((await call(locked, 'OPTIONS', '/v1/models/m:predict', undefined, { origin: 'http://a.example' })).statusCode, 200);
    assert.equal((await call(locked, 'POST', '/v2/repository/models/m/unload', A, { 'content-type': 'text/plain' }, '{}')).statusCode, 415);
  });

  it('the scope rules look at the registered pattern, not at the raw URL', () => {
    assert.equal(restRouteScope('GET', '/v2/health/ready'), 'public');
    assert.equal(restRouteScope('GET', undefined), 'admin');
    assert.equal(restRouteScope('POST', '/v2/repository/models/:model/load'), 'admin');
    assert.equal(restRouteScope('GET', '/v2'), 'predict');
    assert.equal(restRouteScope('OPTIONS', '/v2/repository/index'), 'public');
    assert.equal(crossOriginReason({ origin: 'https://a.example:8501', host: 'a.example:8501' }), undefined);
    assert.ok(crossOriginReason({ origin: 'https://a.example:8502', host: 'a.example:8501' }));
    assert.ok(crossOriginReason({ origin: 'not a url', host: 'a.example' }));
    assert.ok(crossOriginReason({ 'sec-fetch-site': 'same-site', host: 'a.example' }));
    assert.equal(crossOriginReason({ 'sec-fetch-site': 'none', host: 'a.example' }), undefined);
  });
});
