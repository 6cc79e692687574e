import { LockMode } from '@mikro-orm/core';
import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { AuthSession, emForSystem, type EntityManager, MikroORM, RefreshToken, type User } from '@sessionpix/db';
import { AccessTokens } from '../auth/identity/access-tokens';
import type { IssuedTokens } from '../auth/cookies';
import { newOpaqueToken, opaqueSecretMatches, parseOpaqueToken } from '../auth/secrets';
import type { RequestMeta } from '../auth/tenant';
import { deviceLabel, parseUserAgent } from '../auth/user-agent';
import { auditForUser } from '../audit/audit-trail';
import { ProblemError } from '../http/problem';

export type SessionTokens = IssuedTokens & { sessionId: string };

function invalidRefresh(detail: string, code = 'invalid_token'): ProblemError {
  return new ProblemError(HttpStatus.UNAUTHORIZED, code, detail, undefined, {
    'www-authenticate': 'Bearer realm="sessionpix", error="invalid_token"',
  });
}

/**
 * Built-in sign-in sessions: a session is a family of refresh tokens. Each refresh spends the
 * token it was given and issues the next; presenting a spent token again means it was copied,
 * so the whole family (the session) is revoked and every token of it stops working.
 */
@Injectable()
export class Sessions {
  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly accessTokens: AccessTokens,
  ) {}

  /** Starts a session in the caller's transaction. */
  async start(em: EntityManager, user: User, meta: RequestMeta, now = new Date()): Promise<SessionTokens> {
    const expiresAt = new Date(now.getTime() + this.config.AUTH_REFRESH_TOKEN_TTL_SECONDS * 1000);
    const session = em.create(AuthSession, {
      user,
      expiresAt,
      device: deviceLabel(parseUserAgent(meta.userAgent)),
      lastUsedAt: now,
    });
    return this.issue(em, user.id, session, now);
  }

  private async issue(em: EntityManager, userId: string, session: AuthSession, now: Date): Promise<SessionTokens> {
    const refresh = newOpaqueToken();
    em.create(RefreshToken, { id: refresh.id, session, secretHash: refresh.secretHash, expiresAt: session.expiresAt });
    const access = await this.accessTokens.sign(userId, session.id, now);
    return {
      sessionId: session.id,
      accessToken: access.token,
      accessTokenExpiresAt: access.expiresAt,
      refreshToken: refresh.token,
      refreshTokenExpiresAt: session.expiresAt,
    };
  }

  /**
   * Spends a refresh token and issues the next pair. `beforeRotate` runs once the session is
   * known (per-account rate limits).
   */
  async rotate(
    raw: string,
    meta: RequestMeta,
    beforeRotate: (sessionId: string) => Promise<void> = async () => undefined,
  ): Promise<{ userId: string; tokens: SessionTokens }> {
    const parsed = parseOpaqueToken(raw);
    if (!parsed) throw invalidRefresh('the refresh token is not valid');
    const now = new Date();
    const outcome = await emForSystem(this.orm).transactional(async (tx) => {
      // Locked, so two refreshes with one token cannot both succeed: the second is a reuse.
      const row = await tx.findOne(RefreshToken, { id: parsed.id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
      if (!row || !opaqueSecretMatches(parsed.secret, row.secretHash)) return { kind: 'invalid' as const };
      const session = await tx.findOneOrFail(AuthSession, { id: row.session.id }, { populate: ['user'], filters: { notDeleted: false } });
      const userId = session.user.id;
      if (session.revokedAt) return { kind: 'ended' as const };
      if (row.usedAt) {
        session.revokedAt = now;
        session.revokeReason = 'refresh_token_reused';
        await auditForUser(tx, userId, 'auth.refresh_token_reused', meta, { sessionId: session.id });
        return { kind: 'reused' as const };
      }
      if (row.expiresAt <= now || session.expiresAt <= now || session.user.getEntity().deletedAt) {
        return { kind: 'expired' as const };
      }
      await beforeRotate(session.id);
      row.usedAt = now;
      session.lastUsedAt = now;
      return { kind: 'ok' as const, userId, tokens: await this.issue(tx, userId, session, now) };
    });
    switch (outcome.kind) {
      case 'ok':
        return { userId: outcome.userId, tokens: outcome.tokens };
      case 'reused':
        throw invalidRefresh(
          'this refresh token was already used, so it may have been copied: the sign-in has been ended everywhere it was used; sign in again',
          'refresh_token_reused',
        );
      case 'ended':
        throw invalidRefresh('the sign-in has ended; sign in again');
      case 'expired':
        throw invalidRefresh('the refresh token has expired; sign in again');
      default:
        throw invalidRefresh('the refresh token is not valid');
    }
  }

  /** The session a refresh token belongs to, if the token is genuine (sign-out). */
  async sessionOfRefreshToken(raw: string): Promise<string | null> {
    const parsed = parseOpaqueToken(raw);
    if (!parsed) return null;
    const row = await emForSystem(this.orm).findOne(RefreshToken, { id: parsed.id });
    return row && opaqueSecretMatches(parsed.secret, row.secretHash) ? row.session.id : null;
  }

  async revoke(sessionId: string, reason: string): Promise<void> {
    await emForSystem(this.orm).nativeUpdate(AuthSession, { id: sessionId, revokedAt: null }, { revokedAt: new Date(), revokeReason: reason });
  }

  /** Ends every session of the user (but `keep`) in the caller's transaction. */
  async revokeAllOf(em: EntityManager, userId: string, reason: string, keep?: string | null): Promise<number> {
    return em.nativeUpdate(
      AuthSession,
      { user: userId, revokedAt: null, ...(keep ? { id: { $ne: keep } } : {}) },
      { revokedAt: new Date(), revokeReason: reason },
    );
  }
}
