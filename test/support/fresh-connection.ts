/**
 * HTTP requests that each open their own connection (no keep-alive agent): with `--processes=N` the primary hands
 * connections to the serving processes round-robin, so a run of these reaches every process.
 */
import http from 'node:http';
import { textAnswer } from './http-text.ts';

/** `method path` on 127.0.0.1:`port` over a new connection; `requestId` is sent as x-request-id (the access log's). */
export function freshRequest(port: number, method: string, path: string, options: { body?: string; requestId?: string } = {}): Promise<{ status: number; body: string }> {
  const { body, requestId } = options;
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method, path, agent: false,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(requestId ? { 'x-request-id': requestId } : {}) },
    }, (res) => {
      textAnswer(res).then(resolve, reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The pid on the access-log line (stderr, pino JSON) of the request with this x-request-id, once it is there. */
export function accessLogPid(stderr: string, requestId: string): number | undefined {
  const line = stderr.split('\n').find((l) => l.includes('"access":true') && l.includes(`"requestId":"${requestId}"`));
  return line ? (JSON.parse(line) as { pid: number }).pid : undefined;
}

/** The serving processes' pids now: the primary's `serving with N processes` line, plus replacements, minus exits. */
export function servingPids(stderr: string): number[] {
  const line = stderr.split('\n').find((l) => l.includes('"msg":"serving with'));
  const replaced = [...stderr.matchAll(/"worker":(\d+)[^\n]*replacement serving process listening/g)].map((m) => Number(m[1]));
  const exited = [...stderr.matchAll(/serving process (\d+) exited/g)].map((m) => Number(m[1]));
  const pids = line ? (JSON.parse(line) as { pids: number[] }).pids : [];
  return [...pids, ...replaced].filter((p) => !exited.includes(p));
}

/** Poll `condition` every 20 ms (no deadline of its own: the test runner's timeout bounds it). */
export async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}
