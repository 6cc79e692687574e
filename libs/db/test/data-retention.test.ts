import {
  aggregateFeatureUsage,
  emForSystem,
  FeatureUsageDaily,
  type MikroORM,
  openOrm,
  purgeUsageLogs,
  RetentionRun,
  UsageEvent,
} from '@sessionpix/db';
import { createTestDatabase, type TestDatabase } from '@sessionpix/testing';

const DAY = 24 * 3600 * 1000;

describe('usage-log retention and aggregation', () => {
  let db: TestDatabase;
  let orm: MikroORM;
  const now = new Date('2026-11-27T12:00:00Z');

  const event = (occurredAt: Date, feature: string) => ({
    occurredAt,
    ip: '203.0.113.7',
    deviceType: 'desktop',
    os: 'macOS',
    appVersion: 'web/1.0.0',
    feature,
    status: 200,
    userId: '0190f5a0-0000-7000-8000-000000000001',
    orgId: '0190f5a0-0000-7000-8000-000000000002',
  });

  beforeAll(async () => {
    db = await createTestDatabase('retention');
    orm = await openOrm({ databaseUrl: db.url, poolMax: 2 });
    const em = emForSystem(orm);
    for (const daysAgo of [120, 100, 91]) em.create(UsageEvent, event(new Date(now.getTime() - daysAgo * DAY), 'GET /v1/collections'));
    em.create(UsageEvent, event(new Date(now.getTime() - 100 * DAY), 'POST /v1/collections'));
    for (const daysAgo of [89, 10]) em.create(UsageEvent, event(new Date(now.getTime() - daysAgo * DAY), 'GET /v1/collections'));
    em.create(UsageEvent, event(new Date(now.getTime() - 60_000), 'GET /v1/collections')); // today: not yet a finished day
    await em.flush();
  });

  afterAll(async () => {
    await orm.close(true);
    await db.drop();
  });

  it('P8: counts finished days per feature, with no personal data, each row once', async () => {
    const first = await aggregateFeatureUsage(emForSystem(orm), now);
    expect(first.aggregated).toBe(6);
    const again = await aggregateFeatureUsage(emForSystem(orm), now);
    expect(again.aggregated).toBe(0);
    const rows = await emForSystem(orm).find(FeatureUsageDaily, {}, { orderBy: { day: 'asc', feature: 'asc' } });
    expect(rows.reduce((sum, r) => sum + Number(r.count), 0)).toBe(6);
    expect(rows.find((r) => r.feature === 'POST /v1/collections')?.count).toBe(1);
    // The aggregate has only day, feature and count: no org, user, IP, device or app version.
    const columns = await emForSystem(orm).execute<{ column_name: string }[]>(
      `select column_name from information_schema.columns where table_name = 'feature_usage_daily' order by column_name`,
    );
    expect(columns.map((c) => c.column_name)).toEqual(['count', 'day', 'feature']);
  });

  it('P6: deletes usage rows older than 90 days and reports how many it removed', async () => {
    const report = await purgeUsageLogs(emForSystem(orm), now);
    expect(report.removed).toBe(4);
    expect(report.cutoff.toISOString()).toBe(new Date(now.getTime() - 90 * DAY).toISOString());
    const left = await emForSystem(orm).find(UsageEvent, {}, { orderBy: { occurredAt: 'asc' } });
    expect(left).toHaveLength(3);
    for (const row of left) expect(row.occurredAt.getTime()).toBeGreaterThanOrEqual(report.cutoff.getTime());
    const runs = await emForSystem(orm).find(RetentionRun, { task: 'purge-usage-logs' });
    expect(runs).toEqual([expect.objectContaining({ rowsRemoved: 4 })]);
    // The counts outlive the rows they came from.
    const total = await emForSystem(orm).find(FeatureUsageDaily, {});
    expect(total.reduce((sum, r) => sum + Number(r.count), 0)).toBe(6);
  });

  it('P6: a purge with nothing old enough removes nothing and still reports', async () => {
    const report = await purgeUsageLogs(emForSystem(orm), now);
    expect(report.removed).toBe(0);
    expect(await emForSystem(orm).count(RetentionRun, { task: 'purge-usage-logs' })).toBe(2);
  });
});
