import { AuditLog, emForSystem } from '@sessionpix/db';
import {
  bearer,
  type Gateway,
  lastLink,
  registerUser,
  signIn,
  startGateway,
  type TestUser,
  testIp,
  tokenOf,
} from './accounts-support';

interface Entry {
  id: string;
  at: string;
  action: string;
  actor: { type: string; id: string | null };
  target: { type: string; id: string } | null;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, unknown> | null;
}

describe('P21: the audit log', () => {
  let gw: Gateway;
  let owner: TestUser;
  let token: string;
  const ip = '203.0.113.77';
  const ua = 'sessionpix-tests/1.0';

  const read = async (query: Record<string, string | number> = {}): Promise<{ items: Entry[]; nextCursor: string | null }> =>
    (await gw.http.get('/v1/audit-log').query({ limit: 100, ...query }).set(bearer(token, owner.orgId)).expect(200)).body;

  beforeAll(async () => {
    gw = await startGateway('auditlog');
    owner = await registerUser(gw, { orgName: 'Audited Studio' });
    token = (await signIn(gw, owner.email, owner.password, { 'user-agent': ua })).accessToken;
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('P21: sign-up and sign-in success and failure are recorded with actor, IP, user agent and time', async () => {
    await gw.http
      .post('/v1/auth/sign-in')
      .set({ 'x-forwarded-for': ip, 'user-agent': ua })
      .send({ email: owner.email, password: 'definitely wrong' })
      .expect(401);
    await gw.http.post('/v1/auth/sign-in').set({ 'x-forwarded-for': ip, 'user-agent': ua }).send({ email: owner.email, password: owner.password, session: 'bearer' }).expect(200);
    const { items } = await read();
    expect(items.map((e) => e.action)).toEqual(expect.arrayContaining(['auth.sign_up', 'auth.sign_in', 'auth.sign_in_failed']));
    const failed = items.find((e) => e.action === 'auth.sign_in_failed')!;
    expect(failed).toMatchObject({
      actor: { type: 'user', id: owner.id },
      target: { type: 'user', id: owner.id },
      ip,
      userAgent: ua,
      details: { reason: 'wrong_password' },
    });
    expect(Date.parse(failed.at)).toBeGreaterThan(Date.now() - 60_000);
    const signIn = items.find((e) => e.action === 'auth.sign_in' && e.ip === ip)!;
    expect(signIn.actor).toEqual({ type: 'user', id: owner.id });
  });

  it('P21: a failed sign-in for an unknown e-mail is recorded outside any org', async () => {
    await gw.http.post('/v1/auth/sign-in').set('x-forwarded-for', testIp()).send({ email: 'nobody-here@example.com', password: 'x' }).expect(401);
    const rows = await emForSystem(gw.orm).find(
      AuditLog,
      { action: 'auth.sign_in_failed', org: null },
      { filters: { tenant: false } },
    );
    expect(rows.map((r) => [r.actorType, r.details])).toContainEqual(['anonymous', { reason: 'unknown_email' }]);
    expect(JSON.stringify(rows)).not.toContain('nobody-here');
  });

  it('P21: password change and reset are recorded', async () => {
    const user = await registerUser(gw);
    const session = await signIn(gw, user.email, user.password);
    await gw.http.post('/v1/me/password').set(bearer(session.accessToken)).send({ currentPassword: user.password, newPassword: 'the second password' }).expect(204);
    await gw.http.post('/v1/auth/password-reset').set('x-forwarded-for', testIp()).send({ email: user.email }).expect(202);
    const reset = tokenOf(await lastLink(gw.orm, user.email, 'account.password_reset', 'resetUrl'));
    await gw.http.post('/v1/auth/password-reset/confirm').send({ token: reset, newPassword: 'the third password' }).expect(204);
    const rows = await emForSystem(gw.orm).find(AuditLog, { actorId: user.id, org: user.orgId }, { filters: { tenant: false }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['auth.password_changed', 'auth.password_reset']));
    expect(JSON.stringify(rows)).not.toMatch(/second password|third password/);
  });

  it('P21: invitations, role changes, member removal, API keys and deletion requests are recorded in the org', async () => {
    const invitee = await registerUser(gw);
    const sent = await gw.http.post(`/v1/orgs/${owner.orgId}/invitations`).set(bearer(token)).send({ email: invitee.email, role: 'viewer' }).expect(201);
    const join = tokenOf(await lastLink(gw.orm, invitee.email, 'org.invitation', 'acceptUrl'));
    const inviteeToken = (await signIn(gw, invitee.email, invitee.password)).accessToken;
    await gw.http.post('/v1/orgs/join').set(bearer(inviteeToken)).send({ token: join }).expect(200);
    await gw.http.patch(`/v1/orgs/${owner.orgId}/members/${invitee.id}`).set(bearer(token)).send({ role: 'member' }).expect(200);
    const key = await gw.http.post('/v1/api-keys').set(bearer(token, owner.orgId)).send({ label: 'ci', role: 'member' }).expect(201);
    await gw.http.delete(`/v1/api-keys/${key.body.keyId}`).set(bearer(token, owner.orgId)).expect(204);
    const collection = await gw.http.post('/v1/collections').set(bearer(token, owner.orgId)).send({ name: 'gone soon' }).expect(201);
    await gw.http.delete(`/v1/collections/${collection.body.id}`).set(bearer(token, owner.orgId)).expect(204);
    await gw.http.delete(`/v1/orgs/${owner.orgId}/members/${invitee.id}`).set(bearer(token)).expect(204);

    const { items } = await read();
    const by = (action: string) => items.filter((e) => e.action === action);
    expect(by('invitation.created')[0]).toMatchObject({ target: { type: 'invitation', id: sent.body.id }, details: { role: 'viewer' } });
    expect(by('invitation.accepted')[0]).toMatchObject({ actor: { type: 'user', id: invitee.id } });
    expect(by('member.role_changed')[0]).toMatchObject({
      actor: { type: 'user', id: owner.id },
      target: { type: 'user', id: invitee.id },
      details: { from: 'viewer', to: 'member' },
    });
    expect(by('api_key.created')[0]).toMatchObject({ target: { type: 'api_key', id: key.body.keyId } });
    expect(by('api_key.revoked')[0]).toMatchObject({ target: { type: 'api_key', id: key.body.keyId } });
    expect(by('collection.deleted')[0]).toMatchObject({ target: { type: 'collection', id: collection.body.id } });
    expect(by('member.removed')[0]).toMatchObject({ target: { type: 'user', id: invitee.id } });
    expect(JSON.stringify(items)).not.toContain(key.body.apiKey);

    // The org's deletion request is recorded too (a second org, so this one stays readable).
    const second = await gw.http.post('/v1/orgs').set(bearer(token)).send({ name: 'Short-lived' }).expect(201);
    await gw.http.delete(`/v1/orgs/${second.body.id}`).set(bearer(token)).expect(202);
    const deletion = await emForSystem(gw.orm).find(AuditLog, { org: second.body.id }, { filters: { tenant: false } });
    expect(deletion.map((r) => r.action).sort()).toEqual(['org.created', 'org.deletion_requested']);
  });

  it('filters by action, actor and time, and pages with the cursor convention', async () => {
    const signIns = await read({ action: 'auth.sign_in' });
    expect(signIns.items.length).toBeGreaterThanOrEqual(2);
    expect(new Set(signIns.items.map((e) => e.action))).toEqual(new Set(['auth.sign_in']));
    const mine = await read({ actor: owner.id });
    expect(mine.items.every((e) => e.actor.id === owner.id)).toBe(true);
    const future = await read({ from: new Date(Date.now() + 3600_000).toISOString() });
    expect(future.items).toEqual([]);
    const past = await read({ to: new Date(Date.now() - 3600_000).toISOString() });
    expect(past.items).toEqual([]);

    const all = (await read()).items.map((e) => e.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: Entry[]; nextCursor: string | null } = await read(cursor ? { limit: 3, cursor } : { limit: 3 });
      seen.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
    expect([...all].sort().reverse()).toEqual(all); // newest first

    const bad = await gw.http.get('/v1/audit-log?action=auth.everything&from=yesterday').set(bearer(token, owner.orgId)).expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['action', 'from']);
  });

  it('P21: only owners and admins read it, and only their own org’s rows', async () => {
    const viewer = await registerUser(gw);
    await gw.http.post(`/v1/orgs/${owner.orgId}/invitations`).set(bearer(token)).send({ email: viewer.email, role: 'member' }).expect(201);
    const join = tokenOf(await lastLink(gw.orm, viewer.email, 'org.invitation', 'acceptUrl'));
    const viewerToken = (await signIn(gw, viewer.email, viewer.password)).accessToken;
    await gw.http.post('/v1/orgs/join').set(bearer(viewerToken)).send({ token: join }).expect(200);
    await gw.http.get('/v1/audit-log').set(bearer(viewerToken, owner.orgId)).expect(403);
    // In their own org (from sign-up) they are the owner: they see that org's rows, never this one's.
    const own = await gw.http.get('/v1/audit-log?limit=100').set(bearer(viewerToken, viewer.orgId)).expect(200);
    const ownerRows = new Set((await read()).items.map((e) => e.id));
    expect(own.body.items.some((e: Entry) => ownerRows.has(e.id))).toBe(false);
  });

  it('P21: no code path changes or removes an audit row, and the database refuses to', async () => {
    const conn = emForSystem(gw.orm).getConnection();
    await expect(conn.execute(`update "audit_log" set "ip" = null`)).rejects.toThrow(/append-only/);
    await expect(conn.execute(`delete from "audit_log"`)).rejects.toThrow(/append-only/);
  });
});
