import { createHash, timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { LoadStrategy } from '@mikro-orm/core';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { type OrgRole, roleAtLeast } from '@sessionpix/contracts';
import { ApiKey, emForOrg, emForSystem, Membership, MikroORM } from '@sessionpix/db';
import { ProblemError } from '../http/problem';
import { ACCESS_RULE, type AccessRule, ORG_HEADER } from './access';
import { parseApiKey, secretMatches } from './api-key';
import { ApiKeyCache, type TrustedApiKey } from './api-key-cache';
import { cookie, SESSION_COOKIE } from './cookies';
import { IdentityProvider } from './identity/identity-provider';
import { type Actor, type AuthenticatedRequest, type Principal, requestMeta } from './tenant';

/** lastUsedAt is advisory; writing it at most once a minute keeps reads read-only. */
const LAST_USED_RESOLUTION_MS = 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Caller =
  | { kind: 'api_key'; id: string; orgId: string; role: OrgRole }
  | { kind: 'user'; userId: string; sessionId: string | null; via: 'bearer' | 'cookie' };

/**
 * The one global guard. On every route it reads the route's access rule, resolves the caller
 * (an API key, or a user's bearer token or session cookie), the org the request acts in and the
 * caller's role there, refuses what the role does not allow (403), and hands the route a unit of
 * work that can only see that org — so another org's ids are 404s from the data layer.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(MikroORM) private readonly orm: MikroORM,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly identity: IdentityProvider,
    private readonly keyCache: ApiKeyCache,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
      context.getHandler(),
      context.getClass(),
    ]);
    // Fail closed; start-up refuses such a route anyway (AccessRuleCheck).
    if (!rule) throw new ProblemError(HttpStatus.FORBIDDEN, 'forbidden', 'this route declares no access rule');
    if (rule.kind === 'public') return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    if (rule.kind === 'operator') return this.operator(request);
    const caller = await this.resolveCaller(request);
    const meta = requestMeta(request);

    if (rule.kind === 'user') {
      if (caller.kind !== 'user') {
        throw new ProblemError(HttpStatus.FORBIDDEN, 'user_required', 'this route is for a signed-in user, not an API key');
      }
      request.principal = { userId: caller.userId, sessionId: caller.sessionId, via: caller.via, meta };
      return true;
    }

    const requested = this.requestedOrg(request, rule.orgFrom);
    let orgId: string;
    let role: OrgRole;
    let actor: Actor;
    if (caller.kind === 'api_key') {
      // A key is bound to its org: naming another one finds nothing there.
      if (requested && requested !== caller.orgId) throw ProblemError.notFound('the organization');
      orgId = caller.orgId;
      role = caller.role;
      actor = { type: 'api_key', id: caller.id };
    } else {
      const membership = await this.membership(caller.userId, requested);
      orgId = membership.orgId;
      role = membership.role;
      actor = { type: 'user', id: caller.userId };
      request.principal = { userId: caller.userId, sessionId: caller.sessionId, via: caller.via, meta } satisfies Principal;
    }
    if (!roleAtLeast(role, rule.minRole)) {
      throw new ProblemError(
        HttpStatus.FORBIDDEN,
        'forbidden',
        `this needs the ${rule.minRole} role (or higher) in the organization; the caller is ${role === 'admin' ? 'an' : 'a'} ${role}`,
      );
    }
    request.tenant = {
      orgId,
      role,
      actor,
      apiKeyId: actor.type === 'api_key' ? actor.id : null,
      userId: actor.type === 'user' ? actor.id : null,
      em: emForOrg(this.orm, orgId),
      meta,
    };
    return true;
  }

  /** The billing team's token (BILLING_ADMIN_TOKEN), compared in constant time. */
  private operator(request: AuthenticatedRequest): boolean {
    const header = request.headers.authorization;
    if (!header) throw ProblemError.unauthorized('send "Authorization: Bearer <the billing team’s token>"');
    const [scheme, token] = header.split(' ', 2);
    const expected = this.config.BILLING_ADMIN_TOKEN;
    const digest = (value: string) => createHash('sha256').update(value).digest();
    const valid =
      expected !== undefined &&
      scheme?.toLowerCase() === 'bearer' &&
      token !== undefined && token !== '' &&
      timingSafeEqual(digest(token.trim()), digest(expected));
    if (!valid) {
      throw new ProblemError(HttpStatus.FORBIDDEN, 'forbidden', 'this route is for sessionpix’s billing team (BILLING_ADMIN_TOKEN)');
    }
    return true;
  }

  private async resolveCaller(request: AuthenticatedRequest): Promise<Caller> {
    const header = request.headers.authorization;
    if (header) {
      const [scheme, token] = header.split(' ', 2);
      if (scheme?.toLowerCase() !== 'bearer' || !token?.trim()) {
        throw ProblemError.unauthorized('send "Authorization: Bearer <API key or access token>"');
      }
      const value = token.trim();
      if (value.startsWith('spx_')) return this.apiKey(value);
      const user = await this.identity.authenticate(value);
      return { kind: 'user', userId: user.userId, sessionId: user.sessionId, via: 'bearer' };
    }
    const session = this.identity.kind === 'builtin' ? cookie(request, SESSION_COOKIE) : undefined;
    if (session) {
      const user = await this.identity.authenticate(session);
      return { kind: 'user', userId: user.userId, sessionId: user.sessionId, via: 'cookie' };
    }
    throw ProblemError.unauthorized('sign in, or send an API key as "Authorization: Bearer spx_…"');
  }

  private async apiKey(token: string): Promise<Caller> {
    const parsed = parseApiKey(token);
    if (!parsed) throw ProblemError.unauthorized('the Authorization header does not hold a sessionpix API key');
    const key = await this.keyCache.lookup(parsed.keyId, () => this.loadKey(parsed.keyId));
    if (!key || !secretMatches(parsed.secret, key.secretHash, this.config.apiKeyPepper)) {
      throw ProblemError.unauthorized('the API key is unknown, revoked or wrong');
    }
    const now = Date.now();
    if (!key.lastUsedAt || now - key.lastUsedAt > LAST_USED_RESOLUTION_MS) {
      key.lastUsedAt = now;
      await emForSystem(this.orm).nativeUpdate(ApiKey, { id: key.id }, { lastUsedAt: new Date(now) }, { filters: { tenant: false } });
    }
    return { kind: 'api_key', id: key.id, orgId: key.orgId, role: key.role };
  }

  /** The key's row if it is unrevoked and its org open; null otherwise. */
  private async loadKey(keyId: string): Promise<TrustedApiKey | null> {
    const key = await emForSystem(this.orm).findOne(
      ApiKey,
      { keyId, revokedAt: null },
      // One query for the key and its org.
      { filters: { tenant: false, notDeleted: false }, populate: ['org'], strategy: LoadStrategy.JOINED },
    );
    if (!key || key.org.getEntity().deletedAt) return null;
    return { id: key.id, orgId: key.org.id, role: key.role, secretHash: key.secretHash, lastUsedAt: key.lastUsedAt?.getTime() ?? null };
  }

  private requestedOrg(request: AuthenticatedRequest, from: 'header' | 'path'): string | null {
    if (from === 'path') {
      const value = (request.params as Record<string, string | undefined>)?.orgId;
      if (!value || !UUID.test(value)) throw ProblemError.validation([{ field: 'orgId', message: 'must be a UUID' }]);
      return value.toLowerCase();
    }
    const raw = request.headers[ORG_HEADER];
    if (raw === undefined) return null;
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (!value || !UUID.test(value.trim())) {
      throw ProblemError.validation([{ field: 'X-Org-Id', message: 'must be an organization id (a UUID)' }]);
    }
    return value.trim().toLowerCase();
  }

  /** The user's membership in the requested org, or their only org when none is named. */
  private async membership(userId: string, requested: string | null): Promise<{ orgId: string; role: OrgRole }> {
    const memberships = await emForSystem(this.orm).find(
      Membership,
      { user: userId, org: requested ? { id: requested, deletedAt: null } : { deletedAt: null } },
      { filters: { tenant: false }, orderBy: { id: 'asc' }, limit: requested ? 1 : 2 },
    );
    if (requested) {
      if (memberships.length === 0) throw ProblemError.notFound('the organization');
      return { orgId: memberships[0].org.id, role: memberships[0].role };
    }
    if (memberships.length === 0) {
      throw new ProblemError(
        HttpStatus.FORBIDDEN,
        'no_organization',
        'you belong to no organization yet: create one (POST /v1/orgs) or accept an invitation',
      );
    }
    if (memberships.length > 1) {
      throw new ProblemError(
        HttpStatus.BAD_REQUEST,
        'organization_required',
        'you belong to several organizations: name one with the X-Org-Id header',
        [{ field: 'X-Org-Id', message: 'required when you belong to several organizations' }],
      );
    }
    return { orgId: memberships[0].org.id, role: memberships[0].role };
  }
}
