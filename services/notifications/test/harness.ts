import type { AppConfig } from '@sessionpix/config';
import type { EmailTemplateData, EmailTemplateId } from '@sessionpix/contracts';
import { EmailOutbox, emForSystem, MikroORM, OutboxWriter, User } from '@sessionpix/db';
import { gatewayService } from '@sessionpix/gateway';
import { notificationsService } from '@sessionpix/notifications';
import { OutboxDispatcher } from '@sessionpix/queue';
import type { RunningProcess } from '@sessionpix/runtime';
import {
  createTestDatabase,
  eventually,
  type S3TestHarness,
  s3TestEnv,
  type SesFaultProxy,
  type SesStandin,
  sesTestEnv,
  startS3TestHarness,
  startSesFaultProxy,
  startSesStandin,
  startTestProcess,
  type StoredEmail,
  type TestDatabase,
  testConfig,
} from '@sessionpix/testing';
import { randomBytes } from 'node:crypto';
import request from 'supertest';

/**
 * The notifications service in this test process, on a fresh database, sending through the
 * real SES SDK to aws-ses-v2-local behind the fault-injecting proxy (the gateway too, when a
 * test needs the API).
 */
export interface MailStack {
  db: TestDatabase;
  ses: SesStandin;
  proxy: SesFaultProxy;
  s3?: S3TestHarness;
  config: AppConfig;
  proc: RunningProcess;
  orm: MikroORM;
  http?: ReturnType<typeof request>;
  /** Writes an outbox row in a transaction, then dispatches it as callers do after their commit. */
  queue<T extends EmailTemplateId>(templateId: T, to: string, data: EmailTemplateData<T>, opts?: { dispatch?: boolean }): Promise<string>;
  row(id: string): Promise<EmailOutbox>;
  /** Waits until the row is in one of `statuses`. */
  settle(id: string, statuses?: string[], timeoutMs?: number): Promise<EmailOutbox>;
  /** E-mails the stand-in received for `to`. */
  mailTo(to: string): Promise<StoredEmail[]>;
  user(opts?: { email?: string; name?: string }): Promise<User>;
  close(): Promise<void>;
}

export const TERMINAL = ['sent', 'failed', 'suppressed', 'rejected', 'in_doubt'];

export function uniqueAddress(tag = 'user'): string {
  return `${tag}-${randomBytes(4).toString('hex')}@example.com`;
}

export async function startMailStack(
  label: string,
  env: Record<string, string> = {},
  opts: { gateway?: boolean } = {},
): Promise<MailStack> {
  const db = await createTestDatabase(label);
  const ses = await startSesStandin();
  const proxy = await startSesFaultProxy(ses.endpoint);
  const s3 = opts.gateway ? await startS3TestHarness(`spx-${label}`.toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 40)) : undefined;
  const config = testConfig({
    DATABASE_URL: db.url,
    SESSIONPIX_SERVICES: opts.gateway ? 'gateway,notifications' : 'notifications',
    ...(s3 ? s3TestEnv(s3) : {}),
    ...sesTestEnv(proxy),
    SES_MAX_SEND_RATE: '0',
    SUPPORT_EMAIL: 'help@sessionpix.example',
    PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
    ...env,
  });
  const proc = await startTestProcess(config, opts.gateway ? [gatewayService, notificationsService] : [notificationsService]);
  const orm = proc.app.get<MikroORM>(MikroORM);
  const writer = new OutboxWriter();
  const stack: MailStack = {
    db,
    ses,
    proxy,
    s3,
    config,
    proc,
    orm,
    http: proc.httpUrl ? request(proc.httpUrl) : undefined,
    async queue(templateId, to, data, o = {}) {
      const queued = await emForSystem(orm).transactional((tx) =>
        writer.queueEmail(tx, { templateId, to, data, dedupeKey: `test:${randomBytes(8).toString('hex')}` }),
      );
      if (o.dispatch !== false) await proc.app.get(OutboxDispatcher).dispatch([queued.id]);
      return queued.id!;
    },
    row: (id) => emForSystem(orm).findOneOrFail(EmailOutbox, { id }),
    async settle(id, statuses = TERMINAL, timeoutMs = 15_000) {
      let last = '';
      try {
        return await eventually(
          async () => {
            const row = await stack.row(id);
            last = row.status;
            return statuses.includes(row.status) ? row : undefined;
          },
          timeoutMs,
          `e-mail ${id} to be ${statuses.join(' or ')}`,
        );
      } catch (err) {
        throw new Error(`${(err as Error).message} (last: ${last})`);
      }
    },
    async mailTo(to) {
      return (await ses.emails()).filter((e) => e.destination.to.map((a) => a.toLowerCase()).includes(to.toLowerCase()));
    },
    async user(o = {}) {
      const em = emForSystem(orm);
      const user = em.create(User, { email: o.email ?? uniqueAddress(), name: o.name ?? 'Ada Lovelace', emailVerifiedAt: new Date() });
      await em.flush();
      return user;
    },
    async close() {
      await proc?.close();
      await proxy?.close();
      await ses?.close();
      await s3?.close();
      await db?.drop();
    },
  };
  return stack;
}
