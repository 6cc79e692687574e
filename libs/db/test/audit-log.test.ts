import { AuditLog, emForOrg, emForSystem, type MikroORM, openOrm, Organization, recordAudit } from '@sessionpix/db';
import { createTestDatabase, type TestDatabase } from '@sessionpix/testing';

describe('the audit log', () => {
  let db: TestDatabase;
  let orm: MikroORM;
  let orgA: string;
  let orgB: string;

  beforeAll(async () => {
    db = await createTestDatabase('auditlog');
    orm = await openOrm({ databaseUrl: db.url, poolMax: 2 });
    const em = emForSystem(orm);
    orgA = em.create(Organization, { name: 'A' }).id;
    orgB = em.create(Organization, { name: 'B' }).id;
    await em.flush();
    recordAudit(em, [
      { orgId: orgA, actorType: 'user', action: 'auth.sign_in', ip: '203.0.113.1', userAgent: 'x'.repeat(2000) },
      { orgId: orgB, actorType: 'user', action: 'auth.sign_in' },
      { orgId: null, actorType: 'anonymous', action: 'auth.sign_in_failed', details: { reason: 'unknown_email' } },
    ]);
    await em.flush();
  });

  afterAll(async () => {
    await orm.close(true);
    await db.drop();
  });

  it('P21: an org reads only its own rows (the tenant filter), system rows need saying so', async () => {
    const rows = await emForOrg(orm, orgA).find(AuditLog, {});
    expect(rows).toHaveLength(1);
    expect(rows[0].userAgent).toHaveLength(512);
    expect(await emForSystem(orm).count(AuditLog, {}, { filters: { tenant: false } })).toBe(3);
  });

  it('P21: the database refuses to update, delete or truncate audit rows', async () => {
    const conn = emForSystem(orm).getConnection();
    await expect(conn.execute(`update "audit_log" set "action" = 'nothing'`)).rejects.toThrow(/append-only/);
    await expect(conn.execute(`delete from "audit_log"`)).rejects.toThrow(/append-only/);
    await expect(conn.execute(`truncate "audit_log"`)).rejects.toThrow(/append-only/);
    expect(await emForSystem(orm).count(AuditLog, {}, { filters: { tenant: false } })).toBe(3);
  });
});
