/**
 * The primary process of `inferd serve --processes=N` (N > 1): it serves nothing itself. It forks N serving
 * processes (node:cluster, same argv; on Linux the primary accepts connections and hands them out round-robin)
 * and supervises them:
 * - start-up: prints the one `{"event":"listening",…}` line once every process listens. A process that exits
 *   before it listened (a model failed to load, a port in use…) stops the others; the primary prints that
 *   process's error once and exits with its exit code.
 * - after start-up, a process that dies is replaced (backoff 1 s doubling to 30 s, reset after a minute of
 *   serving); the others keep serving meanwhile.
 * - SIGTERM/SIGINT: every process is asked (IPC) to drain as a single process does on SIGTERM (shutdown.ts); exits 0
 *   when all exited 0, else 1. Asking over IPC, not with a signal, keeps a signal sent to the whole process group
 *   (Ctrl-C, systemd's control-group kill) from counting twice. A second signal to the primary: every process exits
 *   at once and the primary exits 128 + signal. If the primary itself dies, the processes see the IPC channel close
 *   and drain.
 * - run-time model changes and metrics scrapes asked by one process (cluster-worker.ts) are answered here:
 *   changes are applied by every process, metrics are summed with prom-client's AggregatorRegistry.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import { AggregatorRegistry } from 'prom-client';
import { toInferdError } from '../core/errors.ts';
import type { ListeningPorts, PrimaryMessage, StateChange, WireError, WorkerCall, WorkerMessage } from './cluster-messages.ts';
import { isInferdMessage } from './cluster-messages.ts';

/** Options of runPrimary. */
export interface PrimaryOptions {
  /** Serving processes to keep running (> 1). */
  readonly processes: number;
  readonly log: Logger;
  /** After a shutdown signal, how long processes get before they are killed (their own drain bound plus slack). */
  readonly shutdownBoundMs: number;
}

/** First replacement delay; doubles per consecutive early death up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** A process that served this long before dying starts its slot's backoff afresh. */
const HEALTHY_MS = 60_000;
const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15 } as const;

interface Member {
  readonly worker: Worker;
  readonly slot: number;
  /** Said hello: receives every `apply` from now on. */
  synced: boolean;
  listening: boolean;
  listeningSince: number;
  ports?: ListeningPorts;
  failText?: string;
  /** Stopped with SIGTERM before its channel was up (it had nothing to drain): its signal death is a clean stop. */
  stoppedEarly?: boolean;
}

interface PendingChange {
  readonly caller: Member;
  readonly callId: number;
  readonly waiting: Set<Member>;
  readonly errors: Map<Member, WireError>;
}

/** Fork and supervise the serving processes; never returns while they serve (the process exits from here). */
export function runPrimary(options: PrimaryOptions): Promise<void> {
  return new Promise(() => new Primary(options).start());
}

class Primary {
  private readonly members = new Set<Member>();
  private phase: 'starting' | 'serving' | 'failing' | 'stopping' = 'starting';
  private readonly failures: number[] = [];
  private readonly respawns = new Set<NodeJS.Timeout>();
  private readonly changes: StateChange[] = [];
  private readonly pending = new Map<number, PendingChange>();
  private nextApplyId = 1;
  private allExitedZero = true;
  private exitCode = 1;
  private signalCount = 0;
  private readonly aggregator = new AggregatorRegistry();

  constructor(private readonly options: PrimaryOptions) {}

  start(): void {
    cluster.setupPrimary({ serialization: 'advanced' });
    for (let slot = 0; slot < this.options.processes; slot++) {
      this.failures.push(0);
      this.fork(slot);
    }
    process.on('SIGTERM', () => this.onSignal('SIGTERM'));
    process.on('SIGINT', () => this.onSignal('SIGINT'));
  }

  private fork(slot: number): void {
    const worker = cluster.fork();
    const member: Member = { worker, slot, synced: false, listening: false, listeningSince: 0 };
    this.members.add(member);
    worker.on('message', (message: unknown) => this.onMessage(member, message));
    worker.on('exit', (code, signal) => this.onExit(member, code, signal));
  }

  private onMessage(member: Member, raw: unknown): void {
    if (!isInferdMessage(raw)) return;
    const message = raw as WorkerMessage;
    switch (message.inferd) {
      case 'hello':
        member.synced = true;
        this.send(member, { inferd: 'replay', changes: this.changes });
        return;
      case 'listening':
        this.onListening(member, message.ports);
        return;
      case 'failed':
        member.failText = message.text;
        return;
      case 'call':
        this.onCall(member, message.id, message.call);
        return;
      case 'applied':
        this.onApplied(member, message.id, message.error);
        return;
    }
  }

  private onListening(member: Member, ports: ListeningPorts): void {
    member.listening = true;
    member.listeningSince = Date.now();
    member.ports = ports;
    if (this.phase === 'serving') {
      this.options.log.info({ worker: member.worker.process.pid, slot: member.slot }, 'replacement serving process listening');
      return;
    }
    if (this.phase !== 'starting' || [...this.members].some((m) => !m.listening)) return;
    this.phase = 'serving';
    this.options.log.info({ processes: this.members.size, pids: [...this.members].map((m) => m.worker.process.pid) },
      `serving with ${this.members.size} processes`);
    process.stdout.write(`${JSON.stringify({ event: 'listening', ...ports, processes: this.members.size })}\n`);
  }

