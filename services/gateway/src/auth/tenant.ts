import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { OrgRole } from '@sessionpix/contracts';
import type { EntityManager } from '@sessionpix/db';
import type { FastifyRequest } from 'fastify';

export { Public } from './access';

/** Who acts: a user (signed in) or an API key. */
export type Actor = { type: 'user'; id: string } | { type: 'api_key'; id: string };

/** Where a request came from, for audit rows and security alerts. */
export interface RequestMeta {
  ip: string;
  userAgent: string | null;
}

/** Who is calling, in which org, with which role, and the unit of work that sees only that org. */
export interface TenantContext {
  orgId: string;
  role: OrgRole;
  actor: Actor;
  /** Set when an API key calls. */
  apiKeyId: string | null;
  /** Set when a user calls. */
  userId: string | null;
  em: EntityManager;
  meta: RequestMeta;
}

/** A signed-in user (routes that need no org). */
export interface Principal {
  userId: string;
  /** The built-in sign-in session, when the token names one. */
  sessionId: string | null;
  via: 'bearer' | 'cookie';
  meta: RequestMeta;
}

export type AuthenticatedRequest = FastifyRequest & { tenant?: TenantContext; principal?: Principal };

export function requestMeta(request: FastifyRequest): RequestMeta {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' && ua ? ua.slice(0, 512) : null };
}

export const Tenant = createParamDecorator((_: unknown, ctx: ExecutionContext): TenantContext => {
  const request = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.tenant) throw new Error('route reads @Tenant() but does not declare @MinRole()');
  return request.tenant;
});

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const request = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!request.principal) throw new Error('route reads @CurrentUser() but does not declare @SignedIn()');
  return request.principal;
});

export const Meta = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestMeta =>
  requestMeta(ctx.switchToHttp().getRequest<FastifyRequest>()),
);
