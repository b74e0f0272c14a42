/** The file-system source: numeric version folders, missing base paths, polling. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { FileSystemSource, listVersions, parseVersionDir } from '../../src/repository/file-system-source.ts';
import type { InferdError } from '../../src/core/errors.ts';

describe('file-system source', () => {
  it('parses version folder names like SimpleAtoi', () => {
    assert.equal(parseVersionDir('00000123'), 123);
    assert.equal(parseVersionDir('0'), 0);
    assert.equal(parseVersionDir('1a'), undefined);
    assert.equal(parseVersionDir('-1'), undefined);
    assert.equal(parseVersionDir('99999999999999999999'), undefined);
  });

  it('lists numeric folders only, highest first', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-src-'));
    try {
      for (const d of ['1', '00010', 'tmp', '3']) await mkdir(path.join(dir, d));
      await writeFile(path.join(dir, '7'), 'a file, not a version');
      const versions = await listVersions('m', dir);
      assert.deepEqual(versions.map((v) => v.version), [10, 3, 1]);
      assert.equal(versions[0]?.path, path.join(dir, '00010'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports a missing base path once and picks up versions when they appear', async () => {
    const dir = path.join(await mkdtemp(path.join(os.tmpdir(), 'inferd-src-')), 'later');
    const seen: number[][] = [];
    const errors: InferdError[] = [];
    const source = await FileSystemSource.create({
      name: 'm',
      basePath: dir,
      pollWaitSeconds: 0,
      onVersions: (v) => seen.push(v.map((x) => x.version)),
      onError: (e) => errors.push(e),
    });
    try {
      await source.poll();
      assert.equal(errors.length, 1, 'reported once, not per poll');
      assert.equal(errors[0]?.code, 'NOT_FOUND');
      assert.match(errors[0]?.message ?? '', /^Could not find base path .*later for servable m with error/);
      await mkdir(path.join(dir, '5'), { recursive: true });
      await source.poll();
      assert.deepEqual(seen, [[5]]);
    } finally {
      await source.close();
      await rm(path.dirname(dir), { recursive: true, force: true });
    }
  });
});
