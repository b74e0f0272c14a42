/**
 * A small HTTPS client for tests: node:https with a CA, an optional client certificate, and what the server
 * presented (its certificate's CN), so TLS, mutual TLS and certificate rotation can be checked.
 */
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

/** Options of httpsRequest. */
export interface HttpsRequestOptions {
  readonly method?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** CA that signs the server's certificate. */
  readonly ca: string;
  /** Client certificate and key (mutual TLS). */
  readonly cert?: string;
  readonly key?: string;
}

/** The answer: status, body text, and the CN of the certificate the server presented. */
export interface HttpsAnswer {
  readonly status: number;
  readonly text: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly serverCn: string | undefined;
}

/** One request on a fresh connection (no keep-alive, so every request makes a new TLS handshake). */
export function httpsRequest(url: string, options: HttpsRequestOptions): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, {
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      ca: options.ca,
      ...(options.cert !== undefined ? { cert: options.cert } : {}),
      ...(options.key !== undefined ? { key: options.key } : {}),
      agent: false,
    }, (res) => {
      const socket = res.socket as TLSSocket;
      const cn = socket.getPeerCertificate?.().subject?.CN;
      const serverCn = Array.isArray(cn) ? cn[0] : cn;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers, serverCn }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
