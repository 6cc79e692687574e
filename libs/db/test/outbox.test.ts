import { EmailOutbox, emForSystem, type MikroORM, openOrm, OutboxError, OutboxWriter, Organization } from '@sessionpix/db';
import { createTestDatabase, type TestDatabase } from '@sessionpix/testing';

describe('the e-mail outbox', () => {
  let db: TestDatabase;
  let orm: MikroORM;
  const outbox = new OutboxWriter();
  const reset = (dedupeKey: string) => ({
    templateId: 'account.password_reset' as const,
    to: ' Ada@Example.COM ',
    data: { name: 'Ada', resetUrl: 'https://app.example/reset#token=abc.def', expiresAt: new Date().toISOString() },
    dedupeKey,
    category: 'account' as const,
  });

  beforeAll(async () => {
    db = await createTestDatabase('outbox');
    orm = await openOrm({ databaseUrl: db.url, poolMax: 2 });
  });

  afterAll(async () => {
    await orm.close(true);
    await db.drop();
  });

  it('P7: writes a pending row in the same transaction as the change that causes it', async () => {
    const em = emForSystem(orm);
    const queued = await em.transactional(async (tx) => {
      tx.create(Organization, { name: 'Abbey Lane Studio' });
      return outbox.queueEmail(tx, reset('reset-1'));
    });
    expect(queued.queued).toBe(true);
    const row = await emForSystem(orm).findOneOrFail(EmailOutbox, { id: queued.id! });
    expect(row).toMatchObject({
      templateId: 'account.password_reset',
      recipient: 'ada@example.com',
      category: 'account',
      status: 'pending',
      attempts: 0,
      lastError: null,
      sentAt: null,
      providerMessageId: null,
      dedupeKey: 'reset-1',
    });
    expect(row.data.resetUrl).toBe('https://app.example/reset#token=abc.def');
  });

  it('a rolled-back change leaves no e-mail behind', async () => {
    const em = emForSystem(orm);
    await expect(
      em.transactional(async (tx) => {
        await outbox.queueEmail(tx, reset('reset-rolled-back'));
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await emForSystem(orm).count(EmailOutbox, { dedupeKey: 'reset-rolled-back' })).toBe(0);
  });

  it('the same dedupe key is written once', async () => {
    const em = emForSystem(orm);
    const first = await em.transactional((tx) => outbox.queueEmail(tx, reset('reset-twice')));
    const second = await em.transactional((tx) => outbox.queueEmail(tx, reset('reset-twice')));
    expect(first.queued).toBe(true);
    expect(second).toEqual({ id: null, queued: false });
    expect(await emForSystem(orm).count(EmailOutbox, { dedupeKey: 'reset-twice' })).toBe(1);
  });

  it('refuses to write outside a transaction, bad data, or a mismatched category — without echoing the data', async () => {
    const em = emForSystem(orm);
    await expect(outbox.queueEmail(em, reset('outside'))).rejects.toBeInstanceOf(OutboxError);
    const bad = { ...reset('bad'), data: { name: 'Ada', resetUrl: 'not a url secret-value', expiresAt: 'x' } };
    const err = (await em.transactional((tx) => outbox.queueEmail(tx, bad)).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(OutboxError);
    expect(err.message).toMatch(/resetUrl/);
    expect(err.message).not.toContain('secret-value');
    await expect(
      em.transactional((tx) => outbox.queueEmail(tx, { ...reset('cat'), category: 'announcement' })),
    ).rejects.toThrow(/account e-mail/);
  });
});
