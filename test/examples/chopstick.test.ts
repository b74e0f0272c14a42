/**
 * examples/chopstick end to end, in a reduced form (few epochs): train with TensorFlow.js, export version 1, serve
 * it with `inferd serve`, and check that REST, gRPC (the TypeScript client) and the chopstick'o'meter page in a real
 * browser all answer what the in-process model answers; then retrain to version 2 while the page keeps answering.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { GrpcClient } from '../../src/client/index.ts';
import { saveToDirectory } from '../../src/runtimes/tfjs/model-files.ts';
import { classify } from '../../examples/chopstick/src/client.ts';
import { CLASSES, readDataset } from '../../examples/chopstick/src/dataset.ts';
import { predictInProcess, train, type Trained } from '../../examples/chopstick/src/model.ts';
import { startPageServer } from '../../examples/chopstick/src/serve.ts';
import { trainAndExport } from '../../examples/chopstick/src/train.ts';
import { BROWSER_SKIP, launchBrowser } from '../support/browser.ts';
import { freePort, postJson, type RunningServer, startServer } from '../support/serve.ts';

const LENGTHS = [150, 180, 210, 240, 270, 300, 330, 400];

describe('examples/chopstick', () => {
  let root: string;
  let base: string;
  let trained: Trained;
  let server: RunningServer;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'inferd-chopstick-'));
    base = join(root, 'chopstick');
    trained = await train(await readDataset(), { epochs: 20 });
    await mkdir(join(base, '1'), { recursive: true });
    await trained.model.save(saveToDirectory(join(base, '1')));
    server = await startServer(['--model_name=chopstick', `--model_base_path=${base}`, '--rest_api_enable_cors_support=true', '--file_system_poll_wait_seconds=1']);
  });
  after(async () => {
    trained?.model.dispose();
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('REST answers equal the in-process model', async () => {
    const want = predictInProcess(trained.model, LENGTHS);
    const { status, body } = await postJson(`${server.restUrl}/v1/models/chopstick:predict`, { instances: LENGTHS.map((l) => [l]) });
    assert.equal(status, 200, JSON.stringify(body));
    const got = (body as { predictions: number[][] }).predictions;
    want.forEach((row, i) => row.forEach((p, k) => assert.ok(Math.abs((got[i]?.[k] ?? NaN) - p) < 1e-6, `${LENGTHS[i]} mm class ${k}: ${got[i]?.[k]} vs ${p}`)));
  });

  it('the TypeScript client over gRPC answers the same classes', async () => {
    const want = predictInProcess(trained.model, LENGTHS);
    const client = new GrpcClient({ address: `127.0.0.1:${server.grpcPort}` });
    try {
      const got = await classify(client, LENGTHS);
      got.forEach((r, i) => {
        const row = want[i] as number[];
        assert.equal(r.label, CLASSES[row.indexOf(Math.max(...row))]);
        r.probabilities.forEach((p, k) => assert.ok(Math.abs(p - (row[k] as number)) < 1e-6));
      });
    } finally {
      await client.close();
    }
  });

  describe('the chopstick\'o\'meter in a browser', { skip: BROWSER_SKIP }, () => {
    let browser: Browser;
    let page: http.Server;
    let pageUrl: string;

    before(async () => {
      const port = await freePort();
      page = await startPageServer(port, '127.0.0.1', server.restUrl);
      pageUrl = `http://127.0.0.1:${port}/`;
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
      await new Promise((resolve) => page?.close(resolve));
    });

    it('shows the predicted class and probabilities for a length', async () => {
      const tab = await browser.newPage();
      await tab.goto(pageUrl);
      await tab.fill('#length', '240');
      await tab.click('button[type=submit]');
      await tab.waitForSelector('#answer:not([hidden])');
      const row = predictInProcess(trained.model, [240])[0] as number[];
      assert.equal(await tab.textContent('#class'), CLASSES[row.indexOf(Math.max(...row))]);
      const shown = await tab.$$eval('.bar .p', (els) => els.map((e) => Number.parseFloat(e.textContent ?? '')));
      row.forEach((p, k) => assert.ok(Math.abs((shown[k] ?? NaN) - p * 100) <= 0.051, `class ${k}: page ${shown[k]}% vs ${p * 100}%`));
      assert.match((await tab.textContent('#meta')) ?? '', /model version 1/);
      await tab.screenshot({ path: join(root, 'chopstick-o-meter.png') });
      await tab.close();
    });

    it('keeps answering while version 2 is trained and swapped in', async () => {
      const tab = await browser.newPage();
      await tab.goto(pageUrl);
      await tab.fill('#length', '180');
      await tab.click('button[type=submit]');
      await tab.waitForSelector('body[data-answers="1"]');
      assert.match((await tab.textContent('#meta')) ?? '', /model version 1/, 'version 1 answers before the retrain');
      const retrain = trainAndExport({ out: base, epochs: 5, seed: 7 });
      let sawVersion2 = false;
      let answers = 1;
      for (let i = 0; i < 300 && !sawVersion2; i++) {
        await tab.fill('#length', String(LENGTHS[i % LENGTHS.length]));
        await tab.click('button[type=submit]');
        await tab.waitForSelector(`body[data-answers="${answers + 1}"]`);
        assert.equal(await tab.isHidden('#error'), true, `the page showed an error: ${await tab.textContent('#error')}`);
        answers++;
        sawVersion2 = /model version 2/.test((await tab.textContent('#meta')) ?? '');
        if (!sawVersion2) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await retrain;
      assert.ok(sawVersion2, 'the page reached version 2');
      await tab.screenshot({ path: join(root, 'chopstick-o-meter-v2.png') });
      await tab.close();
    });
  });
});
