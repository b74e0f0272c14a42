/**
 * Ceiling (a) of issues 2 and 6: a bare node:http server that answers `POST /v1/models/<m>:predict` by reading the
 * whole request body and sending a canned response (the bytes inferd itself answered for the same body).
 * Usage: `node --import tsx bench/baseline/bare-http.ts --responses=FILE [--port=0]`, where FILE is a JSON object
 * `{"<model>": "<response body>"}`. Prints `{"event":"listening","port":N}` when ready; exits on SIGTERM.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, responses: { type: 'string' } } });
if (values.responses === undefined) throw new Error('--responses=FILE is required');
const canned = new Map<string, Buffer>(
  Object.entries(JSON.parse(readFileSync(values.responses, 'utf8')) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v)]),
);
const route = /^\/v1\/models\/([^/:]+):predict$/;

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const match = req.method === 'POST' ? route.exec(req.url ?? '') : null;
    const answer = match && body.length > 0 ? canned.get(match[1]!) : undefined;
    if (!answer) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length }).end(answer);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
