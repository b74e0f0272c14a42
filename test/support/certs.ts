/**
 * Test certificates, made fresh by each test run with the openssl CLI (no key is committed): a CA, a server
 * certificate for `localhost` / 127.0.0.1 signed by it, a client certificate signed by it, and a second, unrelated
 * CA with its own client certificate (a client the server must refuse). EC P-256 keys: quick to make.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Why certificate tests must skip (no openssl CLI), or false. */
export const OPENSSL_MISSING: string | false = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0
  ? false
  : 'needs the openssl command-line tool to make test certificates (apt-get install -y openssl)';

/** PEM texts and the files they are in. */
export interface KeyPair {
  readonly key: string;
  readonly cert: string;
  readonly keyFile: string;
  readonly certFile: string;
}

/** A set of test certificates in a temp folder (`dispose()` removes it). */
export interface TestPki {
  readonly dir: string;
  readonly ca: KeyPair;
  /** Signed by `ca`, for localhost and 127.0.0.1. */
  readonly server: KeyPair;
  /** Signed by `ca`, for client authentication. */
  readonly client: KeyPair;
  /** A second CA and a client certificate it signed (not trusted by the server). */
  readonly otherCa: KeyPair;
  readonly otherClient: KeyPair;
  /** Make another server certificate signed by `ca` (rotation tests); `cn` tells them apart. */
  newServer(cn: string): Promise<KeyPair>;
  dispose(): Promise<void>;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function selfSigned(dir: string, name: string): Promise<KeyPair> {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  await run('openssl', [
    'req', '-x509', ...EC, '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${name}`, '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8'), keyFile, certFile };
}

async function signed(dir: string, name: string, cn: string, ca: KeyPair, extensions: string): Promise<KeyPair> {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  const csr = path.join(dir, `${name}.csr`);
  const ext = path.join(dir, `${name}.ext`);
  await writeFile(ext, extensions);
  await run('openssl', ['req', ...EC, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${cn}`]);
  await run('openssl', [
    'x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial', '-out', certFile, '-days', '2', '-extfile', ext,
  ]);
  return { key: await readFile(keyFile, 'utf8'), cert: await readFile(certFile, 'utf8'), keyFile, certFile };
}

const SERVER_EXT = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n';
const CLIENT_EXT = 'extendedKeyUsage=clientAuth\n';

/** Make a fresh PKI in a temp folder. */
export async function makeTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-pki-'));
  const ca = await selfSigned(dir, 'test-ca');
  const otherCa = await selfSigned(dir, 'other-ca');
  let serial = 0;
  return {
    dir,
    ca,
    server: await signed(dir, 'server', 'localhost', ca, SERVER_EXT),
    client: await signed(dir, 'client', 'test-client', ca, CLIENT_EXT),
    otherCa,
    otherClient: await signed(dir, 'other-client', 'other-client', otherCa, CLIENT_EXT),
    newServer: (cn) => signed(dir, `server-${++serial}`, cn, ca, SERVER_EXT),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** An SSLConfig in text format with the PEMs inline (TensorFlow Serving's form). */
export function sslConfigText(server: Pick<KeyPair, 'key' | 'cert'>, options: { ca?: string; clientVerify?: boolean } = {}): string {
  const q = (pem: string) => JSON.stringify(pem);
  return [
    `server_key: ${q(server.key)}`,
    `server_cert: ${q(server.cert)}`,
    ...(options.ca !== undefined ? [`custom_ca: ${q(options.ca)}`] : []),
    ...(options.clientVerify ? ['client_verify: true'] : []),
  ].join('\n') + '\n';
}
