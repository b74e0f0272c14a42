/**
 * The dashboard as a user sees it, in Debian's chromium against a real `inferd serve`: models with versions and
 * states (a failed load shows its error), signatures, the try-it form returning the model's answer, live charts
 * moving under load, operator buttons with --enable_model_management; and `--enable_dashboard=false`.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { writeHalfPlusTwoGraph } from '../support/tfjs-models.ts';
import { BROWSER_SKIP, launchBrowser } from '../support/browser.ts';
import { getJson, postJson, type RunningServer, startServer } from '../support/serve.ts';

describe('dashboard', () => {
  let root: string;
  let server: RunningServer;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'inferd-dashboard-'));
    await mkdir(join(root, 'half', '1'), { recursive: true });
    await writeHalfPlusTwoGraph(join(root, 'half', '1'));
    await mkdir(join(root, 'broken', '1'), { recursive: true });
    await writeFile(join(root, 'broken', '1', 'model.json'), '{"format": "graph-model", "modelTopology": {"node": [{"name": "x", "op": "NoSuchOp"}]}}');
    await writeFile(join(root, 'models.config'), `model_config_list {
  config { name: "half" base_path: "${join(root, 'half')}" }
  config { name: "broken" base_path: "${join(root, 'broken')}" }
}`);
    server = await startServer([`--model_config_file=${join(root, 'models.config')}`, '--enable_model_management=true',
      '--allow_unavailable_models_at_startup=true', '--max_num_load_retries=0']);
  });
  after(async () => {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('overview JSON lists models, versions, states, errors and signatures, without file paths', async () => {
    const { status, body, text } = await getJson(`${server.restUrl}/dashboard/api/overview`);
    assert.equal(status, 200);
    const o = body as { management: boolean; models: { name: string; serving: number | null; versions: { state: string; error: string | null }[]; signatures: Record<string, { inputs: Record<string, { dtype: string }> }> }[] };
    assert.equal(o.management, true);
    assert.deepEqual(o.models.map((m) => m.name), ['broken', 'half']);
    const half = o.models.find((m) => m.name === 'half');
    assert.equal(half?.serving, 1);
    assert.equal(half?.signatures['serving_default']?.inputs['x']?.dtype, 'DT_FLOAT');
    const broken = o.models.find((m) => m.name === 'broken');
    assert.equal(broken?.serving, null);
    assert.equal(broken?.versions[0]?.state, 'END');
    assert.match(broken?.versions[0]?.error ?? '', /NoSuchOp|Failed to load/);
    assert.ok(!text.includes(join(root, 'half')), 'no base path of a served model in the overview');
  });

  it('stats count TF Serving /v1 predicts and Open Inference Protocol infers', async () => {
    const total = async (): Promise<number> => ((await getJson(`${server.restUrl}/dashboard/api/stats?seconds=120`)).body as { overall: { requests: number }[] })
      .overall.reduce((n, s) => n + s.requests, 0);
    const before = await total();
    assert.equal((await postJson(`${server.restUrl}/v1/models/half:predict`, { instances: [1] })).status, 200);
    const v2 = await postJson(`${server.restUrl}/v2/models/half/infer`, { inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [1] }] });
    assert.equal(v2.status, 200, v2.text);
    assert.equal(await total(), before + 2);
  });

  it('requests for unknown model names count overall but get no per-model series (the stats stay bounded)', async () => {
    for (const name of ['no-such-model', '..%2F..%2Fetc%2Fpasswd']) {
      assert.equal((await postJson(`${server.restUrl}/v1/models/${name}:predict`, { instances: [1] })).status, 404);
    }
    assert.equal((await postJson(`${server.restUrl}/v1/models/half:predict`, { instances: [1] })).status, 200);
    const stats = (await getJson(`${server.restUrl}/dashboard/api/stats?seconds=120`)).body as { overall: { errors: number }[]; models: Record<string, unknown> };
    assert.ok(stats.overall.reduce((n, s) => n + s.errors, 0) >= 2, 'the failed requests are counted overall');
    assert.deepEqual(Object.keys(stats.models).filter((m) => m !== 'broken').sort(), ['half']);
  });

  it('unknown dashboard files are 404 JSON', async () => {
    const { status, body } = await getJson(`${server.restUrl}/dashboard/..%2Fpackage.json`);
    assert.equal(status, 404);
    assert.ok((body as { error?: string }).error);
  });

  describe('in a browser', { skip: BROWSER_SKIP }, () => {
    let browser: Browser;
    before(async () => {
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
    });

    it('shows the models, runs the try-it form and moves the charts under load', async () => {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      await page.goto(`${server.restUrl}/dashboard`);
      await page.waitForSelector('tr.model[data-model="half"]');
      assert.match((await page.textContent('tr.model[data-model="broken"]')) ?? '', /END/);
      assert.match((await page.textContent('tr.model[data-model="half"]')) ?? '', /AVAILABLE/);
      assert.equal(await page.locator('tr.model[data-model="half"] button').count(), 2, 'reload and unload buttons with management on');

      await page.click('tr.model[data-model="half"]');
      await page.waitForSelector('#try-inputs textarea[data-alias="x"]');
      assert.match((await page.textContent('#sig-table')) ?? '', /DT_FLOAT/);
      await page.fill('#try-inputs textarea[data-alias="x"]', '[1, 2, 5]');
      await page.click('#try button[type=submit]');
      await page.waitForSelector('#try[data-answers="1"]');
      assert.deepEqual(JSON.parse((await page.textContent('#try-output')) ?? ''), { outputs: [2.5, 3, 4.5] });
      assert.match((await page.textContent('#try-meta')) ?? '', /HTTP 200 · [\d.]+ ms/);

      for (let i = 0; i < 40; i++) await postJson(`${server.restUrl}/v1/models/half:predict`, { instances: [i] });
      await page.waitForFunction('Number(document.body.dataset.totalRequests ?? 0) >= 41', undefined, { timeout: 15_000 });
      // Count the requests/s line's pixels (the chart's blue) on the canvas, in the page.
      const painted = await page.evaluate(`(() => {
        const canvas = document.getElementById('chart-rps');
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let blue = 0;
        for (let i = 0; i < data.length; i += 4) if (data[i + 2] > 200 && data[i] < 100) blue++;
        return blue;
      })()`) as number;
      assert.ok(painted > 20, `the requests/s line is drawn (${painted} line pixels)`);
      await page.screenshot({ path: join(root, 'dashboard.png'), fullPage: true });
      await page.close();
    });
  });
});

describe('dashboard switched off', () => {
  it('--enable_dashboard=false serves no /dashboard', async () => {
    const root = await mkdtemp(join(tmpdir(), 'inferd-dashboard-off-'));
    await mkdir(join(root, 'half', '1'), { recursive: true });
    await writeHalfPlusTwoGraph(join(root, 'half', '1'));
    const server = await startServer(['--model_name=half', `--model_base_path=${join(root, 'half')}`, '--enable_dashboard=false'], { grpc: false });
    try {
      assert.equal((await getJson(`${server.restUrl}/dashboard/`)).status, 404);
      assert.equal((await getJson(`${server.restUrl}/dashboard/api/overview`)).status, 404);
    } finally {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});
