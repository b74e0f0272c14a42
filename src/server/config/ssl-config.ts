/**
 * `--ssl_config_file` / `--rest_api_ssl_config_file`: TensorFlow Serving's SSLConfig (model_servers/ssl_config.proto:
 * `server_key` = 1, `server_cert` = 2, `custom_ca` = 3, `client_verify` = 4) in text format (or JSON/YAML by
 * extension), read with the project's one text-format parser.
 *
 * As in TensorFlow Serving, `server_key`, `server_cert` and `custom_ca` hold PEM text (adjacent strings concatenate,
 * so a PEM can be written one line per string). inferd extension: a value that is not PEM text (does not contain
 * `-----BEGIN`) is the absolute path of a PEM file, read with the config — the form Kubernetes secrets mount.
 * Every file read is listed in `files`, so a watcher can re-read the lot when any of them changes.
 *
 * `client_verify: true` requires a client certificate signed by `custom_ca` (by the system's roots when `custom_ca`
 * is empty, as in TensorFlow Serving); the handshake fails without one.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { InferdError } from '../../core/errors.ts';
import { readConfigDocument } from './config-file.ts';
import { valueOf, type MessageSchema, type TextMessage } from '../../core/textproto.ts';

/** tensorflow.serving.SSLConfig. */
export const SSL_CONFIG: MessageSchema = {
  fullName: 'tensorflow.serving.SSLConfig',
  fields: {
    server_key: { type: 'string' },
    server_cert: { type: 'string' },
    custom_ca: { type: 'string' },
    client_verify: { type: 'bool' },
  },
};

/** A validated SSLConfig: PEM text ready for node:tls, plus every file it came from. */
export interface TlsMaterial {
  /** The server's private key (PEM). */
  readonly key: string;
  /** The server's certificate chain (PEM), leaf first. */
  readonly cert: string;
  /** CA certificates that sign accepted client certificates (PEM); undefined = the system's roots. */
  readonly ca?: string;
  /** Require and verify a client certificate (mutual TLS). Default false. */
  readonly clientVerify: boolean;
  /** The config file and the PEM files it names (absolute), for change detection. */
  readonly files: readonly string[];
}

const PEM_MARK = '-----BEGIN';

/**
 * Read and validate an SSLConfig file: the key and certificate must parse and belong together, the certificate must
 * be valid now. INVALID_ARGUMENT (or NOT_FOUND for a missing file) with a message naming the file and the field.
 */
export async function loadSslConfig(file: string): Promise<TlsMaterial> {
  const root = await readConfigDocument(file, SSL_CONFIG);
  const files = [path.resolve(file)];
  const field = async (name: 'server_key' | 'server_cert' | 'custom_ca'): Promise<string> => {
    const text = stringField(root, name);
    if (text === '' || text.includes(PEM_MARK)) return text;
    if (!path.isAbsolute(text)) throw bad(file, `${name} is neither PEM text nor an absolute path to a PEM file`);
    files.push(text);
    try {
      return await readFile(text, 'utf8');
    } catch (err) {
      throw bad(file, `${name}: cannot read ${text}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };
  const key = await field('server_key');
  const cert = await field('server_cert');
  const ca = await field('custom_ca');
  const verify = valueOf(root, 'client_verify');
  const material: TlsMaterial = {
    key, cert, ...(ca !== '' ? { ca } : {}), clientVerify: verify?.kind === 'bool' && verify.value, files,
  };
  validateTlsMaterial(material, file);
  return material;
}

/** Throw INVALID_ARGUMENT unless key and certificate parse, match and the certificate is valid now (`label` names the source). */
export function validateTlsMaterial(m: TlsMaterial, label: string, now: Date = new Date()): void {
  if (m.key === '') throw bad(label, 'server_key is empty');
  if (m.cert === '') throw bad(label, 'server_cert is empty');
  try {
    createPrivateKey(m.key);
  } catch (err) {
    throw bad(label, `server_key is not a valid PEM private key (${(err as Error).message})`);
  }
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(m.cert);
  } catch (err) {
    throw bad(label, `server_cert is not a valid PEM certificate (${(err as Error).message})`);
  }
  if (!leaf.checkPrivateKey(createPrivateKey(m.key))) throw bad(label, 'server_key does not match server_cert');
  if (Date.parse(leaf.validTo) < now.getTime()) throw bad(label, `server_cert expired on ${leaf.validTo}`);
  if (Date.parse(leaf.validFrom) > now.getTime()) throw bad(label, `server_cert is not valid before ${leaf.validFrom}`);
  if (m.ca !== undefined) {
    try {
      new X509Certificate(m.ca);
    } catch (err) {
      throw bad(label, `custom_ca is not a valid PEM certificate (${(err as Error).message})`);
    }
  }
  try {
    createSecureContext({ key: m.key, cert: m.cert, ...(m.ca !== undefined ? { ca: m.ca } : {}) });
  } catch (err) {
    throw bad(label, `TLS rejected the key and certificates (${(err as Error).message})`);
  }
}

function stringField(root: TextMessage, name: string): string {
  const v = valueOf(root, name);
  return v?.kind === 'string' ? v.value : '';
}

function bad(file: string, detail: string): InferdError {
  return InferdError.invalidArgument(`Invalid SSL config '${file}': ${detail}`);
}
