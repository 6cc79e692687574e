import { randomBytes } from 'node:crypto';
import type { AppConfig } from '@sessionpix/config';
import { EmailOutbox, emForSystem, MikroORM, User } from '@sessionpix/db';
import { gatewayService } from '@sessionpix/gateway';
import type { RunningProcess, ServiceDefinition } from '@sessionpix/runtime';
import {
  createTestDatabase,
  type S3TestHarness,
  s3TestEnv,
  startS3TestHarness,
  startTestProcess,
  type TestDatabase,
  testConfig,
} from '@sessionpix/testing';
import type { DestinationStream } from 'pino';
import request from 'supertest';

/** One gateway (and whatever else a file needs) on a fresh database, with an S3 stand-in for readiness. */
export interface Gateway {
  db: TestDatabase;
  s3: S3TestHarness;
  config: AppConfig;
  proc: RunningProcess;
  orm: MikroORM;
  http: ReturnType<typeof request>;
  close(): Promise<void>;
}

export async function startGateway(
  label: string,
  env: Record<string, string> = {},
  opts: { services?: ServiceDefinition[]; logs?: DestinationStream } = {},
): Promise<Gateway> {
  const db = await createTestDatabase(label);
  const s3 = await startS3TestHarness(`spx-${label.toLowerCase().replace(/[^a-z0-9]/g, '')}`.slice(0, 40));
  const config = testConfig({ DATABASE_URL: db.url, SESSIONPIX_SERVICES: 'gateway', ...s3TestEnv(s3), ...env });
  const proc = await startTestProcess(config, opts.services ?? [gatewayService], opts.logs);
  return {
    db,
    s3,
    config,
    proc,
    orm: proc.app.get(MikroORM),
    http: request(proc.httpUrl!),
    async close() {
      await proc?.close();
      await s3?.close();
      await db?.drop();
    },
  };
}

/** A documentation-range address per call, so per-IP limits of one test do not reach another. */
export function testIp(): string {
  const b = randomBytes(2);
  return `198.51.${b[0]}.${b[1] % 254 + 1}`;
}

export const SAFARI_MAC =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
export const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
export const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

export function uniqueEmail(tag = 'user'): string {
  return `${tag}-${randomBytes(4).toString('hex')}@example.com`;
}

/** The token in an e-mail link's fragment (`…#token=<id>.<secret>`). */
export function tokenOf(link: unknown): string {
  const token = new URL(String(link)).hash.replace(/^#token=/, '');
  if (!token) throw new Error(`no token in ${String(link)}`);
  return token;
}

export async function outbox(orm: MikroORM, to: string, templateId?: string): Promise<EmailOutbox[]> {
  return emForSystem(orm).find(
    EmailOutbox,
    { recipient: to.toLowerCase(), ...(templateId ? { templateId } : {}) },
    { orderBy: { createdAt: 'asc', id: 'asc' } },
  );
}

export async function lastLink(orm: MikroORM, to: string, templateId: string, field: string): Promise<string> {
  const rows = await outbox(orm, to, templateId);
  if (rows.length === 0) throw new Error(`no ${templateId} e-mail to ${to}`);
  return String(rows[rows.length - 1].data[field]);
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  name: string;
  /** The org sign-up created (they own it). */
  orgId: string;
}

/** Sign up, confirm the address with the link from the outbox, and return the account. */
export async function registerUser(
  gw: Pick<Gateway, 'http' | 'orm'>,
  opts: { email?: string; password?: string; name?: string; orgName?: string } = {},
): Promise<TestUser> {
  const email = opts.email ?? uniqueEmail();
  const password = opts.password ?? `pw-${randomBytes(9).toString('base64url')}`;
  const name = opts.name ?? 'Ada Lovelace';
  await gw.http
    .post('/v1/auth/sign-up')
    .set('x-forwarded-for', testIp())
    .send({ email, password, name, orgName: opts.orgName ?? `${name}’s studio` })
    .expect(202);
  const token = tokenOf(await lastLink(gw.orm, email, 'account.confirm_email', 'confirmUrl'));
  await gw.http.post('/v1/auth/confirm-email').set('x-forwarded-for', testIp()).send({ token }).expect(204);
  const user = await emForSystem(gw.orm).findOneOrFail(User, { email });
  const me = await signIn(gw, email, password);
  return { id: user.id, email, password, name, orgId: me.body.user.memberships[0].orgId as string };
}

export interface BearerSession {
  accessToken: string;
  refreshToken: string;
  body: { user: { id: string; memberships: { orgId: string; role: string }[] } } & Record<string, unknown>;
}

export async function signIn(
  gw: Pick<Gateway, 'http'>,
  email: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<BearerSession> {
  const res = await gw.http
    .post('/v1/auth/sign-in')
    .set({ 'x-forwarded-for': testIp(), ...headers })
    .send({ email, password, session: 'bearer' })
    .expect(200);
  return { accessToken: res.body.accessToken, refreshToken: res.body.refreshToken, body: res.body };
}

export const bearer = (token: string, orgId?: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  ...(orgId ? { 'x-org-id': orgId } : {}),
});

/** Set-Cookie headers as name → attributes (lower-cased), value under `value`. */
export function setCookies(res: request.Response): Map<string, { value: string; attrs: Map<string, string> }> {
  const raw = res.headers['set-cookie'] as unknown;
  const list = Array.isArray(raw) ? (raw as string[]) : raw ? [String(raw)] : [];
  const out = new Map<string, { value: string; attrs: Map<string, string> }>();
  for (const line of list) {
    const [pair, ...attrs] = line.split(';').map((p) => p.trim());
    const eq = pair.indexOf('=');
    const attrMap = new Map<string, string>();
    for (const a of attrs) {
      const i = a.indexOf('=');
      attrMap.set((i < 0 ? a : a.slice(0, i)).toLowerCase(), i < 0 ? '' : a.slice(i + 1));
    }
    out.set(pair.slice(0, eq), { value: decodeURIComponent(pair.slice(eq + 1)), attrs: attrMap });
  }
  return out;
}
