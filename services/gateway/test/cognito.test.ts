import { randomUUID } from 'node:crypto';
import { emForSystem, User } from '@sessionpix/db';
import { CognitoIdentityProvider } from '@sessionpix/gateway';
import { exportJWK, generateKeyPair, type KeyLike, SignJWT } from 'jose';
import { bearer, type Gateway, startGateway, uniqueEmail } from './accounts-support';
import { auth, createOrg } from './helpers';

const POOL = 'us-east-1_SpxTestPool';
const CLIENT = 'spxtestclient';
const ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`;
const KID = 'spx-test-key-1';

describe('Cognito as the identity provider', () => {
  let gw: Gateway;
  let signingKey: KeyLike;
  let strangerKey: KeyLike;

  /** An ID token as Cognito issues it, signed with the pool's (locally generated) key. */
  async function cognitoToken(
    opts: {
      sub?: string;
      email?: string;
      emailVerified?: boolean;
      tokenUse?: 'id' | 'access';
      issuer?: string;
      audience?: string;
      expiresIn?: number;
      key?: KeyLike;
    } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const tokenUse = opts.tokenUse ?? 'id';
    const claims: Record<string, unknown> = {
      token_use: tokenUse,
      auth_time: now,
      'cognito:username': 'someone',
      ...(tokenUse === 'access' ? { client_id: opts.audience ?? CLIENT, scope: 'openid' } : {}),
      ...(opts.email !== undefined ? { email: opts.email, email_verified: opts.emailVerified ?? true } : {}),
    };
    let jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: KID })
      .setSubject(opts.sub ?? randomUUID())
      .setIssuer(opts.issuer ?? ISSUER)
      .setIssuedAt(now - 60)
      .setExpirationTime(now + (opts.expiresIn ?? 3600));
    if (tokenUse === 'id') jwt = jwt.setAudience(opts.audience ?? CLIENT);
    return jwt.sign(opts.key ?? signingKey);
  }

  beforeAll(async () => {
    gw = await startGateway('cognito', {
      IDENTITY_PROVIDER: 'cognito',
      COGNITO_USER_POOL_ID: POOL,
      COGNITO_CLIENT_ID: CLIENT,
      COGNITO_REGION: 'us-east-1',
    });
    const pair = await generateKeyPair('RS256');
    signingKey = pair.privateKey;
    strangerKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
    // The pool's key set, handed to the verifier's cache: no network in tests.
    gw.proc.app.get(CognitoIdentityProvider).useJwks({ keys: [jwk] } as never);
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('a good ID token signs the user in; the first sight creates a local user with the token’s e-mail', async () => {
    const sub = randomUUID();
    const email = uniqueEmail('cognito');
    const token = await cognitoToken({ sub, email: email.toUpperCase() });
    const me = await gw.http.get('/v1/me').set(bearer(token)).expect(200);
    expect(me.body).toMatchObject({ email, emailVerified: true, identityProvider: 'cognito', memberships: [] });
    await gw.http.get('/v1/me').set(bearer(await cognitoToken({ sub, email }))).expect(200);
    const users = await emForSystem(gw.orm).find(User, { cognitoSub: sub });
    expect(users).toHaveLength(1);
    expect(users[0].passwordHash).toBeNull();
    // No org yet: org routes say so; creating one makes them work.
    const none = await gw.http.get('/v1/collections').set(bearer(token)).expect(403);
    expect(none.body.code).toBe('no_organization');
    await gw.http.post('/v1/orgs').set(bearer(token)).send({ name: 'Cloud Studio' }).expect(201);
    await gw.http.post('/v1/collections').set(bearer(token)).send({ name: 'Session' }).expect(201);
  });

  it('an expired token is a 401', async () => {
    const res = await gw.http
      .get('/v1/me')
      .set(bearer(await cognitoToken({ email: uniqueEmail(), expiresIn: -60 })))
      .expect(401);
    expect(res.body.code).toBe('token_expired');
  });

  it('a token from another issuer is a 401', async () => {
    const other = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_SomeoneElse';
    await gw.http.get('/v1/me').set(bearer(await cognitoToken({ email: uniqueEmail(), issuer: other }))).expect(401);
  });

  it('a token for another app client (audience) is a 401', async () => {
    await gw.http.get('/v1/me').set(bearer(await cognitoToken({ email: uniqueEmail(), audience: 'someoneelse' }))).expect(401);
  });

  it('a token signed with another key is a 401', async () => {
    const res = await gw.http.get('/v1/me').set(bearer(await cognitoToken({ email: uniqueEmail(), key: strangerKey }))).expect(401);
    expect(res.body.code).toBe('unauthorized');
  });

  it('an access token (token_use access) is a 401: ID tokens only', async () => {
    await gw.http.get('/v1/me').set(bearer(await cognitoToken({ tokenUse: 'access' }))).expect(401);
  });

  it('links an existing local account only when Cognito vouches for the address', async () => {
    const email = uniqueEmail('existing');
    const em = emForSystem(gw.orm);
    em.create(User, { email, name: 'Existing' });
    await em.flush();
    await gw.http.get('/v1/me').set(bearer(await cognitoToken({ email, emailVerified: false }))).expect(401);
    const sub = randomUUID();
    const me = await gw.http.get('/v1/me').set(bearer(await cognitoToken({ sub, email }))).expect(200);
    expect(me.body.name).toBe('Existing');
    expect((await emForSystem(gw.orm).findOneOrFail(User, { email })).cognitoSub).toBe(sub);
  });

  it('the built-in account routes are Cognito’s in this installation (404), and API keys still work', async () => {
    const signIn = await gw.http.post('/v1/auth/sign-in').send({ email: uniqueEmail(), password: 'whatever' }).expect(404);
    expect(signIn.body.code).toBe('managed_by_cognito');
    await gw.http
      .post('/v1/auth/sign-up')
      .send({ email: uniqueEmail(), password: 'a long password', name: 'N', orgName: 'O' })
      .expect(404);
    const org = await createOrg(gw.orm, 'Keyed', gw.config.apiKeyPepper);
    await gw.http.get('/v1/collections').set(auth(org)).expect(200);
    // A session cookie means nothing here.
    await gw.http.get('/v1/me').set('cookie', '__Host-spx_session=abc').expect(401);
  });
});
