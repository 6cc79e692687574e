import { randomBytes } from 'node:crypto';
import { loadConfig } from '@sessionpix/config';
import { BILLING_RPC } from '@sessionpix/contracts';
import { createRedis, RpcClient, RpcRemoteError, RpcServer, RpcTimeoutError } from '@sessionpix/queue';
import type { Redis } from 'ioredis';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Request/response over Redis: one replica answers each request; a timeout when none does. */
describe('RPC over Redis', () => {
  let redis: Redis;
  let client: RpcClient;
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const servers: RpcServer[] = [];

  beforeAll(() => {
    redis = createRedis(REDIS_URL, 'rpc-test');
    client = new RpcClient(redis, loadConfig({ QUEUE_PREFIX: prefix, REDIS_URL }, { services: [] }));
  });

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await client.onApplicationShutdown();
    await redis.quit();
  });

  it('answers through the contract, exactly one replica per request, and passes refusals on with their code', async () => {
    const served: string[] = [];
    for (const name of ['a', 'b']) {
      const server = new RpcServer(redis, prefix, 'billing', 4, (err) => ({ code: 'not_found', message: String((err as Error).message) }))
        .route(BILLING_RPC.portal, async ({ orgId }) => {
          served.push(name);
          if (orgId.startsWith('00000000')) throw new Error('no such org');
          return { url: `https://billing.example/${orgId}` };
        });
      server.start();
      servers.push(server);
    }
    const orgIds = Array.from({ length: 10 }, () => crypto.randomUUID());
    const answers = await Promise.all(orgIds.map((orgId) => client.call('billing', BILLING_RPC.portal, { orgId })));
    expect(answers.map((a) => a.url)).toEqual(orgIds.map((id) => `https://billing.example/${id}`));
    expect(served).toHaveLength(10);
    await expect(client.call('billing', BILLING_RPC.portal, { orgId: '00000000-0000-4000-8000-000000000000' })).rejects.toMatchObject({
      name: 'RpcRemoteError',
      code: 'not_found',
    });
    // An invalid request never leaves the caller.
    await expect(client.call('billing', BILLING_RPC.portal, { orgId: 'nope' })).rejects.toThrow();
    expect(RpcRemoteError).toBeDefined();
  });

  it('times out when no replica of the service answers', async () => {
    await expect(client.call('notifications', BILLING_RPC.status, { orgId: crypto.randomUUID() }, { timeoutMs: 300 })).rejects.toBeInstanceOf(RpcTimeoutError);
  });
});
