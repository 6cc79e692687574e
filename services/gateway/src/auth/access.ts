import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiHeader, ApiResponse } from '@nestjs/swagger';
import type { OrgRole } from '@sessionpix/contracts';

/**
 * What a route demands of its caller. Every route declares one (a process refuses to start
 * otherwise), and the one global guard enforces it:
 *  - public: no credentials (sign-up, sign-in, the OpenAPI document);
 *  - user: a signed-in user, no org needed (their profile, their org list);
 *  - org: a caller (API key or user) acting in one org with at least `minRole`; the org comes
 *    from the `orgId` path parameter, or else `X-Org-Id`, or else the user's only org.
 */
export type AccessRule =
  | { kind: 'public' }
  | { kind: 'user' }
  | { kind: 'org'; minRole: OrgRole; orgFrom: 'header' | 'path' }
  | { kind: 'operator' };

export const ACCESS_RULE = 'sessionpix:access-rule';
export const ORG_HEADER = 'x-org-id';

/** OpenAPI security scheme names (see http/openapi.ts). */
export const BEARER_SCHEME = 'bearer';
export const COOKIE_SCHEME = 'cookie';
export const OPERATOR_SCHEME = 'operator';

const problems = [
  ApiResponse({ status: 401, description: 'No credentials, or they are invalid or expired (problem details).' }),
  ApiResponse({ status: 403, description: 'The caller’s role does not allow this (problem details).' }),
];

/** Routes that answer without credentials. */
export const Public = () => SetMetadata(ACCESS_RULE, { kind: 'public' } satisfies AccessRule);

/** A signed-in user (not an API key), whatever their orgs. */
export const SignedIn = () =>
  applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'user' } satisfies AccessRule),
    ApiBearerAuth(BEARER_SCHEME),
    ApiCookieAuth(COOKIE_SCHEME),
    ...problems,
  );

/**
 * The least role a caller needs in the org. Another org's ids are 404s (the data layer's
 * tenant filter), not 403s.
 */
export const MinRole = (minRole: OrgRole, opts: { orgFrom?: 'header' | 'path' } = {}) => {
  const orgFrom = opts.orgFrom ?? 'header';
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'org', minRole, orgFrom } satisfies AccessRule),
    ApiBearerAuth(BEARER_SCHEME),
    ApiCookieAuth(COOKIE_SCHEME),
    ...(orgFrom === 'header'
      ? [
          ApiHeader({
            name: 'X-Org-Id',
            required: false,
            description: 'The organization to act in, for a user in several (an API key is bound to its own).',
          }),
        ]
      : []),
    ...problems,
    ApiResponse({ status: 404, description: 'Not found in the caller’s organization (problem details).' }),
  );
};

/**
 * sessionpix's own billing team, not a user of any org: `Authorization: Bearer
 * <BILLING_ADMIN_TOKEN>`. Without the header a 401; with any other credential, or when no token
 * is configured, a 403. Every use is audited by what the route does.
 */
export const Operator = () =>
  applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'operator' } satisfies AccessRule),
    ApiBearerAuth(OPERATOR_SCHEME),
    ApiResponse({ status: 401, description: 'No credentials (problem details).' }),
    ApiResponse({ status: 403, description: 'Not the billing team’s token, or the route is not enabled (problem details).' }),
  );
