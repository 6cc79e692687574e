import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import {
  emForSystem,
  type EntityManager,
  Membership,
  MikroORM,
  Organization,
  OutboxWriter,
  recordAudit,
  User,
  uuidv7,
  UserToken,
  type UserTokenPurpose,
} from '@sessionpix/db';
import { OutboxDispatcher } from '@sessionpix/queue';
import { IdentityProvider } from '../auth/identity/identity-provider';
import { PasswordHasher } from '../auth/passwords';
import { RateLimiter } from '../auth/rate-limiter';
import { newOpaqueToken, opaqueSecretMatches, parseOpaqueToken, sha256Hex } from '../auth/secrets';
import type { Principal, RequestMeta } from '../auth/tenant';
import { deviceLabel, parseUserAgent } from '../auth/user-agent';
import { auditForUser } from '../audit/audit-trail';
import { ProblemError } from '../http/problem';
import { EmailLinks } from './email-links';
import { Sessions, type SessionTokens } from './sessions.service';

const HOUR = 3600 * 1000;
/** P7 links are short-lived and single use. */
const CONFIRM_EMAIL_TTL_MS = 24 * HOUR;
const PASSWORD_RESET_TTL_MS = 1 * HOUR;
/** An unconfirmed user who tries to sign in gets a fresh link at most this often. */
const CONFIRMATION_RESEND_MS = 10 * 60 * 1000;

export interface MeView {
  id: string;
  email: string;
  name: string;
  emailVerified: boolean;
  identityProvider: 'builtin' | 'cognito';
  createdAt: string;
  memberships: { orgId: string; orgName: string; role: Membership['role'] }[];
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Wrong password, unknown e-mail and unconfirmed address: one answer, one amount of work. */
function invalidCredentials(): ProblemError {
  return new ProblemError(
    HttpStatus.UNAUTHORIZED,
    'invalid_credentials',
    'the e-mail address or password is wrong, or the address is not confirmed yet (check your inbox for the confirmation link)',
    undefined,
    { 'www-authenticate': 'Bearer realm="sessionpix"' },
  );
}

function invalidToken(detail: string): ProblemError {
  return new ProblemError(HttpStatus.UNAUTHORIZED, 'invalid_token', detail, undefined, {
    'www-authenticate': 'Bearer realm="sessionpix", error="invalid_token"',
  });
}

/**
 * Built-in accounts: sign-up (a user, their first org, owner), e-mail confirmation, sign-in and
 * sign-out, password reset and change, and the profile (P15). With Cognito these flows are
 * Cognito's own; only the profile routes remain.
 */
@Injectable()
export class AccountsService {
  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly identity: IdentityProvider,
    private readonly hasher: PasswordHasher,
    private readonly sessions: Sessions,
    private readonly limiter: RateLimiter,
    private readonly outbox: OutboxWriter,
    private readonly links: EmailLinks,
    private readonly mail: OutboxDispatcher,
  ) {}

  private requireBuiltin(): void {
    if (this.identity.kind !== 'builtin') {
      throw new ProblemError(
        HttpStatus.NOT_FOUND,
        'managed_by_cognito',
        'accounts are managed by Cognito in this installation: sign up, sign in and reset passwords there',
      );
    }
  }

  /**
   * Always the same answer, so sign-up does not tell whether an address has an account: a new
   * one gets a confirmation link, an existing one a note that it already has an account.
   */
  async signUp(
    body: { email: string; password: string; name: string; orgName: string },
    meta: RequestMeta,
  ): Promise<void> {
    this.requireBuiltin();
    const email = normaliseEmail(body.email);
    await this.limiter.consume('sign-up', 'ip', meta.ip);
    await this.limiter.consume('sign-up', 'account', email);
    // Hashed either way, so both answers cost the same.
    const passwordHash = await this.hasher.hash(body.password);
    const now = new Date();
    const mail: (string | null)[] = [];
    try {
      await emForSystem(this.orm).transactional(async (tx) => {
        const existing = await tx.findOne(User, { email }, { filters: { notDeleted: false } });
        if (existing) {
          if (existing.deletedAt) return;
          const queued = await this.outbox.queueEmail(tx, {
            templateId: 'account.sign_up_existing',
            to: existing.email,
            data: { name: existing.name, signInUrl: this.links.signIn(), resetUrl: this.links.resetPassword() },
            // At most one such note a day, however often someone tries.
            dedupeKey: `account.sign_up_existing:${existing.id}:${now.toISOString().slice(0, 10)}`,
          });
          mail.push(queued.id);
          return;
        }
        const user = tx.create(User, { email, name: body.name, passwordHash, passwordChangedAt: now });
        const org = tx.create(Organization, { name: body.orgName });
        tx.create(Membership, { org, user, role: 'owner' });
        mail.push(await this.queueConfirmation(tx, user, now));
        recordAudit(tx, {
          orgId: org.id,
          actorType: 'user',
          actorId: user.id,
          action: 'auth.sign_up',
          targetType: 'user',
          targetId: user.id,
          ip: meta.ip,
          userAgent: meta.userAgent,
        });
      });
    } catch (err) {
      // Two sign-ups for one address at once: the other one made the account.
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
    }
    await this.mail.dispatch(mail);
  }