  private onExit(member: Member, code: number | null, signal: string | null): void {
    this.members.delete(member);
    if (this.phase === 'stopping' && code !== 0 && !(member.stoppedEarly && signal === 'SIGTERM')) this.allExitedZero = false;
    for (const [id, change] of this.pending) {
      if (change.waiting.delete(member)) this.maybeAnswer(id);
    }
    const pid = member.worker.process.pid;
    switch (this.phase) {
      case 'starting':
        // The first process to fail decides the exit: its error printed once, the others stopped.
        this.phase = 'failing';
        this.exitCode = code !== null && code > 0 ? code : 1;
        process.stderr.write(member.failText ?? `Failed to start server. Error: serving process ${pid} exited (${signal ?? `code ${code}`}) before it listened\n`);
        for (const m of this.members) this.stop(m, false);
        break;
      case 'serving': {
        const served = member.listening ? Date.now() - member.listeningSince : 0;
        if (served >= HEALTHY_MS) this.failures[member.slot] = 0;
        const failures = (this.failures[member.slot] ?? 0) + 1;
        this.failures[member.slot] = failures;
        const delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (failures - 1));
        this.options.log.error({
          worker: pid, slot: member.slot, code, signal, replaceInMs: delay, ...(member.failText ? { error: member.failText.trim() } : {}),
        }, `serving process ${pid} exited (${signal ?? `code ${code}`}); starting a replacement in ${delay / 1000} s`);
        const timer = setTimeout(() => {
          this.respawns.delete(timer);
          if (this.phase === 'serving') this.fork(member.slot);
        }, delay);
        this.respawns.add(timer);
        return;
      }
      case 'failing':
      case 'stopping':
        break;
    }
    if (this.members.size === 0) {
      if (this.phase === 'stopping') process.exit(this.signalCount > 1 ? this.exitCode : this.allExitedZero ? 0 : 1);
      if (this.phase === 'failing') process.exit(this.exitCode);
    }
  }

  private onSignal(signal: keyof typeof SIGNAL_NUMBERS): void {
    this.signalCount++;
    if (this.signalCount > 1) {
      this.options.log.warn({ signal }, 'second signal: serving processes exit now without draining');
      this.exitCode = 128 + SIGNAL_NUMBERS[signal];
      for (const m of this.members) this.stop(m, true);
      if (this.members.size === 0) process.exit(this.exitCode);
      return;
    }
    if (this.phase === 'failing') return;
    this.phase = 'stopping';
    for (const timer of this.respawns) clearTimeout(timer);
    this.respawns.clear();
    this.options.log.info({ signal, processes: this.members.size }, 'stopping: every serving process drains');
    for (const m of this.members) this.stop(m, false);
    if (this.members.size === 0) process.exit(0);
    setTimeout(() => {
      this.options.log.error({ signal }, 'serving processes did not stop in time: killing them');
      for (const m of this.members) m.worker.process.kill('SIGKILL');
      this.allExitedZero = false;
    }, this.options.shutdownBoundMs).unref();
  }

  private onCall(member: Member, id: number, call: WorkerCall): void {
    if (call.kind === 'metrics') {
      this.aggregator.clusterMetrics().then(
        (text) => this.send(member, { inferd: 'result', id, value: text }),
        (err: unknown) => this.send(member, {
          inferd: 'result', id, error: { code: 'UNAVAILABLE', message: `metrics of the serving processes: ${(err as Error).message}` },
        }),
      );
      return;
    }
    // Every process that said hello gets the change (in this order, so all apply the same sequence); the answer
    // waits for those that listen (a process still starting applies it before it listens, via replay order).
    this.changes.push(call.change);
    const applyId = this.nextApplyId++;
    const waiting = new Set<Member>();
    for (const m of this.members) {
      if (!m.synced) continue;
      this.send(m, { inferd: 'apply', id: applyId, change: call.change });
      if (m.listening || m === member) waiting.add(m);
    }
    this.pending.set(applyId, { caller: member, callId: id, waiting, errors: new Map() });
    this.maybeAnswer(applyId);
  }

  private onApplied(member: Member, id: number, error: WireError | undefined): void {
    const change = this.pending.get(id);
    if (!change || !change.waiting.delete(member)) return;
    if (error) change.errors.set(member, error);
    this.maybeAnswer(id);
  }

  private maybeAnswer(id: number): void {
    const change = this.pending.get(id);
    if (!change || change.waiting.size > 0) return;
    this.pending.delete(id);
    const error = change.errors.get(change.caller) ?? change.errors.values().next().value;
    this.send(change.caller, { inferd: 'result', id: change.callId, ...(error ? { error } : {}) });
  }

  /** Ask a process to stop; one that has not said hello yet cannot hear it, and has nothing to drain: SIGTERM. */
  private stop(member: Member, now: boolean): void {
    if (member.synced) this.send(member, { inferd: 'stop', now });
    else {
      member.stoppedEarly = true;
      member.worker.process.kill('SIGTERM');
    }
  }

  private send(member: Member, message: PrimaryMessage): void {
    if (!member.worker.isConnected()) return;
    try {
      member.worker.send(message);
    } catch (err) {
      this.options.log.warn({ worker: member.worker.process.pid, error: toInferdError(err).message }, 'could not reach a serving process');
    }
  }
}
