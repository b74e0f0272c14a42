// --allowed_model_roots: which base paths are inside, `..` cannot climb out, URIs need a URI root, a model keeping
// its current path passes, and the repository API wrapper refuses before anything loads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InferdError } from '../../../src/core/errors.ts';
import type { ModelServerConfig } from '../../../src/server/config/model-server-config.ts';
import { checkModelRoots, isUnderRoots, parseAllowedRoots, restrictModelRoots } from '../../../src/server/security/model-roots.ts';

describe('allowed model roots', () => {
  const roots = parseAllowedRoots('/models, /srv/extra/ ,s3://bucket/models');

  it('parses and normalizes the flag', () => {
    assert.deepEqual(roots, ['/models', '/srv/extra', 's3://bucket/models/']);
    assert.throws(() => parseAllowedRoots('models'), /not an absolute path or a URI/);
    assert.throws(() => parseAllowedRoots(' , '), /names no root/);
  });

  it('decides inside and outside', () => {
    const table: [string, boolean][] = [
      ['/models', true], ['/models/', true], ['/models/a', true], ['/models/a/b/../c', true], ['/srv/extra/m', true],
      ['/modelsX', false], ['/models/../etc', false], ['/models/a/../../etc', false], ['/', false], ['/srv', false],
      ['relative/models/a', false], ['s3://bucket/models/a', true], ['s3://bucket/models', true], ['s3://bucket/other', false],
      ['s3://bucket/models/../x', false], ['gs://bucket/models/a', false],
    ];
    for (const [p, inside] of table) assert.equal(isUnderRoots(p, roots), inside, p);
  });

  it('lets a model keep the path it is served from', () => {
    const current: ModelServerConfig = { models: [{ name: 'old', basePath: '/opt/legacy/old', versionPolicy: { kind: 'latest', numVersions: 1 }, versionLabels: {} }] };
    checkModelRoots([{ name: 'old', basePath: '/opt/legacy/old' }, { name: 'new', basePath: '/models/new' }], roots, current);
    assert.throws(() => checkModelRoots([{ name: 'new', basePath: '/opt/legacy/old' }], roots, current), (err: unknown) => {
      assert.ok(err instanceof InferdError);
      assert.equal(err.code, 'PERMISSION_DENIED');
      assert.equal(err.message, 'Model new: base_path is outside the allowed model roots (--allowed_model_roots)');
      return true;
    });
  });

  it('restricts the repository API loads that carry a config', async () => {
    const calls: string[] = [];
    const api = restrictModelRoots({
      repositoryIndex: () => [],
      loadModel: async (name) => {
        calls.push(`load ${name}`);
      },
      unloadModel: async (name) => {
        calls.push(`unload ${name}`);
      },
      currentConfig: () => ({ models: [] }),
    }, roots);
    await assert.rejects(api.loadModel('m', { config: { base_path: '/etc/m' } }), { code: 'PERMISSION_DENIED' });
    await assert.rejects(api.loadModel('m', { config: '{"base_path": "/models/../etc/m"}' }), { code: 'PERMISSION_DENIED' });
    await api.loadModel('m', { config: { base_path: '/models/m' } });
    await api.loadModel('m');
    await api.unloadModel('m');
    assert.deepEqual(calls, ['load m', 'load m', 'unload m']);
  });
});