  /**
   * A confirmation link for the user's current address, in the caller's transaction; returns
   * the outbox row's id, for the caller to dispatch after its commit.
   */
  private async queueConfirmation(tx: EntityManager, user: User, now: Date): Promise<string | null> {
    const token = newOpaqueToken();
    const expiresAt = new Date(now.getTime() + CONFIRM_EMAIL_TTL_MS);
    tx.create(UserToken, {
      id: token.id,
      user,
      purpose: 'confirm_email',
      email: user.email,
      secretHash: token.secretHash,
      expiresAt,
    });
    const queued = await this.outbox.queueEmail(tx, {
      templateId: 'account.confirm_email',
      to: user.email,
      data: { name: user.name, confirmUrl: this.links.confirmEmail(token.token), expiresAt: expiresAt.toISOString() },
      dedupeKey: `account.confirm_email:${token.id}`,
    });
    return queued.id;
  }

  /**
   * Spends a single-use e-mail token: found by id, its secret compared in constant time, and
   * claimed with a conditional update so two uses at once cannot both pass.
   */
  private async spendToken(tx: EntityManager, raw: string, purpose: UserTokenPurpose, now: Date): Promise<UserToken> {
    const parsed = parseOpaqueToken(raw);
    const what = purpose === 'confirm_email' ? 'confirmation link' : 'password reset link';
    if (!parsed) throw invalidToken(`the ${what} is not valid`);
    const row = await tx.findOne(UserToken, { id: parsed.id, purpose }, { populate: ['user'] });
    if (!row || !opaqueSecretMatches(parsed.secret, row.secretHash)) throw invalidToken(`the ${what} is not valid`);
    if (row.usedAt) throw invalidToken(`the ${what} was already used`);
    if (row.expiresAt <= now) throw invalidToken(`the ${what} has expired; ask for a new one`);
    const claimed = await tx.nativeUpdate(UserToken, { id: row.id, usedAt: null }, { usedAt: now });
    if (claimed === 0) throw invalidToken(`the ${what} was already used`);
    return row;
  }

  async confirmEmail(raw: string, meta: RequestMeta): Promise<void> {
    this.requireBuiltin();
    await this.limiter.consume('confirm-email', 'ip', meta.ip);
    const now = new Date();
    await emForSystem(this.orm).transactional(async (tx) => {
      const row = await this.spendToken(tx, raw, 'confirm_email', now);
      const user = row.user.getEntity();
      // A link for an address the user has since changed confirms nothing.
      if (user.email !== row.email) throw invalidToken('the confirmation link is for an address you no longer use');
      user.emailVerifiedAt ??= now;
    });
  }

  async signIn(
    body: { email: string; password: string },
    meta: RequestMeta,
  ): Promise<{ me: MeView; tokens: SessionTokens }> {
    this.requireBuiltin();
    const email = normaliseEmail(body.email);
    await this.limiter.consume('sign-in', 'ip', meta.ip);
    // Keyed by the address as typed, so a lock-out looks the same for unknown addresses.
    await this.limiter.assertUnder('sign-in', 'account', email);
    const user = await emForSystem(this.orm).findOne(User, { email });
    const passwordOk = user?.passwordHash
      ? await this.hasher.verify(user.passwordHash, body.password)
      : await this.hasher.verifyDummy(body.password);
    const now = new Date();
    if (!user || !passwordOk || !user.emailVerifiedAt) {
      await this.limiter.hit('sign-in', 'account', email);
      const mail: (string | null)[] = [];
      await emForSystem(this.orm).transactional(async (tx) => {
        if (!user) {
          recordAudit(tx, {
            orgId: null,
            actorType: 'anonymous',
            action: 'auth.sign_in_failed',
            ip: meta.ip,
            userAgent: meta.userAgent,
            details: { reason: 'unknown_email' },
          });
          return;
        }
        const reason = passwordOk ? 'email_not_confirmed' : 'wrong_password';
        await auditForUser(tx, user.id, 'auth.sign_in_failed', meta, { reason });
        if (passwordOk) mail.push(await this.resendConfirmation(tx, user, now));
      });
      await this.mail.dispatch(mail);
      throw invalidCredentials();
    }
    await this.limiter.clear('sign-in', 'account', email);
    const mail: (string | null)[] = [];
    const tokens = await emForSystem(this.orm).transactional(async (tx) => {
      const fresh = await tx.findOneOrFail(User, { id: user.id });
      fresh.lastSignInAt = now;
      const issued = await this.sessions.start(tx, fresh, meta, now);
      mail.push(await this.noteDevice(tx, fresh, meta, now));
      await auditForUser(tx, fresh.id, 'auth.sign_in', meta, { sessionId: issued.sessionId });
      return issued;
    });
    await this.mail.dispatch(mail);
    return { me: await this.me(user.id), tokens };
  }

