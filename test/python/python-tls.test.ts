// An independent client over TLS: Debian's python3-grpcio with grpc.ssl_channel_credentials against the gRPC server
// with TensorFlow Serving's SSLConfig semantics (client_verify: true → mutual TLS with custom_ca) and bearer tokens.
// A plaintext client and a client without a certificate are refused. Skips when python3-grpcio or openssl is missing.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { PROTO_ROOT } from '../../src/api/grpc/protos.ts';
import { startGrpcServer, type GrpcServer } from '../../src/api/grpc/server.ts';
import { OnnxRuntime } from '../../src/runtimes/onnx/index.ts';
import { ModelServer } from '../../src/server/model-server.ts';
import { parseTokens, TokenAuthenticator } from '../../src/server/security/tokens.ts';
import { makeTestPki, OPENSSL_MISSING, type TestPki } from '../support/certs.ts';
import { halfPlusTwo } from '../support/models.ts';

const PYTHON = '/usr/bin/python3';
const probe = spawnSync(PYTHON, ['-c', 'import grpc, grpc_tools'], { encoding: 'utf8' });
const skip = probe.status !== 0
  ? `needs Debian's python3-grpcio and python3-grpc-tools (apt-get install -y python3-grpcio python3-grpc-tools): ${PYTHON} -c "import grpc, grpc_tools" failed`
  : OPENSSL_MISSING;
const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tls_client.py');
const TOKEN = 'python-client-token-0123';

describe('Python grpcio client over TLS', { skip }, () => {
  let dir: string;
  let pki: TestPki;
  let models: ModelServer;
  let server: GrpcServer;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-pytls-'));
    pki = await makeTestPki();
    await halfPlusTwo(path.join(dir, 'default', '1'), ['batch', 1]);
    models = await ModelServer.create({
      models: [{ name: 'default', basePath: path.join(dir, 'default') }],
      runtimes: [await OnnxRuntime.create()],
      pollWaitSeconds: 0,
    });
    await models.whenSettled();
    server = await startGrpcServer(models, {
      host: '127.0.0.1', port: 0,
      tls: { key: pki.server.key, cert: pki.server.cert, ca: pki.ca.cert, clientVerify: true },
      access: new TokenAuthenticator(parseTokens(`predict ${TOKEN}`)),
    });
  });

  after(async () => {
    await server?.close();
    await models?.close();
    await pki?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const python = async (...args: string[]) => {
    const { stdout } = await promisify(execFile)(PYTHON, [SCRIPT, '--target', `127.0.0.1:${server.port}`, '--proto-root', PROTO_ROOT, ...args], { timeout: 60_000 });
    return JSON.parse(stdout) as { outputs?: Record<string, number[]>; error?: { code: string; details: string } };
  };
  const mtls = () => ['--root-certs', pki.ca.certFile, '--client-key', pki.client.keyFile, '--client-cert', pki.client.certFile];

  it('predicts with ssl_channel_credentials, a client certificate and a token', async () => {
    assert.deepEqual(await python(...mtls(), '--token', TOKEN), { outputs: { y: [3] } });
  });

  it('without a token: UNAUTHENTICATED', async () => {
    assert.deepEqual(await python(...mtls()), { error: { code: 'UNAUTHENTICATED', details: 'Missing bearer token: send "Authorization: Bearer <token>"' } });
  });

  it('without a client certificate, and in plaintext: refused (UNAVAILABLE)', async () => {
    assert.equal((await python('--root-certs', pki.ca.certFile, '--token', TOKEN)).error?.code, 'UNAVAILABLE');
    assert.equal((await python('--plaintext', '--token', TOKEN)).error?.code, 'UNAVAILABLE');
  });
});
