import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gatewayService } from '@sessionpix/gateway';
import type { RunningProcess } from '@sessionpix/runtime';
import { createTestDatabase, startTestProcess, type TestDatabase, testConfig } from '@sessionpix/testing';
import request from 'supertest';

const run = promisify(execFile);
const ADMIN = join(__dirname, '..', 'dist', 'admin.js');

describe('admin CLI', () => {
  let db: TestDatabase;
  let proc: RunningProcess;
  let queuePrefix: string;

  const admin = async (...args: string[]) => {
    const { stdout } = await run(process.execPath, [ADMIN, ...args], {
      // The gateway's Redis namespace: a revocation is announced there.
      env: { ...process.env, DATABASE_URL: db.url, QUEUE_PREFIX: queuePrefix, NODE_ENV: 'test' },
    });
    const lines = stdout.trim().split('\n');
    return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
  };

  beforeAll(async () => {
    db = await createTestDatabase('admin');
    const config = testConfig({ DATABASE_URL: db.url, SESSIONPIX_SERVICES: 'gateway' });
    queuePrefix = config.QUEUE_PREFIX;
    proc = await startTestProcess(config, [gatewayService]);
  });

  afterAll(async () => {
    await proc?.close();
    await db?.drop();
  });

  it('org:create prints one JSON object with the org id and an API key that works', async () => {
    const created = await admin('org:create', '--name', 'Abbey Lane Studio');
    expect(created).toEqual({
      orgId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      apiKey: expect.stringMatching(/^spx_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/),
    });
    const http = request(proc.httpUrl!);
    const auth = { authorization: `Bearer ${created.apiKey as string}` };
    const collection = await http.post('/v1/collections').set(auth).send({ name: 'Session A' }).expect(201);
    await http.get(`/v1/collections/${collection.body.id as string}`).set(auth).expect(200);
  });

  it('lists keys without their secrets, and a revoked key stops working on its next use (the gateway had it cached)', async () => {
    const { orgId, apiKey } = (await admin('org:create', '--name', 'Bakery Rooms')) as { orgId: string; apiKey: string };
    const second = (await admin('apikey:create', '--org', orgId, '--label', 'laptop')) as { keyId: string; apiKey: string };
    const listed = (await admin('apikey:list', '--org', orgId)) as { keys: Record<string, unknown>[] };
    expect(listed.keys).toHaveLength(2);
    expect(JSON.stringify(listed)).not.toContain(apiKey.slice('spx_'.length + 17));
    expect(listed.keys.map((k) => k.label)).toContain('laptop');

    const http = request(proc.httpUrl!);
    await http.get('/v1/collections').set({ authorization: `Bearer ${second.apiKey}` }).expect(200);
    expect(await admin('apikey:revoke', '--key-id', second.keyId)).toEqual({ keyId: second.keyId, revokedAt: expect.any(String) });
    await http.get('/v1/collections').set({ authorization: `Bearer ${second.apiKey}` }).expect(401);
    await http.get('/v1/collections').set({ authorization: `Bearer ${apiKey}` }).expect(200);
  });

  it('refuses bad arguments with usage and exit code 2', async () => {
    const failure = await run(process.execPath, [ADMIN, 'org:create'], {
      env: { ...process.env, DATABASE_URL: db.url },
    }).catch((err: { code: number; stderr: string }) => err);
    expect(failure).toMatchObject({ code: 2, stderr: expect.stringContaining('--name is required') });
  });
});
