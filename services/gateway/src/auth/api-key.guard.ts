import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { ApiKey, emForOrg, MikroORM } from '@sessionpix/db';
import { ProblemError } from '../http/problem';
import { parseApiKey, secretMatches } from './api-key';
import { type AuthenticatedRequest, PUBLIC_ROUTE } from './tenant';

/** lastUsedAt is advisory; writing it at most once a minute keeps reads read-only. */
const LAST_USED_RESOLUTION_MS = 60_000;

/**
 * Resolves the caller's org from `Authorization: Bearer spx_<keyId>_<secret>` on every route
 * not marked @Public, and hands the route a unit of work limited to that org.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(MikroORM) private readonly orm: MikroORM,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header) throw ProblemError.unauthorized('send an API key as "Authorization: Bearer spx_…"');
    const [scheme, token] = header.split(' ', 2);
    const parsed = scheme?.toLowerCase() === 'bearer' && token ? parseApiKey(token.trim()) : null;
    if (!parsed) throw ProblemError.unauthorized('the Authorization header does not hold a sessionpix API key');

    const em = this.orm.em.fork({ useContext: false });
    const key = await em.findOne(
      ApiKey,
      { keyId: parsed.keyId, revokedAt: null },
      { filters: { tenant: false, notDeleted: false }, populate: ['org'] },
    );
    const valid =
      key !== null &&
      secretMatches(parsed.secret, key.secretHash, this.config.apiKeyPepper) &&
      !key.org.getEntity().deletedAt;
    if (!key || !valid) throw ProblemError.unauthorized('the API key is unknown, revoked or wrong');

    const now = Date.now();
    if (!key.lastUsedAt || now - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await em.nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: new Date(now) }, { filters: { tenant: false } });
    }
    request.tenant = { orgId: key.org.id, apiKeyId: key.id, em: emForOrg(this.orm, key.org.id) };
    return true;
  }
}
