import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { emForSystem, MikroORM, User } from '@sessionpix/db';
import { CognitoJwtVerifier } from 'aws-jwt-verify';
import type { Jwks } from 'aws-jwt-verify/jwk';
import { JwtExpiredError } from 'aws-jwt-verify/error';
import { ProblemError } from '../../http/problem';
import { IdentityProvider, type VerifiedUser } from './identity-provider';

type Verifier = ReturnType<typeof createVerifier>;

function createVerifier(config: AppConfig) {
  return CognitoJwtVerifier.create({
    userPoolId: config.COGNITO_USER_POOL_ID!,
    clientId: config.COGNITO_CLIENT_ID!.split(','),
    // ID tokens carry the e-mail a first sign-in creates the local user with.
    tokenUse: 'id',
  });
}

/**
 * Cognito: its ID tokens are verified here (signature against the pool's JWKS, issuer,
 * audience = our app client, token_use = id, expiry) by aws-jwt-verify, and the token's `sub`
 * maps to a local user, created on first sight with the token's e-mail.
 */
@Injectable()
export class CognitoIdentityProvider extends IdentityProvider {
  readonly kind = 'cognito' as const;
  private readonly log = new Logger('CognitoIdentity');
  private verifier: Verifier | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(MikroORM) private readonly orm: MikroORM,
  ) {
    super();
  }

  private get jwtVerifier(): Verifier {
    this.verifier ??= createVerifier(this.config);
    return this.verifier;
  }

  /** Hands the verifier a key set, so it need not fetch the pool's JWKS (tests; warm start). */
  useJwks(jwks: Jwks): void {
    this.jwtVerifier.cacheJwks(jwks);
  }

  async authenticate(token: string): Promise<VerifiedUser> {
    let claims: { sub: string; email?: unknown; email_verified?: unknown; name?: unknown };
    try {
      claims = (await this.jwtVerifier.verify(token)) as typeof claims;
    } catch (err) {
      const expired = err instanceof JwtExpiredError;
      throw new ProblemError(401, expired ? 'token_expired' : 'unauthorized', expired ? 'the Cognito token has expired' : 'the Cognito token is not valid', undefined, {
        'www-authenticate': `Bearer realm="sessionpix", error="invalid_token"`,
      });
    }
    return { userId: await this.localUser(claims), sessionId: null };
  }

  private async localUser(claims: { sub: string; email?: unknown; email_verified?: unknown; name?: unknown }): Promise<string> {
    const em = emForSystem(this.orm);
    const known = await em.findOne(User, { cognitoSub: claims.sub });
    if (known) return known.id;
    const email = typeof claims.email === 'string' ? claims.email.trim().toLowerCase() : '';
    const verified = claims.email_verified === true || claims.email_verified === 'true';
    if (!email) throw ProblemError.unauthorized('the Cognito token carries no e-mail');
    const sameEmail = await em.findOne(User, { email }, { filters: { notDeleted: false } });
    if (sameEmail) {
      // Linking an existing account to this Cognito user needs Cognito to vouch for the address.
      if (!verified || sameEmail.cognitoSub || sameEmail.deletedAt) {
        throw ProblemError.unauthorized('this e-mail address belongs to another account');
      }
      sameEmail.cognitoSub = claims.sub;
      sameEmail.emailVerifiedAt ??= new Date();
      await em.flush();
      return sameEmail.id;
    }
    const name = typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim().slice(0, 200) : email.split('@')[0];
    const user = em.create(User, {
      email,
      name,
      cognitoSub: claims.sub,
      emailVerifiedAt: verified ? new Date() : null,
    });
    try {
      await em.flush();
      this.log.log(`created local user ${user.id} for a first Cognito sign-in`);
      return user.id;
    } catch (err) {
      // Two first requests at once: the other one created it.
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
      const again = await emForSystem(this.orm).findOne(User, { cognitoSub: claims.sub });
      if (!again) throw err;
      return again.id;
    }
  }
}
