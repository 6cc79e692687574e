import { EmailOutbox, emForSystem } from '@sessionpix/db';
import { eventually, sesEvent, type SnsStandin, startSnsStandin, type StoredEmail } from '@sessionpix/testing';
import { randomBytes } from 'node:crypto';
import { type MailStack, startMailStack, uniqueAddress } from './harness';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:ses-events';

/** The gateway and the notifications service in one process, as `npm start` runs them. */
describe('e-mail from the API to the inbox', () => {
  let mail: MailStack;
  let sns: SnsStandin;

  beforeAll(async () => {
    sns = await startSnsStandin();
    mail = await startMailStack('notifye2e', { SES_EVENTS_TOPIC_ARNS: TOPIC, SNS_ALLOWED_LOCAL_HOSTS: sns.host }, { gateway: true });
  });

  afterAll(async () => {
    await mail?.close();
    await sns?.close();
  });

  const inbox = (to: string, n = 1) =>
    eventually(async () => {
      const got = await mail.mailTo(to);
      return got.length >= n ? got : undefined;
    }, 15_000, `${n} e-mail(s) to ${to}`);

  const ip = () => `198.51.100.${randomBytes(1)[0] % 250 + 1}`;

  it('P7: sign-up e-mails a confirmation link right after the commit; the link confirms the address and is then wiped from the outbox', async () => {
    const email = uniqueAddress('signup');
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    await mail.http!.post('/v1/auth/sign-up').set('x-forwarded-for', ip()).send({ email, password, name: 'Ada Lovelace', orgName: 'Abbey Lane' }).expect(202);
    const [confirmation] = await inbox(email);
    expect(confirmation.subject).toBe('Confirm your e-mail address for sessionpix');
    const link = /(http\S+confirm-email#token=\S+)/.exec(confirmation.body.text ?? '')?.[1];
    expect(link).toBeDefined();
    const token = new URL(link!).hash.replace('#token=', '');
    await mail.http!.post('/v1/auth/confirm-email').set('x-forwarded-for', ip()).send({ token }).expect(204);
    const row = await eventually(async () => {
      const r = await emForSystem(mail.orm).findOne(EmailOutbox, { recipient: email, templateId: 'account.confirm_email' });
      return r?.status === 'sent' ? r : undefined;
    });
    expect(row.data.confirmUrl).toBe('[removed after sending]');
    expect(JSON.stringify(row.data)).not.toContain(token);

    // P7: password reset, and the security alert that follows it.
    await mail.http!.post('/v1/auth/password-reset').set('x-forwarded-for', ip()).send({ email }).expect(202);
    const [, reset] = await inbox(email, 2);
    expect(reset.subject).toBe('Reset your sessionpix password');
    const resetToken = /reset-password#token=(\S+)/.exec(reset.body.text ?? '')?.[1];
    await mail.http!.post('/v1/auth/password-reset/confirm').set('x-forwarded-for', ip()).send({ token: resetToken, newPassword: 'a brand new password' }).expect(204);
    const all = await inbox(email, 3);
    expect(all.map((m: StoredEmail) => m.subject)).toEqual([
      'Confirm your e-mail address for sessionpix',
      'Reset your sessionpix password',
      'Your sessionpix password was reset',
    ]);
  });

  it('P7: a hard bounce reported by SES through SNS suppresses every later e-mail to the address', async () => {
    const to = uniqueAddress('bouncing');
    const first = await mail.queue('account.sign_up_existing', to, {
      name: 'Ada',
      signInUrl: 'https://app.example/sign-in',
      resetUrl: 'https://app.example/reset-password',
    });
    const sent = await mail.settle(first);
    expect(sent.status).toBe('sent');
    const bounce = sns.notification(TOPIC, sesEvent('Bounce', [to], { messageId: sent.providerMessageId! }));
    await mail.http!.post('/v1/notifications/ses-events').set('content-type', 'text/plain; charset=UTF-8').send(JSON.stringify(bounce)).expect(200);
    const second = await mail.queue('account.password_reset', to, {
      name: 'Ada',
      resetUrl: 'https://app.example/reset-password#token=abc.def',
      expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    });
    expect(await mail.settle(second)).toMatchObject({ status: 'suppressed', outcome: 'suppressed-by-bounce' });
    expect(await mail.mailTo(to)).toHaveLength(1);
  });
});
