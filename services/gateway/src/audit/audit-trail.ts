import type { AuditAction } from '@sessionpix/contracts';
import { type EntityManager, Membership, recordAudit } from '@sessionpix/db';
import type { RequestMeta, TenantContext } from '../auth/tenant';

export interface AuditTarget {
  type: string;
  id: string;
}

/** One audit row in the org a request acts in, by its caller; commits with `em`'s change. */
export function auditInOrg(
  em: EntityManager,
  t: TenantContext,
  action: AuditAction,
  target?: AuditTarget,
  details?: Record<string, unknown>,
): void {
  recordAudit(em, {
    orgId: t.orgId,
    actorType: t.actor.type,
    actorId: t.actor.id,
    action,
    targetType: target?.type ?? null,
    targetId: target?.id ?? null,
    ip: t.meta.ip,
    userAgent: t.meta.userAgent,
    details: details ?? null,
  });
}

/**
 * A user-level action (signing in, a password change): one row in each org the user belongs
 * to, so every org's owners and admins see it — or one row without an org when they belong to
 * none.
 */
export async function auditForUser(
  em: EntityManager,
  userId: string,
  action: AuditAction,
  meta: RequestMeta,
  details?: Record<string, unknown>,
): Promise<void> {
  const memberships = await em.find(Membership, { user: userId }, { filters: { tenant: false }, fields: ['org'] });
  const orgIds = memberships.length > 0 ? [...new Set(memberships.map((m) => m.org.id))] : [null];
  recordAudit(
    em,
    orgIds.map((orgId) => ({
      orgId,
      actorType: 'user' as const,
      actorId: userId,
      action,
      targetType: 'user',
      targetId: userId,
      ip: meta.ip,
      userAgent: meta.userAgent,
      details: details ?? null,
    })),
  );
}
