import { EMAIL_CATEGORY_KIND, EMAIL_SECRET_FIELDS, EMAIL_TEMPLATE_IDS, EMAIL_TEMPLATES } from '@sessionpix/contracts';
import { EmailOutbox, emForSystem, setEmailPreferences, suppressEmailAddress, verifyUnsubscribeToken } from '@sessionpix/db';
import { headerOf } from '@sessionpix/testing';
import { SAMPLE_DATA, SAMPLE_SUBJECTS } from './samples';
import { type MailStack, startMailStack, uniqueAddress } from './harness';

describe('sending e-mail through SES v2 (aws-ses-v2-local behind a fault proxy)', () => {
  let mail: MailStack;

  beforeAll(async () => {
    mail = await startMailStack('notifysend', { NOTIFICATIONS_CONCURRENCY: '4' });
  });

  afterAll(async () => {
    await mail?.close();
  });

  it.each(EMAIL_TEMPLATE_IDS)('P7/P23: %s is sent once and read back with its subject, recipient and support address', async (id) => {
    const user = await mail.user();
    const rowId = await mail.queue(id, user.email, SAMPLE_DATA[id] as never);
    const row = await mail.settle(rowId);
    expect({ status: row.status, outcome: row.outcome, lastError: row.lastError }).toEqual({ status: 'sent', outcome: 'sent', lastError: null });
    const received = await mail.mailTo(user.email);
    expect(received).toHaveLength(1);
    const [email] = received;
    expect(email.messageId).toBe(row.providerMessageId);
    expect(email.subject).toBe(SAMPLE_SUBJECTS[id]);
    expect(email.destination.to).toEqual([user.email]);
    expect(email.from).toBe(mail.config.SES_FROM_ADDRESS);
    expect(email.replyTo).toEqual(['help@sessionpix.example']);
    expect(email.body.text).toContain('help@sessionpix.example');
    expect(email.body.html).toContain('help@sessionpix.example');
    if (EMAIL_CATEGORY_KIND[EMAIL_TEMPLATES[id].category] === 'optional') {
      // P15: RFC 8058 one-click unsubscribe, for this user and this category.
      const link = /^<(.+)>$/.exec(headerOf(email, 'List-Unsubscribe') ?? '')?.[1];
      expect(link).toMatch(/^http:\/\/127\.0\.0\.1:3000\/v1\/email\/unsubscribe\?token=/);
      expect(headerOf(email, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
      expect(email.body.text).toContain(link);
      const token = new URL(link!).searchParams.get('token')!;
      expect(verifyUnsubscribeToken(mail.config.emailUnsubscribeSecret, token)).toEqual({
        userId: user.id,
        category: EMAIL_TEMPLATES[id].category,
      });
    } else {
      expect(headerOf(email, 'List-Unsubscribe')).toBeUndefined();
      expect(headerOf(email, 'List-Unsubscribe-Post')).toBeUndefined();
    }
    // Secret links live in the row only until the e-mail is sent.
    for (const field of EMAIL_SECRET_FIELDS[id] ?? []) {
      expect(row.data[field], field).toBe('[removed after sending]');
      expect(JSON.stringify(row.data)).not.toContain('secret');
    }
  });

  it('P23: every e-mail names the configured support address, and a reply reaches it', async () => {
    const user = await mail.user();
    const ids = [
      await mail.queue('billing.payment_failed', user.email, SAMPLE_DATA['billing.payment_failed']),
      await mail.queue('analysis.batch_finished', user.email, SAMPLE_DATA['analysis.batch_finished']),
    ];
    for (const id of ids) await mail.settle(id, ['sent']);
    const received = await mail.mailTo(user.email);
    expect(received).toHaveLength(2);
    for (const email of received) {
      expect(email.replyTo).toEqual([mail.config.SUPPORT_EMAIL]);
      expect(email.body.text).toContain(`Write to ${mail.config.SUPPORT_EMAIL} and a person will answer.`);
      expect(email.body.html).toContain(`href="mailto:${mail.config.SUPPORT_EMAIL}"`);
    }
  });

  it('P15: opt-out is honoured for optional e-mail (recorded suppressed-by-preference) and ignored for essential e-mail', async () => {
    const user = await mail.user();
    await setEmailPreferences(emForSystem(mail.orm), user.id, { activity: false });
    const optional = await mail.queue('analysis.batch_finished', user.email, SAMPLE_DATA['analysis.batch_finished']);
    const essential = await mail.queue('account.password_reset', user.email, SAMPLE_DATA['account.password_reset']);
    expect(await mail.settle(optional)).toMatchObject({ status: 'suppressed', outcome: 'suppressed-by-preference' });
    expect(await mail.settle(essential)).toMatchObject({ status: 'sent' });
    const received = await mail.mailTo(user.email);
    expect(received.map((e) => e.subject)).toEqual([SAMPLE_SUBJECTS['account.password_reset']]);
    // Turned back on, optional e-mail flows again.
    await setEmailPreferences(emForSystem(mail.orm), user.id, { activity: true });
    const again = await mail.queue('analysis.batch_finished', user.email, SAMPLE_DATA['analysis.batch_finished']);
    expect(await mail.settle(again)).toMatchObject({ status: 'sent' });
  });

  it('sends optional e-mail to account holders only (they are the ones who can turn it off)', async () => {
    const stranger = uniqueAddress('stranger');
    const id = await mail.queue('analysis.batch_finished', stranger, SAMPLE_DATA['analysis.batch_finished']);
    expect(await mail.settle(id)).toMatchObject({ status: 'suppressed', outcome: 'suppressed-no-account' });
    expect(await mail.mailTo(stranger)).toEqual([]);
  });

  it('never mails a suppressed address (a hard bounce or a complaint), essential or not', async () => {
    const bounced = uniqueAddress('bounced');
    const complained = uniqueAddress('complained');
    await suppressEmailAddress(emForSystem(mail.orm), { address: bounced.toUpperCase(), reason: 'bounce', detail: 'General' });
    await suppressEmailAddress(emForSystem(mail.orm), { address: complained, reason: 'complaint' });
    const a = await mail.queue('account.password_reset', bounced, SAMPLE_DATA['account.password_reset']);
    const b = await mail.queue('security.new_sign_in', complained, SAMPLE_DATA['security.new_sign_in']);
    expect(await mail.settle(a)).toMatchObject({ status: 'suppressed', outcome: 'suppressed-by-bounce' });
    expect(await mail.settle(b)).toMatchObject({ status: 'suppressed', outcome: 'suppressed-by-complaint' });
    expect(await mail.mailTo(bounced)).toEqual([]);
    expect(await mail.mailTo(complained)).toEqual([]);
    // The reset link is wiped from a row that will never be sent, too.
    expect((await mail.row(a)).data.resetUrl).toBe('[removed after sending]');
  });

  it('a repeated job sends nothing: only a pending row is sent', async () => {
    const to = uniqueAddress();
    const id = await mail.queue('account.sign_up_existing', to, SAMPLE_DATA['account.sign_up_existing']);
    await mail.settle(id, ['sent']);
    const { enqueueOutboxJob, JobProducer } = await import('@sessionpix/queue');
    await enqueueOutboxJob(mail.proc.app.get(JobProducer), id);
    await enqueueOutboxJob(mail.proc.app.get(JobProducer), id);
    await expectEventuallyNoLiveJob(mail, id);
    expect(await mail.mailTo(to)).toHaveLength(1);
  });

  describe('bad input', () => {
    it('an unknown template id fails the job with a clear error and the row says so', async () => {
      const id = await insertRaw(mail, { templateId: 'account.does_not_exist', recipient: uniqueAddress(), data: {} });
      const row = await mail.settle(id);
      expect(row).toMatchObject({ status: 'failed', outcome: 'unknown-template' });
      expect(row.lastError).toMatch(/unknown e-mail template "account\.does_not_exist"/);
      const job = await jobOf(mail, id);
      expect(job?.failedReason).toMatch(/unknown e-mail template "account\.does_not_exist"/);
      expect(job?.attemptsMade).toBe(1);
    });

    it('missing template data fails the job with a clear error naming the field, not its value', async () => {
      const id = await insertRaw(mail, {
        templateId: 'account.password_reset',
        recipient: uniqueAddress(),
        data: { name: 'Ada', expiresAt: new Date().toISOString(), secret: 'hunter2' },
      });
      const row = await mail.settle(id);
      expect(row).toMatchObject({ status: 'failed', outcome: 'invalid-data' });
      expect(row.lastError).toMatch(/account\.password_reset.*resetUrl/);
      expect(row.lastError).not.toContain('hunter2');
      expect((await jobOf(mail, id))?.failedReason).toMatch(/does not fit its template: .*resetUrl/);
    });

    it('an invalid recipient address is recorded as rejected and not retried', async () => {
      const id = await insertRaw(mail, { templateId: 'account.sign_up_existing', recipient: 'not an address', data: SAMPLE_DATA['account.sign_up_existing'] });
      expect(await mail.settle(id)).toMatchObject({ status: 'rejected', outcome: 'invalid-recipient', attempts: 0 });
    });

    it('an address SES refuses is recorded as rejected, after one attempt', async () => {
      const to = uniqueAddress('illegal');
      mail.proxy.inject('bad-address', { recipient: to });
      const id = await mail.queue('account.sign_up_existing', to, SAMPLE_DATA['account.sign_up_existing']);
      const row = await mail.settle(id);
      expect(row).toMatchObject({ status: 'rejected', outcome: 'invalid-recipient', attempts: 1 });
      expect(row.lastError).toMatch(/BadRequestException: Illegal address/);
      expect(mail.proxy.requests.filter((r) => r.to.includes(to))).toHaveLength(1);
    });
  });

  describe('SES errors', () => {
    it('MessageRejected is recorded failed and never retried', async () => {
      const to = uniqueAddress('rejected');
      mail.proxy.inject('message-rejected', { recipient: to });
      const id = await mail.queue('security.new_sign_in', to, SAMPLE_DATA['security.new_sign_in']);
      const row = await mail.settle(id);
      expect(row).toMatchObject({ status: 'failed', outcome: 'rejected-by-ses', attempts: 1 });
      expect(row.lastError).toMatch(/MessageRejected/);
      await expectEventuallyNoLiveJob(mail, id);
      expect(mail.proxy.requests.filter((r) => r.to.includes(to))).toHaveLength(1);
      expect(await mail.mailTo(to)).toEqual([]);
    });

    it('throttling pauses the queue and the e-mail goes once SES accepts it, without using attempts', async () => {
      const to = uniqueAddress('throttled');
      mail.proxy.inject('throttle', { recipient: to, times: 3 });
      const id = await mail.queue('security.new_sign_in', to, SAMPLE_DATA['security.new_sign_in']);
      const row = await mail.settle(id, ['sent']);
      expect(mail.proxy.requests.filter((r) => r.to.includes(to)).map((r) => r.outcome)).toEqual([429, 429, 429, 200]);
      expect(row.attempts).toBe(4);
      expect(await mail.mailTo(to)).toHaveLength(1);
      expect((await jobOf(mail, id)) ?? null).toBeNull(); // completed jobs are removed
    });

    it('a 5xx is retried with backoff and the e-mail is sent exactly once', async () => {
      const to = uniqueAddress('fivexx');
      mail.proxy.inject('server-error', { recipient: to, times: 2 });
      const id = await mail.queue('security.new_sign_in', to, SAMPLE_DATA['security.new_sign_in']);
      const { eventually } = await import('@sessionpix/testing');
      // The backoff is real (10 s, then 20 s); the test skips the waits by promoting the delayed job.
      const row = await eventually(async () => {
        const job = await jobOf(mail, id);
        if (job && (await job.getState()) === 'delayed') {
          expect((await mail.row(id)).status).toBe('pending'); // put back: SES said it did not send
          await job.promote().catch(() => undefined);
        }
        const current = await mail.row(id);
        return current.status === 'sent' ? current : undefined;
      }, 20_000, 'the e-mail to be sent after two 5xx answers');
      expect(mail.proxy.requests.filter((r) => r.to.includes(to)).map((r) => r.outcome)).toEqual([503, 503, 200]);
      expect(row).toMatchObject({ status: 'sent', attempts: 3, lastError: null });
      expect(await mail.mailTo(to)).toHaveLength(1);
    });

    it('a connection lost after SES received the request leaves the e-mail in doubt, never resent', async () => {
      const to = uniqueAddress('dropped');
      mail.proxy.inject('drop-after-send', { recipient: to });
      const id = await mail.queue('account.password_reset', to, SAMPLE_DATA['account.password_reset']);
      const row = await mail.settle(id);
      expect(row).toMatchObject({ status: 'in_doubt', outcome: 'crashed-while-sending', attempts: 1 });
      expect(row.lastError).toMatch(/may have been sent/);
      await expectEventuallyNoLiveJob(mail, id);
      // SES did get it once; nothing asks again.
      expect(await mail.mailTo(to)).toHaveLength(1);
      expect(mail.proxy.requests.filter((r) => r.to.includes(to))).toHaveLength(1);
      const metrics = await (await fetch(`${mail.proc.opsUrl}/metrics`)).text();
      expect(metrics).toMatch(/^sessionpix_emails_in_doubt_total [1-9]/m);
    });
  });

  it('the outbox sweep sends a pending row whose job was never enqueued (a process died after its commit)', async () => {
    const to = uniqueAddress('orphan');
    const id = await mail.queue('account.sign_up_existing', to, SAMPLE_DATA['account.sign_up_existing'], { dispatch: false });
    // Older than the grace, as if it had waited since before a crash.
    await emForSystem(mail.orm).nativeUpdate(EmailOutbox, { id }, { updatedAt: new Date(Date.now() - 3600_000) });
    const { JobProducer } = await import('@sessionpix/queue');
    await mail.proc.app.get(JobProducer).enqueue('email-batch', { v: 1, task: 'sweep-outbox', slot: `test-${Date.now()}` });
    expect(await mail.settle(id)).toMatchObject({ status: 'sent' });
    expect(await mail.mailTo(to)).toHaveLength(1);
  });
});

async function insertRaw(mail: MailStack, row: { templateId: string; recipient: string; data: Record<string, unknown> }): Promise<string> {
  const em = emForSystem(mail.orm);
  const entity = em.create(EmailOutbox, {
    ...row,
    dedupeKey: `raw:${Math.random().toString(36).slice(2)}`,
    category: 'account',
  });
  await em.flush();
  const { OutboxDispatcher } = await import('@sessionpix/queue');
  await mail.proc.app.get(OutboxDispatcher).dispatch([entity.id]);
  return entity.id;
}

async function jobOf(mail: MailStack, id: string) {
  const { JobProducer } = await import('@sessionpix/queue');
  return mail.proc.app.get(JobProducer).queue('notifications').getJob(`notifications-${id}`);
}

async function expectEventuallyNoLiveJob(mail: MailStack, id: string): Promise<void> {
  const { eventually } = await import('@sessionpix/testing');
  await eventually(async () => {
    const job = await jobOf(mail, id);
    if (!job) return true;
    const state = await job.getState();
    return ['completed', 'failed', 'unknown'].includes(state) ? true : undefined;
  }, 15_000, `the job of ${id} to finish`);
}
