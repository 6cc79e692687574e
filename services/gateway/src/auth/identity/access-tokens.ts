import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { errors, jwtVerify, SignJWT } from 'jose';

const ISSUER = 'sessionpix';
const AUDIENCE = 'sessionpix-api';

export class AccessTokenError extends Error {
  constructor(readonly reason: 'expired' | 'invalid') {
    super(reason === 'expired' ? 'the access token has expired' : 'the access token is not valid');
  }
}

/**
 * The built-in provider's short-lived access tokens: HS256 JWTs naming the user (`sub`) and
 * the sign-in session (`sid`), signed with AUTH_TOKEN_SECRET.
 */
@Injectable()
export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.key = config.IDENTITY_PROVIDER === 'builtin' ? new TextEncoder().encode(config.authTokenSecret) : new Uint8Array();
  }

  async sign(userId: string, sessionId: string, now = new Date()): Promise<{ token: string; expiresAt: Date }> {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.config.AUTH_ACCESS_TOKEN_TTL_SECONDS;
    const token = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  async verify(token: string): Promise<{ userId: string; sessionId: string }> {
    if (this.key.length === 0) throw new AccessTokenError('invalid');
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string') throw new AccessTokenError('invalid');
      return { userId: payload.sub, sessionId: payload.sid };
    } catch (err) {
      if (err instanceof errors.JWTExpired) throw new AccessTokenError('expired');
      throw new AccessTokenError('invalid');
    }
  }
}
