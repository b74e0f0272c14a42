/** `inferd predict --input` that is not JSON fails before any call, naming the file (not a bare JSON.parse message). */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runInferd } from '../support/serve.ts';

describe('inferd predict --input', () => {
  it('a file that is not JSON is named in the error, and no server is contacted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'inferd-predict-input-'));
    try {
      const input = join(dir, 'in.json');
      await writeFile(input, 'not json');
      // Port 9 (discard) on loopback: nothing serves it; the error must come from the input, before any call.
      const run = await runInferd(['predict', '--url=http://127.0.0.1:9', '--model=m', `--input=${input}`]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, new RegExp(`--input ${input.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not JSON`));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
