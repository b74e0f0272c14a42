/**
 * Connection caps shared by both transports: at most `maxConnections` open TCP connections per listening port, and
 * at most `maxConnectionsPerClient` from one remote address. A connection over a cap is refused as it is accepted:
 * `refuse(socket, reason)` may write a last answer (REST writes a 429 `{"error": …}`), then the socket is destroyed.
 * Counting is per guarded server; a Unix-socket peer (no remote address) counts as the client `local`.
 */
import type { Server, Socket } from 'node:net';

/** The caps; 0 means no cap. Each default is beside its field. */
export interface ConnectionCaps {
  /** Open connections per port. Default DEFAULT_MAX_CONNECTIONS (`--max_connections`). */
  readonly maxConnections?: number;
  /** Open connections per remote address and port. Default DEFAULT_MAX_CONNECTIONS_PER_CLIENT (`--max_connections_per_client`). */
  readonly maxConnectionsPerClient?: number;
}

/** Default cap of open connections per port. */
export const DEFAULT_MAX_CONNECTIONS = 4096;
/** Default cap of open connections from one remote address per port. */
export const DEFAULT_MAX_CONNECTIONS_PER_CLIENT = 256;

/** What to do with a socket over a cap before it is destroyed; `reason` names the cap. */
export type RefuseConnection = (socket: Socket, reason: string) => void;

/**
 * Count connections on `server` and refuse those over `caps`. The guard wraps the server's 'connection' emit, so a
 * refused socket never reaches the HTTP or HTTP/2 layer (no request on it is ever parsed). Returns a function that
 * removes the guard.
 */
export function guardConnections(server: Server, caps: ConnectionCaps, refuse: RefuseConnection = () => undefined): () => void {
  const total = caps.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const perClient = caps.maxConnectionsPerClient ?? DEFAULT_MAX_CONNECTIONS_PER_CLIENT;
  const byClient = new Map<string, number>();
  let open = 0;
  const admit = (socket: Socket): boolean => {
    const client = socket.remoteAddress ?? 'local';
    const mine = byClient.get(client) ?? 0;
    const reason = total > 0 && open >= total
      ? `Too many open connections on this port (max_connections=${total})`
      : perClient > 0 && mine >= perClient
        ? `Too many open connections from ${client} (max_connections_per_client=${perClient})`
        : undefined;
    if (reason) {
      socket.on('error', () => undefined);
      try {
        refuse(socket, reason);
      } finally {
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      }
      return false;
    }
    open++;
    byClient.set(client, mine + 1);
    socket.once('close', () => {
      open--;
      const n = (byClient.get(client) ?? 1) - 1;
      if (n <= 0) byClient.delete(client);
      else byClient.set(client, n);
    });
    return true;
  };
  const original = server.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
  const guarded = function (this: Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'connection' && !admit(args[0] as Socket)) return true;
    return original.call(this, event, ...args);
  };
  server.emit = guarded as Server['emit'];
  return () => {
    if (server.emit === guarded) server.emit = original as Server['emit'];
  };
}
