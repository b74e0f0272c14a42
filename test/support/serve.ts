/**
 * Starts `inferd serve` as a child process, exactly as a user would (bin/inferd.js), on free loopback ports, and
 * waits for its `listening` line. Every started server is killed by `stop()`; tests call it in `after`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The shared fixtures folder (may be absent on a fresh clone elsewhere). */
export const SHARED_FIXTURES = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'tensorflow-serving');

/** A free TCP port on 127.0.0.1 (released before returning; tiny race accepted in tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A running `inferd serve`. */
export interface RunningServer {
  readonly restUrl: string;
  readonly restPort: number;
  readonly grpcPort: number;
  readonly child: ChildProcess;
  /** Everything the process wrote to stderr so far (logs). */
  stderr(): string;
  stop(): Promise<void>;
}

/** Result of a process that exited before listening. */
export interface ExitedServer {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `--processes=1` unless `args` name a process count: the suite means one serving process whatever the machine's
 * cores (`--processes` defaults to one per two cores); tests of the multi-process mode pass their own.
 */
export function oneProcessUnlessGiven(args: readonly string[]): string[] {
  return args.some((a) => a === '--processes' || a.startsWith('--processes=')) ? [] : ['--processes=1'];
}

/** Run `inferd <args>` to completion (for flag errors and startup failures); `serve` gets oneProcessUnlessGiven. */
export async function runInferd(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ExitedServer> {
  const serveArgs = args[0] === 'serve' && !args.includes('--help') ? oneProcessUnlessGiven(args) : [];
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'inferd.js'), ...args, ...serveArgs], {
    env: { INFERD_RUN_SOURCES: '1', ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** Start `inferd serve` with the given extra flags; REST (and gRPC unless `grpc: false`) on free ports. */
export async function startServer(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; grpc?: boolean; timeoutMs?: number; /** Call `inferd --flags` as tensorflow_model_server is called (no `serve`). */ noSubcommand?: boolean } = {},
): Promise<RunningServer> {
  const restPort = await freePort();
  const grpcPort = options.grpc === false ? 0 : await freePort();
  const child = spawn(
    process.execPath,
    [path.join(REPO_ROOT, 'bin', 'inferd.js'), ...(options.noSubcommand ? [] : ['serve']), '--host=127.0.0.1', `--rest_api_port=${restPort}`, `--port=${grpcPort}`, ...oneProcessUnlessGiven(args), ...args],
    { env: { INFERD_RUN_SOURCES: '1', ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`inferd serve did not start in time. stderr:\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('"event":"listening"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`inferd serve exited with ${code} before listening. stderr:\n${stderr}`));
    });
  });
  return {
    restUrl: `http://127.0.0.1:${restPort}`,
    restPort,
    grpcPort,
    child,
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves with a child process's exit code and signal (at once if it has already exited). */
export function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** POST JSON (or raw bytes) and return status and parsed body (NaN/Infinity tolerated). */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; text: string; headers: Headers }> {
  const payload = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const res = await fetch(url, { method: 'POST', body: payload, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  return { status: res.status, text, body: parseLenient(text), headers: res.headers };
}

/** GET and parse JSON. */
export async function getJson(url: string): Promise<{ status: number; body: unknown; text: string }> {
  const res = await fetch(url);
  const text = await res.text();
  return { status: res.status, text, body: parseLenient(text) };
}

/** JSON.parse that accepts TF Serving's bare NaN/Infinity tokens (as strings "NaN", "Infinity", "-Infinity"). */
export function parseLenient(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    const fixed = text.replace(/(-?Infinity|NaN)(?=\s*[,\]}])/g, '"$1"');
    try {
      return JSON.parse(fixed);
    } catch {
      return text;
    }
  }
}
