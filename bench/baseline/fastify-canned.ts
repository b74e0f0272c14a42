/**
 * A middle point between the bare node:http ceiling and inferd: fastify (the framework inferd's REST API uses) with
 * the body read as a buffer and a canned answer, no parsing and no model. The gap bare → this is the framework's
 * cost; the gap this → inferd is inferd's own request path plus the runtime call.
 * Usage: `node --import tsx bench/baseline/fastify-canned.ts --responses=FILE [--port=0]` (FILE as in bare-http.ts).
 * Prints `{"event":"listening","port":N}` when ready; exits on SIGTERM.
 */
import Fastify from 'fastify';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, responses: { type: 'string' } } });
if (values.responses === undefined) throw new Error('--responses=FILE is required');
const canned = new Map<string, string>(Object.entries(JSON.parse(readFileSync(values.responses, 'utf8')) as Record<string, string>));

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/v1/models/*', async (req, reply) => {
  const spec = (req.params as { '*': string })['*'];
  const answer = spec.endsWith(':predict') ? canned.get(spec.slice(0, -':predict'.length)) : undefined;
  if (answer === undefined || !(req.body instanceof Buffer) || req.body.length === 0) return reply.code(404).type('application/json').send('{"error":"not found"}');
  return reply.code(200).type('application/json').send(answer);
});
const address = await app.listen({ port: Number(values.port), host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ event: 'listening', port: Number(new URL(address).port) })}\n`);
process.once('SIGTERM', () => void app.close());
