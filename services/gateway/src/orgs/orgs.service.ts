import { LockMode } from '@mikro-orm/core';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { type OrgRole, roleAtLeast } from '@sessionpix/contracts';
import {
  decodeCursor,
  emForOrg,
  emForSystem,
  type EntityManager,
  Invitation,
  Membership,
  MikroORM,
  Organization,
  OutboxWriter,
  type Page,
  recordAudit,
  toPage,
  User,
} from '@sessionpix/db';
import { OutboxDispatcher } from '@sessionpix/queue';
import { EmailLinks } from '../accounts/email-links';
import { normaliseEmail } from '../accounts/accounts.service';
import { newOpaqueToken, opaqueSecretMatches, parseOpaqueToken } from '../auth/secrets';
import type { Principal, TenantContext } from '../auth/tenant';
import { auditInOrg } from '../audit/audit-trail';
import { ProblemError } from '../http/problem';
import { ApiKeyCache } from '../auth/api-key-cache';

const INVITATION_TTL_MS = 7 * 24 * 3600 * 1000;

export interface OrgView {
  id: string;
  name: string;
  role: OrgRole;
  createdAt: string;
}

function orgView(org: Organization, role: OrgRole): OrgView {
  return { id: org.id, name: org.name, role, createdAt: org.createdAt.toISOString() };
}

function invitationView(i: Invitation, now = Date.now()) {
  const status = i.acceptedAt ? 'accepted' : i.revokedAt ? 'revoked' : i.expiresAt.getTime() <= now ? 'expired' : 'pending';
  return {
    id: i.id,
    email: i.email,
    role: i.role,
    status: status as 'pending' | 'accepted' | 'revoked' | 'expired',
    expiresAt: i.expiresAt.toISOString(),
    createdAt: i.createdAt.toISOString(),
  };
}

function lastOwner(): ProblemError {
  return new ProblemError(
    HttpStatus.CONFLICT,
    'last_owner',
    'an organization keeps at least one owner: make someone else owner first',
  );
}

function ownersOnly(what: string): ProblemError {
  return new ProblemError(HttpStatus.FORBIDDEN, 'forbidden', `only an owner can ${what}`);
}

function invalidInvitation(detail: string): ProblemError {
  return new ProblemError(HttpStatus.UNAUTHORIZED, 'invalid_token', detail, undefined, {
    'www-authenticate': 'Bearer realm="sessionpix", error="invalid_token"',
  });
}

/**
 * Organizations, memberships and invitations. Owners manage billing and delete the org; admins
 * invite and remove members and change roles (only owners touch the owner role); an org keeps
 * at least one owner, checked under a lock on its owners' rows.
 */
