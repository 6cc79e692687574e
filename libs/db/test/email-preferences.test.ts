import {
  emailAddressHash,
  emailSuppressionOf,
  EmailOutbox,
  emForSystem,
  type MikroORM,
  openOrm,
  optedOutCategories,
  OutboxWriter,
  setEmailPreferences,
  signUnsubscribeToken,
  suppressEmailAddress,
  User,
  verifyUnsubscribeToken,
} from '@sessionpix/db';
import { createTestDatabase, type TestDatabase } from '@sessionpix/testing';

describe('e-mail preferences, suppression and the outbox statuses', () => {
  let db: TestDatabase;
  let orm: MikroORM;

  beforeAll(async () => {
    db = await createTestDatabase('emailprefs');
    orm = await openOrm({ databaseUrl: db.url, poolMax: 2 });
  });

  afterAll(async () => {
    await orm.close(true);
    await db.drop();
  });

  const newUser = async () => {
    const em = emForSystem(orm);
    const user = em.create(User, { email: `u-${Math.random().toString(36).slice(2)}@example.com`, name: 'Ada' });
    await em.flush();
    return user;
  };

  it('P15: opts a user out of optional categories and back in, leaving the others as they were', async () => {
    const user = await newUser();
    const em = emForSystem(orm);
    expect(await optedOutCategories(em, user.id)).toEqual([]);
    expect(await setEmailPreferences(em, user.id, { activity: false })).toEqual(['activity']);
    expect(await setEmailPreferences(em, user.id, { announcement: false })).toEqual(['activity', 'announcement']);
    expect(await setEmailPreferences(em, user.id, { activity: true })).toEqual(['announcement']);
    expect(await setEmailPreferences(em, user.id, {})).toEqual(['announcement']);
    expect(await optedOutCategories(em, user.id)).toEqual(['announcement']);
    // Deleting the account deletes its preferences.
    await em.nativeDelete(User, { id: user.id }, { filters: false });
    expect(await optedOutCategories(em, user.id)).toEqual([]);
  });

  it('P15: unsubscribe tokens name one user and one optional category, and only the right key makes them', () => {
    const secret = 's'.repeat(40);
    const userId = '0192b7c4-1111-7000-8000-000000000001';
    const token = signUnsubscribeToken(secret, userId, 'activity');
    expect(verifyUnsubscribeToken(secret, token)).toEqual({ userId, category: 'activity' });
    expect(verifyUnsubscribeToken('t'.repeat(40), token)).toBeNull();
    expect(verifyUnsubscribeToken(secret, token.replace('activity', 'announcement'))).toBeNull();
    expect(verifyUnsubscribeToken(secret, token.replace('u1.', 'u2.'))).toBeNull();
    expect(verifyUnsubscribeToken(secret, token.slice(0, -2))).toBeNull();
    expect(verifyUnsubscribeToken(secret, 'u1.not-a-user.activity.x')).toBeNull();
    // Essential categories cannot be in a token.
    expect(verifyUnsubscribeToken(secret, token.replace('activity', 'account'))).toBeNull();
  });

  it('suppresses by address hash, case-insensitively; a complaint outranks a bounce', async () => {
    const em = emForSystem(orm);
    await suppressEmailAddress(em, { address: ' Grace@Example.com ', reason: 'bounce', detail: 'General', sourceMessageId: 'm1' });
    expect(await emailSuppressionOf(em, 'grace@example.com')).toBe('bounce');
    await suppressEmailAddress(em, { address: 'grace@example.com', reason: 'complaint' });
    await suppressEmailAddress(em, { address: 'grace@example.com', reason: 'bounce' });
    expect(await emailSuppressionOf(em, 'GRACE@example.com')).toBe('complaint');
    expect(await emailSuppressionOf(em, 'someone-else@example.com')).toBeNull();
    const rows = await em.execute<{ address_hash: string; events: number }[]>('select * from "email_suppression"', [], 'all');
    expect(rows).toEqual([expect.objectContaining({ address_hash: emailAddressHash('grace@example.com'), events: 3 })]);
  });

  it('the outbox accepts the new statuses and categories, and a row names its broadcast', async () => {
    const em = emForSystem(orm);
    const queued = await em.transactional((tx) =>
      new OutboxWriter().queueEmail(tx, {
        templateId: 'policy.change',
        to: 'ada@example.com',
        data: { name: 'Ada', effectiveDate: '2026-12-24', policyUrl: 'https://app.example/privacy' },
        dedupeKey: 'policy-test',
      }),
    );
    const row = await emForSystem(orm).findOneOrFail(EmailOutbox, { id: queued.id! });
    expect(row).toMatchObject({ category: 'legal', status: 'pending', outcome: null, broadcastId: null });
    for (const status of ['in_doubt', 'rejected'] as const) {
      await em.nativeUpdate(EmailOutbox, { id: row.id }, { status });
      expect((await emForSystem(orm).findOneOrFail(EmailOutbox, { id: row.id })).status).toBe(status);
    }
    await expect(em.nativeUpdate(EmailOutbox, { id: row.id }, { status: 'lost' as never })).rejects.toThrow(/email_outbox_status_check/);
  });
});
