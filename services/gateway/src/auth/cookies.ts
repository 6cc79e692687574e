// The plugin's type augmentation: reply.setCookie, request.cookies.
import type {} from '@fastify/cookie';
import type { AppConfig } from '@sessionpix/config';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * P18: the web keeps its sign-in in two cookies and nothing else: HttpOnly (no script reads
 * them), Secure, SameSite=Strict (no cross-site request carries them). `__Host-` pins the
 * session cookie to this host and path /; the refresh cookie goes only to /v1/auth.
 */
export const SESSION_COOKIE = '__Host-spx_session';
export const REFRESH_COOKIE = '__Secure-spx_refresh';
export const REFRESH_COOKIE_PATH = '/v1/auth';

export interface IssuedTokens {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

const base = { httpOnly: true, secure: true, sameSite: 'strict' as const };

export function setSessionCookies(reply: FastifyReply, tokens: IssuedTokens, config: AppConfig): void {
  void reply.setCookie(SESSION_COOKIE, tokens.accessToken, {
    ...base,
    path: '/',
    maxAge: config.AUTH_ACCESS_TOKEN_TTL_SECONDS,
  });
  void reply.setCookie(REFRESH_COOKIE, tokens.refreshToken, {
    ...base,
    path: REFRESH_COOKIE_PATH,
    maxAge: Math.max(1, Math.floor((tokens.refreshTokenExpiresAt.getTime() - Date.now()) / 1000)),
  });
}

export function clearSessionCookies(reply: FastifyReply): void {
  void reply.clearCookie(SESSION_COOKIE, { ...base, path: '/' });
  void reply.clearCookie(REFRESH_COOKIE, { ...base, path: REFRESH_COOKIE_PATH });
}

export function cookie(request: FastifyRequest, name: string): string | undefined {
  const value = (request as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies?.[name];
  return value || undefined;
}
