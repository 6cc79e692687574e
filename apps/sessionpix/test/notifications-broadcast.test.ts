import { emForSystem } from '@sessionpix/db';
import { eventually } from '@sessionpix/testing';
import { type MailEdges, startMailEdges, startWorker, type Worker } from './support/mail';

const USERS = 5_000;

/**
 * P22: material changes are announced by e-mail to every active user. The announcement is a
 * batch job an operator starts, pauses and resumes from the admin CLI; every user gets it
 * exactly once, however the run is interrupted.
 */
describe('P22: the policy-change broadcast', () => {
  let edges: MailEdges;
  const workers: Worker[] = [];

  beforeAll(async () => {
    // Slow enough to pause half-way: 5,000 e-mails at 400/s take over 12 s.
    edges = await startMailEdges('notifybroadcast', { SES_MAX_SEND_RATE: '400', NOTIFICATIONS_CONCURRENCY: '16' });
    const em = emForSystem(edges.orm);
    await em.execute(
      `insert into "user_account" ("id", "created_at", "updated_at", "email", "name", "email_verified_at")
       select gen_random_uuid(), now(), now(), 'active-' || n || '@example.com', 'User ' || n, now()
       from generate_series(1, ${USERS}) as n`,
    );
    // Not active: a deleted account and an unconfirmed address.
    await em.execute(
      `insert into "user_account" ("id", "created_at", "updated_at", "email", "name", "email_verified_at", "deleted_at") values
       (gen_random_uuid(), now(), now(), 'deleted@example.com', 'Gone', now(), now()),
       (gen_random_uuid(), now(), now(), 'unconfirmed@example.com', 'New', null, null)`,
    );
    workers.push(await startWorker(edges), await startWorker(edges));
  }, 60_000);

  afterAll(async () => {
    for (const w of workers) await w.kill();
    await edges?.close();
  });

  const sentCount = async () =>
    (
      await emForSystem(edges.orm).execute<{ n: number }[]>(
        `select count(*)::int as "n" from "email_outbox" where "broadcast_id" is not null and "status" = 'sent'`,
        [],
        'all',
      )
    )[0].n;

  it(
    'P22: e-mails every active user the new effective date exactly once, paused and resumed half-way',
    async () => {
      const started = await edges.admin('policy:announce', '--effective-date', '2026-12-24', '--summary', 'Server logs are now kept for 60 days.');
      expect(started).toMatchObject({ created: true, status: 'running', targets: USERS });
      const id = started.broadcastId as string;

      await eventually(async () => ((await sentCount()) >= 1_000 ? true : undefined), 60_000, '1,000 e-mails to go out');
      const paused = await edges.admin('broadcast:pause', '--id', id);
      expect(paused).toMatchObject({ id, status: 'paused', targets: USERS });

      // What was already at SES finishes; then nothing moves.
      const stopped = await eventually(
        async () => {
          const p = await edges.admin('broadcast:status', '--id', id);
          const byStatus = p.byStatus as Record<string, number>;
          return byStatus.sending === 0 ? p : undefined;
        },
        30_000,
        'the in-flight e-mails to finish',
      );
      const sentAtPause = (stopped.byStatus as Record<string, number>).sent;
      expect(sentAtPause).toBeLessThan(USERS);
      await new Promise((r) => setTimeout(r, 1_500));
      const still = await edges.admin('broadcast:status', '--id', id);
      expect(still).toMatchObject({ status: 'paused', byStatus: { sent: sentAtPause, sending: 0 } });
      expect((still.byStatus as Record<string, number>).pending).toBeGreaterThan(0);
      expect((await edges.ses.emails()).length).toBe(sentAtPause);

      // The same announcement again is the same broadcast, not a second one.
      expect(await edges.admin('policy:announce', '--effective-date', '2026-12-24')).toMatchObject({ broadcastId: id, created: false });

      expect(await edges.admin('broadcast:resume', '--id', id)).toMatchObject({ id, status: 'running' });
      const done = await eventually(
        async () => {
          const p = await edges.admin('broadcast:status', '--id', id);
          return p.status === 'completed' ? p : undefined;
        },
        120_000,
        'the broadcast to complete',
      );
      expect(done).toMatchObject({
        status: 'completed',
        targets: USERS,
        rows: USERS,
        byStatus: { sent: USERS, pending: 0, sending: 0, failed: 0, suppressed: 0, rejected: 0, in_doubt: 0 },
      });

      const emails = await edges.ses.emails();
      expect(emails).toHaveLength(USERS);
      const recipients = emails.map((e) => e.destination.to[0]);
      expect(new Set(recipients).size).toBe(USERS);
      expect(recipients).not.toContain('deleted@example.com');
      expect(recipients).not.toContain('unconfirmed@example.com');
      expect(edges.proxy.requests).toHaveLength(USERS);
      const sample = emails.find((e) => e.destination.to[0] === 'active-42@example.com')!;
      expect(sample.subject).toBe('Changes to the sessionpix privacy policy, effective December 24, 2026');
      expect(sample.body.text).toContain('Hello User 42,');
      expect(sample.body.text).toContain('Server logs are now kept for 60 days.');
      expect(sample.body.text).toContain('help@sessionpix.example'); // P23
      // Essential: a legal notice carries no unsubscribe link.
      expect(sample.headers ?? []).toEqual([]);
    },
    240_000,
  );
});
