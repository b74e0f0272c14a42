import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignalPool } from '../../src/api/request-signal.ts';

describe('SignalPool (reused request AbortControllers)', () => {
  it('hands back a clean controller for reuse', () => {
    const pool = new SignalPool();
    const a = pool.take();
    pool.give(a);
    assert.equal(pool.size, 1);
    const b = pool.take();
    assert.equal(b, a);
    assert.equal(b.signal.aborted, false);
    assert.equal(pool.size, 0);
  });

  it('never reuses a controller that aborted: work that outlived its answer keeps its own signal', () => {
    const pool = new SignalPool();
    const a = pool.take();
    a.abort(new Error('deadline'));
    pool.give(a);
    assert.equal(pool.size, 0);
    const b = pool.take();
    assert.notEqual(b, a);
    assert.equal(b.signal.aborted, false);
  });

  it('never reuses a controller whose signal still has a listener', () => {
    const pool = new SignalPool();
    const a = pool.take();
    let heard = 0;
    const listener = (): void => { heard++; };
    a.signal.addEventListener('abort', listener);
    pool.give(a);
    assert.equal(pool.size, 0);
    // The listener's owner may still abort-watch it; a later request's abort must never reach it.
    const b = pool.take();
    b.abort(new Error('other request'));
    assert.equal(heard, 0);
    a.signal.removeEventListener('abort', listener);
  });

  it('keeps at most 1024 idle controllers', () => {
    const pool = new SignalPool();
    const many = Array.from({ length: 1100 }, () => pool.take());
    for (const c of many) pool.give(c);
    assert.equal(pool.size, 1024);
  });
});