  private async resendConfirmation(tx: EntityManager, user: User, now: Date): Promise<string | null> {
    const recent = await tx.count(UserToken, {
      user: user.id,
      purpose: 'confirm_email',
      usedAt: null,
      createdAt: { $gt: new Date(now.getTime() - CONFIRMATION_RESEND_MS) },
    });
    return recent === 0 ? this.queueConfirmation(tx, user, now) : null;
  }

  /** P7: the first sign-in from a device family the user has not used before raises an alert. */
  private async noteDevice(tx: EntityManager, user: User, meta: RequestMeta, now: Date): Promise<string | null> {
    const info = parseUserAgent(meta.userAgent);
    const label = deviceLabel(info);
    const fingerprint = sha256Hex(`${info.deviceType}|${info.os}|${info.browser}`);
    const rows = await tx.execute<{ id: string; inserted: boolean }[]>(
      `insert into "user_device" ("id", "created_at", "updated_at", "user_id", "fingerprint", "label", "last_seen_at")
       values (?, ?, ?, ?, ?, ?, ?)
       on conflict ("user_id", "fingerprint") do update set "last_seen_at" = excluded."last_seen_at", "updated_at" = excluded."updated_at"
       returning "id", (xmax = 0) as "inserted"`,
      [uuidv7(), now, now, user.id, fingerprint, label, now],
      'all',
    );
    const device = rows[0];
    if (!device?.inserted) return null;
    const [{ others }] = await tx.execute<{ others: number }[]>(
      `select count(*)::int as "others" from "user_device" where "user_id" = ? and "id" <> ?`,
      [user.id, device.id],
      'all',
    );
    if (others === 0) return null; // the very first sign-in is not news
    const queued = await this.outbox.queueEmail(tx, {
      templateId: 'security.new_sign_in',
      to: user.email,
      data: { name: user.name, device: label, ip: meta.ip.slice(0, 64), at: now.toISOString() },
      dedupeKey: `security.new_sign_in:${device.id}`,
    });
    return queued.id;
  }

  async refresh(raw: string, meta: RequestMeta): Promise<SessionTokens> {
    this.requireBuiltin();
    await this.limiter.consume('refresh', 'ip', meta.ip);
    const { tokens } = await this.sessions.rotate(raw, meta, (sessionId) =>
      this.limiter.consume('refresh', 'account', sessionId),
    );
    return tokens;
  }

  async signOut(sessionId: string | null): Promise<void> {
    if (sessionId) await this.sessions.revoke(sessionId, 'sign_out');
  }

  /** Always 202: whether the address has an account is not for the caller to learn. */
  async requestPasswordReset(rawEmail: string, meta: RequestMeta): Promise<void> {
    this.requireBuiltin();
    const email = normaliseEmail(rawEmail);
    await this.limiter.consume('password-reset', 'ip', meta.ip);
    await this.limiter.consume('password-reset', 'account', email);
    const now = new Date();
    const mail: (string | null)[] = [];
    await emForSystem(this.orm).transactional(async (tx) => {
      const user = await tx.findOne(User, { email });
      if (!user) return;
      const token = newOpaqueToken();
      const expiresAt = new Date(now.getTime() + PASSWORD_RESET_TTL_MS);
      tx.create(UserToken, {
        id: token.id,
        user,
        purpose: 'password_reset',
        email: user.email,
        secretHash: token.secretHash,
        expiresAt,
      });
      const queued = await this.outbox.queueEmail(tx, {
        templateId: 'account.password_reset',
        to: user.email,
        data: { name: user.name, resetUrl: this.links.resetPassword(token.token), expiresAt: expiresAt.toISOString() },
        dedupeKey: `account.password_reset:${token.id}`,
      });
      mail.push(queued.id);
    });
    await this.mail.dispatch(mail);
  }

