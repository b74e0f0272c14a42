/**
 * The npm package as a user gets it (issue 12 item 1): the sources are compiled (tsconfig.build.json) and packed in
 * a temp copy of the repository, the tarball is installed into an empty folder (ONNXRUNTIME_NODE_INSTALL=skip,
 * --prefer-offline: from the npm cache where it can), and the installed `inferd serve` answers a predict from
 * compiled JavaScript — no tsx, no TypeScript in the install. The library entry (`import 'inferd'`) creates,
 * starts, reloads and stops a server. Skips with a message when the registry and the cache cannot provide the
 * dependencies. Slow (a compile and an install): bounded by the timeout below.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { halfPlusTwo } from '../support/models.ts';
import { freePort, postJson, REPO_ROOT } from '../support/serve.ts';

const run = promisify(execFile);
const PACKED = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'bin', 'proto', 'LICENSE', 'README.md'];
/** The user's environment: no test-suite switches. */
const userEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  delete env.INFERD_RUN_SOURCES;
  delete env.NODE_OPTIONS;
  return env;
};

describe('npm pack → install into an empty folder → npx inferd serve', { timeout: 600_000 }, () => {
  let dir: string;
  let app: string;
  let skip: string | undefined;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-pack-'));
    const pkg = path.join(dir, 'pkg');
    await mkdir(pkg);
    for (const entry of PACKED) await cp(path.join(REPO_ROOT, entry), path.join(pkg, entry), { recursive: true });
    await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(pkg, 'node_modules'), 'dir');
    await run(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: pkg, env: userEnv() });
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: pkg, env: userEnv() });
    const tarball = path.join(dir, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
    app = path.join(dir, 'app');
    await mkdir(app);
    await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    try {
      await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: app, env: userEnv(), timeout: 400_000 });
    } catch (err) {
      skip = `npm install of the packed tarball failed (no registry and no cache?): ${(err as Error).message.split('\n')[0]}`;
    }
    await halfPlusTwo(path.join(app, 'models', 'hpt', '1'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('installs what a user needs and nothing to compile TypeScript with', async (t) => {
    if (skip) return t.skip(skip);
    const installed = path.join(app, 'node_modules', 'inferd');
    const files = await readdir(installed);
    for (const f of ['LICENSE', 'bin', 'dist', 'proto', 'package.json']) assert.ok(files.includes(f), `${f} in the package`);
    assert.ok(!files.includes('src') && !files.includes('test'), 'no sources or tests in the package');
    assert.ok(existsSync(path.join(installed, 'dist', 'index.d.ts')), 'typed library entry');
    assert.ok(!existsSync(path.join(app, 'node_modules', 'tsx')), 'tsx is not installed');
    assert.ok(!existsSync(path.join(app, 'node_modules', 'typescript')), 'typescript is not installed');
  });

  it('npx inferd serve answers a predict and drains on SIGTERM', async (t) => {
    if (skip) return t.skip(skip);
    const version = await run('npx', ['--no-install', 'inferd', '--version'], { cwd: app, env: userEnv() });
    assert.match(version.stdout, /inferd \d+\.\d+\.\d+/);
    const [rest, grpc] = [await freePort(), await freePort()];
    // The file npx runs, started directly so that SIGTERM reaches the server (npx does not forward signals).
    const child = spawn(path.join(app, 'node_modules', '.bin', 'inferd'), ['serve', '--processes=1', '--host=127.0.0.1', `--rest_api_port=${rest}`, `--port=${grpc}`, `--model_base_path=${path.join(app, 'models', 'hpt')}`, '--model_name=hpt'], {
      cwd: app, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('"event":"listening"')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
      });
      const res = await postJson(`http://127.0.0.1:${rest}/v1/models/hpt:predict`, { instances: [1, 2] });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, { predictions: [2.5, 3] });
      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.doesNotMatch(stderr, /tsx|TypeScript/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('the library entry creates, starts, reloads and stops a server', async (t) => {
    if (skip) return t.skip(skip);
    const script = `
      import { createInferd } from 'inferd';
      const base = ${JSON.stringify(path.join(app, 'models', 'hpt'))};
      const inferd = await createInferd({ models: [{ name: 'a', basePath: base }], host: '127.0.0.1', restPort: 0, grpcPort: 0 });
      const ports = await inferd.start();
      const ask = async (m) => (await fetch('http://127.0.0.1:' + ports.rest + '/v1/models/' + m + ':predict', { method: 'POST', body: '{"instances":[4]}' })).json();
      const before = await ask('a');
      await inferd.reload({ models: [{ name: 'b', basePath: base }] });
      const after = await ask('b');
      await inferd.stop();
      console.log(JSON.stringify({ before, after, grpc: ports.grpc > 0 }));
    `;
    await writeFile(path.join(app, 'use.mjs'), script);
    const { stdout } = await run(process.execPath, ['use.mjs'], { cwd: app, env: userEnv(), timeout: 120_000 });
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').pop()!), { before: { predictions: [4] }, after: { predictions: [4] }, grpc: true });
  });
});
