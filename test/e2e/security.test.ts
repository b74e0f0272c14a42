// End to end: `inferd serve` with TLS on both ports (TensorFlow Serving's SSLConfig), mutual TLS, bearer tokens,
// certificate and token rotation, the reload-RPC switch and --allowed_model_roots, spoken to with grpc-js, node's
// https and curl. Certificates are made by the test (openssl CLI); nothing secret is committed.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { connect, expectError, floatTensor, floatsOf, type TestClients } from '../api/grpc/client.ts';
import { makeTestPki, OPENSSL_MISSING, sslConfigText, type TestPki } from '../support/certs.ts';
import { httpsRequest } from '../support/https.ts';
import { halfPlusTwo } from '../support/models.ts';
import { freePort, runInferd, startServer, type RunningServer } from '../support/serve.ts';

const PREDICT_TOKEN = 'predict-token-0123456789';
const ADMIN_TOKEN = 'admin-token-0123456789ab';
const ROTATED_TOKEN = 'rotated-token-0123456789';

/** A gRPC client over TLS (optionally with a client certificate and a bearer token). */
function tlsClient(port: number, pki: TestPki, opts: { client?: { key: string; cert: string }; token?: string } = {}): TestClients {
  let creds = grpc.credentials.createSsl(
    Buffer.from(pki.ca.cert),
    opts.client ? Buffer.from(opts.client.key) : null,
    opts.client ? Buffer.from(opts.client.cert) : null,
  );
  if (opts.token !== undefined) {
    const token = opts.token;
    creds = grpc.credentials.combineChannelCredentials(creds, grpc.credentials.createFromMetadataGenerator((_params, done) => {
      const md = new grpc.Metadata();
      md.add('authorization', `Bearer ${token}`);
      done(null, md);
    }));
  }
  return connect(port, creds);
}

const predictRequest = { model_spec: { name: 'hpt' }, inputs: { x: floatTensor([2], [1]) } };

