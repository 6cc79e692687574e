/**
 * Roles of a membership, weakest first. Owners manage billing and delete the org; admins
 * invite and remove members and manage API keys; members upload and edit; viewers read.
 */
export const ORG_ROLES = ['viewer', 'member', 'admin', 'owner'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

/** An API key acts for its org with one of these; never as an owner. */
export const API_KEY_ROLES = ['viewer', 'member', 'admin'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export function roleRank(role: OrgRole): number {
  return ORG_ROLES.indexOf(role);
}

/** True when `role` may do what `minimum` may. */
export function roleAtLeast(role: OrgRole, minimum: OrgRole): boolean {
  return roleRank(role) >= roleRank(minimum);
}

export const IDENTITY_PROVIDERS = ['builtin', 'cognito'] as const;
export type IdentityProviderKind = (typeof IDENTITY_PROVIDERS)[number];

/**
 * Security-relevant actions written to the append-only audit log (P21). Stable strings: owners
 * and admins filter on them.
 */
export const AUDIT_ACTIONS = [
  'auth.sign_up',
  'auth.sign_in',
  'auth.sign_in_failed',
  'auth.refresh_token_reused',
  'auth.password_changed',
  'auth.password_reset',
  'user.email_changed',
  'org.created',
  'org.renamed',
  'org.deletion_requested',
  'member.role_changed',
  'member.removed',
  'invitation.created',
  'invitation.revoked',
  'invitation.accepted',
  'api_key.created',
  'api_key.revoked',
  'collection.deleted',
  /** An owner started a Stripe Checkout Session. */
  'billing.checkout_started',
  /** An owner opened the Stripe Customer Portal. */
  'billing.portal_opened',
  /** The billing team read the reconciliation report (CLI or admin API). */
  'billing.report_viewed',
  /** The billing team re-fetched and applied one Stripe event. */
  'billing.event_replayed',
  /** The billing team compared one org with Stripe and healed it. */
  'billing.org_resynced',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_ACTOR_TYPES = ['user', 'api_key', 'operator', 'anonymous'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];
