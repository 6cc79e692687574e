import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { AUDIT_ACTIONS, AUDIT_ACTOR_TYPES } from '@sessionpix/contracts';
import { AuditLog, decodeCursor, toPage } from '@sessionpix/db';
import { createZodDto, ZodResponse } from 'nestjs-zod';
import { z } from 'zod';
import { MinRole } from '../auth/access';
import { Tenant, type TenantContext } from '../auth/tenant';
import { pageOf, pageQuerySchema } from '../http/pagination.dto';

const auditQuerySchema = pageQuerySchema.extend({
  action: z.enum(AUDIT_ACTIONS, { message: 'must be one of the audited actions' }).optional(),
  actor: z.uuid('must be a user or API key id').optional().describe('Only what this user or API key did.'),
  from: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }).optional().describe('At or after.'),
  to: z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time' }).optional().describe('Before.'),
});

const auditEntrySchema = z.object({
  id: z.uuid(),
  at: z.iso.datetime(),
  action: z.string(),
  actor: z.object({ type: z.enum(AUDIT_ACTOR_TYPES), id: z.uuid().nullable() }),
  target: z.object({ type: z.string(), id: z.string() }).nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  details: z.record(z.string(), z.unknown()).nullable(),
});

class AuditQueryDto extends createZodDto(auditQuerySchema) {}
class AuditPageDto extends createZodDto(pageOf(auditEntrySchema)) {}

/** P21: the org's security-relevant actions, for its owners and admins. */
@ApiTags('audit')
@Controller('v1/audit-log')
export class AuditLogController {
  @Get()
  @MinRole('admin')
  @ApiOperation({ summary: 'Read the organization’s audit log, newest first (filter by action, actor, time)' })
  @ZodResponse({ status: 200, type: AuditPageDto })
  async list(@Tenant() t: TenantContext, @Query() query: AuditQueryDto) {
    const before = query.cursor ? decodeCursor(query.cursor) : undefined;
    const createdAt = {
      ...(query.from ? { $gte: new Date(query.from) } : {}),
      ...(query.to ? { $lt: new Date(query.to) } : {}),
    };
    const rows = await t.em.find(
      AuditLog,
      {
        ...(before ? { id: { $lt: before } } : {}),
        ...(query.action ? { action: query.action } : {}),
        ...(query.actor ? { actorId: query.actor } : {}),
        ...(query.from || query.to ? { createdAt } : {}),
      },
      { orderBy: { id: 'desc' }, limit: query.limit + 1 },
    );
    const page = toPage(rows, query.limit);
    return {
      items: page.items.map((r) => ({
        id: r.id,
        at: r.createdAt.toISOString(),
        action: r.action,
        actor: { type: r.actorType, id: r.actorId ?? null },
        target: r.targetType && r.targetId ? { type: r.targetType, id: r.targetId } : null,
        ip: r.ip ?? null,
        userAgent: r.userAgent ?? null,
        details: r.details ?? null,
      })),
      nextCursor: page.nextCursor,
    };
  }
}
