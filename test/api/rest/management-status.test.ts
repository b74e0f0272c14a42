// The model-management endpoints map errors with the same table as every REST route: a request-limit error is
// 413 (not 429, the RESOURCE_EXHAUSTED status), other codes as status-codes.ts says. In process (fastify inject).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { managementPlugin } from '../../../src/api/rest/management.ts';
import { buildRestApp } from '../../../src/api/rest/server.ts';
import { InferdError } from '../../../src/core/errors.ts';
import { LimitExceededError } from '../../../src/core/limits.ts';
import type { ModelRepositoryApi } from '../../../src/server/repository-api.ts';
import { FakeApi } from '../grpc/fake-api.ts';

const repository: ModelRepositoryApi = {
  repositoryIndex: () => [],
  loadModel: async (name) => {
    if (name === 'big') throw new LimitExceededError('max_request_tensor_bytes', 'too big (max_request_tensor_bytes)');
    throw InferdError.resourceExhausted('busy');
  },
  unloadModel: async () => undefined,
};

describe('model management error statuses', () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildRestApp(new FakeApi(), { plugins: [managementPlugin(repository)] });
  });
  after(async () => app?.close());

  it('answers a limit error 413 with {"error"} naming the limit, other RESOURCE_EXHAUSTED 429', async () => {
    const big = await app.inject({ method: 'POST', url: '/v2/repository/models/big/load', headers: { 'content-type': 'application/json' }, payload: '{}' });
    assert.equal(big.statusCode, 413, big.body);
    assert.deepEqual(JSON.parse(big.body), { error: 'too big (max_request_tensor_bytes)' });
    const busy = await app.inject({ method: 'POST', url: '/v2/repository/models/other/load', headers: { 'content-type': 'application/json' }, payload: '{}' });
    assert.equal(busy.statusCode, 429, busy.body);
  });
});
