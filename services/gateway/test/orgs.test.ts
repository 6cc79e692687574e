import { emForSystem, Invitation, Membership } from '@sessionpix/db';
import {
  bearer,
  type Gateway,
  lastLink,
  outbox,
  registerUser,
  signIn,
  startGateway,
  type TestUser,
  tokenOf,
  uniqueEmail,
} from './accounts-support';

describe('organizations, roles and invitations', () => {
  let gw: Gateway;
  let owner: TestUser;
  let ownerToken: string;

  /** Invites `email` into the owner's org with `role`, and returns the token from the e-mail. */
  async function invite(email: string, role: string, by = ownerToken, orgId = owner.orgId): Promise<{ id: string; token: string }> {
    const res = await gw.http.post(`/v1/orgs/${orgId}/invitations`).set(bearer(by)).send({ email, role }).expect(201);
    return { id: res.body.id, token: tokenOf(await lastLink(gw.orm, email, 'org.invitation', 'acceptUrl')) };
  }

  /** A new user (who owns the org sign-up made them) who joins the owner's org with `role`. */
  async function member(role: string): Promise<TestUser & { token: string }> {
    const user = await registerUser(gw);
    const { token } = await invite(user.email, role);
    const session = await signIn(gw, user.email, user.password);
    await gw.http.post('/v1/orgs/join').set(bearer(session.accessToken)).send({ token }).expect(200);
    return { ...user, token: session.accessToken };
  }

  beforeAll(async () => {
    gw = await startGateway('orgs');
    owner = await registerUser(gw, { orgName: 'Abbey Lane Studio' });
    ownerToken = (await signIn(gw, owner.email, owner.password)).accessToken;
  });

  afterAll(async () => {
    await gw?.close();
  });

  describe('invitations', () => {
    it('P7: an admin invites by e-mail (outbox); the invitee accepts with the token and gets the role', async () => {
      const invitee = await registerUser(gw, { name: 'Grace' });
      const sent = await gw.http
        .post(`/v1/orgs/${owner.orgId}/invitations`)
        .set(bearer(ownerToken))
        .send({ email: invitee.email.toUpperCase(), role: 'admin' })
        .expect(201);
      expect(sent.body).toMatchObject({ email: invitee.email, role: 'admin', status: 'pending' });
      expect(JSON.stringify(sent.body)).not.toMatch(/token/i);
      const mails = await outbox(gw.orm, invitee.email, 'org.invitation');
      expect(mails).toHaveLength(1);
      expect(mails[0].data).toMatchObject({ orgName: 'Abbey Lane Studio', inviterName: 'Ada Lovelace', role: 'admin' });
      const token = tokenOf(mails[0].data.acceptUrl);
      const session = await signIn(gw, invitee.email, invitee.password);
      const joined = await gw.http.post('/v1/orgs/join').set(bearer(session.accessToken)).send({ token }).expect(200);
      expect(joined.body).toEqual({ org: { id: owner.orgId, name: 'Abbey Lane Studio' }, role: 'admin' });
      // The token is single use.
      const again = await gw.http.post('/v1/orgs/join').set(bearer(session.accessToken)).send({ token }).expect(401);
      expect(again.body.detail).toMatch(/already used/);
      const members = await gw.http.get(`/v1/orgs/${owner.orgId}/members`).set(bearer(ownerToken)).expect(200);
      expect(members.body.items.map((m: { email: string; role: string }) => [m.email, m.role]).sort()).toEqual(
        [
          [owner.email, 'owner'],
          [invitee.email, 'admin'],
        ].sort(),
      );
    });

    it('an expired invitation is a 401', async () => {
      const invitee = await registerUser(gw);
      const { id, token } = await invite(invitee.email, 'member');
      await emForSystem(gw.orm).nativeUpdate(Invitation, { id }, { expiresAt: new Date(Date.now() - 1000) }, { filters: { tenant: false } });
      const session = await signIn(gw, invitee.email, invitee.password);
      const res = await gw.http.post('/v1/orgs/join').set(bearer(session.accessToken)).send({ token }).expect(401);
      expect(res.body).toMatchObject({ code: 'invalid_token', detail: expect.stringMatching(/expired/) });
      const listed = await gw.http.get(`/v1/orgs/${owner.orgId}/invitations`).set(bearer(ownerToken)).expect(200);
      expect(listed.body.items.find((i: { id: string }) => i.id === id).status).toBe('expired');
      expect(await emForSystem(gw.orm).count(Membership, { user: invitee.id, org: owner.orgId }, { filters: { tenant: false } })).toBe(0);
    });

    it('a withdrawn invitation is a 401; one for another address is a 403', async () => {
      const invitee = await registerUser(gw);
      const { id, token } = await invite(invitee.email, 'member');
      const stranger = await registerUser(gw);
      const strangerSession = await signIn(gw, stranger.email, stranger.password);
      const wrongPerson = await gw.http.post('/v1/orgs/join').set(bearer(strangerSession.accessToken)).send({ token }).expect(403);
      expect(wrongPerson.body.code).toBe('invitation_for_another_address');
      await gw.http.delete(`/v1/orgs/${owner.orgId}/invitations/${id}`).set(bearer(ownerToken)).expect(204);
      const session = await signIn(gw, invitee.email, invitee.password);
      await gw.http.post('/v1/orgs/join').set(bearer(session.accessToken)).send({ token }).expect(401);
    });

    it('an admin cannot invite an owner; an owner can', async () => {
      const admin = await member('admin');
      const res = await gw.http
        .post(`/v1/orgs/${owner.orgId}/invitations`)
        .set(bearer(admin.token))
        .send({ email: uniqueEmail(), role: 'owner' })
        .expect(403);
      expect(res.body.detail).toMatch(/only an owner/);
      await invite(uniqueEmail(), 'owner');
    });

    it('a member cannot invite at all (403), and a bad body is a 400 naming the field', async () => {
      const plain = await member('member');
      await gw.http.post(`/v1/orgs/${owner.orgId}/invitations`).set(bearer(plain.token)).send({ email: uniqueEmail() }).expect(403);
      const bad = await gw.http
        .post(`/v1/orgs/${owner.orgId}/invitations`)
        .set(bearer(ownerToken))
        .send({ email: 'nope', role: 'emperor' })
        .expect(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['email', 'role']);
    });
  });

  describe('roles', () => {
    it('viewers read; members upload and edit; a member cannot manage others', async () => {
      const viewer = await member('viewer');
      const plain = await member('member');
      await gw.http.get('/v1/collections').set(bearer(viewer.token, owner.orgId)).expect(200);
      const refused = await gw.http.post('/v1/collections').set(bearer(viewer.token, owner.orgId)).send({ name: 'x' }).expect(403);
      expect(refused.body).toMatchObject({ code: 'forbidden', detail: expect.stringMatching(/member role/) });
      const created = await gw.http.post('/v1/collections').set(bearer(plain.token, owner.orgId)).send({ name: 'Mix' }).expect(201);
      await gw.http.get(`/v1/collections/${created.body.id}`).set(bearer(viewer.token, owner.orgId)).expect(200);
      await gw.http.delete(`/v1/collections/${created.body.id}`).set(bearer(viewer.token, owner.orgId)).expect(403);
      await gw.http.patch(`/v1/orgs/${owner.orgId}/members/${viewer.id}`).set(bearer(plain.token, owner.orgId)).send({ role: 'admin' }).expect(403);
      await gw.http.delete(`/v1/orgs/${owner.orgId}/members/${viewer.id}`).set(bearer(plain.token, owner.orgId)).expect(403);
    });

    it('admins change roles among admin, member and viewer; only owners touch the owner role', async () => {
      const admin = await member('admin');
      const target = await member('viewer');
      const changed = await gw.http
        .patch(`/v1/orgs/${owner.orgId}/members/${target.id}`)
        .set(bearer(admin.token))
        .send({ role: 'member' })
        .expect(200);
      expect(changed.body).toMatchObject({ userId: target.id, role: 'member' });
      await gw.http.patch(`/v1/orgs/${owner.orgId}/members/${target.id}`).set(bearer(admin.token)).send({ role: 'owner' }).expect(403);
      await gw.http.patch(`/v1/orgs/${owner.orgId}/members/${owner.id}`).set(bearer(admin.token)).send({ role: 'viewer' }).expect(403);
      await gw.http.patch(`/v1/orgs/${owner.orgId}/members/${target.id}`).set(bearer(ownerToken)).send({ role: 'owner' }).expect(200);
      // Back down: two owners now, so this is allowed.
      await gw.http.patch(`/v1/orgs/${owner.orgId}/members/${target.id}`).set(bearer(ownerToken)).send({ role: 'member' }).expect(200);
    });

    it('the last owner cannot be demoted, removed or leave; with a second owner they can', async () => {
      const solo = await registerUser(gw, { orgName: 'Solo Rooms' });
      const soloToken = (await signIn(gw, solo.email, solo.password)).accessToken;
      const demote = await gw.http
        .patch(`/v1/orgs/${solo.orgId}/members/${solo.id}`)
        .set(bearer(soloToken))
        .send({ role: 'admin' })
        .expect(409);
      expect(demote.body.code).toBe('last_owner');
      await gw.http.delete(`/v1/orgs/${solo.orgId}/members/${solo.id}`).set(bearer(soloToken)).expect(409);

      const second = await registerUser(gw);
      const res = await gw.http.post(`/v1/orgs/${solo.orgId}/invitations`).set(bearer(soloToken)).send({ email: second.email, role: 'owner' }).expect(201);
      expect(res.body.role).toBe('owner');
      const token = tokenOf(await lastLink(gw.orm, second.email, 'org.invitation', 'acceptUrl'));
      const secondToken = (await signIn(gw, second.email, second.password)).accessToken;
      await gw.http.post('/v1/orgs/join').set(bearer(secondToken)).send({ token }).expect(200);
      // Now the first owner may leave; the second is then the last.
      await gw.http.delete(`/v1/orgs/${solo.orgId}/members/${solo.id}`).set(bearer(soloToken)).expect(204);
      await gw.http.get(`/v1/orgs/${solo.orgId}`).set(bearer(soloToken)).expect(404);
      const last = await gw.http
        .patch(`/v1/orgs/${solo.orgId}/members/${second.id}`)
        .set(bearer(secondToken))
        .send({ role: 'viewer' })
        .expect(409);
      expect(last.body.code).toBe('last_owner');
    });

    it('anyone may leave; an admin removes others', async () => {
      const leaver = await member('viewer');
      await gw.http.delete(`/v1/orgs/${owner.orgId}/members/${leaver.id}`).set(bearer(leaver.token)).expect(204);
      const removed = await member('member');
      const admin = await member('admin');
      await gw.http.delete(`/v1/orgs/${owner.orgId}/members/${removed.id}`).set(bearer(admin.token)).expect(204);
      // Their own org (from sign-up) is all they have left.
      await gw.http.get('/v1/collections').set(bearer(removed.token, owner.orgId)).expect(404);
      await gw.http.get('/v1/collections').set(bearer(removed.token)).expect(200);
    });
  });

  describe('org selection', () => {
    it('a user in several orgs names one with X-Org-Id; without it the request is a 400 naming the header', async () => {
      const multi = await registerUser(gw, { orgName: 'First Rooms' });
      const token = (await signIn(gw, multi.email, multi.password)).accessToken;
      // With one org, it is the default.
      await gw.http.get('/v1/collections').set(bearer(token)).expect(200);
      const second = await gw.http.post('/v1/orgs').set(bearer(token)).send({ name: 'Second Rooms' }).expect(201);
      expect(second.body).toMatchObject({ name: 'Second Rooms', role: 'owner' });
      const ambiguous = await gw.http.get('/v1/collections').set(bearer(token)).expect(400);
      expect(ambiguous.body).toMatchObject({ code: 'organization_required', errors: [{ field: 'X-Org-Id', message: expect.any(String) }] });
      const made = await gw.http.post('/v1/collections').set(bearer(token, second.body.id)).send({ name: 'In second' }).expect(201);
      const inFirst = await gw.http.get('/v1/collections').set(bearer(token, multi.orgId)).expect(200);
      expect(inFirst.body.items).toEqual([]);
      // The first org cannot see the second org's collection: a 404, not a 403.
      await gw.http.get(`/v1/collections/${made.body.id}`).set(bearer(token, multi.orgId)).expect(404);
      await gw.http.get(`/v1/collections/${made.body.id}`).set(bearer(token, second.body.id)).expect(200);
      // An org the user is not in, or a malformed header.
      await gw.http.get('/v1/collections').set(bearer(token, owner.orgId)).expect(404);
      const malformed = await gw.http.get('/v1/collections').set(bearer(token, 'nope')).expect(400);
      expect(malformed.body.errors).toEqual([expect.objectContaining({ field: 'X-Org-Id' })]);
      const mine = await gw.http.get('/v1/orgs').set(bearer(token)).expect(200);
      expect(mine.body.items.map((o: { name: string }) => o.name).sort()).toEqual(['First Rooms', 'Second Rooms']);
    });
  });

  describe('deleting an organization', () => {
    it('only an owner may; it closes at once for its members and keys', async () => {
      const founder = await registerUser(gw, { orgName: 'Closing Down' });
      const token = (await signIn(gw, founder.email, founder.password)).accessToken;
      const key = await gw.http.post('/v1/api-keys').set(bearer(token)).send({ label: 'ci', role: 'admin' }).expect(201);
      const admin = await registerUser(gw);
      await gw.http.post(`/v1/orgs/${founder.orgId}/invitations`).set(bearer(token)).send({ email: admin.email, role: 'admin' }).expect(201);
      const adminToken = (await signIn(gw, admin.email, admin.password)).accessToken;
      const joinToken = tokenOf(await lastLink(gw.orm, admin.email, 'org.invitation', 'acceptUrl'));
      await gw.http.post('/v1/orgs/join').set(bearer(adminToken)).send({ token: joinToken }).expect(200);
      await gw.http.delete(`/v1/orgs/${founder.orgId}`).set(bearer(adminToken, founder.orgId)).expect(403);
      await gw.http.delete(`/v1/orgs/${founder.orgId}`).set(bearer(key.body.apiKey)).expect(403);
      const res = await gw.http.delete(`/v1/orgs/${founder.orgId}`).set(bearer(token)).expect(202);
      expect(res.body).toMatchObject({ id: founder.orgId, deletionRequestedAt: expect.any(String) });
      await gw.http.get('/v1/collections').set(bearer(key.body.apiKey)).expect(401);
      await gw.http.get(`/v1/orgs/${founder.orgId}`).set(bearer(token)).expect(404);
      const me = await gw.http.get('/v1/me').set(bearer(token)).expect(200);
      expect(me.body.memberships).toEqual([]);
    });
  });
});