@Injectable()
export class OrgsService {
  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly outbox: OutboxWriter,
    private readonly links: EmailLinks,
    private readonly mail: OutboxDispatcher,
    private readonly keyCache: ApiKeyCache,
  ) {}

  async listMine(userId: string): Promise<{ items: OrgView[] }> {
    const memberships = await emForSystem(this.orm).find(
      Membership,
      { user: userId, org: { deletedAt: null } },
      { filters: { tenant: false }, populate: ['org'], orderBy: { id: 'asc' } },
    );
    return { items: memberships.map((m) => orgView(m.org.getEntity(), m.role)) };
  }

  async create(user: Principal, name: string): Promise<OrgView> {
    return emForSystem(this.orm).transactional(async (tx) => {
      const org = tx.create(Organization, { name });
      tx.create(Membership, { org, user: user.userId, role: 'owner' });
      recordAudit(tx, {
        orgId: org.id,
        actorType: 'user',
        actorId: user.userId,
        action: 'org.created',
        targetType: 'organization',
        targetId: org.id,
        ip: user.meta.ip,
        userAgent: user.meta.userAgent,
      });
      return orgView(org, 'owner');
    });
  }

  private async loadOrg(t: TenantContext): Promise<Organization> {
    const org = await t.em.findOne(Organization, { id: t.orgId });
    if (!org) throw ProblemError.notFound('the organization');
    return org;
  }

  async get(t: TenantContext): Promise<OrgView> {
    return orgView(await this.loadOrg(t), t.role);
  }

  async rename(t: TenantContext, name: string): Promise<OrgView> {
    return t.em.transactional(async (tx) => {
      const org = await tx.findOneOrFail(Organization, { id: t.orgId });
      const before = org.name;
      org.name = name;
      auditInOrg(tx, t, 'org.renamed', { type: 'organization', id: org.id }, { from: before, to: name });
      return orgView(org, t.role);
    });
  }

  /**
   * Owners only. The org leaves every read at once (its keys and memberships stop working);
   * the account purge removes it after the policy's 30 days (P14).
   */
  async requestDeletion(t: TenantContext) {
    const now = new Date();
    await t.em.transactional(async (tx) => {
      const org = await tx.findOneOrFail(Organization, { id: t.orgId });
      org.deletedAt = now;
      auditInOrg(tx, t, 'org.deletion_requested', { type: 'organization', id: org.id });
    });
    // Its API keys stop working on every gateway at once.
    await this.keyCache.announceRevocation();
    return {
      id: t.orgId,
      deletionRequestedAt: now.toISOString(),
      detail: 'the organization is closed now; its data is deleted within 30 days',
    };
  }

  async members(t: TenantContext, limit: number, cursor?: string): Promise<Page<ReturnType<typeof memberView>>> {
    const before = cursor ? decodeCursor(cursor) : undefined;
    const rows = await t.em.find(Membership, before ? { id: { $lt: before } } : {}, {
      populate: ['user'],
      orderBy: { id: 'desc' },
      limit: limit + 1,
    });
    const page = toPage(rows, limit);
    return { items: page.items.map(memberView), nextCursor: page.nextCursor };
  }

  private async loadMember(tx: EntityManager, userId: string): Promise<Membership> {
    const membership = await tx.findOne(Membership, { user: userId }, { populate: ['user'] });
    if (!membership) throw ProblemError.notFound('the member');
    return membership;
  }

  /** Locks the org's owner rows, then refuses when `target` is the only one left. */
  private async assertNotLastOwner(tx: EntityManager, target: Membership): Promise<void> {
    if (target.role !== 'owner') return;
    const owners = await tx.find(Membership, { role: 'owner' }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    if (!owners.some((o) => o.id !== target.id)) throw lastOwner();
  }

  async changeRole(t: TenantContext, userId: string, role: OrgRole) {
    return t.em.transactional(async (tx) => {
      const membership = await this.loadMember(tx, userId);
      if ((membership.role === 'owner' || role === 'owner') && t.role !== 'owner') {
        throw ownersOnly('grant or take away the owner role');
      }
      if (membership.role === role) return memberView(membership);
      if (role !== 'owner') await this.assertNotLastOwner(tx, membership);
      const from = membership.role;
      membership.role = role;
      auditInOrg(tx, t, 'member.role_changed', { type: 'user', id: userId }, { from, to: role });
      return memberView(membership);
    });
  }

  /** Admins remove others; anyone may leave (the last owner may not). */
  async removeMember(t: TenantContext, userId: string): Promise<void> {
    const leaving = t.userId === userId;
    if (!leaving && !roleAtLeast(t.role, 'admin')) {
      throw new ProblemError(HttpStatus.FORBIDDEN, 'forbidden', 'removing another member needs the admin role (or higher)');
    }
    await t.em.transactional(async (tx) => {
      const membership = await this.loadMember(tx, userId);
      if (membership.role === 'owner' && !leaving && t.role !== 'owner') throw ownersOnly('remove an owner');
      await this.assertNotLastOwner(tx, membership);
      tx.remove(membership);
      auditInOrg(tx, t, 'member.removed', { type: 'user', id: userId }, { role: membership.role, left: leaving });
    });
  }

  async invite(t: TenantContext, rawEmail: string, role: OrgRole) {
    if (role === 'owner' && t.role !== 'owner') throw ownersOnly('invite an owner');
    const email = normaliseEmail(rawEmail);
    const now = new Date();
    const mail: (string | null)[] = [];
    const view = await t.em.transactional(async (tx) => {
      const org = await tx.findOneOrFail(Organization, { id: t.orgId });
      const member = await tx.count(Membership, { user: { email } });
      if (member > 0) {
        throw new ProblemError(HttpStatus.CONFLICT, 'already_member', 'that address already belongs to a member', [
          { field: 'email', message: 'already a member' },
        ]);
      }
      // A new invitation replaces any pending one for the same address.
      await tx.nativeUpdate(Invitation, { email, acceptedAt: null, revokedAt: null }, { revokedAt: now });
      const token = newOpaqueToken();
      const invitation = tx.create(Invitation, {
        id: token.id,
        org: t.orgId,
        email,
        role,
        secretHash: token.secretHash,
        expiresAt: new Date(now.getTime() + INVITATION_TTL_MS),
        invitedBy: t.userId,
      });
      const inviter = t.userId ? await tx.findOne(User, { id: t.userId }) : null;
      const queued = await this.outbox.queueEmail(tx, {
        templateId: 'org.invitation',
        to: email,
        data: {
          orgName: org.name,
          inviterName: inviter?.name ?? `An administrator of ${org.name}`.slice(0, 200),
          role,
          acceptUrl: this.links.join(token.token),
          expiresAt: invitation.expiresAt.toISOString(),
        },
        dedupeKey: `org.invitation:${invitation.id}`,
      });
      mail.push(queued.id);
      auditInOrg(tx, t, 'invitation.created', { type: 'invitation', id: invitation.id }, { role });
      return invitationView(invitation);
    });
    await this.mail.dispatch(mail);
    return view;
  }

  async invitations(t: TenantContext, limit: number, cursor?: string) {
    const before = cursor ? decodeCursor(cursor) : undefined;
    const rows = await t.em.find(Invitation, before ? { id: { $lt: before } } : {}, {
      orderBy: { id: 'desc' },
      limit: limit + 1,
    });
    const page = toPage(rows, limit);
    return { items: page.items.map((i) => invitationView(i)), nextCursor: page.nextCursor };
  }

  async revokeInvitation(t: TenantContext, id: string): Promise<void> {
    await t.em.transactional(async (tx) => {
      const invitation = await tx.findOne(Invitation, { id });
      if (!invitation) throw ProblemError.notFound('the invitation');
      if (invitation.acceptedAt) {
        throw new ProblemError(HttpStatus.CONFLICT, 'already_accepted', 'the invitation was accepted; remove the member instead');
      }
      if (invitation.revokedAt) return;
      invitation.revokedAt = new Date();
      auditInOrg(tx, t, 'invitation.revoked', { type: 'invitation', id });
    });
  }

  /** Accepts an invitation by its token, for the signed-in user it was sent to. */
  async join(user: Principal, raw: string) {
    const parsed = parseOpaqueToken(raw);
    if (!parsed) throw invalidInvitation('the invitation link is not valid');
    const now = new Date();
    const found = await emForSystem(this.orm).findOne(Invitation, { id: parsed.id }, { filters: { tenant: false } });
    if (!found || !opaqueSecretMatches(parsed.secret, found.secretHash)) throw invalidInvitation('the invitation link is not valid');
    const orgId = found.org.id;
    return emForOrg(this.orm, orgId).transactional(async (tx) => {
      const invitation = await tx.findOneOrFail(Invitation, { id: found.id });
      const org = await tx.findOne(Organization, { id: orgId });
      if (!org || invitation.revokedAt) throw invalidInvitation('the invitation was withdrawn');
      if (invitation.acceptedAt) throw invalidInvitation('the invitation was already used');
      if (invitation.expiresAt <= now) throw invalidInvitation('the invitation has expired; ask for a new one');
      const account = await tx.findOneOrFail(User, { id: user.userId });
      if (account.email !== invitation.email) {
        throw new ProblemError(
          HttpStatus.FORBIDDEN,
          'invitation_for_another_address',
          'this invitation was sent to another e-mail address: sign in with that one',
        );
      }
      const claimed = await tx.nativeUpdate(
        Invitation,
        { id: invitation.id, acceptedAt: null },
        { acceptedAt: now, acceptedBy: user.userId },
      );
      if (claimed === 0) throw invalidInvitation('the invitation was already used');
      // Following the link proves the address.
      account.emailVerifiedAt ??= now;
      let membership = await tx.findOne(Membership, { user: user.userId });
      if (!membership) membership = tx.create(Membership, { org: orgId, user: user.userId, role: invitation.role });
      recordAudit(tx, {
        orgId,
        actorType: 'user',
        actorId: user.userId,
        action: 'invitation.accepted',
        targetType: 'invitation',
        targetId: invitation.id,
        ip: user.meta.ip,
        userAgent: user.meta.userAgent,
        details: { role: membership.role },
      });
      return { org: { id: org.id, name: org.name }, role: membership.role };
    });
  }
}

function memberView(m: Membership) {
  const user = m.user.getEntity();
  return { userId: user.id, name: user.name, email: user.email, role: m.role, joinedAt: m.createdAt.toISOString() };
}
