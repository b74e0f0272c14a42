// Bearer tokens: the tokens file format, every authorization path (no token, wrong token, wrong scope, right
// scope, admin, open metrics), and rotation through WatchedFiles (a broken file keeps the previous tokens).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { InferdError } from '../../../src/core/errors.ts';
import { bearerToken, loadTokens, parseTokens, TokenAuthenticator, type TokenEntry } from '../../../src/server/security/tokens.ts';
import { WatchedFiles } from '../../../src/server/security/watched-files.ts';

const P = 'predict-0123456789abcdef';
const M = 'metrics-0123456789abcdef';
const A = 'admin-0123456789abcdef==';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InferdError);
    return `${err.code}: ${err.message}`;
  }
  return 'OK';
};

describe('tokens file', () => {
  it('parses scopes, tokens, names and comments', () => {
    const entries = parseTokens(`# a comment\n\npredict ${P} web  # trailing comment\nmetrics,predict ${M}\nadmin\t${A}\tops\n`);
    assert.deepEqual(entries.map((e) => [[...e.scopes], e.name]), [[['predict'], 'web'], [['metrics', 'predict'], 'line 4'], [['admin'], 'ops']]);
    assert.ok(entries.every((e) => e.digest.length === 32));
  });

  it('names the line, never the token, in errors', () => {
    const cases: [string, RegExp][] = [
      [`predict`, /line 1: expected "<scopes> <token> \[<name>\]"/],
      [`predict ${P} a b`, /line 1: expected/],
      [`\nroot ${P}`, /line 2: unknown scope "root"/],
      [`predict tiny`, /line 1: the token is shorter than 16 characters/],
      [`predict has:colon-0123456789`, /line 1: the token has characters outside/],
      [`predict ${P}\nadmin ${P}`, /line 2: the token is listed twice/],
    ];
    for (const [text, message] of cases) {
      const got = code(() => parseTokens(text, 'tokens'));
      assert.match(got, message);
      assert.ok(!got.includes(P) && !got.includes('tiny') && !got.includes('has:colon'), got);
    }
  });

  it('reads the header value: Bearer, any case, surrounding spaces', () => {
    assert.equal(bearerToken(`Bearer ${P}`), P);
    assert.equal(bearerToken(`bearer  ${P} `), P);
    assert.equal(bearerToken(`Basic ${P}`), undefined);
    assert.equal(bearerToken(P), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
});

describe('TokenAuthenticator', () => {
  const auth = new TokenAuthenticator(parseTokens(`predict ${P} web\nmetrics ${M}\nadmin ${A} ops`));

  it('every path: none, wrong, wrong scope, right scope', () => {
    assert.equal(code(() => auth.authorize(undefined, 'predict')), 'UNAUTHENTICATED: Missing bearer token: send "Authorization: Bearer <token>"');
    assert.equal(code(() => auth.authorize('Bearer', 'predict')), 'UNAUTHENTICATED: Missing bearer token: send "Authorization: Bearer <token>"');
    assert.equal(code(() => auth.authorize(`Bearer ${P}x`, 'predict')), 'UNAUTHENTICATED: Invalid bearer token');
    assert.equal(code(() => auth.authorize(`Bearer ${P}`, 'admin')), 'PERMISSION_DENIED: This token does not have the "admin" scope this endpoint requires');
    assert.equal(code(() => auth.authorize(`Bearer ${P}`, 'metrics')), 'PERMISSION_DENIED: This token does not have the "metrics" scope this endpoint requires');
    assert.equal(code(() => auth.authorize(`Bearer ${M}`, 'predict')), 'PERMISSION_DENIED: This token does not have the "predict" scope this endpoint requires');
    assert.equal(auth.authorize(`Bearer ${P}`, 'predict'), 'web');
    assert.equal(auth.authorize(`Bearer ${M}`, 'metrics'), 'line 2');
    for (const scope of ['predict', 'metrics', 'admin'] as const) assert.equal(auth.authorize(`Bearer ${A}`, scope), 'ops');
    assert.equal(auth.authorize(undefined, 'public'), undefined);
  });

  it('metrics can be left open', () => {
    const open = new TokenAuthenticator(parseTokens(`predict ${P}`), { openMetrics: true });
    assert.equal(code(() => open.authorize(undefined, 'metrics')), 'OK');
    assert.match(code(() => open.authorize(undefined, 'predict')), /^UNAUTHENTICATED/);
  });

  it('an empty table refuses everything but public routes', () => {
    const empty = new TokenAuthenticator([]);
    assert.match(code(() => empty.authorize(`Bearer ${A}`, 'predict')), /^UNAUTHENTICATED: Invalid/);
    assert.equal(code(() => empty.authorize(undefined, 'public')), 'OK');
  });
});

describe('token rotation (WatchedFiles)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'inferd-tokens-'));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('puts a changed file in force, keeps the previous tokens when the new file is bad, and sees a fix', async () => {
    const file = path.join(dir, 'tokens');
    await writeFile(file, `predict ${P}\n`);
    const errors: string[] = [];
    const holder: { auth?: TokenAuthenticator } = {};
    const watched = await WatchedFiles.start<TokenEntry[]>({
      load: () => loadTokens(file),
      pollWaitSeconds: 0,
      onChange: (entries) => holder.auth?.replace(entries),
      onError: (err) => errors.push(err.message),
    });
    const auth = new TokenAuthenticator(watched.value);
    holder.auth = auth;
    try {
      assert.equal(code(() => auth.authorize(`Bearer ${P}`, 'predict')), 'OK');
      await watched.check();
      assert.deepEqual(errors, [], 'an unchanged file is not reloaded');

      await writeFile(file, `admin ${A}\n`);
      await watched.check();
      assert.match(code(() => auth.authorize(`Bearer ${P}`, 'predict')), /^UNAUTHENTICATED/);
      assert.equal(code(() => auth.authorize(`Bearer ${A}`, 'predict')), 'OK');

      await writeFile(file, `admin ${A}\nbogus ${P}\n`);
      await watched.check();
      await watched.check();
      assert.deepEqual(errors, ['tokens line 2: unknown scope "bogus" (expected predict, metrics, admin)'], 'reported once');
      assert.equal(code(() => auth.authorize(`Bearer ${A}`, 'admin')), 'OK');

      await writeFile(file, `predict ${P}\n`);
      await watched.check();
      assert.equal(code(() => auth.authorize(`Bearer ${P}`, 'predict')), 'OK');
      assert.match(code(() => auth.authorize(`Bearer ${A}`, 'admin')), /^UNAUTHENTICATED/);
    } finally {
      watched.close();
    }
  });

  it('a missing file fails the first load', async () => {
    await assert.rejects(loadTokens(path.join(dir, 'nope')), { code: 'NOT_FOUND' });
  });
});