  async resetPassword(raw: string, newPassword: string, meta: RequestMeta): Promise<void> {
    this.requireBuiltin();
    await this.limiter.consume('password-reset-confirm', 'ip', meta.ip);
    const passwordHash = await this.hasher.hash(newPassword);
    const now = new Date();
    const mail: (string | null)[] = [];
    await emForSystem(this.orm).transactional(async (tx) => {
      const row = await this.spendToken(tx, raw, 'password_reset', now);
      const user = row.user.getEntity();
      if (user.email !== row.email) throw invalidToken('the password reset link is for an address you no longer use');
      user.passwordHash = passwordHash;
      user.passwordChangedAt = now;
      // The link proves the address.
      user.emailVerifiedAt ??= now;
      // Every other reset link of the user is spent too, and every session ends.
      await tx.nativeUpdate(UserToken, { user: user.id, purpose: 'password_reset', usedAt: null }, { usedAt: now });
      await this.sessions.revokeAllOf(tx, user.id, 'password_reset');
      await auditForUser(tx, user.id, 'auth.password_reset', meta);
      mail.push(await this.queuePasswordChanged(tx, user, 'reset', now));
    });
    await this.mail.dispatch(mail);
  }

  async changePassword(principal: Principal, current: string, next: string): Promise<void> {
    this.requireBuiltin();
    const em = emForSystem(this.orm);
    const user = await em.findOneOrFail(User, { id: principal.userId });
    await this.limiter.assertUnder('sign-in', 'account', user.email);
    const ok = user.passwordHash ? await this.hasher.verify(user.passwordHash, current) : await this.hasher.verifyDummy(current);
    if (!ok) {
      await this.limiter.hit('sign-in', 'account', user.email);
      throw ProblemError.validation([{ field: 'currentPassword', message: 'is not your current password' }]);
    }
    const passwordHash = await this.hasher.hash(next);
    const now = new Date();
    const mail: (string | null)[] = [];
    await em.transactional(async (tx) => {
      const fresh = await tx.findOneOrFail(User, { id: user.id });
      fresh.passwordHash = passwordHash;
      fresh.passwordChangedAt = now;
      // Other sign-ins end; this one goes on.
      await this.sessions.revokeAllOf(tx, fresh.id, 'password_changed', principal.sessionId);
      await auditForUser(tx, fresh.id, 'auth.password_changed', principal.meta);
      mail.push(await this.queuePasswordChanged(tx, fresh, 'changed', now));
    });
    await this.mail.dispatch(mail);
  }

  private async queuePasswordChanged(
    tx: EntityManager,
    user: User,
    how: 'changed' | 'reset',
    now: Date,
  ): Promise<string | null> {
    const queued = await this.outbox.queueEmail(tx, {
      templateId: 'security.password_changed',
      to: user.email,
      data: { name: user.name, how, at: now.toISOString(), resetUrl: this.links.resetPassword() },
      dedupeKey: `security.password_changed:${user.id}:${now.toISOString()}`,
    });
    return queued.id;
  }

  async me(userId: string): Promise<MeView> {
    const em = emForSystem(this.orm);
    const user = await em.findOne(User, { id: userId });
    if (!user) throw ProblemError.unauthorized('the account no longer exists');
    const memberships = await em.find(
      Membership,
      { user: userId, org: { deletedAt: null } },
      { filters: { tenant: false }, populate: ['org'], orderBy: { id: 'asc' } },
    );
    return {
      id: user.id,
      email: user.email,
      name: user.name,
      emailVerified: Boolean(user.emailVerifiedAt),
      identityProvider: this.identity.kind,
      createdAt: user.createdAt.toISOString(),
      memberships: memberships.map((m) => ({ orgId: m.org.id, orgName: m.org.getEntity().name, role: m.role })),
    };
  }

  /** P15: correction. A new address must be confirmed again before it can sign in. */
  async updateMe(principal: Principal, body: { name?: string; email?: string }): Promise<MeView> {
    const now = new Date();
    const mail: (string | null)[] = [];
    try {
      await emForSystem(this.orm).transactional(async (tx) => {
        const user = await tx.findOneOrFail(User, { id: principal.userId });
        if (body.name !== undefined) user.name = body.name;
        if (body.email !== undefined && normaliseEmail(body.email) !== user.email) {
          if (this.identity.kind !== 'builtin') {
            throw new ProblemError(HttpStatus.CONFLICT, 'managed_by_cognito', 'change your e-mail address in Cognito');
          }
          user.email = normaliseEmail(body.email);
          user.emailVerifiedAt = null;
          await tx.flush();
          mail.push(await this.queueConfirmation(tx, user, now));
          await auditForUser(tx, user.id, 'user.email_changed', principal.meta);
        }
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) {
        throw new ProblemError(HttpStatus.CONFLICT, 'email_taken', 'another account uses that e-mail address', [
          { field: 'email', message: 'is used by another account' },
        ]);
      }
      throw err;
    }
    await this.mail.dispatch(mail);
    return this.me(principal.userId);
  }
}
