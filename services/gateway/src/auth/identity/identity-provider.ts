import type { IdentityProviderKind } from '@sessionpix/contracts';

/** The user a token names, once its signature, issuer, audience and expiry are checked. */
export interface VerifiedUser {
  userId: string;
  /** The built-in sign-in session the token belongs to; null for Cognito. */
  sessionId: string | null;
}

/**
 * One interface over the two ways a user proves who they are: the built-in accounts (argon2id
 * passwords, our signed access tokens) and Cognito (its signed ID tokens). Configuration
 * (IDENTITY_PROVIDER) picks which one the process uses; the guard only calls `authenticate`.
 */
export abstract class IdentityProvider {
  abstract readonly kind: IdentityProviderKind;

  /** The caller's user, or a 401 ProblemError. */
  abstract authenticate(token: string): Promise<VerifiedUser>;
}
