/**
 * A small round-robin TCP load balancer on loopback, for the rolling-update test: what a Kubernetes Service does
 * for inferd's pods, reduced to what matters for a rollout.
 * - Endpoints: backends are added when their process starts and removed when it has exited (pod created, deleted).
 * - Readiness: like the endpoint controller fed by readiness probes, a loop polls each backend's
 *   `GET /v2/health/ready`; only a ready backend receives new connections. An answer other than 200 or a refused
 *   connection makes it not ready at once; a probe that times out (after `probeTimeoutMs`) or fails otherwise counts
 *   only after `failureThreshold` in a row (Kubernetes' failureThreshold), so a busy test machine stalling this
 *   process does not take every backend out at once.
 * - Routing: each new client connection goes to the next ready backend in turn and stays there (as kube-proxy routes
 *   connections, not requests). No retries: a connection that cannot reach its backend is closed, and the client
 *   sees the failure, as it would through kube-proxy. With no ready backend the connection is closed at once.
 */
import net from 'node:net';

/** What the balancer knows about one backend. */
export interface BackendState {
  readonly name: string;
  readonly port: number;
  /** Routed to: the last poll answered 200, or only timed out fewer than failureThreshold times since. */
  ready: boolean;
  /** Probes in a row that timed out or failed without an answer. */
  unanswered: number;
  /** Client connections routed to it so far. */
  connections: number;
  /** Client connections to it still open. */
  open: number;
}

/** Options; the defaults poll every 100 ms with a 1 s probe timeout and a failure threshold of 3. */
export interface BalancerOptions {
  readonly pollIntervalMs?: number;
  readonly probeTimeoutMs?: number;
  readonly failureThreshold?: number;
}

/** A round-robin TCP balancer over readiness-polled backends on 127.0.0.1. */
export class RoundRobinBalancer {
  private readonly backends: BackendState[] = [];
  private readonly server = net.createServer((socket) => this.route(socket));
  private readonly sockets = new Set<net.Socket>();
  private readonly pollIntervalMs: number;
  private readonly probeTimeoutMs: number;
  private readonly failureThreshold: number;
  private next = 0;
  private polling: Promise<void> | undefined;
  private closed = false;
  /** Connections closed because no backend was ready or the backend could not be reached. */
  refused = 0;

  constructor(options: BalancerOptions = {}) {
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 1000;
    this.failureThreshold = options.failureThreshold ?? 3;
  }

  /** Listen on a free loopback port and start polling; resolves to the port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    this.polling = this.pollLoop();
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** Add an endpoint (not ready until a poll says so). */
  add(name: string, port: number): BackendState {
    const state: BackendState = { name, port, ready: false, unanswered: 0, connections: 0, open: 0 };
    this.backends.push(state);
    return state;
  }

  /** Remove an endpoint (its process has exited). */
  remove(name: string): void {
    const i = this.backends.findIndex((b) => b.name === name);
    if (i >= 0) this.backends.splice(i, 1);
  }

  /** The state of a backend by name. */
  backend(name: string): BackendState {
    const state = this.backends.find((b) => b.name === name);
    if (!state) throw new Error(`no backend ${name}`);
    return state;
  }

  /** Resolve once a poll has seen `name` ready (reject after `timeoutMs`). */
  async waitReady(name: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.backend(name).ready) {
      if (Date.now() > deadline) throw new Error(`backend ${name} not ready after ${timeoutMs} ms`);
      await sleep(this.pollIntervalMs);
    }
  }

  /** Stop listening and polling; close every proxied connection. */
  async close(): Promise<void> {
    this.closed = true;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.polling;
  }

  private route(client: net.Socket): void {
    const ready = this.backends.filter((b) => b.ready);
    if (ready.length === 0) {
      this.refused++;
      client.destroy();
      return;
    }
    const backend = ready[this.next++ % ready.length]!;
    backend.connections++;
    backend.open++;
    const upstream = net.connect(backend.port, '127.0.0.1');
    this.sockets.add(client);
    this.sockets.add(upstream);
    let counted = false;
    const done = () => {
      if (counted) return;
      counted = true;
      backend.open--;
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    upstream.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') this.refused++;
      client.destroy();
    });
    client.once('error', () => upstream.destroy());
    upstream.once('close', () => {
      client.end();
      done();
    });
    client.once('close', () => {
      upstream.destroy();
      done();
    });
    client.pipe(upstream);
    upstream.pipe(client);
  }

  private async pollLoop(): Promise<void> {
    while (!this.closed) {
      await Promise.all(this.backends.map(async (b) => {
        const result = await probe(b.port, this.probeTimeoutMs);
        if (result === 'unanswered') {
          b.unanswered++;
          if (b.unanswered >= this.failureThreshold) b.ready = false;
        } else {
          b.unanswered = 0;
          b.ready = result === 'ready';
        }
      }));
      await sleep(this.pollIntervalMs);
    }
  }
}

/**
 * One readiness probe on a fresh connection: 'ready' (200), 'not-ready' (another status, or the port refused the
 * connection), or 'unanswered' (timed out or failed otherwise).
 */
async function probe(port: number, timeoutMs: number): Promise<'ready' | 'not-ready' | 'unanswered'> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/v2/health/ready`, {
      headers: { connection: 'close' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.status === 200 ? 'ready' : 'not-ready';
  } catch (err) {
    const code = ((err as Error).cause as { code?: string } | undefined)?.code;
    return code === 'ECONNREFUSED' ? 'not-ready' : 'unanswered';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
