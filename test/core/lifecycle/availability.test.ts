/** The availability-preserving rule, by table. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideActions, type VersionView } from '../../../src/core/lifecycle/availability.ts';

const v = (version: number, state: VersionView['state'], failed = false): VersionView => ({ version, state, failed });

describe('decideActions', () => {
  const table: { name: string; aspired: number[]; versions: VersionView[]; load: number[]; unload: number[] }[] = [
    { name: 'first version loads', aspired: [1], versions: [], load: [1], unload: [] },
    { name: 'new version loads while the old keeps serving', aspired: [2], versions: [v(1, 'AVAILABLE')], load: [2], unload: [] },
    { name: 'old version waits while the new one loads', aspired: [2], versions: [v(1, 'AVAILABLE'), v(2, 'LOADING')], load: [], unload: [] },
    { name: 'old version unloads once the new one is available', aspired: [2], versions: [v(1, 'AVAILABLE'), v(2, 'AVAILABLE')], load: [], unload: [1] },
    { name: 'a failed new version never takes the old one down', aspired: [2], versions: [v(1, 'AVAILABLE'), v(2, 'END', true)], load: [], unload: [] },
    { name: 'a failed version is not retried while still aspired', aspired: [2], versions: [v(2, 'END', true)], load: [], unload: [] },
    { name: 'an unloaded version is reloaded when aspired again', aspired: [1], versions: [v(1, 'END'), v(2, 'AVAILABLE')], load: [1], unload: [] },
    { name: 'nothing aspired unloads everything', aspired: [], versions: [v(1, 'AVAILABLE'), v(2, 'AVAILABLE')], load: [], unload: [1, 2] },
    { name: 'latest 2 keeps both', aspired: [2, 3], versions: [v(1, 'AVAILABLE'), v(2, 'AVAILABLE')], load: [3], unload: [1] },
    { name: 'unloading versions are left alone', aspired: [2], versions: [v(1, 'UNLOADING'), v(2, 'AVAILABLE')], load: [], unload: [] },
    { name: 'while no aspired version is ready, only the highest unaspired one keeps serving (issue 9 D11)', aspired: [5],
      versions: [v(1, 'AVAILABLE'), v(2, 'AVAILABLE'), v(3, 'AVAILABLE'), v(4, 'LOADING'), v(5, 'START')], load: [], unload: [1, 2] },
    { name: 'a failed aspired version keeps the highest unaspired one only', aspired: [4],
      versions: [v(2, 'AVAILABLE'), v(3, 'AVAILABLE'), v(4, 'END', true)], load: [], unload: [2] },
  ];
  for (const row of table) {
    it(row.name, () => {
      const actions = decideActions(row.aspired, row.versions);
      assert.deepEqual([...actions.load].sort(), row.load);
      assert.deepEqual([...actions.unload].sort(), row.unload);
    });
  }
});
