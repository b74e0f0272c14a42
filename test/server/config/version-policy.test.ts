import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_VERSION_POLICY, selectVersions } from '../../../src/server/config/version-policy.ts';
import type { VersionPolicy } from '../../../src/server/config/version-policy.ts';

describe('selectVersions', () => {
  const table: [string, number[], VersionPolicy, number[], number][] = [
    // name, on disk, policy, aspired, number of warnings
    ['default: the highest', [1, 3, 2], DEFAULT_VERSION_POLICY, [3], 0],
    ['latest 2', [5, 1, 9, 7], { kind: 'latest', numVersions: 2 }, [7, 9], 0],
    ['latest more than available', [1, 2], { kind: 'latest', numVersions: 5 }, [1, 2], 0],
    ['latest 0 counts as 1', [1, 2], { kind: 'latest', numVersions: 0 }, [2], 0],
    ['latest negative counts as 1', [4, 8], { kind: 'latest', numVersions: -3 }, [8], 0],
    ['duplicates on disk collapse', [2, 2, 1], { kind: 'latest', numVersions: 2 }, [1, 2], 0],
    ['all', [3, 1, 2], { kind: 'all' }, [1, 2, 3], 0],
    ['specific, all present', [1, 2, 3], { kind: 'specific', versions: [3, 1] }, [1, 3], 0],
    ['specific, one missing', [1, 2, 3], { kind: 'specific', versions: [2, 42] }, [2], 1],
    ['specific, none present', [1], { kind: 'specific', versions: [7, 8] }, [], 2],
    ['specific, empty list', [1, 2], { kind: 'specific', versions: [] }, [], 0],
    ['nothing on disk, latest', [], DEFAULT_VERSION_POLICY, [], 1],
    ['nothing on disk, all', [], { kind: 'all' }, [], 1],
    ['large int64-ish versions', [20240101, 20231231], DEFAULT_VERSION_POLICY, [20240101], 0],
  ];
  for (const [name, onDisk, policy, aspired, warnings] of table) {
    it(name, () => {
      const r = selectVersions(onDisk, policy, { modelName: 'm', basePath: '/models/m' });
      assert.deepEqual(r.aspired, aspired);
      assert.equal(r.warnings.length, warnings, r.warnings.join('\n'));
    });
  }

  it('warnings name the model, version and base path', () => {
    const missing = selectVersions([1], { kind: 'specific', versions: [42] }, { modelName: 'mnist', basePath: '/models/mnist' });
    assert.equal(missing.warnings[0], 'Version 42 of servable mnist, requested by the specific version policy, does not exist under base path /models/mnist');
    const empty = selectVersions([], DEFAULT_VERSION_POLICY, { modelName: 'mnist', basePath: '/models/mnist' });
    assert.match(empty.warnings[0] ?? '', /^No versions of servable mnist found under base path \/models\/mnist\./);
  });

  it('does not mutate its inputs', () => {
    const onDisk = [3, 1, 2];
    const policy: VersionPolicy = { kind: 'specific', versions: [2, 1] };
    selectVersions(onDisk, policy);
    assert.deepEqual(onDisk, [3, 1, 2]);
    assert.deepEqual(policy, { kind: 'specific', versions: [2, 1] });
  });
});
