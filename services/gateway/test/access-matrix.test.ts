import { randomBytes } from 'node:crypto';
import { DEFAULT_BILLING_PLANS, type OrgRole, roleAtLeast } from '@sessionpix/contracts';
import { Collection, emForOrg, emForSystem, Item, Membership, User } from '@sessionpix/db';
import { billingService } from '@sessionpix/billing';
import { gatewayService, issueApiKey } from '@sessionpix/gateway';
import { type FakeStripe, seedPricesFor, startFakeStripe } from '@sessionpix/testing';
import { bearer, type Gateway, registerUser, signIn, startGateway, testIp, uniqueEmail } from './accounts-support';

/**
 * P21: roles are enforced on every route. Each live route × each kind of caller → the status it
 * must get. A route added without an entry here fails the coverage test below.
 */
type Who = 'anonymous' | 'viewer' | 'member' | 'admin' | 'owner' | 'apiKey' | 'otherOrg';
/** Order of calls within a route: the owner last, so a destructive success comes after the rest. */
const CALLERS: Who[] = ['anonymous', 'otherOrg', 'apiKey', 'viewer', 'member', 'admin', 'owner'];
const ORG_ROLES_IN_A: Record<'viewer' | 'member' | 'admin' | 'owner' | 'apiKey', OrgRole> = {
  viewer: 'viewer',
  member: 'member',
  admin: 'admin',
  owner: 'owner',
  apiKey: 'member', // the matrix's key has the default role
};

interface Call {
  path: string;
  body?: unknown;
  multipart?: boolean;
  /** Server-sent events: read the status, then hang up. */
  stream?: boolean;
  /** The call ends the caller's sign-in: use a throwaway one. */
  freshSession?: boolean;
}

interface Entry {
  expect: Record<Who, number>;
  call(who: Who): Promise<Call> | Call;
}

/** The same answer for everyone (public routes). */
const everyone = (status: number): Record<Who, number> =>
  Object.fromEntries(CALLERS.map((w) => [w, status])) as Record<Who, number>;

/** A signed-in user of any org gets `ok`; an API key is not a user. */
const signedIn = (ok: number): Record<Who, number> => ({
  anonymous: 401,
  viewer: ok,
  member: ok,
  admin: ok,
  owner: ok,
  apiKey: 403,
  otherOrg: ok,
});

/**
 * At least `min` in org A gets `ok`, less gets 403. `other` is what a user of another org gets:
 * 404 for org A's ids, or `ok` where the route acts on the caller's own org.
 */
const role = (min: OrgRole, ok: number, other: number | 'own' = 404): Record<Who, number> => {
  const statuses = { anonymous: 401, otherOrg: other === 'own' ? ok : other } as Record<Who, number>;
  for (const who of Object.keys(ORG_ROLES_IN_A) as (keyof typeof ORG_ROLES_IN_A)[]) {
    statuses[who] = roleAtLeast(ORG_ROLES_IN_A[who], min) ? ok : 403;
  }
  return statuses;
};

