import { eventually } from '@sessionpix/testing';
import { type MailEdges, startMailEdges, startWorker, type Worker } from './support/mail';

/**
 * P7, at most once: SES has no idempotency key, so an e-mail whose sender died after calling
 * SES and before recording the answer must not be sent again. The proxy in front of the SES
 * stand-in passes the request on (the stand-in stores the e-mail) and holds the answer; the
 * worker is SIGKILLed meanwhile; a second worker takes the job over once its lock expires.
 */
describe('P7: a crash between the SES call and recording it', () => {
  let edges: MailEdges;
  const workers: Worker[] = [];

  beforeAll(async () => {
    edges = await startMailEdges('notifycrash', { QUEUE_LOCK_DURATION_MS: '2000', SWEEP_GRACE_SECONDS: '2', SWEEP_INTERVAL_SECONDS: '10' });
  });

  afterAll(async () => {
    for (const w of workers) await w.kill('SIGKILL');
    await edges?.close();
  });

  it('P7: leaves the e-mail in_doubt — counted, listed for operators — and never sends it a second time', async () => {
    const first = await startWorker(edges);
    workers.push(first);
    const to = 'crash-victim@example.com';
    edges.proxy.inject('hold-after-send', { recipient: to });
    const held = edges.proxy.nextHold();
    const id = await edges.queue('account.password_reset', to, {
      name: 'Ada',
      resetUrl: 'https://app.example/reset-password#token=abc.def',
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    await held;
    // SES has it; the worker has not heard back.
    expect(await edges.ses.emails()).toHaveLength(1);
    expect((await edges.row(id)).status).toBe('sending');
    await first.kill('SIGKILL');

    const second = await startWorker(edges);
    workers.push(second);
    const row = await eventually(
      async () => {
        const r = await edges.row(id);
        return r.status === 'sending' ? undefined : r;
      },
      30_000,
      'the stalled job to be taken over',
    );
    expect(row).toMatchObject({ status: 'in_doubt', outcome: 'crashed-while-sending', attempts: 1, providerMessageId: null });
    expect(await second.metric(/^sessionpix_emails_in_doubt_total /)).toBe(1);

    // Nothing more reaches SES for this e-mail, however long we look.
    const again = await edges.producer.queue('notifications').getJob(`notifications-${id}`);
    expect(again === undefined || (await again.getState()) !== 'active').toBe(true);
    expect(edges.proxy.requests.filter((r) => r.to.includes(to))).toHaveLength(1);
    expect((await edges.ses.emails()).filter((e) => e.destination.to.includes(to))).toHaveLength(1);

    // Operators see it, and settle it once they know.
    const listed = await edges.admin('email:in-doubt');
    expect(listed).toMatchObject({ count: 1, emails: [{ id, templateId: 'account.password_reset', recipient: to, attempts: 1 }] });
    expect(await edges.admin('email:resolve', '--id', id, '--outcome', 'sent')).toEqual({ id, status: 'sent' });
    expect(await edges.row(id)).toMatchObject({ status: 'sent', outcome: 'sent-confirmed-by-operator' });
    expect((await edges.row(id)).data.resetUrl).toBe('[removed after sending]');
    expect(await edges.admin('email:in-doubt')).toEqual({ count: 0, emails: [] });
    expect(edges.proxy.requests.filter((r) => r.to.includes(to))).toHaveLength(1);
  });
});