/** Poll `probe` until it returns true (files are re-read every second in these tests). */
async function eventually(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('TLS, mutual TLS and tokens on both ports', { skip: OPENSSL_MISSING }, () => {
  let dir: string;
  let pki: TestPki;
  let server: RunningServer;
  let tokensFile: string;
  let restSsl: string;
  const clients: TestClients[] = [];
  const client = (opts: Parameters<typeof tlsClient>[2]) => {
    const c = tlsClient(server.grpcPort, pki, opts);
    clients.push(c);
    return c;
  };
  const rest = (urlPath: string, opts: { token?: string; method?: string; body?: string; headers?: Record<string, string> } = {}) =>
    httpsRequest(`https://127.0.0.1:${server.restPort}${urlPath}`, {
      ca: pki.ca.cert,
      ...(opts.method ? { method: opts.method } : {}),
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      headers: { ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...opts.headers },
    });

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-security-'));
    pki = await makeTestPki();
    await halfPlusTwo(path.join(dir, 'allowed', 'hpt', '1'));
    await halfPlusTwo(path.join(dir, 'elsewhere', 'hpt2', '1'));
    tokensFile = path.join(dir, 'tokens');
    await writeFile(tokensFile, `# scopes token name\npredict ${PREDICT_TOKEN} web\nadmin ${ADMIN_TOKEN} ops\n`);
    restSsl = path.join(dir, 'rest-ssl.config');
    // The REST config names PEM files (inferd extension); the gRPC one carries them inline (TF Serving's form).
    await writeFile(restSsl, `server_key: "${pki.server.keyFile}"\nserver_cert: "${pki.server.certFile}"\n`);
    const grpcSsl = path.join(dir, 'grpc-ssl.config');
    await writeFile(grpcSsl, sslConfigText(pki.server, { ca: pki.ca.cert, clientVerify: true }));
    server = await startServer([
      '--model_name=hpt', `--model_base_path=${path.join(dir, 'allowed', 'hpt')}`,
      `--ssl_config_file=${grpcSsl}`, `--rest_api_ssl_config_file=${restSsl}`, `--auth_tokens_file=${tokensFile}`,
      '--security_files_poll_wait_seconds=1', '--enable_grpc_healthcheck_service', '--enable_model_management',
      `--allowed_model_roots=${path.join(dir, 'allowed')}`,
    ]);
  });

  after(async () => {
    for (const c of clients) c.close();
    await server?.stop();
    await pki?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gRPC: mutual TLS with a token predicts; the health check needs no token', async () => {
    const c = client({ client: pki.client, token: PREDICT_TOKEN });
    const res = await c.prediction.Predict(predictRequest);
    assert.deepEqual(floatsOf(res.outputs.y), [3]);
    const open = client({ client: pki.client });
    assert.equal((await open.health.Check({ service: '' })).status, 'SERVING');
  });

  it('gRPC: a plaintext client, a client without a certificate and one with a foreign certificate are refused', async () => {
    const plain = connect(server.grpcPort);
    clients.push(plain);
    await expectError(plain.prediction.Predict(predictRequest, { deadlineMs: 5000 }), grpc.status.UNAVAILABLE);
    await expectError(client({ token: PREDICT_TOKEN }).prediction.Predict(predictRequest, { deadlineMs: 5000 }), grpc.status.UNAVAILABLE);
    await expectError(client({ client: pki.otherClient, token: PREDICT_TOKEN }).prediction.Predict(predictRequest, { deadlineMs: 5000 }), grpc.status.UNAVAILABLE);
  });

  it('gRPC: no token, a wrong token, and a token without the scope', async () => {
    await expectError(client({ client: pki.client }).prediction.Predict(predictRequest), grpc.status.UNAUTHENTICATED, /Missing bearer token/);
    await expectError(client({ client: pki.client, token: 'wrong-token-0123456789' }).model.GetModelStatus({ model_spec: { name: 'hpt' } }),
      grpc.status.UNAUTHENTICATED, 'Invalid bearer token');
    const reload = { config: { model_config_list: { config: [{ name: 'hpt', base_path: path.join(dir, 'allowed', 'hpt') }] } } };
    await expectError(client({ client: pki.client, token: PREDICT_TOKEN }).model.HandleReloadConfigRequest(reload), grpc.status.PERMISSION_DENIED, /"admin" scope/);
    const res = await client({ client: pki.client, token: ADMIN_TOKEN }).model.HandleReloadConfigRequest(reload);
    assert.equal(res.status.error_code, 0);
  });

  it('gRPC: the reload RPC may not name a base path outside --allowed_model_roots', async () => {
    const admin = client({ client: pki.client, token: ADMIN_TOKEN });
    const outside = (basePath: string) => ({ config: { model_config_list: { config: [
      { name: 'hpt', base_path: path.join(dir, 'allowed', 'hpt') }, { name: 'hpt2', base_path: basePath },
    ] } } });
    const err = await expectError(admin.model.HandleReloadConfigRequest(outside(path.join(dir, 'elsewhere', 'hpt2'))), grpc.status.PERMISSION_DENIED,
      'Model hpt2: base_path is outside the allowed model roots (--allowed_model_roots)');
    assert.ok(!err.details.includes(dir), 'the refusal names no path');
    await expectError(admin.model.HandleReloadConfigRequest(outside(path.join(dir, 'allowed', '..', 'elsewhere', 'hpt2'))), grpc.status.PERMISSION_DENIED);
    const st = await admin.model.GetModelStatus({ model_spec: { name: 'hpt' } });
    assert.equal(st.model_version_status[0].state, 'AVAILABLE');
  });

  it('REST: HTTPS with the CA; 401 without or with a wrong token, 403 without the scope, 200 with it', async () => {
    const none = await rest('/v1/models/hpt');
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    assert.match(JSON.parse(none.text).error, /Missing bearer token/);
    assert.equal((await rest('/v1/models/hpt', { token: 'wrong-token-0123456789' })).status, 401);
    const ok = await rest('/v1/models/hpt:predict', { token: PREDICT_TOKEN, method: 'POST', body: '{"instances": [2]}' });
    assert.equal(ok.status, 200);
    assert.deepEqual(JSON.parse(ok.text), { predictions: [3] });
    const index = (token: string) => rest('/v2/repository/index', { token, method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    assert.equal((await index(PREDICT_TOKEN)).status, 403);
    assert.equal((await index(ADMIN_TOKEN)).status, 200);
  });

  it('REST: the repository API may not load from outside --allowed_model_roots', async () => {
    const res = await rest('/v2/repository/models/hpt2/load', {
      token: ADMIN_TOKEN, method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ parameters: { config: { base_path: path.join(dir, 'elsewhere', 'hpt2'), model_platform: 'onnx' } } }),
    });
    assert.equal(res.status, 403);
    assert.deepEqual(JSON.parse(res.text), { error: 'Model hpt2: base_path is outside the allowed model roots (--allowed_model_roots)' });
  });

  it('REST: plain HTTP on the HTTPS port gets no answer', async () => {
    await assert.rejects(fetch(`http://127.0.0.1:${server.restPort}/v1/models/hpt`));
  });

  it('REST: curl --cacert works', { skip: spawnSync('curl', ['--version']).status === 0 ? false : 'needs curl' }, async () => {
    const { stdout } = await promisify(execFile)('curl', [
      '-s', '--cacert', pki.ca.certFile, '-H', `Authorization: Bearer ${PREDICT_TOKEN}`, '-d', '{"instances": [4]}',
      `https://localhost:${server.restPort}/v1/models/hpt:predict`,
    ]);
    assert.deepEqual(JSON.parse(stdout), { predictions: [4] });
  });

  it('rotates tokens and certificates without a restart', async () => {
    await writeFile(tokensFile, `predict ${ROTATED_TOKEN}\nadmin ${ADMIN_TOKEN}\n`);
    await eventually(async () => (await rest('/v1/models/hpt', { token: ROTATED_TOKEN })).status === 200, 'the new token');
    assert.equal((await rest('/v1/models/hpt', { token: PREDICT_TOKEN })).status, 401);
    const grpcOld = client({ client: pki.client, token: PREDICT_TOKEN });
    await expectError(grpcOld.prediction.Predict(predictRequest), grpc.status.UNAUTHENTICATED);
    // A broken tokens file keeps the previous tokens.
    await writeFile(tokensFile, 'predict short\n');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal((await rest('/v1/models/hpt', { token: ROTATED_TOKEN })).status, 200);
    assert.doesNotMatch(server.stderr(), new RegExp(`${PREDICT_TOKEN}|${ROTATED_TOKEN}|${ADMIN_TOKEN}`), 'no token in the logs');
    assert.match(server.stderr(), /keeping the previous auth tokens/);

    assert.equal((await rest('/v1/models/hpt', { token: ROTATED_TOKEN })).serverCn, 'localhost');
    const next = await pki.newServer('rotated');
    await writeFile(restSsl, `server_key: "${next.keyFile}"\nserver_cert: "${next.certFile}"\n`);
    await eventually(async () => (await rest('/v1/models/hpt', { token: ROTATED_TOKEN })).serverCn === 'rotated', 'the new certificate');
  });
});

