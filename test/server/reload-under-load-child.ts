/**
 * Child process of test/e2e/reload-under-load.test.ts (run with `node --expose-gc --import tsx`, forked with IPC):
 * a ModelServer with the shipped runtimes behind a REST server and a ConfigFileWatcher on `<config file>` (polled
 * on request, not on a timer). Messages from the parent: `reload` (poll the file now; answers when the reload has
 * been applied or rejected), `burst` (move each prepared version folder into its base path and poll
 * at once after each, as a fast exporter plus the 1 s timer would; answers without waiting for loads), `reset` (restart the record of the most versions AVAILABLE at once), `state` (forced
 * GC, then memory, every model's statuses and that record). Prints `{"port": N}` once listening.
 * Arguments: <config file>.
 */
import { renameSync } from 'node:fs';
import { loadModelServerConfig } from '../../src/server/config/model-server-config.ts';
import { startRestServer } from '../../src/api/rest/server.ts';
import { createRuntimes } from '../../src/server/compose.ts';
import { ModelServer } from '../../src/server/model-server.ts';
import { ConfigFileWatcher } from '../../src/server/reload.ts';

/** Request from the parent. */
export type ToChild = { type: 'reload' | 'reset' | 'state' | 'exit'; id: number } | { type: 'burst'; id: number; moves: [string, string][] };

/** One model's statuses as `version:STATE`. */
export type StatusMap = Record<string, string[]>;

/** Answer to the parent. */
export interface FromChild {
  readonly id: number;
  readonly error?: string;
  readonly rss?: number;
  readonly heapUsed?: number;
  readonly status?: StatusMap;
  /** Per model: the most versions that were AVAILABLE at one instant since the last reset. */
  readonly maxAvailable?: Record<string, number>;
}

const gc = (globalThis as { gc?: () => void }).gc;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(configPath: string): Promise<void> {
  const config = await loadModelServerConfig(configPath);
  const available = new Map<string, Set<number>>();
  const maxAvailable: Record<string, number> = {};
  const server = await ModelServer.create({
    models: config.models.map((m) => ({ name: m.name, basePath: m.basePath, versionPolicy: m.versionPolicy, ...(m.platform ? { platform: m.platform } : {}) })),
    // In-thread SavedModel versions keep 20 cycles of loads bounded on 2 cores (a worker per version takes seconds to start).
    runtimes: await createRuntimes({ savedModelWorkers: 0 }),
    pollWaitSeconds: 1,
    maxLoadRetries: 0,
    onTransition: (e) => {
      const set = available.get(e.model) ?? new Set<number>();
      available.set(e.model, set);
      if (e.state === 'AVAILABLE') set.add(e.version);
      else set.delete(e.version);
      maxAvailable[e.model] = Math.max(maxAvailable[e.model] ?? 0, set.size);
    },
  });
  await server.whenSettled();
  const rest = await startRestServer(server, { host: '127.0.0.1', port: 0 });
  const text = await import('node:fs/promises').then((fs) => fs.readFile(configPath, 'utf8'));
  let lastError: string | undefined;
  const watcher = ConfigFileWatcher.start({
    path: configPath, pollWaitSeconds: 0, initialText: text,
    reload: (c) => server.reloadConfig(c),
    onError: (e) => { lastError = e.toString(); },
  });
  process.stdout.write(`${JSON.stringify({ port: rest.port })}\n`);
  process.on('message', (msg: ToChild) => {
    void (async (): Promise<FromChild> => {
      switch (msg.type) {
        case 'reload':
          lastError = undefined;
          await watcher.pollNow();
          return { id: msg.id, ...(lastError ? { error: lastError } : {}) };
        case 'burst':
          for (const [from, to] of msg.moves) {
            renameSync(from, to);
            await server.pollNow();
          }
          return { id: msg.id };
        case 'reset':
          for (const [model, set] of available) maxAvailable[model] = set.size;
          return { id: msg.id };
        case 'state': {
          for (let i = 0; i < 3; i++) {
            gc?.();
            await sleep(20);
          }
          const status: StatusMap = {};
          for (const name of server.manager.modelNames()) status[name] = server.manager.status(name).map((s) => `${s.version}:${s.state}`);
          const m = process.memoryUsage();
          return { id: msg.id, rss: m.rss, heapUsed: m.heapUsed, status, maxAvailable: { ...maxAvailable } };
        }
        case 'exit':
          await watcher.close();
          await rest.close();
          await server.close();
          return { id: msg.id };
      }
    })().then(
      (answer) => {
        process.send?.(answer);
        if (msg.type === 'exit') process.exit(0);
      },
      (err: unknown) => process.send?.({ id: msg.id, error: String(err) }),
    );
  });
}

main(process.argv[2] ?? '').catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
