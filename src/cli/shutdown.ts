/**
 * Graceful shutdown of `inferd serve` (issue 9 D12), in the order the Kubernetes probe contract wants:
 * on the first SIGTERM or SIGINT the server reports not-ready (ModelServer.startDraining: /v2/health/ready 503,
 * gRPC health NOT_SERVING) and every REST answer carries `Connection: close`; after `drainDelayMs` (load balancers
 * take the replica out meanwhile) the listeners close, requests in flight on both transports get up to
 * `drainTimeoutMs` to finish, the models unload, and the process exits 0. A second signal exits at once
 * (128 + signal number, as a shell reports a signal death).
 */
import type { Logger } from 'pino';

/** What a shutdown stops; each part is optional (a transport may be off). */
export interface ShutdownParts {
  readonly log: Logger;
  /** Readiness turns false (the ModelServer facade). */
  startDraining(): void;
  /** REST: `Connection: close` on every answer from now on, still accepting. */
  readonly restStartDraining?: () => void;
  /** Transports: stop accepting, finish in flight, cut what is left after `graceMs`. */
  readonly transports: readonly { readonly name: string; close(graceMs: number): Promise<void> }[];
  /** Everything after the transports: config watcher, models, runtimes. */
  closeServer(): Promise<void>;
  /** Seconds of not-ready-but-serving before the listeners close (`--drain_delay_seconds`). */
  readonly drainDelayMs: number;
  /** Bound on finishing requests in flight after the listeners closed (`--drain_timeout_seconds`). */
  readonly drainTimeoutMs: number;
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

/** How long unloading may take after the drain before the process gives up and exits 1. */
const UNLOAD_BOUND_MS = 10_000;

/** Install the SIGTERM/SIGINT handlers. Returns a function that removes them (for tests in-process). */
export function installShutdown(parts: ShutdownParts): () => void {
  let stopping = false;
  const onSignal = (signal: keyof typeof SIGNAL_NUMBERS) => {
    if (stopping) {
      parts.log.warn({ signal }, 'second signal: exiting now without draining');
      process.exit(128 + SIGNAL_NUMBERS[signal]);
    }
    stopping = true;
    void drainAndExit(parts, signal);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  };
}

async function drainAndExit(parts: ShutdownParts, signal: string): Promise<void> {
  const { log } = parts;
  const started = Date.now();
  const bound = setTimeout(() => {
    log.error({ signal }, 'shutdown did not finish in time: exiting');
    process.exit(1);
  }, parts.drainDelayMs + parts.drainTimeoutMs + UNLOAD_BOUND_MS);
  bound.unref();
  log.info({ signal, drainDelayMs: parts.drainDelayMs, drainTimeoutMs: parts.drainTimeoutMs }, 'draining: not ready; finishing requests in flight');
  parts.startDraining();
  parts.restStartDraining?.();
  if (parts.drainDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, parts.drainDelayMs));
  await Promise.all(parts.transports.map(async (t) => {
    await t.close(parts.drainTimeoutMs).catch((err: unknown) => log.warn({ transport: t.name, error: String(err) }, `closing ${t.name} failed`));
  }));
  await parts.closeServer();
  log.info({ signal, millis: Date.now() - started }, 'drained: exiting');
  process.exit(0);
}
