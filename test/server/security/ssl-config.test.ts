// SSLConfig files: TensorFlow Serving's inline-PEM form, the PEM-file-path extension, and every way a bad one fails
// (with the file and the field in the message). Certificates are made by the test (openssl CLI).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InferdError } from '../../../src/core/errors.ts';
import { loadSslConfig } from '../../../src/server/config/ssl-config.ts';
import { makeTestPki, OPENSSL_MISSING, sslConfigText, type TestPki } from '../../support/certs.ts';

describe('loadSslConfig', { skip: OPENSSL_MISSING }, () => {
  let pki: TestPki;
  before(async () => {
    pki = await makeTestPki();
  });
  after(async () => {
    await pki?.dispose();
  });

  const write = async (name: string, text: string) => {
    const file = path.join(pki.dir, name);
    await writeFile(file, text);
    return file;
  };
  const rejects = async (text: string, message: RegExp) => {
    const file = await write('bad.config', text);
    await assert.rejects(loadSslConfig(file), (err: unknown) => {
      assert.ok(err instanceof InferdError);
      assert.equal(err.code, 'INVALID_ARGUMENT');
      assert.match(err.message, message);
      return true;
    });
  };

  it('reads inline PEM text, concatenated strings and client_verify', async () => {
    const lines = pki.server.cert.trimEnd().split('\n').map((l) => JSON.stringify(`${l}\n`)).join('\n  ');
    const file = await write('inline.config', `server_key: ${JSON.stringify(pki.server.key)}\nserver_cert:\n  ${lines}\ncustom_ca: ${JSON.stringify(pki.ca.cert)}\nclient_verify: true\n`);
    const m = await loadSslConfig(file);
    assert.equal(m.cert, pki.server.cert);
    assert.equal(m.key, pki.server.key);
    assert.equal(m.ca, pki.ca.cert);
    assert.equal(m.clientVerify, true);
    assert.deepEqual(m.files, [file]);
  });

  it('reads PEM files named by absolute path, and lists them for watching', async () => {
    const file = await write('paths.config', `server_key: "${pki.server.keyFile}"\nserver_cert: "${pki.server.certFile}"\ncustom_ca: "${pki.ca.certFile}"\n`);
    const m = await loadSslConfig(file);
    assert.equal(m.cert, pki.server.cert);
    assert.equal(m.clientVerify, false);
    assert.deepEqual(m.files, [file, pki.server.keyFile, pki.server.certFile, pki.ca.certFile]);
  });

  it('fails clearly on a bad file', async () => {
    await rejects(sslConfigText({ key: '', cert: pki.server.cert }), /Invalid SSL config '.*bad\.config': server_key is empty/);
    await rejects(sslConfigText({ key: pki.server.key, cert: '' }), /server_cert is empty/);
    await rejects(sslConfigText({ key: pki.client.key, cert: pki.server.cert }), /server_key does not match server_cert/);
    await rejects(sslConfigText({ key: pki.server.key, cert: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n' }), /server_cert is not a valid PEM certificate/);
    await rejects(sslConfigText({ key: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n', cert: pki.server.cert }), /server_key is not a valid PEM private key/);
    await rejects(sslConfigText(pki.server, { ca: '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n' }), /custom_ca is not a valid PEM certificate/);
    await rejects('server_key: "relative/key.pem"\nserver_cert: "x"\n', /server_key is neither PEM text nor an absolute path/);
    await rejects(`server_key: "${path.join(pki.dir, 'missing.key')}"\n`, /server_key: cannot read .*missing\.key: ENOENT/);
  });

  it('reports a text-format error like every config file', async () => {
    const file = await write('syntax.config', 'server_key: "x"\nclient_verify: maybe\n');
    await assert.rejects(loadSslConfig(file), (err: unknown) => {
      assert.ok(err instanceof InferdError);
      assert.equal(err.message, `Invalid protobuf file: '${file}'`);
      assert.match((err.cause as Error).message, /tensorflow\.serving\.SSLConfig: \d+:\d+: Invalid value for boolean field "client_verify"/);
      return true;
    });
    await assert.rejects(loadSslConfig(path.join(pki.dir, 'nope.config')), { code: 'NOT_FOUND' });
  });
});
