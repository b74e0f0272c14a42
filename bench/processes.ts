/**
 * Child processes the bench loads: `inferd serve` (bin/inferd.js, exactly as a user starts it) and the
 * baseline servers under bench/baseline/, each on 127.0.0.1 and an ephemeral port. Every started child is stopped
 * by `stop()`; run.ts stops them all in a finally block.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT, freePort } from '../test/support/serve.ts';

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

/** Spawn `node [nodeArgs] script [args]` and wait until stdout contains a line matching `ready`; returns the match. */
async function spawnUntil(name: string, nodeArgs: readonly string[], args: readonly string[], ready: RegExp, timeoutMs: number): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start in time. stderr:\n${stderr}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = ready.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening. stderr:\n${stderr}`));
    });
  });
  return { child, match };
}

/**
 * Run `bench/baseline/<file>` (TypeScript, through tsx) with `args`; it must print one JSON line
 * `{"event":"listening","port":N}` on stdout when ready.
 */
export async function startBaseline(name: string, file: string, args: readonly string[], timeoutMs = 60_000): Promise<ChildServer> {
  const script = fileURLToPath(new URL(`./baseline/${file}`, import.meta.url));
  const { child, match } = await spawnUntil(name, ['--import', 'tsx'], [script, ...args], /\{"event":"listening","port":(\d+)\}/, timeoutMs);
  const port = Number(match[1]);
  return { name, url: `http://127.0.0.1:${port}`, port, child, stop: () => stopChild(child) };
}

/** Options of startInferd. */
export interface InferdOptions {
  /** Extra `inferd serve` flags (model config, batching, ...). */
  readonly args: readonly string[];
  /** Write a V8 CPU profile of the server into this folder (node --cpu-prof) when it exits. Default none. */
  readonly profileDir?: string | null;
  /** Checkout whose bin/inferd.js to start (A/B runs of two builds). Default this repository. */
  readonly root?: string;
}

/** A running `inferd serve` child. */
export interface InferdServer {
  readonly restUrl: string;
  readonly grpcPort: number;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Start `inferd serve` (bin/inferd.js, as a user would) with REST and gRPC on free loopback ports, logging warnings only. */
export async function startInferd(options: InferdOptions): Promise<InferdServer> {
  const [restPort, grpcPort] = [await freePort(), await freePort()];
  const nodeArgs = options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [];
  const args = [`${options.root ?? REPO_ROOT}/bin/inferd.js`, 'serve', '--host=127.0.0.1', `--rest_api_port=${restPort}`, `--port=${grpcPort}`, '--log_level=warn', ...options.args];
  const { child } = await spawnUntil('inferd serve', nodeArgs, args, /"event":"listening"/, 120_000);
  return { restUrl: `http://127.0.0.1:${restPort}`, grpcPort, child, stop: () => stopChild(child) };
}

/** `inferd serve --help`, to detect flags that later issues add (e.g. --enable_batching). */
export async function inferdServeHelp(): Promise<string> {
  const child = spawn(process.execPath, [`${REPO_ROOT}/bin/inferd.js`, 'serve', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  return out;
}
