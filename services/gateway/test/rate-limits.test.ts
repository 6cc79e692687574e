import { REDIS } from '@sessionpix/queue';
import type { Redis } from 'ioredis';
import { type Gateway, registerUser, startGateway, testIp, uniqueEmail } from './accounts-support';

describe('abuse limits on the account routes', () => {
  let gw: Gateway;

  beforeAll(async () => {
    gw = await startGateway('ratelimits', {
      AUTH_RATE_LIMIT_PER_ACCOUNT: '3',
      AUTH_RATE_LIMIT_PER_IP: '5',
      AUTH_RATE_LIMIT_WINDOW_SECONDS: '60',
    });
  });

  afterAll(async () => {
    await gw?.close();
  });

  const signIn = (email: string, password: string, ip = testIp()) =>
    gw.http.post('/v1/auth/sign-in').set('x-forwarded-for', ip).send({ email, password });

  function expectLimited(res: { status: number; headers: Record<string, string>; body: Record<string, unknown> }) {
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 429, code: 'rate_limited' });
    const retry = Number(res.headers['retry-after']);
    expect(Number.isInteger(retry) && retry >= 1 && retry <= 60).toBe(true);
  }

  it('locks an account out after repeated failed sign-ins, even with the right password then', async () => {
    const user = await registerUser(gw);
    for (let i = 0; i < 3; i++) expect((await signIn(user.email, 'wrong password')).status).toBe(401);
    const locked = await signIn(user.email, user.password);
    expectLimited(locked);
  });

  it('a lock-out reads the same whether or not the e-mail has an account', async () => {
    const user = await registerUser(gw);
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < 3; i++) {
      await signIn(user.email, 'wrong password').expect(401);
      await signIn(ghost, 'wrong password').expect(401);
    }
    const known = await signIn(user.email, 'wrong password');
    const unknown = await signIn(ghost, 'wrong password');
    expectLimited(known);
    expectLimited(unknown);
    expect(known.body.detail).toBe(unknown.body.detail);
    expect(known.body.detail).not.toMatch(/exist|unknown|no account/i);
  });

  it('a successful sign-in clears the account’s failures', async () => {
    const user = await registerUser(gw);
    for (let i = 0; i < 2; i++) await signIn(user.email, 'wrong password').expect(401);
    await signIn(user.email, user.password).expect(200);
    for (let i = 0; i < 2; i++) await signIn(user.email, 'wrong password').expect(401);
    await signIn(user.email, user.password).expect(200);
  });

  it('limits sign-in attempts per IP address', async () => {
    const ip = testIp();
    for (let i = 0; i < 5; i++) await signIn(uniqueEmail(), 'whatever', ip).expect(401);
    expectLimited(await signIn(uniqueEmail(), 'whatever', ip));
    // Another address is not affected.
    await signIn(uniqueEmail(), 'whatever').expect(401);
  });

  it('limits sign-ups per IP address and per e-mail address', async () => {
    const ip = testIp();
    const body = () => ({ email: uniqueEmail(), password: 'a long enough password', name: 'N', orgName: 'O' });
    for (let i = 0; i < 5; i++) await gw.http.post('/v1/auth/sign-up').set('x-forwarded-for', ip).send(body()).expect(202);
    expectLimited(await gw.http.post('/v1/auth/sign-up').set('x-forwarded-for', ip).send(body()));
    const same = body();
    for (let i = 0; i < 3; i++) await gw.http.post('/v1/auth/sign-up').set('x-forwarded-for', testIp()).send(same).expect(202);
    expectLimited(await gw.http.post('/v1/auth/sign-up').set('x-forwarded-for', testIp()).send(same));
  });

  it('limits password reset requests per address, the same for unknown ones', async () => {
    const user = await registerUser(gw);
    const ghost = uniqueEmail('ghost');
    for (let i = 0; i < 3; i++) {
      await gw.http.post('/v1/auth/password-reset').set('x-forwarded-for', testIp()).send({ email: user.email }).expect(202);
      await gw.http.post('/v1/auth/password-reset').set('x-forwarded-for', testIp()).send({ email: ghost }).expect(202);
    }
    const known = await gw.http.post('/v1/auth/password-reset').set('x-forwarded-for', testIp()).send({ email: user.email });
    const unknown = await gw.http.post('/v1/auth/password-reset').set('x-forwarded-for', testIp()).send({ email: ghost });
    expectLimited(known);
    expectLimited(unknown);
    expect(known.body.detail).toBe(unknown.body.detail);
  });

  it('limits token refreshes per IP address (ten times the sign-in limit)', async () => {
    const ip = testIp();
    for (let i = 0; i < 50; i++) {
      await gw.http.post('/v1/auth/refresh').set('x-forwarded-for', ip).send({ refreshToken: 'not-a-token' }).expect(401);
    }
    expectLimited(await gw.http.post('/v1/auth/refresh').set('x-forwarded-for', ip).send({ refreshToken: 'not-a-token' }));
  });

  it('keeps only hashes of addresses and e-mails in Redis, expiring with the window', async () => {
    const redis = gw.proc.app.get<Redis>(REDIS);
    const email = uniqueEmail('hashme');
    await signIn(email, 'wrong password', '198.51.100.99').expect(401);
    const keys = await redis.keys(`${gw.config.QUEUE_PREFIX}:ratelimit:*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.join('\n')).not.toContain(email);
    expect(keys.join('\n')).not.toContain('198.51.100.99');
    for (const key of keys.slice(0, 5)) {
      const ttl = await redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
  });
});
