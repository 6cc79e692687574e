import { emailAddressHash, emForSystem, optedOutCategories, signUnsubscribeToken } from '@sessionpix/db';
import { type SnsStandin, sesEvent, startSnsStandin } from '@sessionpix/testing';
import { bearer, type Gateway, registerUser, signIn, startGateway, testIp, uniqueEmail } from './accounts-support';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:sessionpix-ses-events';

describe('e-mail preferences, one-click unsubscribe and SES events', () => {
  let gw: Gateway;
  let sns: SnsStandin;

  beforeAll(async () => {
    sns = await startSnsStandin();
    gw = await startGateway('email', {
      SES_EVENTS_TOPIC_ARNS: TOPIC,
      SNS_ALLOWED_LOCAL_HOSTS: sns.host,
      AUTH_RATE_LIMIT_PER_IP: '1000',
    });
  });

  afterAll(async () => {
    await gw?.close();
    await sns?.close();
  });

  const suppressedReason = async (address: string) =>
    (
      await emForSystem(gw.orm).execute<{ reason: string }[]>(
        `select "reason" from "email_suppression" where "address_hash" = ?`,
        [emailAddressHash(address)],
        'all',
      )
    )[0]?.reason ?? null;

  describe('P15: e-mail opt-out', () => {
    it('P15: lists every category, essential ones always on, and turns optional ones off and on', async () => {
      const user = await registerUser(gw);
      const session = await signIn(gw, user.email, user.password);
      const auth = bearer(session.accessToken);
      const before = await gw.http.get('/v1/me/email-preferences').set(auth).expect(200);
      expect(before.body.categories).toEqual([
        { category: 'account', kind: 'essential', subscribed: true, description: expect.any(String) },
        { category: 'security', kind: 'essential', subscribed: true, description: expect.any(String) },
        { category: 'billing', kind: 'essential', subscribed: true, description: expect.any(String) },
        { category: 'legal', kind: 'essential', subscribed: true, description: expect.any(String) },
        { category: 'activity', kind: 'optional', subscribed: true, description: expect.any(String) },
        { category: 'announcement', kind: 'optional', subscribed: true, description: expect.any(String) },
      ]);
      const off = await gw.http.put('/v1/me/email-preferences').set(auth).send({ activity: false }).expect(200);
      const state = (body: { categories: { category: string; subscribed: boolean }[] }) =>
        Object.fromEntries(body.categories.map((c) => [c.category, c.subscribed]));
      expect(state(off.body)).toMatchObject({ activity: false, announcement: true, account: true });
      const both = await gw.http.put('/v1/me/email-preferences').set(auth).send({ announcement: false, account: true }).expect(200);
      expect(state(both.body)).toMatchObject({ activity: false, announcement: false, account: true });
      const on = await gw.http.put('/v1/me/email-preferences').set(auth).send({ activity: true }).expect(200);
      expect(state(on.body)).toMatchObject({ activity: true, announcement: false });
      expect(await optedOutCategories(emForSystem(gw.orm), user.id)).toEqual(['announcement']);
    });

    it('P15: refuses to turn essential e-mail off, and unknown categories', async () => {
      const user = await registerUser(gw);
      const auth = bearer((await signIn(gw, user.email, user.password)).accessToken);
      const essential = await gw.http.put('/v1/me/email-preferences').set(auth).send({ security: false }).expect(400);
      expect(essential.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'security', message: expect.stringMatching(/essential e-mail cannot be turned off/) }] });
      await gw.http.put('/v1/me/email-preferences').set(auth).send({ marketing: false }).expect(400);
      await gw.http.get('/v1/me/email-preferences').expect(401);
    });

    it('P15: one-click unsubscribe works without signing in, for the category the link names, and repeating it is harmless', async () => {
      const user = await registerUser(gw);
      const token = signUnsubscribeToken(gw.config.emailUnsubscribeSecret, user.id, 'activity');
      // What a mail client sends for List-Unsubscribe-Post: List-Unsubscribe=One-Click.
      const res = await gw.http
        .post(`/v1/email/unsubscribe?token=${encodeURIComponent(token)}`)
        .set('x-forwarded-for', testIp())
        .type('form')
        .send('List-Unsubscribe=One-Click')
        .expect(200);
      expect(res.body).toEqual({ unsubscribed: 'activity', detail: expect.stringMatching(/no longer get activity update e-mails/) });
      await gw.http.post(`/v1/email/unsubscribe?token=${encodeURIComponent(token)}`).expect(200);
      expect(await optedOutCategories(emForSystem(gw.orm), user.id)).toEqual(['activity']);
    });

    it('P15: a person who opens the link gets a page that asks first; opening it changes nothing', async () => {
      const user = await registerUser(gw);
      const token = signUnsubscribeToken(gw.config.emailUnsubscribeSecret, user.id, 'announcement');
      const pageRes = await gw.http.get(`/v1/email/unsubscribe?token=${encodeURIComponent(token)}`).expect(200);
      expect(pageRes.headers['content-type']).toMatch(/^text\/html/);
      expect(pageRes.text).toMatch(/<form method="post"/);
      expect(pageRes.text).not.toMatch(/<script/);
      expect(pageRes.headers['set-cookie']).toBeUndefined();
      expect(await optedOutCategories(emForSystem(gw.orm), user.id)).toEqual([]);
      const done = await gw.http
        .post(`/v1/email/unsubscribe?token=${encodeURIComponent(token)}`)
        .set('accept', 'text/html')
        .type('form')
        .send('List-Unsubscribe=One-Click')
        .expect(200);
      expect(done.text).toMatch(/You are unsubscribed/);
      expect(await optedOutCategories(emForSystem(gw.orm), user.id)).toEqual(['announcement']);
    });

    it('P15: refuses a forged or altered unsubscribe token', async () => {
      const user = await registerUser(gw);
      const good = signUnsubscribeToken(gw.config.emailUnsubscribeSecret, user.id, 'activity');
      const forged = signUnsubscribeToken('x'.repeat(40), user.id, 'activity');
      const otherCategory = good.replace('.activity.', '.announcement.');
      for (const token of [forged, otherCategory, `${good}x`, 'nonsense']) {
        const res = await gw.http.post(`/v1/email/unsubscribe?token=${encodeURIComponent(token)}`).expect(400);
        expect(res.body.code).toBe('invalid_token');
      }
      await gw.http.post('/v1/email/unsubscribe').expect(400);
      expect(await optedOutCategories(emForSystem(gw.orm), user.id)).toEqual([]);
    });
  });

  describe('SES bounces and complaints through SNS', () => {
    const post = (body: unknown) =>
      gw.http
        .post('/v1/notifications/ses-events')
        .set('content-type', 'text/plain; charset=UTF-8')
        .set('x-amz-sns-message-type', String((body as { Type?: string }).Type ?? 'Notification'))
        .send(JSON.stringify(body));

    it.each(['1', '2'] as const)('a hard bounce (SignatureVersion %s) puts the address on the suppression list', async (version) => {
      const address = uniqueEmail('bounce');
      const res = await post(sns.notification(TOPIC, sesEvent('Bounce', [`"Someone" <${address}>`]), { version })).expect(200);
      expect(res.body).toEqual({ type: 'Bounce', suppressed: 1 });
      expect(await suppressedReason(address)).toBe('bounce');
    });

    it('a complaint suppresses the address; a soft bounce and a delivery do not', async () => {
      const complained = uniqueEmail('complaint');
      const soft = uniqueEmail('soft');
      await post(sns.notification(TOPIC, sesEvent('Complaint', [complained]), { subject: 'Amazon SES Email Event Notification' })).expect(200);
      await post(sns.notification(TOPIC, sesEvent('Bounce', [soft], { bounceType: 'Transient' }))).expect(200);
      await post(sns.notification(TOPIC, sesEvent('Delivery', [soft]))).expect(200);
      expect(await suppressedReason(complained)).toBe('complaint');
      expect(await suppressedReason(soft)).toBeNull();
    });

    it('stores only a hash of the address', async () => {
      const address = uniqueEmail('hashonly');
      await post(sns.notification(TOPIC, sesEvent('Bounce', [address]))).expect(200);
      const dump = JSON.stringify(await emForSystem(gw.orm).execute('select * from "email_suppression"', [], 'all'));
      expect(dump).not.toContain(address);
      expect(dump).toContain(emailAddressHash(address));
    });

    it('forged notifications are a 400 and change nothing', async () => {
      const address = uniqueEmail('forged');
      const genuine = sns.notification(TOPIC, sesEvent('Bounce', [address]));
      const cases: [string, unknown, string][] = [
        ['a tampered message', { ...genuine, Message: JSON.stringify(sesEvent('Bounce', [uniqueEmail('victim')])) }, 'invalid_signature'],
        ['a signature from another key', { ...genuine, Signature: sns.notification(TOPIC, { other: true }).Signature }, 'invalid_signature'],
        ['a downgraded signature version', { ...genuine, SignatureVersion: '1' }, 'invalid_signature'],
        ['a certificate on another host', sns.sign({ ...genuine, SigningCertURL: 'https://evil.example.com/SimpleNotificationService-x.pem' }), 'invalid_signature'],
        [
          'a certificate on an SNS host of another region',
          sns.sign({ ...genuine, SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem' }),
          'invalid_signature',
        ],
        [
          'a certificate that is not .pem',
          sns.sign({ ...genuine, SigningCertURL: `http://${sns.host}/SimpleNotificationService-test.txt` }),
          'invalid_signature',
        ],
        ['a topic we do not subscribe to', sns.notification('arn:aws:sns:us-east-1:999999999999:attacker', sesEvent('Bounce', [address])), 'unknown_topic'],
        ['no signature', { ...genuine, Signature: undefined }, 'invalid_sns_message'],
        ['not an SNS message', { hello: 'world' }, 'invalid_sns_message'],
      ];
      for (const [what, body, code] of cases) {
        const res = await post(body);
        expect({ what, status: res.status, code: res.body.code }).toEqual({ what, status: 400, code });
      }
      const raw = await gw.http.post('/v1/notifications/ses-events').set('content-type', 'text/plain').send('not json').expect(400);
      expect(raw.body.code).toBe('invalid_sns_message');
      const [{ n }] = await emForSystem(gw.orm).execute<{ n: number }[]>('select count(*)::int as n from "email_suppression"', [], 'all');
      const before = n;
      expect(await suppressedReason(address)).toBeNull();
      // The genuine message, for comparison, is accepted.
      await post(genuine).expect(200);
      expect(await suppressedReason(address)).toBe('bounce');
      const [{ n: after }] = await emForSystem(gw.orm).execute<{ n: number }[]>('select count(*)::int as n from "email_suppression"', [], 'all');
      expect(after).toBe(before + 1);
    });

    it('confirms a subscription by fetching its SubscribeURL — only on an allowed SNS host', async () => {
      const confirmation = sns.subscriptionConfirmation(TOPIC);
      await post(confirmation).expect(200);
      expect(sns.hits.filter((h) => h.startsWith('/?Action=ConfirmSubscription'))).toHaveLength(1);
      const elsewhere = sns.subscriptionConfirmation(TOPIC, { subscribeUrl: 'https://evil.example.com/?Action=ConfirmSubscription' });
      const res = await post(elsewhere).expect(400);
      expect(res.body.code).toBe('invalid_sns_message');
      expect(sns.hits.filter((h) => h.startsWith('/?Action=ConfirmSubscription'))).toHaveLength(1);
    });
  });
});
