/**
 * Graceful shutdown of the REST listener (issue 9 D12). Node's `server.close()` stops accepting and closes idle
 * keep-alive connections, but a connection whose request is still running would answer with `keep-alive` and then
 * sit idle until its keep-alive timeout. So once draining starts, every answer not yet written — the running ones
 * included — carries `Connection: close`, and each connection ends right after its last answer. Nothing here costs
 * anything per request before draining starts (one listener per connection tracks the sockets).
 */
import type { Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** Drain control of one node:http server (the one fastify listens with). */
export interface HttpDrain {
  /** From now on every answer not yet started carries `Connection: close`; the listener still accepts. Idempotent. */
  startDraining(): void;
  /**
   * Start draining, stop accepting connections and resolve once every connection has ended. Connections still open
   * after `graceMs` are destroyed (their requests fail); `graceMs` 0 destroys them at once. Idempotent.
   * `closeListener` closes the listener (fastify's `app.close()`, which also runs its onClose hooks).
   */
  close(graceMs: number, closeListener: () => Promise<void>): Promise<void>;
}

/** Track `server`'s connections so that a drain can reach the answers still being computed. */
export function trackForDrain(server: Server): HttpDrain {
  const sockets = new Set<Socket>();
  // Over TLS the HTTP layer works on the TLSSocket that 'secureConnection' hands out, not the raw TCP one.
  const isTls = typeof (server as Server & { setSecureContext?: unknown }).setSecureContext === 'function';
  server.on(isTls ? 'secureConnection' : 'connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  let draining = false;
  let closing: Promise<void> | undefined;
  const noKeepAlive = (res: ServerResponse) => {
    if (!res.headersSent) res.shouldKeepAlive = false;
  };
  const startDraining = () => {
    if (draining) return;
    draining = true;
    server.prependListener('request', (_req, res: ServerResponse) => noKeepAlive(res));
    // The answer a connection is computing now: node:http keeps it as the socket's current message.
    for (const socket of sockets) {
      const current = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
      if (current) noKeepAlive(current);
    }
  };
  return {
    startDraining,
    close(graceMs, closeListener) {
      closing ??= (async () => {
        startDraining();
        const destroyAll = () => {
          for (const socket of sockets) socket.destroy();
        };
        const force = setTimeout(destroyAll, Math.max(0, graceMs));
        if (graceMs <= 0) destroyAll();
        // A connection idle between two requests when the listener closed is closed by node:http itself
        // (server.close() closes idle connections); one that becomes idle later ends after its answer.
        try {
          await closeListener();
        } finally {
          clearTimeout(force);
        }
      })();
      return closing;
    },
  };
}
