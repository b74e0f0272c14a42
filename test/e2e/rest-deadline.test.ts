/**
 * Issue 9 D5: the REST deadline holds for CPU-heavy requests, and one heavy request does not stall small requests
 * on other models. A body of 4M floats (~24 MB) is parsed and its answer encoded on REST codec threads
 * (--rest_api_num_threads), so the event loop stays free: the deadline answers 504 while the work runs, and a small
 * request on another model is answered meanwhile. Behaviour only: no timing is asserted.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { halfPlusTwo } from '../support/models.ts';
import { postJson, startServer, type RunningServer } from '../support/serve.ts';

/** POST `body`; resolves with the status and text, and calls `sent` once the whole body is written. */
function post(url: string, body: Buffer, sent: () => void): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body, sent);
  });
}

describe('REST deadline under CPU-heavy requests (issue 9 D5)', () => {
  let dir: string;
  let server: RunningServer;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-deadline-'));
    await halfPlusTwo(path.join(dir, 'heavy', '1'));
    await halfPlusTwo(path.join(dir, 'small', '1'));
    const config = path.join(dir, 'models.config');
    const configs = ['heavy', 'small'].map((m) => `config { name: "${m}" base_path: "${path.join(dir, m)}" model_platform: "onnx" }`);
    await writeFile(config, `model_config_list { ${configs.join(' ')} }\n`);
    server = await startServer([`--model_config_file=${config}`, '--rest_api_timeout_in_ms=500', '--rest_api_num_threads=2', '--file_system_poll_wait_seconds=0'], { grpc: false });
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a heavy request past the deadline answers 504 while a small request on another model answers 200', async () => {
    const n = 4_000_000;
    const parts: string[] = new Array<string>(n);
    for (let i = 0; i < n; i++) parts[i] = String((i % 1000) / 8);
    const heavyBody = Buffer.from(`{"instances": [${parts.join(',')}]}`);
    let small: Promise<{ status: number; body: unknown }> | undefined;
    const heavy = post(`${server.restUrl}/v1/models/heavy:predict`, heavyBody, () => {
      small = postJson(`${server.restUrl}/v1/models/small:predict`, { instances: [1, 2] });
    });
    const heavyAnswer = await heavy;
    assert.equal(heavyAnswer.status, 504, heavyAnswer.text.slice(0, 200));
    assert.match(heavyAnswer.text, /timed out after 500 ms/);
    assert.ok(small, 'the small request was sent');
    const smallAnswer = await small;
    assert.equal(smallAnswer.status, 200);
    assert.deepEqual(smallAnswer.body, { predictions: [2.5, 3] });
  });
});
