import { ApiKey, emForSystem } from '@sessionpix/db';
import { gatewayService } from '@sessionpix/gateway';
import { startTestProcess } from '@sessionpix/testing';
import request from 'supertest';
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
import { auth, createOrg } from './helpers';

describe('API keys', () => {
  let gw: Gateway;
  let owner: TestUser;
  let token: string;

  beforeAll(async () => {
    gw = await startGateway('apikeys');
    owner = await registerUser(gw, { orgName: 'Keyed Studio' });
    token = (await signIn(gw, owner.email, owner.password)).accessToken;
  });

  afterAll(async () => {
    await gw?.close();
  });

  it('an admin creates a key (shown once); the list shows key id, label, role and last use only', async () => {
    const created = await gw.http.post('/v1/api-keys').set(bearer(token)).send({ label: 'uploader' }).expect(201);
    expect(created.body).toEqual({
      keyId: expect.stringMatching(/^[a-z0-9]{16}$/),
      label: 'uploader',
      role: 'member',
      lastUsedAt: null,
      apiKey: expect.stringMatching(/^spx_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/),
      createdAt: expect.any(String),
    });
    await gw.http.post('/v1/collections').set(auth({ apiKey: created.body.apiKey } as never)).send({ name: 'By key' }).expect(201);
    const listed = await gw.http.get('/v1/api-keys').set(bearer(token)).expect(200);
    const row = listed.body.items.find((k: { keyId: string }) => k.keyId === created.body.keyId);
    expect(Object.keys(row).sort()).toEqual(['keyId', 'label', 'lastUsedAt', 'role']);
    expect(row.lastUsedAt).toEqual(expect.any(String));
    // The secret (base64url, so it may itself hold "_") follows spx_ and the 16-character key id.
    expect(JSON.stringify(listed.body)).not.toContain(created.body.apiKey.slice('spx_'.length + 17));
  });

  it('keys are role-scoped: a viewer key reads but cannot write, and cannot manage keys', async () => {
    const viewer = await gw.http.post('/v1/api-keys').set(bearer(token)).send({ label: 'dashboard', role: 'viewer' }).expect(201);
    const key = { authorization: `Bearer ${viewer.body.apiKey}` };
    await gw.http.get('/v1/collections').set(key).expect(200);
    await gw.http.post('/v1/collections').set(key).send({ name: 'nope' }).expect(403);
    await gw.http.get('/v1/api-keys').set(key).expect(403);
    await gw.http.get('/v1/audit-log').set(key).expect(403);
  });

  it('an admin key manages keys; owner is never a key role; a member cannot manage keys', async () => {
    const admin = await gw.http.post('/v1/api-keys').set(bearer(token)).send({ label: 'ops', role: 'admin' }).expect(201);
    const key = { authorization: `Bearer ${admin.body.apiKey}` };
    const minted = await gw.http.post('/v1/api-keys').set(key).send({ label: 'child', role: 'member' }).expect(201);
    expect(minted.body.role).toBe('member');
    const ownerKey = await gw.http.post('/v1/api-keys').set(bearer(token)).send({ label: 'x', role: 'owner' }).expect(400);
    expect(ownerKey.body.errors).toEqual([expect.objectContaining({ field: 'role' })]);
    // A user who is a member here cannot create, list or revoke this org's keys.
    const plain = await registerUser(gw);
    await gw.http.post(`/v1/orgs/${owner.orgId}/invitations`).set(bearer(token)).send({ email: plain.email, role: 'member' }).expect(201);
    const join = tokenOf(await lastLink(gw.orm, plain.email, 'org.invitation', 'acceptUrl'));
    const plainToken = (await signIn(gw, plain.email, plain.password)).accessToken;
    await gw.http.post('/v1/orgs/join').set(bearer(plainToken)).send({ token: join }).expect(200);
    await gw.http.post('/v1/api-keys').set(bearer(plainToken, owner.orgId)).send({ label: 'mine' }).expect(403);
    await gw.http.get('/v1/api-keys').set(bearer(plainToken, owner.orgId)).expect(403);
    await gw.http.delete(`/v1/api-keys/${minted.body.keyId}`).set(bearer(plainToken, owner.orgId)).expect(403);
  });

  it('revoking a key stops it at once; another org’s key id is a 404', async () => {
    const created = await gw.http.post('/v1/api-keys').set(bearer(token)).send({ label: 'temp' }).expect(201);
    const key = { authorization: `Bearer ${created.body.apiKey}` };
    await gw.http.get('/v1/collections').set(key).expect(200);
    await gw.http.delete(`/v1/api-keys/${created.body.keyId}`).set(bearer(token)).expect(204);
    await gw.http.get('/v1/collections').set(key).expect(401);
    await gw.http.delete(`/v1/api-keys/${created.body.keyId}`).set(bearer(token)).expect(404);
    const listed = await gw.http.get('/v1/api-keys').set(bearer(token)).expect(200);
    expect(listed.body.items.map((k: { keyId: string }) => k.keyId)).not.toContain(created.body.keyId);

    const other = await createOrg(gw.orm, 'Elsewhere', gw.config.apiKeyPepper);
    await gw.http.delete(`/v1/api-keys/${other.keyId}`).set(bearer(token)).expect(404);
    expect((await emForSystem(gw.orm).findOneOrFail(ApiKey, { keyId: other.keyId }, { filters: { tenant: false } })).revokedAt).toBeNull();
  });

  it('a key is bound to its org: naming another org is a 404; keys cannot use user-only routes', async () => {
    const created = await gw.http.post('/v1/api-keys').set(bearer(token)).send({ label: 'bound', role: 'admin' }).expect(201);
    const key = { authorization: `Bearer ${created.body.apiKey}` };
    const other = await createOrg(gw.orm, 'Other Org', gw.config.apiKeyPepper);
    await gw.http.get('/v1/collections').set({ ...key, 'x-org-id': other.orgId }).expect(404);
    await gw.http.get(`/v1/orgs/${other.orgId}`).set(key).expect(404);
    await gw.http.get(`/v1/orgs/${owner.orgId}`).set(key).expect(200);
    const me = await gw.http.get('/v1/me').set(key).expect(403);
    expect(me.body.code).toBe('user_required');
    await gw.http.post('/v1/orgs').set({ ...key, 'x-forwarded-for': testIp() }).send({ name: 'x' }).expect(403);
  });

  it('a bad body is a 400 naming the field', async () => {
    const res = await gw.http.post('/v1/api-keys').set(bearer(token)).send({ label: '', role: 'root' }).expect(400);
    expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['label', 'role']);
  });

  it('a key revoked on one gateway stops working on the next request to another that had it cached', async () => {
    // A second replica: same database, same Redis namespace.
    const replica = await startTestProcess(gw.config, [gatewayService]);
    try {
      const created = await gw.http.post('/v1/api-keys').set(bearer(token)).send({ label: 'replicated' }).expect(201);
      const key = { authorization: `Bearer ${created.body.apiKey}` };
      const other = request(replica.httpUrl!);
      await other.get('/v1/collections').set(key).expect(200);
      await other.get('/v1/collections').set(key).expect(200); // answered from its cache
      await gw.http.delete(`/v1/api-keys/${created.body.keyId}`).set(bearer(token)).expect(204);
      await other.get('/v1/collections').set(key).expect(401);
      await gw.http.get('/v1/collections').set(key).expect(401);
    } finally {
      await replica.close();
    }
  });

  it('closing an org stops its keys on every gateway at once', async () => {
    const replica = await startTestProcess(gw.config, [gatewayService]);
    try {
      const closer = await registerUser(gw, { orgName: 'Closing Rooms' });
      const closerToken = (await signIn(gw, closer.email, closer.password)).accessToken;
      const created = await gw.http.post('/v1/api-keys').set(bearer(closerToken)).send({ label: 'soon gone' }).expect(201);
      const key = { authorization: `Bearer ${created.body.apiKey}` };
      const other = request(replica.httpUrl!);
      await other.get('/v1/collections').set(key).expect(200);
      const orgId = (await gw.http.get('/v1/orgs').set(bearer(closerToken)).expect(200)).body.items[0].id as string;
      await gw.http.delete(`/v1/orgs/${orgId}`).set(bearer(closerToken)).expect((res) => expect(res.status).toBeLessThan(300));
      await other.get('/v1/collections').set(key).expect(401);
    } finally {
      await replica.close();
    }
  });
});
