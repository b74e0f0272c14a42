/**
 * Graceful shutdown of `inferd serve` (issue 9 D12), in the order the Kubernetes probe contract wants:
 * on the first SIGTERM or SIGINT the server reports not-ready (ModelServer.startDraining: /v2/health/ready 503,
 * gRPC health NOT_SERVING) and every REST answer carries `Connection: close`; after `drainDelayMs` (load balancers
 * take the replica out meanwhile) the listeners close, requests in flight on both transports get up to
 * `drainTimeoutMs` to finish, the models unload, and the process exits 0. A second signal exits at once
 * (128 + signal number, as a shell reports a signal death).
 * In a serving process of `--processes=N` (`stopRequests`), SIGINT is the primary's (a terminal's Ctrl-C reaches
 * the whole process group): the primary asks over IPC instead (drain, or exit now), and so does the IPC channel
 * closing (the primary died: drain). A SIGTERM sent to the serving process itself still drains it; once it drains,
 * further signals are ignored (a group-wide SIGTERM arrives beside the primary's request), only the primary's `now` exits at once.
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
  /** A serving process under a cluster primary (cluster-worker.ts): SIGINT is ignored, the primary's requests drive. */
  readonly stopRequests?: StopRequests;
}

/** Where a serving process of `--processes=N` hears the primary's stop requests. */
export interface StopRequests {
  /** `listener(now, reason)`: drain (or with `now`, exit at once); called at once if a request came earlier. */
  onStop(listener: (now: boolean, reason: string) => void): void;
}

const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

/** How long unloading may take after the drain before the process gives up and exits 1. */
const UNLOAD_BOUND_MS = 10_000;

/** Install the SIGTERM/SIGINT handlers. Returns a function that removes them (for tests in-process). */
export function installShutdown(parts: ShutdownParts): () => void {
  let stopping = false;
  const onSignal = (signal: keyof typeof SIGNAL_NUMBERS) => {
    // Under a primary, a signal sent to the whole group (systemd's control-group kill, `kill -- -PGID`, pkill) also
    // reaches this process right after the primary's drain request: it must not count as a second signal. Only the
    // primary escalates (its `now` request).
    if (stopping && parts.stopRequests) return;
    if (stopping) {
      parts.log.warn({ signal }, 'second signal: exiting now without draining');
      process.exit(128 + SIGNAL_NUMBERS[signal]);
    }
    stopping = true;
    void drainAndExit(parts, signal);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  if (parts.stopRequests) {
    parts.stopRequests.onStop((now, reason) => {
      if (now) {
        parts.log.warn({ reason }, 'the primary says stop now: exiting without draining');
        process.exit(1);
      }
      if (stopping) return;
      stopping = true;
      void drainAndExit(parts, reason);
    });
  } else process.on('SIGINT', onInt);
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