describe('REST mutual TLS, gRPC TLS without client certificates, reload RPC off, management on its own port', { skip: OPENSSL_MISSING }, () => {
  let dir: string;
  let pki: TestPki;
  let server: RunningServer;
  let c: TestClients | undefined;
  let managementPort: number;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-mtls-'));
    pki = await makeTestPki();
    await halfPlusTwo(path.join(dir, 'hpt', '1'));
    await writeFile(path.join(dir, 'rest.config'), sslConfigText(pki.server, { ca: pki.ca.cert, clientVerify: true }));
    await writeFile(path.join(dir, 'grpc.config'), sslConfigText(pki.server));
    managementPort = await freePort();
    server = await startServer([
      '--model_name=hpt', `--model_base_path=${path.join(dir, 'hpt')}`, '--enable_reload_config_rpc=false',
      '--enable_model_management', `--model_management_port=${managementPort}`,
      `--ssl_config_file=${path.join(dir, 'grpc.config')}`, `--rest_api_ssl_config_file=${path.join(dir, 'rest.config')}`,
    ]);
  });

  after(async () => {
    c?.close();
    await server?.stop();
    await pki?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('REST answers a client with a certificate from custom_ca and refuses the others', async () => {
    const url = `https://127.0.0.1:${server.restPort}/v1/models/hpt`;
    assert.equal((await httpsRequest(url, { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key })).status, 200);
    await assert.rejects(httpsRequest(url, { ca: pki.ca.cert }));
    await assert.rejects(httpsRequest(url, { ca: pki.ca.cert, cert: pki.otherClient.cert, key: pki.otherClient.key }));
  });

  it('gRPC TLS without client_verify needs no client certificate; the reload RPC is off', async () => {
    c = tlsClient(server.grpcPort, pki);
    assert.deepEqual(floatsOf((await c.prediction.Predict(predictRequest)).outputs.y), [3]);
    await expectError(c.model.HandleReloadConfigRequest({ config: { model_config_list: { config: [] } } }), grpc.status.UNIMPLEMENTED);
  });

  it('the repository API is on the management port only (loopback, same TLS), and /v1 is not there', async () => {
    const mtls = { ca: pki.ca.cert, cert: pki.client.cert, key: pki.client.key };
    const index = (port: number) => httpsRequest(`https://127.0.0.1:${port}/v2/repository/index`, {
      ...mtls, method: 'POST', body: '{}', headers: { 'content-type': 'application/json' },
    });
    const res = await index(managementPort);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(JSON.parse(res.text), [{ name: 'hpt', version: '1', state: 'READY', reason: '' }]);
    assert.equal((await index(server.restPort)).status, 404);
    assert.equal((await httpsRequest(`https://127.0.0.1:${managementPort}/v1/models/hpt`, mtls)).status, 404);
    await assert.rejects(httpsRequest(`https://127.0.0.1:${managementPort}/v2/repository/index`, { ca: pki.ca.cert }), 'mutual TLS there too');
  });
});

describe('a bad certificate fails start-up with a clear message (more cases: test/server/security/ssl-config.test.ts)', { skip: OPENSSL_MISSING }, () => {
  let dir: string;
  let pki: TestPki;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-badtls-'));
    pki = await makeTestPki();
    await mkdir(path.join(dir, 'hpt'));
  });
  after(async () => {
    await pki?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const start = (flag: string) => runInferd(['serve', '--rest_api_port=0', '--port=0', '--model_name=hpt', `--model_base_path=${path.join(dir, 'hpt')}`, flag]);

  it('a key that does not match the certificate', async () => {
    const file = path.join(dir, 'mismatch.config');
    await writeFile(file, sslConfigText({ key: pki.client.key, cert: pki.server.cert }));
    const r = await start(`--rest_api_ssl_config_file=${file}`);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Failed to start server\. Error: INVALID_ARGUMENT: Invalid SSL config '.*mismatch\.config': server_key does not match server_cert/);
  });
});
