import type { EntityManager } from '@mikro-orm/postgresql';
import type { AuditAction, AuditActorType } from '@sessionpix/contracts';
import { AuditLog } from './entities/audit-log.entity';

export interface AuditEntry {
  /** Null for an action that belongs to no org (a failed sign-in for an unknown e-mail). */
  orgId: string | null;
  actorType: AuditActorType;
  actorId?: string | null;
  action: AuditAction;
  targetType?: string | null;
  targetId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** Small, non-secret facts; never a password, token or hash. */
  details?: Record<string, unknown> | null;
}

const MAX_USER_AGENT = 512;

/**
 * Adds audit rows to the caller's unit of work, so they commit (or not) with the change they
 * describe. Append-only: there is no update or delete path, and the table refuses both.
 */
export function recordAudit(em: EntityManager, entries: AuditEntry | AuditEntry[]): AuditLog[] {
  const list = Array.isArray(entries) ? entries : [entries];
  return list.map((e) =>
    em.create(AuditLog, {
      org: e.orgId,
      actorType: e.actorType,
      actorId: e.actorId ?? null,
      action: e.action,
      targetType: e.targetType ?? null,
      targetId: e.targetId ?? null,
      ip: e.ip ?? null,
      userAgent: e.userAgent ? e.userAgent.slice(0, MAX_USER_AGENT) : null,
      details: e.details ?? null,
    }),
  );
}
