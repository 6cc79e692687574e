import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { EntityManager } from '@sessionpix/db';
import type { FastifyRequest } from 'fastify';

/** Who is calling and the unit of work that can only see their org. */
export interface TenantContext {
  orgId: string;
  apiKeyId: string;
  em: EntityManager;
}

export type AuthenticatedRequest = FastifyRequest & { tenant?: TenantContext };

export const Tenant = createParamDecorator((_: unknown, ctx: ExecutionContext): TenantContext => {
  const request = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.tenant) throw new Error('route reads @Tenant() but is marked @Public()');
  return request.tenant;
});

export const PUBLIC_ROUTE = 'sessionpix:public-route';
/** Routes that answer without credentials (OpenAPI document, webhooks). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);
