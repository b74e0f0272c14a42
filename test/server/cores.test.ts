import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, it } from 'node:test';
import { autoProcesses, coresFromCgroup, coresPerProcess, effectiveCores } from '../../src/server/cores.ts';

describe('effective cores (cgroup v2 cpu.max)', () => {
  it('takes the CFS quota over the CPUs it can see, rounded up', () => {
    assert.equal(coresFromCgroup(64, '200000 100000\n'), 2);
    assert.equal(coresFromCgroup(64, '150000 100000'), 2);
    assert.equal(coresFromCgroup(64, '50000 100000'), 1);
    assert.equal(coresFromCgroup(4, '800000 100000'), 4, 'a quota above the visible CPUs does not add cores');
  });

  it('leaves the visible CPUs when there is no limit or it cannot be read', () => {
    assert.equal(coresFromCgroup(16, 'max 100000\n'), 16);
    assert.equal(coresFromCgroup(16, undefined), 16);
    assert.equal(coresFromCgroup(16, ''), 16);
    assert.equal(coresFromCgroup(16, 'garbage'), 16);
    assert.equal(coresFromCgroup(16, '0 100000'), 16);
  });

  it('this machine: between 1 and os.availableParallelism()', () => {
    const cores = effectiveCores();
    assert.ok(cores >= 1 && cores <= os.availableParallelism());
  });

  it('auto processes: one per two cores, at least one; per-process share rounds up', () => {
    assert.deepEqual([1, 2, 3, 4, 16, 64].map((c) => autoProcesses(c)), [1, 1, 1, 2, 8, 32]);
    assert.equal(coresPerProcess(8, 16), 2);
    assert.equal(coresPerProcess(3, 16), 6);
    assert.equal(coresPerProcess(1, 16), 16);
    assert.equal(coresPerProcess(4, 2), 1);
  });
});
