import { Inject, Injectable } from '@nestjs/common';
import { AuthSession, emForSystem, MikroORM } from '@sessionpix/db';
import { ProblemError } from '../../http/problem';
import { AccessTokenError, AccessTokens } from './access-tokens';
import { IdentityProvider, type VerifiedUser } from './identity-provider';

/** lastUsedAt is advisory; writing it at most once a minute keeps reads read-only. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Built-in accounts: our own access tokens, each naming its sign-in session, which must still
 * be live — signing out, a password change or a reused refresh token ends it at once.
 */
@Injectable()
export class BuiltinIdentityProvider extends IdentityProvider {
  readonly kind = 'builtin' as const;

  constructor(
    private readonly tokens: AccessTokens,
    @Inject(MikroORM) private readonly orm: MikroORM,
  ) {
    super();
  }

  async authenticate(token: string): Promise<VerifiedUser> {
    let claims: { userId: string; sessionId: string };
    try {
      claims = await this.tokens.verify(token);
    } catch (err) {
      const expired = err instanceof AccessTokenError && err.reason === 'expired';
      throw new ProblemError(401, expired ? 'token_expired' : 'unauthorized', expired ? 'the access token has expired; refresh it' : 'the access token is not valid', undefined, {
        'www-authenticate': `Bearer realm="sessionpix", error="invalid_token"`,
      });
    }
    const em = emForSystem(this.orm);
    const session = await em.findOne(AuthSession, { id: claims.sessionId }, { populate: ['user'] });
    const now = Date.now();
    if (
      !session ||
      session.user.id !== claims.userId ||
      session.revokedAt ||
      session.expiresAt.getTime() <= now ||
      session.user.getEntity().deletedAt
    ) {
      throw ProblemError.unauthorized('the sign-in has ended; sign in again');
    }
    if (!session.lastUsedAt || now - session.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await em.nativeUpdate(AuthSession, { id: session.id }, { lastUsedAt: new Date(now) });
    }
    return { userId: claims.userId, sessionId: session.id };
  }
}
