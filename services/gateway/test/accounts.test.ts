import { AuditLog, AuthSession, emForSystem, Membership, User, UserToken } from '@sessionpix/db';
import { PasswordHasher } from '@sessionpix/gateway';
import { captureLogs } from '@sessionpix/testing';
import {
  bearer,
  CHROME_WINDOWS,
  type Gateway,
  IPHONE,
  lastLink,
  outbox,
  registerUser,
  SAFARI_MAC,
  setCookies,
  signIn,
  startGateway,
  testIp,
  tokenOf,
  uniqueEmail,
} from './accounts-support';

/** Every secret this file handles, so the last test can look for each in the logs. */
const secrets = new Set<string>();
const keep = <T extends string>(value: T): T => {
  secrets.add(value);
  return value;
};

describe('built-in accounts', () => {
  const logs = captureLogs();
  let gw: Gateway;

  beforeAll(async () => {
    gw = await startGateway('accounts', { LOG_LEVEL: 'debug' }, { logs });
  });

  afterAll(async () => {
    await gw?.close();
  });

  describe('sign-up and e-mail confirmation', () => {
    const email = uniqueEmail('ada');
    const password = keep('correct horse battery staple');

    it('P7: sign-up creates the user, their first org (owner) and a confirmation e-mail in the outbox', async () => {
      const res = await gw.http
        .post('/v1/auth/sign-up')
        .set('x-forwarded-for', testIp())
        .send({ email: email.toUpperCase(), password, name: 'Ada', orgName: 'Abbey Lane Studio' })
        .expect(202);
      expect(res.body).toEqual({ status: 'accepted', detail: expect.any(String) });
      const user = await emForSystem(gw.orm).findOneOrFail(User, { email });
      const memberships = await emForSystem(gw.orm).find(Membership, { user: user.id }, { filters: { tenant: false }, populate: ['org'] });
      expect(memberships.map((m) => [m.org.getEntity().name, m.role])).toEqual([['Abbey Lane Studio', 'owner']]);
      const mails = await outbox(gw.orm, email, 'account.confirm_email');
      expect(mails).toHaveLength(1);
      expect(mails[0]).toMatchObject({ status: 'pending', category: 'account', recipient: email });
      expect(String(mails[0].data.confirmUrl)).toMatch(/^http:\/\/127\.0\.0\.1:3000\/confirm-email#token=/);
      keep(tokenOf(mails[0].data.confirmUrl));
    });

    it('P1: stores the password only as a salted argon2id hash', async () => {
      const user = await emForSystem(gw.orm).findOneOrFail(User, { email });
      keep(user.passwordHash!);
      expect(user.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(user.passwordHash).not.toContain(password);
      const row = await emForSystem(gw.orm).getConnection().execute(`select * from "user_account" where "email" = ?`, [email]);
      expect(JSON.stringify(row)).not.toContain(password);
    });

    it('an unconfirmed address cannot sign in, with the same answer as a wrong password', async () => {
      const unconfirmed = await gw.http
        .post('/v1/auth/sign-in')
        .set('x-forwarded-for', testIp())
        .send({ email, password })
        .expect(401);
      const wrong = await gw.http
        .post('/v1/auth/sign-in')
        .set('x-forwarded-for', testIp())
        .send({ email, password: 'not the password' })
        .expect(401);
      expect(unconfirmed.body).toEqual(wrong.body);
    });

    it('the confirmation link works once; a second use is a 401', async () => {
      const token = tokenOf(await lastLink(gw.orm, email, 'account.confirm_email', 'confirmUrl'));
      await gw.http.post('/v1/auth/confirm-email').set('x-forwarded-for', testIp()).send({ token }).expect(204);
      const again = await gw.http.post('/v1/auth/confirm-email').set('x-forwarded-for', testIp()).send({ token }).expect(401);
      expect(again.body).toMatchObject({ code: 'invalid_token', detail: expect.stringMatching(/already used/) });
      await gw.http.post('/v1/auth/confirm-email').send({ token: 'made-up' }).expect(401);
    });

    it('an expired confirmation link is a 401', async () => {
      const other = uniqueEmail('late');
      await gw.http
        .post('/v1/auth/sign-up')
        .set('x-forwarded-for', testIp())
        .send({ email: other, password: keep('another long password'), name: 'Late', orgName: 'Late Studio' })
        .expect(202);
      const token = tokenOf(await lastLink(gw.orm, other, 'account.confirm_email', 'confirmUrl'));
      await emForSystem(gw.orm).nativeUpdate(UserToken, { id: token.split('.')[0] }, { expiresAt: new Date(Date.now() - 1000) });
      const res = await gw.http.post('/v1/auth/confirm-email').send({ token }).expect(401);
      expect(res.body.detail).toMatch(/expired/);
    });

    it('signing up again with a known address answers the same and e-mails the owner instead', async () => {
      const res = await gw.http
        .post('/v1/auth/sign-up')
        .set('x-forwarded-for', testIp())
        .send({ email, password: keep('an attacker password'), name: 'Mallory', orgName: 'Elsewhere' })
        .expect(202);
      expect(res.body).toEqual({ status: 'accepted', detail: expect.any(String) });
      expect(await emForSystem(gw.orm).count(User, { email })).toBe(1);
      expect(await outbox(gw.orm, email, 'account.sign_up_existing')).toHaveLength(1);
    });

    it('P1: signs in with a bearer session, and GET /v1/me shows the profile without secrets', async () => {
      const session = await signIn(gw, email, password);
      keep(session.accessToken);
      keep(session.refreshToken);
      expect(session.body).toMatchObject({
        tokenType: 'Bearer',
        user: { email, name: 'Ada', emailVerified: true, identityProvider: 'builtin' },
      });
      const me = await gw.http.get('/v1/me').set(bearer(session.accessToken)).expect(200);
      expect(me.body.memberships).toEqual([{ orgId: expect.any(String), orgName: 'Abbey Lane Studio', role: 'owner' }]);
      expect(JSON.stringify(me.body)).not.toMatch(/argon2|passwordHash|secret/i);
    });
  });

  describe('bad input', () => {
    it('a malformed body is a 400 naming the field', async () => {
      const signUp = await gw.http
        .post('/v1/auth/sign-up')
        .send({ email: 'not-an-address', password: 'short', name: '', orgName: 'x' })
        .expect(400);
      expect(signUp.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'name', 'password']);
      const signInRes = await gw.http.post('/v1/auth/sign-in').send({ email: 'a@example.com' }).expect(400);
      expect(signInRes.body.errors).toEqual([expect.objectContaining({ field: 'password' })]);
      const extra = await gw.http.post('/v1/auth/sign-in').send({ email: 'a@example.com', password: 'x', admin: true }).expect(400);
      expect(extra.body.code).toBe('validation_failed');
    });

    it('P1: a wrong password and an unknown e-mail get the same 401, and the unknown e-mail is verified against a dummy hash', async () => {
      const user = await registerUser(gw);
      keep(user.password);
      const hasher = gw.proc.app.get(PasswordHasher);
      const verify = vi.spyOn(hasher, 'verify');
      try {
        const wrong = await gw.http
          .post('/v1/auth/sign-in')
          .set('x-forwarded-for', testIp())
          .send({ email: user.email, password: keep('wrong password!') })
          .expect(401);
        const unknown = await gw.http
          .post('/v1/auth/sign-in')
          .set('x-forwarded-for', testIp())
          .send({ email: uniqueEmail('nobody'), password: 'wrong password!' })
          .expect(401);
        expect(unknown.body).toEqual(wrong.body);
        expect(unknown.body.code).toBe('invalid_credentials');
        // Both did one argon2 verification: the known user's hash, then the dummy.
        expect(verify).toHaveBeenCalledTimes(2);
        expect(verify.mock.calls[0][0]).toMatch(/^\$argon2id\$/);
        expect(verify.mock.calls[0][0]).not.toBe(hasher.dummyHash);
        expect(verify.mock.calls[1][0]).toBe(hasher.dummyHash);
      } finally {
        verify.mockRestore();
      }
    });

    it('a bearer token that is not a token is a 401', async () => {
      await gw.http.get('/v1/me').set(bearer('eyJhbGciOiJub25lIn0.e30.')).expect(401);
      await gw.http.get('/v1/me').set({ authorization: 'Basic abc' }).expect(401);
    });
  });

  describe('refresh tokens', () => {
    it('rotate: each refresh spends the token it was given and issues a working pair', async () => {
      const user = await registerUser(gw);
      const first = await signIn(gw, user.email, user.password);
      const res = await gw.http.post('/v1/auth/refresh').send({ refreshToken: first.refreshToken }).expect(200);
      expect(res.body).toMatchObject({ tokenType: 'Bearer', accessToken: expect.any(String), refreshToken: expect.any(String) });
      expect(res.body.refreshToken).not.toBe(first.refreshToken);
      await gw.http.get('/v1/me').set(bearer(res.body.accessToken)).expect(200);
      keep(res.body.accessToken);
      keep(res.body.refreshToken);
    });

    it('reuse of a spent refresh token revokes the whole family: every token of that sign-in stops working', async () => {
      const user = await registerUser(gw);
      const session = await signIn(gw, user.email, user.password);
      const second = await gw.http.post('/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(200);
      const third = await gw.http.post('/v1/auth/refresh').send({ refreshToken: second.body.refreshToken }).expect(200);
      // The first token again: someone copied it.
      const reused = await gw.http.post('/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
      expect(reused.body.code).toBe('refresh_token_reused');
      // The newest refresh token and the access tokens of the family are dead too.
      const latest = await gw.http.post('/v1/auth/refresh').send({ refreshToken: third.body.refreshToken }).expect(401);
      expect(latest.body.code).toBe('invalid_token');
      await gw.http.get('/v1/me').set(bearer(third.body.accessToken)).expect(401);
      await gw.http.get('/v1/me').set(bearer(session.accessToken)).expect(401);
      // Another sign-in of the same user is not affected.
      const other = await signIn(gw, user.email, user.password);
      await gw.http.get('/v1/me').set(bearer(other.accessToken)).expect(200);
      const audit = await emForSystem(gw.orm).find(
        AuditLog,
        { action: 'auth.refresh_token_reused', actorId: user.id },
        { filters: { tenant: false } },
      );
      expect(audit).toHaveLength(1);
      const sessions = await emForSystem(gw.orm).find(AuthSession, { user: user.id, revokeReason: 'refresh_token_reused' });
      expect(sessions).toHaveLength(1);
    });

    it('an expired or unknown refresh token is a 401', async () => {
      const user = await registerUser(gw);
      const session = await signIn(gw, user.email, user.password);
      await emForSystem(gw.orm).nativeUpdate(
        AuthSession,
        { user: user.id },
        { expiresAt: new Date(Date.now() - 1000) },
      );
      const expired = await gw.http.post('/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
      expect(expired.body.detail).toMatch(/expired/);
      await gw.http.post('/v1/auth/refresh').send({ refreshToken: 'not-a-token' }).expect(401);
      await gw.http.post('/v1/auth/refresh').expect(401);
    });

    it('signing out ends the sign-in at once: its access and refresh tokens stop working', async () => {
      const user = await registerUser(gw);
      const session = await signIn(gw, user.email, user.password);
      await gw.http.post('/v1/auth/sign-out').set(bearer(session.accessToken)).expect(204);
      await gw.http.get('/v1/me').set(bearer(session.accessToken)).expect(401);
      await gw.http.post('/v1/auth/refresh').send({ refreshToken: session.refreshToken }).expect(401);
    });
  });

  describe('P18: the web session lives only in HttpOnly, Secure, SameSite cookies', () => {
    it('P18: sign-in sets exactly the two sign-in cookies, and the body carries no token', async () => {
      const user = await registerUser(gw);
      const res = await gw.http
        .post('/v1/auth/sign-in')
        .set('x-forwarded-for', testIp())
        .send({ email: user.email, password: user.password })
        .expect(200);
      const cookies = setCookies(res);
      expect([...cookies.keys()].sort()).toEqual(['__Host-spx_session', '__Secure-spx_refresh']);
      for (const [, c] of cookies) {
        expect(c.attrs.has('httponly')).toBe(true);
        expect(c.attrs.has('secure')).toBe(true);
        expect(c.attrs.get('samesite')).toBe('Strict');
        expect(c.attrs.has('domain')).toBe(false);
        keep(c.value);
      }
      expect(cookies.get('__Host-spx_session')!.attrs.get('path')).toBe('/');
      expect(cookies.get('__Secure-spx_refresh')!.attrs.get('path')).toBe('/v1/auth');
      expect(res.body.accessToken).toBeUndefined();
      expect(res.body.refreshToken).toBeUndefined();
      for (const [, c] of cookies) expect(JSON.stringify(res.body)).not.toContain(c.value);

      const session = `__Host-spx_session=${cookies.get('__Host-spx_session')!.value}`;
      const refresh = `__Secure-spx_refresh=${cookies.get('__Secure-spx_refresh')!.value}`;
      // The cookie signs the user in; reading sets no cookie.
      const me = await gw.http.get('/v1/me').set('cookie', session).expect(200);
      expect(me.headers['set-cookie']).toBeUndefined();
      const collections = await gw.http.get('/v1/collections').set('cookie', session).expect(200);
      expect(collections.headers['set-cookie']).toBeUndefined();

      // Refreshing by cookie rotates both cookies and still returns no token.
      const refreshed = await gw.http.post('/v1/auth/refresh').set('cookie', refresh).expect(200);
      const rotated = setCookies(refreshed);
      expect([...rotated.keys()].sort()).toEqual(['__Host-spx_session', '__Secure-spx_refresh']);
      expect(refreshed.body.refreshToken).toBeUndefined();
      for (const [, c] of rotated) keep(c.value);

      // Signing out clears both.
      const out = await gw.http
        .post('/v1/auth/sign-out')
        .set('cookie', `__Secure-spx_refresh=${rotated.get('__Secure-spx_refresh')!.value}`)
        .expect(204);
      const cleared = setCookies(out);
      expect(cleared.get('__Host-spx_session')?.value).toBe('');
      expect(cleared.get('__Secure-spx_refresh')?.value).toBe('');
      await gw.http.get('/v1/me').set('cookie', `__Host-spx_session=${rotated.get('__Host-spx_session')!.value}`).expect(401);
    });

    it('P18: routes that are not sign-in set no cookie at all', async () => {
      const res = await gw.http.get('/v1/openapi.json').expect(200);
      expect(res.headers['set-cookie']).toBeUndefined();
      const anon = await gw.http.get('/v1/collections').expect(401);
      expect(anon.headers['set-cookie']).toBeUndefined();
    });
  });

  describe('password reset and change', () => {
    it('P7: a reset request answers 202 for any address; only a known one gets a single-use link by e-mail', async () => {
      const user = await registerUser(gw);
      const before = await signIn(gw, user.email, user.password);
      const unknown = uniqueEmail('ghost');
      const a = await gw.http.post('/v1/auth/password-reset').set('x-forwarded-for', testIp()).send({ email: unknown }).expect(202);
      const b = await gw.http.post('/v1/auth/password-reset').set('x-forwarded-for', testIp()).send({ email: user.email }).expect(202);
      expect(a.body).toEqual(b.body);
      expect(await outbox(gw.orm, unknown)).toHaveLength(0);
      const link = await lastLink(gw.orm, user.email, 'account.password_reset', 'resetUrl');
      const token = keep(tokenOf(link));
      const newPassword = keep('a brand new password');
      await gw.http.post('/v1/auth/password-reset/confirm').set('x-forwarded-for', testIp()).send({ token, newPassword }).expect(204);
      // Single use.
      const reused = await gw.http
        .post('/v1/auth/password-reset/confirm')
        .send({ token, newPassword: 'yet another password' })
        .expect(401);
      expect(reused.body.detail).toMatch(/already used/);
      // Every earlier sign-in has ended; the new password works, the old does not.
      await gw.http.get('/v1/me').set(bearer(before.accessToken)).expect(401);
      await gw.http.post('/v1/auth/sign-in').set('x-forwarded-for', testIp()).send({ email: user.email, password: user.password }).expect(401);
      await signIn(gw, user.email, newPassword);
      // P7: a security alert says the password was reset.
      const alerts = await outbox(gw.orm, user.email, 'security.password_changed');
      expect(alerts.map((m) => m.data.how)).toEqual(['reset']);
      expect(alerts[0].category).toBe('security');
    });

    it('an expired reset link is a 401', async () => {
      const user = await registerUser(gw);
      await gw.http.post('/v1/auth/password-reset').set('x-forwarded-for', testIp()).send({ email: user.email }).expect(202);
      const token = tokenOf(await lastLink(gw.orm, user.email, 'account.password_reset', 'resetUrl'));
      await emForSystem(gw.orm).nativeUpdate(UserToken, { id: token.split('.')[0] }, { expiresAt: new Date(Date.now() - 1) });
      const res = await gw.http
        .post('/v1/auth/password-reset/confirm')
        .send({ token, newPassword: 'a brand new password' })
        .expect(401);
      expect(res.body.detail).toMatch(/expired/);
    });

    it('P7: changing the password needs the current one, ends the other sign-ins and sends an alert', async () => {
      const user = await registerUser(gw);
      const other = await signIn(gw, user.email, user.password);
      const current = await signIn(gw, user.email, user.password);
      const wrong = await gw.http
        .post('/v1/me/password')
        .set(bearer(current.accessToken))
        .send({ currentPassword: 'not it at all', newPassword: keep('changed password here') })
        .expect(400);
      expect(wrong.body.errors).toEqual([{ field: 'currentPassword', message: 'is not your current password' }]);
      await gw.http
        .post('/v1/me/password')
        .set(bearer(current.accessToken))
        .send({ currentPassword: user.password, newPassword: 'changed password here' })
        .expect(204);
      await gw.http.get('/v1/me').set(bearer(current.accessToken)).expect(200);
      await gw.http.get('/v1/me').set(bearer(other.accessToken)).expect(401);
      const alerts = await outbox(gw.orm, user.email, 'security.password_changed');
      expect(alerts.map((m) => m.data.how)).toEqual(['changed']);
    });
  });

  describe('P15: the profile', () => {
    it('P15: a user reads and corrects their own name and address; a new address must be confirmed', async () => {
      const user = await registerUser(gw);
      const session = await signIn(gw, user.email, user.password);
      const renamed = await gw.http.patch('/v1/me').set(bearer(session.accessToken)).send({ name: 'Ada King' }).expect(200);
      expect(renamed.body).toMatchObject({ name: 'Ada King', email: user.email, emailVerified: true });
      const newEmail = uniqueEmail('moved');
      const moved = await gw.http.patch('/v1/me').set(bearer(session.accessToken)).send({ email: newEmail }).expect(200);
      expect(moved.body).toMatchObject({ email: newEmail, emailVerified: false });
      expect(await outbox(gw.orm, newEmail, 'account.confirm_email')).toHaveLength(1);
      const taken = await registerUser(gw);
      const conflict = await gw.http.patch('/v1/me').set(bearer(session.accessToken)).send({ email: taken.email }).expect(409);
      expect(conflict.body.errors).toEqual([expect.objectContaining({ field: 'email' })]);
      const empty = await gw.http.patch('/v1/me').set(bearer(session.accessToken)).send({}).expect(400);
      expect(empty.body.code).toBe('validation_failed');
    });
  });

  describe('P7: security alert for a sign-in from a new device', () => {
    it('P7: the first sign-in is not news; a new device family is, once', async () => {
      const user = await registerUser(gw); // signed in once, without a user agent
      await signIn(gw, user.email, user.password, { 'user-agent': SAFARI_MAC });
      await signIn(gw, user.email, user.password, { 'user-agent': SAFARI_MAC });
      await signIn(gw, user.email, user.password, { 'user-agent': IPHONE });
      const alerts = await outbox(gw.orm, user.email, 'security.new_sign_in');
      expect(alerts.map((a) => a.data.device)).toEqual(['desktop · macOS · Safari', 'mobile · iOS · Safari']);
      expect(alerts[0].category).toBe('security');

      const fresh = uniqueEmail('fresh');
      const first = await registerUser(gw, { email: fresh });
      await signIn(gw, first.email, first.password, { 'user-agent': CHROME_WINDOWS });
      // registerUser signed in with supertest's default agent: Chrome on Windows is a second device.
      expect((await outbox(gw.orm, fresh, 'security.new_sign_in')).map((a) => a.data.device)).toEqual([
        'desktop · Windows · Chrome',
      ]);
    });
  });

  it('P1: no password, token or password hash appears in any log line or response', async () => {
    // Every secret the tests above handled, plus every hash now in the database.
    const hashes = await emForSystem(gw.orm).getConnection().execute<{ h: string }[]>(
      `select "password_hash" as h from "user_account" where "password_hash" is not null
       union all select "secret_hash" from "refresh_token"
       union all select "secret_hash" from "user_token"`,
    );
    for (const { h } of hashes) secrets.add(h);
    expect(secrets.size).toBeGreaterThan(20);
    expect(logs.lines.length).toBeGreaterThan(50);
    const text = logs.lines.join('\n');
    const leaked = [...secrets].filter((s) => text.includes(s) || text.includes(encodeURIComponent(s)));
    expect(leaked).toEqual([]);
    // The request log still shows the calls, with credentials redacted.
    expect(text).toContain('/v1/auth/sign-in');
    expect(text).toContain('[redacted]');
  });
});
