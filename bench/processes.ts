/**
 * Child processes the bench loads: `inferd serve` (through the test harness, exactly as a user starts it) and the
 * baseline servers under bench/baseline/, each on 127.0.0.1 and an ephemeral port. Every started child is stopped
 * by `stop()`; run.ts stops them all in a finally block.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, startServer, type RunningServer } from '../test/support/serve.ts';

/** A started child that listens on one port. */
export interface ChildServer {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Stop a child: SIGTERM, then SIGKILL after `graceMs`. Resolves when it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Run `bench/baseline/<file>` (TypeScript, through tsx) with `args`; it must print one JSON line
 * `{"event":"listening","port":N}` on stdout when ready.
 */
export async function startBaseline(name: string, file: string, args: readonly string[], timeoutMs = 60_000): Promise<ChildServer> {
  const script = fileURLToPath(new URL(`./baseline/${file}`, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start in time. stderr:\n${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const match = /\{"event":"listening","port":(\d+)\}/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening. stderr:\n${stderr}`));
    });
  });
  return { name, url: `http://127.0.0.1:${port}`, port, child, stop: () => stopChild(child) };
}

/** Options of startInferd. */
export interface InferdOptions {
  /** Extra `inferd serve` flags (model config, batching, ...). */
  readonly args: readonly string[];
  /** Write a V8 CPU profile of the server into this folder (node --cpu-prof). Default none. */
  readonly profileDir?: string | null;
}

/** Start `inferd serve` with REST and gRPC on free loopback ports. */
export async function startInferd(options: InferdOptions): Promise<RunningServer> {
  const env: NodeJS.ProcessEnv = {};
  if (options.profileDir) env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --cpu-prof --cpu-prof-dir=${options.profileDir}`.trim();
  return startServer(['--log_level=warn', ...options.args], { env, timeoutMs: 120_000 });
}

/** `inferd serve --help`, to detect flags that later issues add (e.g. --enable_batching). */
export async function inferdServeHelp(): Promise<string> {
  const child = spawn(process.execPath, [`${REPO_ROOT}/bin/inferd.js`, 'serve', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return out;
}
