/**
 * Serve the chopstick'o'meter: starts `inferd serve` on the model base path (REST :8501 with CORS, gRPC :8500)
 * and serves the web page (web/) on :8080, which calls inferd's REST API from the browser. Ctrl-C stops both.
 *
 *   npx tsx examples/chopstick/src/serve.ts [--models DIR] [--rest_port 8501] [--grpc_port 8500] [--page_port 8080]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_BASE } from './train.ts';

const WEB = fileURLToPath(new URL('../web/', import.meta.url));
const INFERD = fileURLToPath(new URL('../../../bin/inferd.js', import.meta.url));
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** Start the page server; `/config.json` tells the page where inferd's REST API is. */
export function startPageServer(port: number, host: string, restUrl: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://page');
    if (url.pathname === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ restUrl, model: 'chopstick' }));
      return;
    }
    const name = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    if (!/^[\w.-]+$/.test(name)) {
      res.writeHead(404).end();
      return;
    }
    readFile(path.join(WEB, name)).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  return new Promise((resolve) => server.listen(port, host, () => resolve(server)));
}

/** Start `inferd serve` for the chopstick model; resolves when it listens. */
export function startInferd(models: string, restPort: number, grpcPort: number, host: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [INFERD, 'serve', `--host=${host}`, `--rest_api_port=${restPort}`, `--port=${grpcPort}`,
    '--model_name=chopstick', `--model_base_path=${path.resolve(models)}`, '--rest_api_enable_cors_support=true', '--file_system_poll_wait_seconds=1'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
      if (out.includes('"event":"listening"')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`inferd serve exited with ${code}`)));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: {
    models: { type: 'string', default: DEFAULT_BASE }, rest_port: { type: 'string', default: '8501' },
    grpc_port: { type: 'string', default: '8500' }, page_port: { type: 'string', default: '8080' }, host: { type: 'string', default: '127.0.0.1' },
  } });
  const inferd = await startInferd(values.models, Number(values.rest_port), Number(values.grpc_port), values.host);
  const page = await startPageServer(Number(values.page_port), values.host, `http://${values.host}:${values.rest_port}`);
  console.log(`chopstick'o'meter: http://${values.host}:${values.page_port}/  (inferd REST ${values.rest_port}, gRPC ${values.grpc_port})`);
  const stop = (): void => {
    page.close();
    inferd.kill('SIGTERM');
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  inferd.once('exit', () => process.exit(0));
}
