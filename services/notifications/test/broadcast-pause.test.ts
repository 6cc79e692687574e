import { randomBytes } from 'node:crypto';
import { EmailBroadcast, EmailOutbox, emForSystem, OutboxWriter } from '@sessionpix/db';
import { OutboxDispatcher } from '@sessionpix/queue';
import { SAMPLE_DATA } from './samples';
import { type MailStack, startMailStack, uniqueAddress } from './harness';

/** One send every 2 s (a burst of one): the second e-mail waits for its token. */
const SEND_RATE = '0.5';

describe('pausing a broadcast while its e-mails wait for a send token', () => {
  let mail: MailStack;

  beforeAll(async () => {
    mail = await startMailStack('notifypause', { SES_MAX_SEND_RATE: SEND_RATE, NOTIFICATIONS_CONCURRENCY: '4' });
  });

  afterAll(async () => {
    await mail?.close();
  });

  it('P22: a row that passed the broadcast check before the pause is not sent after it', async () => {
    const em = emForSystem(mail.orm);
    const broadcast = em.create(EmailBroadcast, {
      templateId: 'account.sign_up_existing',
      data: {},
      dedupeKey: `test:${randomBytes(8).toString('hex')}`,
      status: 'running',
      targets: 2,
    });
    await em.flush();
    const recipients = [uniqueAddress('first'), uniqueAddress('second')];
    const writer = new OutboxWriter();
    const ids = await em.transactional(async (tx) => {
      const out: string[] = [];
      for (const to of recipients) {
        const queued = await writer.queueEmail(tx, {
          templateId: 'account.sign_up_existing',
          to,
          data: SAMPLE_DATA['account.sign_up_existing'],
          dedupeKey: `test:${randomBytes(8).toString('hex')}`,
          broadcastId: broadcast.id,
        });
        out.push(queued.id!);
      }
      return out;
    });
    // Both jobs start together: both see the broadcast running, one takes the only token.
    await mail.proc.app.get(OutboxDispatcher).dispatch(ids);
    const statuses = async () => (await Promise.all(ids.map((id) => mail.row(id)))).map((r) => r.status).sort();
    const deadline = Date.now() + 10_000;
    while (!(await statuses()).includes('sent')) {
      if (Date.now() > deadline) throw new Error(`no e-mail was sent: ${(await statuses()).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await em.nativeUpdate(EmailBroadcast, { id: broadcast.id }, { status: 'paused' });

    // The other's token comes 2 s after the first; give it that and a second more.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(await statuses()).toEqual(['pending', 'sent']);
    const sent = (await Promise.all(recipients.map((to) => mail.mailTo(to)))).map((m) => m.length);
    expect(sent.sort()).toEqual([0, 1]);
    const pending = await emForSystem(mail.orm).findOneOrFail(EmailOutbox, { id: { $in: ids }, status: 'pending' });
    expect(pending.attempts).toBe(0);
  });
});