describe('P21: the authorization matrix', () => {
  let gw: Gateway;
  let fakeStripe: FakeStripe | undefined;
  let orgA: string;
  let orgB: string;
  const creds = {} as Record<Exclude<Who, 'anonymous'>, { headers: Record<string, string>; email?: string; password?: string }>;
  const fixtures = { collection: '', item: '', upload: '', target: '' };

  const newCollection = async () => {
    const em = emForOrg(gw.orm, orgA);
    const c = em.create(Collection, { org: orgA, name: `c-${randomBytes(3).toString('hex')}` });
    await em.flush();
    return c.id;
  };
  const newItem = async () => {
    const em = emForOrg(gw.orm, orgA);
    const item = em.create(Item, { org: orgA, collection: fixtures.collection });
    await em.flush();
    return item.id;
  };
  const newMember = async () => {
    const em = emForSystem(gw.orm);
    const user = em.create(User, { email: uniqueEmail('target'), name: 'Target' });
    em.create(Membership, { org: orgA, user, role: 'member' });
    await em.flush();
    return user.id;
  };
  const newKey = async () => {
    const em = emForOrg(gw.orm, orgA);
    const key = issueApiKey(em, orgA, 'to revoke', gw.config.apiKeyPepper);
    await em.flush();
    return key.keyId;
  };
  const newInvitation = async () =>
    (
      await gw.http
        .post(`/v1/orgs/${orgA}/invitations`)
        .set(creds.owner.headers)
        .send({ email: uniqueEmail('invitee'), role: 'member' })
        .expect(201)
    ).body.id as string;

  const MATRIX: Record<string, Entry> = {
    'GET /v1/openapi.json': { expect: everyone(200), call: () => ({ path: '/v1/openapi.json' }) },
    'POST /v1/auth/sign-up': {
      expect: everyone(202),
      call: () => ({
        path: '/v1/auth/sign-up',
        body: { email: uniqueEmail('matrix'), password: 'a long enough password', name: 'N', orgName: 'O' },
      }),
    },
    'POST /v1/auth/confirm-email': { expect: everyone(401), call: () => ({ path: '/v1/auth/confirm-email', body: { token: 'bogus' } }) },
    'POST /v1/auth/sign-in': {
      expect: everyone(401),
      call: () => ({ path: '/v1/auth/sign-in', body: { email: uniqueEmail('nobody'), password: 'wrong password' } }),
    },
    'POST /v1/auth/refresh': { expect: everyone(401), call: () => ({ path: '/v1/auth/refresh', body: {} }) },
    'POST /v1/auth/sign-out': { expect: everyone(204), call: () => ({ path: '/v1/auth/sign-out', freshSession: true }) },
    'POST /v1/auth/password-reset': {
      expect: everyone(202),
      call: () => ({ path: '/v1/auth/password-reset', body: { email: uniqueEmail('reset') } }),
    },
    'POST /v1/auth/password-reset/confirm': {
      expect: everyone(401),
      call: () => ({ path: '/v1/auth/password-reset/confirm', body: { token: 'bogus', newPassword: 'a long enough password' } }),
    },
    'GET /v1/me': { expect: signedIn(200), call: () => ({ path: '/v1/me' }) },
    'PATCH /v1/me': { expect: signedIn(200), call: () => ({ path: '/v1/me', body: { name: 'Renamed' } }) },
    'POST /v1/me/password': {
      // Past the guard, a wrong current password is a 400.
      expect: signedIn(400),
      call: () => ({ path: '/v1/me/password', body: { currentPassword: 'not the password', newPassword: 'a long enough password' } }),
    },
    'GET /v1/me/email-preferences': { expect: signedIn(200), call: () => ({ path: '/v1/me/email-preferences' }) },
    'PUT /v1/me/email-preferences': {
      expect: signedIn(200),
      call: () => ({ path: '/v1/me/email-preferences', body: { announcement: true } }),
    },
    // P15: one-click unsubscribe needs no sign-in; past the guard, a bogus token is a 400.
    'GET /v1/email/unsubscribe': { expect: everyone(400), call: () => ({ path: '/v1/email/unsubscribe?token=bogus' }) },
    'POST /v1/email/unsubscribe': { expect: everyone(400), call: () => ({ path: '/v1/email/unsubscribe?token=bogus' }) },
    // SNS signs its messages; no caller credentials. Past the guard, an unsigned body is a 400.
    'POST /v1/notifications/ses-events': {
      expect: everyone(400),
      call: () => ({ path: '/v1/notifications/ses-events', body: { Type: 'Notification' } }),
    },
    'GET /v1/orgs': { expect: signedIn(200), call: () => ({ path: '/v1/orgs' }) },
    'POST /v1/orgs': { expect: signedIn(201), call: () => ({ path: '/v1/orgs', body: { name: 'Another' } }) },
    'POST /v1/orgs/join': { expect: signedIn(401), call: () => ({ path: '/v1/orgs/join', body: { token: 'bogus' } }) },
    'GET /v1/orgs/{orgId}': { expect: role('viewer', 200), call: () => ({ path: `/v1/orgs/${orgA}` }) },
    'PATCH /v1/orgs/{orgId}': { expect: role('admin', 200), call: () => ({ path: `/v1/orgs/${orgA}`, body: { name: 'Org A' } }) },
    'GET /v1/orgs/{orgId}/members': { expect: role('viewer', 200), call: () => ({ path: `/v1/orgs/${orgA}/members` }) },
    'PATCH /v1/orgs/{orgId}/members/{userId}': {
      expect: role('admin', 200),
      call: () => ({ path: `/v1/orgs/${orgA}/members/${fixtures.target}`, body: { role: 'viewer' } }),
    },
    'DELETE /v1/orgs/{orgId}/members/{userId}': {
      expect: role('admin', 204),
      call: async () => ({ path: `/v1/orgs/${orgA}/members/${await newMember()}` }),
    },
    'POST /v1/orgs/{orgId}/invitations': {
      expect: role('admin', 201),
      call: () => ({ path: `/v1/orgs/${orgA}/invitations`, body: { email: uniqueEmail('inv'), role: 'member' } }),
    },
    'GET /v1/orgs/{orgId}/invitations': { expect: role('admin', 200), call: () => ({ path: `/v1/orgs/${orgA}/invitations` }) },
    'DELETE /v1/orgs/{orgId}/invitations/{invitationId}': {
      expect: role('admin', 204),
      call: async () => ({ path: `/v1/orgs/${orgA}/invitations/${await newInvitation()}` }),
    },
    'GET /v1/api-keys': { expect: role('admin', 200, 'own'), call: () => ({ path: '/v1/api-keys' }) },
    'POST /v1/api-keys': { expect: role('admin', 201, 'own'), call: () => ({ path: '/v1/api-keys', body: { label: 'matrix' } }) },
    'DELETE /v1/api-keys/{keyId}': { expect: role('admin', 204), call: async () => ({ path: `/v1/api-keys/${await newKey()}` }) },
    'GET /v1/audit-log': { expect: role('admin', 200, 'own'), call: () => ({ path: '/v1/audit-log' }) },
    'GET /v1/collections': { expect: role('viewer', 200, 'own'), call: () => ({ path: '/v1/collections' }) },
    'POST /v1/collections': { expect: role('member', 201, 'own'), call: () => ({ path: '/v1/collections', body: { name: 'New' } }) },
    'GET /v1/collections/{id}': { expect: role('viewer', 200), call: () => ({ path: `/v1/collections/${fixtures.collection}` }) },
    'PATCH /v1/collections/{id}': {
      expect: role('member', 200),
      call: () => ({ path: `/v1/collections/${fixtures.collection}`, body: { name: 'Renamed' } }),
    },
    'DELETE /v1/collections/{id}': {
      expect: role('member', 204),
      call: async () => ({ path: `/v1/collections/${await newCollection()}` }),
    },
    'POST /v1/collections/{id}/items': {
      expect: role('member', 202),
      call: () => ({ path: `/v1/collections/${fixtures.collection}/items`, multipart: true }),
    },
    'GET /v1/collections/{id}/items': { expect: role('viewer', 200), call: () => ({ path: `/v1/collections/${fixtures.collection}/items` }) },
    'POST /v1/collections/{id}/uploads': {
      expect: role('member', 201),
      call: () => ({ path: `/v1/collections/${fixtures.collection}/uploads`, body: { contentType: 'image/jpeg', contentLength: 1000 } }),
    },
    'GET /v1/collections/{id}/events': {
      expect: role('viewer', 200),
      call: () => ({ path: `/v1/collections/${fixtures.collection}/events`, stream: true }),
    },
    // Past the guard: the photo has not been PUT yet.
    'POST /v1/uploads/{id}/complete': { expect: role('member', 409), call: () => ({ path: `/v1/uploads/${fixtures.upload}/complete` }) },
    'GET /v1/items/{id}': { expect: role('viewer', 200), call: () => ({ path: `/v1/items/${fixtures.item}` }) },
    // Past the guard: the item has not been analysed yet, so there is no recall sheet.
    'GET /v1/items/{id}/recall-sheet': { expect: role('viewer', 409), call: () => ({ path: `/v1/items/${fixtures.item}/recall-sheet` }) },
    'GET /v1/usage/model-spend': { expect: role('admin', 200, 'own'), call: () => ({ path: '/v1/usage/model-spend' }) },
    // Past the guard: the item has not failed.
    'POST /v1/items/{id}/retry': { expect: role('member', 409), call: () => ({ path: `/v1/items/${fixtures.item}/retry` }) },
    'DELETE /v1/items/{id}': { expect: role('member', 204), call: async () => ({ path: `/v1/items/${await newItem()}` }) },
    // Billing: Stripe's webhook needs a signature, not a caller (past the guard, none is a 400).
    'POST /v1/billing/webhook': { expect: everyone(400), call: () => ({ path: '/v1/billing/webhook', body: { id: 'evt_x' } }) },
    // Owners manage billing; each org's owner acts on their own org.
    'GET /v1/billing': { expect: role('owner', 200, 'own'), call: () => ({ path: '/v1/billing' }) },
    'POST /v1/billing/checkout': { expect: role('owner', 201, 'own'), call: () => ({ path: '/v1/billing/checkout', body: { plan: 'studio' } }) },
    // After the checkout above, the org has a Stripe customer to open the portal for.
    'POST /v1/billing/portal': { expect: role('owner', 200, 'own'), call: () => ({ path: '/v1/billing/portal' }) },
    // sessionpix's billing team only (BILLING_ADMIN_TOKEN): no org role reaches it.
    'GET /v1/admin/billing/report': {
      expect: { ...everyone(403), anonymous: 401 },
      call: () => ({ path: '/v1/admin/billing/report?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z' }),
    },
    // Last: the owner's success closes org A.
    'DELETE /v1/orgs/{orgId}': { expect: role('owner', 202), call: () => ({ path: `/v1/orgs/${orgA}` }) },
  };

  async function headersFor(who: Who, call: Call): Promise<Record<string, string>> {
    if (who === 'anonymous') return {};
    const c = creds[who];
    if (call.freshSession && c.email) {
      const fresh = await signIn(gw, c.email, c.password!);
      return { ...c.headers, authorization: `Bearer ${fresh.accessToken}` };
    }
    return c.headers;
  }

  async function send(method: string, who: Who, call: Call): Promise<number> {
    const headers: Record<string, string> = { ...(await headersFor(who, call)), 'x-forwarded-for': testIp() };
    let body: FormData | string | undefined;
    if (call.multipart) {
      body = new FormData();
      body.append('file', new Blob([randomBytes(64)], { type: 'image/jpeg' }), 'console.jpg');
    } else if (call.body !== undefined) {
      body = JSON.stringify(call.body);
      headers['content-type'] = 'application/json';
    }
    const controller = new AbortController();
    const res = await fetch(`${gw.proc.httpUrl}${call.path}`, { method, headers, body, signal: controller.signal });
    if (call.stream) controller.abort();
    else await res.arrayBuffer();
    return res.status;
  }

  beforeAll(async () => {
    // Billing runs here too (the owners' billing routes ask it), against the fake Stripe.
    fakeStripe = await startFakeStripe({ prices: seedPricesFor(DEFAULT_BILLING_PLANS) });
    gw = await startGateway(
      'matrix',
      {
        AUTH_RATE_LIMIT_PER_IP: '1000',
        AUTH_RATE_LIMIT_PER_ACCOUNT: '1000',
        SESSIONPIX_SERVICES: 'gateway,billing',
        STRIPE_WEBHOOK_SECRETS: 'whsec_matrix',
        ...fakeStripe.env(),
      },
      { services: [gatewayService, billingService] },
    );
    const owner = await registerUser(gw, { orgName: 'Org A' });
    orgA = owner.orgId;
    const ownerSession = await signIn(gw, owner.email, owner.password);
    creds.owner = { headers: bearer(ownerSession.accessToken, orgA), email: owner.email, password: owner.password };
    for (const r of ['viewer', 'member', 'admin'] as const) {
      const user = await registerUser(gw, { name: r });
      const em = emForSystem(gw.orm);
      em.create(Membership, { org: orgA, user: user.id, role: r });
      await em.flush();
      const session = await signIn(gw, user.email, user.password);
      creds[r] = { headers: bearer(session.accessToken, orgA), email: user.email, password: user.password };
    }
    const other = await registerUser(gw, { orgName: 'Org B' });
    orgB = other.orgId;
    const otherSession = await signIn(gw, other.email, other.password);
    creds.otherOrg = { headers: bearer(otherSession.accessToken, orgB), email: other.email, password: other.password };
    const em = emForOrg(gw.orm, orgA);
    const key = issueApiKey(em, orgA, 'matrix', gw.config.apiKeyPepper);
    await em.flush();
    creds.apiKey = { headers: { authorization: `Bearer ${key.apiKey}` } };

    fixtures.collection = await newCollection();
    fixtures.item = await newItem();
    fixtures.target = await newMember();
    fixtures.upload = (
      await gw.http
        .post(`/v1/collections/${fixtures.collection}/uploads`)
        .set(creds.owner.headers)
        .send({ contentType: 'image/jpeg', contentLength: 1000 })
        .expect(201)
    ).body.uploadId;
  });

  afterAll(async () => {
    await gw?.close();
    await fakeStripe?.close();
  });

  it('P21: every route × every caller gets the expected status', async () => {
    const wrong: string[] = [];
    for (const [route, entry] of Object.entries(MATRIX)) {
      const method = route.split(' ')[0];
      for (const who of CALLERS) {
        const call = await entry.call(who);
        const status = await send(method, who, call);
        if (status !== entry.expect[who]) wrong.push(`${route} as ${who}: expected ${entry.expect[who]}, got ${status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  /** "METHOD /v1/path/{param}" for every route Fastify serves under /v1 (HEAD is implied by GET). */
  function liveRoutes(): string[] {
    const tree = gw.proc.http!.getHttpAdapter().getInstance().printRoutes({ commonPrefix: false });
    const stack: string[] = [];
    const routes: string[] = [];
    for (const line of tree.split('\n')) {
      const match = /^(.*?)── (\S+)(?: \(([^)]*)\))?$/.exec(line);
      if (!match) continue;
      const depth = Math.floor(match[1].length / 4);
      stack.length = depth;
      stack.push(match[2]);
      const path = stack.join('').replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      for (const method of (match[3] ?? '').split(',').map((m) => m.trim()).filter(Boolean)) {
        if (method !== 'HEAD' && path.startsWith('/v1/')) routes.push(`${method} ${path}`);
      }
    }
    return routes.sort();
  }

  it('P21: the matrix names every live route, and only live routes', () => {
    const live = liveRoutes();
    expect(live.length).toBeGreaterThan(30);
    expect(Object.keys(MATRIX).sort()).toEqual(live);
  });

  it('the OpenAPI document covers every route, with bearer and cookie security on each that needs a caller', async () => {
    const doc = (await gw.http.get('/v1/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
      components: { securitySchemes: Record<string, Record<string, string>> };
    };
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    // The document does not describe itself; everything else is in it.
    expect(documented).toEqual(liveRoutes().filter((r) => r !== 'GET /v1/openapi.json'));
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.components.securitySchemes.cookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: '__Host-spx_session' });
    for (const [route, entry] of Object.entries(MATRIX)) {
      if (route === 'GET /v1/openapi.json') continue;
      const [method, path] = route.split(' ');
      const security = doc.paths[path][method.toLowerCase()].security ?? [];
      // Public routes answer everyone alike; the rest tell callers apart.
      const isPublic = new Set(Object.values(entry.expect)).size === 1;
      // The billing team's routes take its own bearer token, never a user's cookie.
      const callers = route.includes(' /v1/admin/') ? [{ operator: [] }] : [{ bearer: [] }, { cookie: [] }];
      expect({ route, security }).toEqual({ route, security: isPublic ? [] : callers });
    }
  });
});
