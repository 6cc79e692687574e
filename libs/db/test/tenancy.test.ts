import {
  Collection,
  emForOrg,
  emForSystem,
  type MikroORM,
  openOrm,
  Organization,
} from '@sessionpix/db';
import { createTestDatabase, type TestDatabase } from '@sessionpix/testing';

describe('tenancy in the data layer', () => {
  let db: TestDatabase;
  let orm: MikroORM;
  let orgA: string;
  let orgB: string;
  let collectionB: string;

  beforeAll(async () => {
    db = await createTestDatabase('tenancy');
    orm = await openOrm({ databaseUrl: db.url, poolMax: 2 });
    const em = emForSystem(orm);
    const a = em.create(Organization, { name: 'Abbey Lane Studio' });
    const b = em.create(Organization, { name: 'Bakery Rooms' });
    await em.flush();
    orgA = a.id;
    orgB = b.id;
    const emA = emForOrg(orm, orgA);
    emA.create(Collection, { org: orgA, name: 'A1' });
    emA.create(Collection, { org: orgA, name: 'A2' });
    await emA.flush();
    const emB = emForOrg(orm, orgB);
    collectionB = emB.create(Collection, { org: orgB, name: 'B1' }).id;
    await emB.flush();
  });

  afterAll(async () => {
    await orm.close(true);
    await db.drop();
  });

  it('an unfiltered find returns only the caller org’s rows', async () => {
    const rows = await emForOrg(orm, orgA).find(Collection, {});
    expect(rows.map((c) => c.name).sort()).toEqual(['A1', 'A2']);
  });

  it('looking up another org’s id directly finds nothing', async () => {
    const em = emForOrg(orm, orgA);
    expect(await em.findOne(Collection, { id: collectionB })).toBeNull();
    expect(await em.findOne(Collection, collectionB)).toBeNull();
    expect(await em.count(Collection, { id: collectionB })).toBe(0);
  });

  it('a where clause naming the other org still cannot reach it', async () => {
    const em = emForOrg(orm, orgA);
    expect(await em.find(Collection, { org: orgB })).toEqual([]);
  });

  it('native updates and deletes are filtered too', async () => {
    const em = emForOrg(orm, orgA);
    expect(await em.nativeUpdate(Collection, { id: collectionB }, { name: 'pwned' })).toBe(0);
    expect(await em.nativeDelete(Collection, { id: collectionB })).toBe(0);
    const still = await emForOrg(orm, orgB).findOne(Collection, collectionB);
    expect(still?.name).toBe('B1');
  });

  it('a query that names no org fails closed instead of reading every org', async () => {
    const unscoped = orm.em.fork({ useContext: false });
    await expect(unscoped.find(Collection, {})).rejects.toThrow(/No arguments provided for filter 'tenant'/);
  });

  it('system code crosses orgs only by saying so', async () => {
    const rows = await emForSystem(orm).find(Collection, {}, { filters: { tenant: false } });
    expect(rows).toHaveLength(3);
  });

  it('tombstoned rows leave every read at once', async () => {
    const em = emForOrg(orm, orgA);
    const gone = em.create(Collection, { org: orgA, name: 'to delete' });
    await em.flush();
    gone.deletedAt = new Date();
    await em.flush();
    const fresh = emForOrg(orm, orgA);
    expect(await fresh.findOne(Collection, gone.id)).toBeNull();
    expect((await fresh.find(Collection, {})).map((c) => c.name).sort()).toEqual(['A1', 'A2']);
  });

  it('ids are UUIDv7, so they sort by creation time', async () => {
    const rows = await emForOrg(orm, orgA).find(Collection, {}, { orderBy: { id: 'asc' } });
    for (const row of rows) expect(row.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(rows.map((r) => r.name)).toEqual(['A1', 'A2']);
  });
});
