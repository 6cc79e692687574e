import { emForSystem, FeatureUsageDaily, RetentionRun, UsageEvent } from '@sessionpix/db';
import { gatewayService, UsageLog } from '@sessionpix/gateway';
import { ingestService } from '@sessionpix/ingest';
import { JobProducer } from '@sessionpix/queue';
import type { AppConfig } from '@sessionpix/config';
import { eventually, startTestProcess } from '@sessionpix/testing';
import request from 'supertest';
import { bearer, type Gateway, IPHONE, registerUser, signIn, startGateway } from './accounts-support';
import { auth, createOrg } from './helpers';

const DAY = 24 * 3600 * 1000;

describe('P6: the usage and device log', () => {
  let gw: Gateway;

  beforeAll(async () => {
    gw = await startGateway('usagelog', { SESSIONPIX_SERVICES: 'gateway,ingest', VISION_ENABLED: 'false' }, {
      services: [gatewayService, ingestService],
    });
  });

  afterAll(async () => {
    await gw?.close();
  });

  const rows = () => emForSystem(gw.orm).find(UsageEvent, {}, { orderBy: { occurredAt: 'asc' } });

  it('P6: records IP, device type, OS, app version, feature (the route pattern) and time per request', async () => {
    const user = await registerUser(gw);
    const { accessToken } = await signIn(gw, user.email, user.password);
    const created = await gw.http.post('/v1/collections').set(bearer(accessToken)).send({ name: 'Mix' }).expect(201);
    const before = Date.now();
    await gw.http
      .get(`/v1/collections/${created.body.id}`)
      .set({ ...bearer(accessToken), 'user-agent': IPHONE, 'x-sessionpix-app': 'ios/2.3.0', 'x-forwarded-for': '203.0.113.5' })
      .expect(200);
    await gw.http.get('/v1/no-such-route').expect(404);
    await gw.http.get('/healthz').expect(200);
    await gw.proc.app.get(UsageLog).flush();
    const all = await rows();
    const read = all.find((r) => r.feature === 'GET /v1/collections/{id}');
    expect(read).toMatchObject({
      ip: '203.0.113.5',
      deviceType: 'mobile',
      os: 'iOS',
      appVersion: 'ios/2.3.0',
      status: 200,
      orgId: user.orgId,
      userId: user.id,
      apiKeyId: null,
    });
    expect(read!.occurredAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(all.map((r) => r.feature)).toEqual(expect.arrayContaining(['POST /v1/auth/sign-in', 'POST /v1/collections']));
    // Only matched API routes are features: not unknown paths, not the ops endpoints.
    expect(all.some((r) => r.feature.includes('no-such-route') || r.feature.includes('healthz'))).toBe(false);
    // No raw user agent, e-mail or token is kept.
    expect(JSON.stringify(all)).not.toMatch(/Mozilla|@example\.com|Bearer/);
  });

  it('P6: records API key calls against the key, and ignores an app version that is not one', async () => {
    const org = await createOrg(gw.orm, 'Keyed', gw.config.apiKeyPepper);
    await gw.http.get('/v1/collections').set({ ...auth(org), 'x-sessionpix-app': `web/${'9'.repeat(80)}` }).expect(200);
    await gw.proc.app.get(UsageLog).flush();
    const row = (await rows()).find((r) => r.orgId === org.orgId);
    expect(row).toMatchObject({ feature: 'GET /v1/collections', appVersion: null, userId: null, apiKeyId: expect.any(String) });
  });

  it('P6: buffered rows are written when the process shuts down', async () => {
    const config: AppConfig = { ...gw.config, SESSIONPIX_SERVICES: ['gateway'], QUEUE_PREFIX: `${gw.config.QUEUE_PREFIX}x` };
    const second = await startTestProcess(config, [gatewayService]);
    const org = await createOrg(gw.orm, 'Shutdown', gw.config.apiKeyPepper);
    await request(second.httpUrl!).get('/v1/collections').set(auth(org)).expect(200);
    await second.close();
    const written = await emForSystem(gw.orm).count(UsageEvent, { orgId: org.orgId });
    expect(written).toBe(1);
  });

  async function runMaintenance(task: 'purge-usage-logs' | 'aggregate-usage'): Promise<string> {
    const producer = gw.proc.app.get(JobProducer);
    const id = await producer.enqueue('maintenance', { v: 1, task, slot: `test-${Date.now()}` });
    return eventually(
      async () => {
        const job = await producer.queue('maintenance').getJob(id);
        return job && (await job.isCompleted()) ? String(job.returnvalue) : undefined;
      },
      30_000,
      `maintenance job ${id}`,
    );
  }

  it('P8: the scheduled maintenance task folds finished days into per-day feature counts without personal data', async () => {
    const em = emForSystem(gw.orm);
    const yesterday = new Date(Date.now() - DAY);
    for (let i = 0; i < 3; i++) {
      em.create(UsageEvent, {
        occurredAt: yesterday,
        ip: '203.0.113.9',
        deviceType: 'desktop',
        os: 'Linux',
        feature: 'GET /v1/p8-feature',
        status: 200,
      });
    }
    await em.flush();
    expect(await runMaintenance('aggregate-usage')).toMatch(/^aggregated \d+ usage row\(s\)$/);
    const counted = await emForSystem(gw.orm).findOneOrFail(FeatureUsageDaily, { feature: 'GET /v1/p8-feature' });
    expect(counted).toEqual({ day: yesterday.toISOString().slice(0, 10), feature: 'GET /v1/p8-feature', count: 3 });
  });

  it('P6: the scheduled maintenance task deletes usage rows older than 90 days and reports how many it removed', async () => {
    const em = emForSystem(gw.orm);
    for (const daysAgo of [91, 120, 365]) {
      em.create(UsageEvent, {
        occurredAt: new Date(Date.now() - daysAgo * DAY),
        ip: '203.0.113.9',
        deviceType: 'desktop',
        os: 'Linux',
        feature: 'GET /v1/old-feature',
        status: 200,
      });
    }
    await em.flush();
    const result = await runMaintenance('purge-usage-logs');
    expect(result).toMatch(/^removed \d+ usage row\(s\) older than /);
    expect(await emForSystem(gw.orm).count(UsageEvent, { feature: 'GET /v1/old-feature' })).toBe(0);
    expect(await emForSystem(gw.orm).count(UsageEvent, { occurredAt: { $lt: new Date(Date.now() - 90 * DAY) } })).toBe(0);
    const runs = await emForSystem(gw.orm).find(RetentionRun, { task: 'purge-usage-logs' });
    expect(runs.reduce((sum, r) => sum + r.rowsRemoved, 0)).toBeGreaterThanOrEqual(3);
    // Their counts remain.
    const kept = await emForSystem(gw.orm).find(FeatureUsageDaily, { feature: 'GET /v1/old-feature' });
    expect(kept.reduce((sum, r) => sum + r.count, 0)).toBe(3);
  });
});
