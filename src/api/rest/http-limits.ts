/**
 * The REST port's connection-level limits and its answers to errors below fastify (Node's HTTP parser, timeouts,
 * connection caps). Every one of them answers `{"error": "…"}` like the API does, then closes the connection.
 *
 * Timeouts (documented in docs/operations.md "Limits and timeouts"):
 * - headers: the request line and headers must arrive within `headerTimeoutMs` of the connection's first byte → 408;
 * - body: the whole request (headers and body, so a trickled body or one shorter than its Content-Length) must
 *   arrive within `bodyTimeoutMs` → 408;
 * - keep-alive: an idle connection between requests is closed after `keepAliveTimeoutMs`.
 * Node checks the first two every `connectionsCheckingInterval` (here at most 1 s), so they hold to about a second.
 * The request's processing deadline is separate (`--rest_api_timeout_in_ms`, 504).
 */
import http from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import type { FastifyHttpOptions, FastifyReply, FastifyRequest } from 'fastify';
import { guardConnections, type ConnectionCaps } from '../connection-guard.ts';

/** Connection-level options of the REST port; each default is beside its field. */
export interface RestConnectionOptions extends ConnectionCaps {
  /** Time to receive the request line and headers, in ms (`--rest_api_header_timeout_ms`). Default 10000. */
  readonly headerTimeoutMs?: number;
  /** Time to receive the whole request, body included, in ms (`--rest_api_body_timeout_ms`). Default 60000. */
  readonly bodyTimeoutMs?: number;
  /** Idle time of a keep-alive connection between requests, in ms (`--rest_api_keepalive_timeout_ms`). Default 5000. */
  readonly keepAliveTimeoutMs?: number;
}

/** Defaults of RestConnectionOptions' timeouts. */
export const DEFAULT_REST_TIMEOUTS = { headerTimeoutMs: 10_000, bodyTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000 } as const;

/** Largest request head Node accepts (its default --max-http-header-size). */
const MAX_HEADER_BYTES = http.maxHeaderSize;

/** A complete HTTP/1.1 answer with a JSON `{"error"}` body that closes the connection. */
function rawAnswer(status: number, message: string): string {
  const body = JSON.stringify({ error: message });
  return `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** Status and message for an error Node's HTTP layer reports on a connection (clientError). */
function clientErrorAnswer(err: NodeJS.ErrnoException, bodyTimeoutMs: number, headerTimeoutMs: number): [number, string] {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, `Request not received in time: headers within ${headerTimeoutMs} ms (rest_api_header_timeout_ms), ` +
        `the whole request within ${bodyTimeoutMs} ms (rest_api_body_timeout_ms)`];
    case 'HPE_HEADER_OVERFLOW':
      return [431, `Request headers are larger than the limit of ${MAX_HEADER_BYTES} bytes`];
    default: {
      const reason = 'reason' in err && typeof err.reason === 'string' ? err.reason : err.message;
      return [400, `Malformed HTTP request: ${reason}`];
    }
  }
}

/** Fastify constructor options for these limits (timeouts, error answers below the router). */
export function restServerOptions(options: RestConnectionOptions): Partial<FastifyHttpOptions<http.Server>> {
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_REST_TIMEOUTS.bodyTimeoutMs;
  // Node requires headersTimeout ≤ requestTimeout when the latter is set.
  const headerTimeoutMs = Math.min(options.headerTimeoutMs ?? DEFAULT_REST_TIMEOUTS.headerTimeoutMs, bodyTimeoutMs || Infinity);
  const keepAliveTimeoutMs = options.keepAliveTimeoutMs ?? DEFAULT_REST_TIMEOUTS.keepAliveTimeoutMs;
  return {
    requestTimeout: bodyTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    http: {
      headersTimeout: headerTimeoutMs,
      connectionsCheckingInterval: Math.max(100, Math.min(1000, headerTimeoutMs || 1000, bodyTimeoutMs || 1000)),
    },
    clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket) {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      // Answer unless a response is being written on this connection (Node's own rule: a keep-alive connection that
      // already answered earlier requests still gets its 400; destroying it instead reset clients that reuse it).
      const current = (socket as unknown as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
      if (socket.writable && (!current || !current.headersSent)) {
        const [status, message] = clientErrorAnswer(err, bodyTimeoutMs, headerTimeoutMs);
        socket.end(rawAnswer(status, message));
        setTimeout(() => socket.destroy(), 1000).unref();
      } else {
        socket.destroy();
      }
    },
    // Router-level failures (a URL fastify cannot decode, an over-long parameter): the API's error shape.
    frameworkErrors(err: Error, _req: FastifyRequest, reply: FastifyReply) {
      void reply.code(400).type('application/json').send(JSON.stringify({ error: err.message }));
    },
  };
}

/** Apply the connection caps to the REST port's server; refused connections get a 429 `{"error"}` answer. */
export function guardRestConnections(server: NetServer, caps: ConnectionCaps): () => void {
  return guardConnections(server, caps, (socket, reason) => {
    if (socket.writable) socket.write(rawAnswer(429, reason));
  });
}
