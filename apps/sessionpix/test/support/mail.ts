import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { AppConfig } from '@sessionpix/config';
import type { EmailTemplateData, EmailTemplateId } from '@sessionpix/contracts';
import { EmailOutbox, emForSystem, type MikroORM, openOrm, OutboxWriter } from '@sessionpix/db';
import { createRedis, enqueueOutboxJob, JobProducer } from '@sessionpix/queue';
import {
  createTestDatabase,
  eventually,
  type SesFaultProxy,
  type SesStandin,
  startSesFaultProxy,
  startSesStandin,
  type TestDatabase,
  uniquePrefix,
} from '@sessionpix/testing';
import type { Redis } from 'ioredis';
import { deletePrefixKeys, REDIS_URL } from './system';

const MAIN_JS = join(__dirname, '..', '..', 'dist', 'main.js');
const ADMIN_JS = join(__dirname, '..', '..', 'dist', 'admin.js');
const run = promisify(execFile);

/**
 * The edges of a notifications worker run as a child process of the built app: a fresh
 * database, the SES stand-in behind the fault proxy, a queue prefix of its own on the shared
 * Redis — and, in this process, an ORM and a producer to write outbox rows and enqueue them the
 * way the services do.
 */
export interface MailEdges {
  db: TestDatabase;
  ses: SesStandin;
  proxy: SesFaultProxy;
  prefix: string;
  env: Record<string, string>;
  orm: MikroORM;
  producer: JobProducer;
  queue<T extends EmailTemplateId>(templateId: T, to: string, data: EmailTemplateData<T>): Promise<string>;
  row(id: string): Promise<EmailOutbox>;
  /** `npm run admin -- …` against these edges; the last line, parsed. */
  admin(...args: string[]): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

export async function startMailEdges(label: string, env: Record<string, string> = {}): Promise<MailEdges> {
  const db = await createTestDatabase(label);
  const ses = await startSesStandin();
  const proxy = await startSesFaultProxy(ses.endpoint);
  const prefix = uniquePrefix();
  const orm = await openOrm({ databaseUrl: db.url, poolMax: 4 });
  const redis: Redis = createRedis(REDIS_URL, 'sessionpix:test');
  const producer = new JobProducer(redis, { QUEUE_PREFIX: prefix } as AppConfig);
  const writer = new OutboxWriter();
  const childEnv: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    DATABASE_POOL_MAX: '4',
    REDIS_URL,
    QUEUE_PREFIX: prefix,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_SESV2: proxy.endpoint,
    // aws-ses-v2-local wants a signature, any signature.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    SES_FROM_ADDRESS: 'sessionpix <no-reply@sessionpix.test>',
    SUPPORT_EMAIL: 'help@sessionpix.example',
    SES_MAX_SEND_RATE: '0',
    SHUTDOWN_GRACE_MS: '5000',
    PORT: '0',
    OPS_PORT: '0',
    ...env,
  };
  return {
    db,
    ses,
    proxy,
    prefix,
    env: childEnv,
    orm,
    producer,
    async queue(templateId, to, data) {
      const queued = await emForSystem(orm).transactional((tx) =>
        writer.queueEmail(tx, { templateId, to, data, dedupeKey: `test:${randomBytes(8).toString('hex')}` }),
      );
      await enqueueOutboxJob(producer, queued.id!);
      return queued.id!;
    },
    row: (id) => emForSystem(orm).findOneOrFail(EmailOutbox, { id }),
    async admin(...args) {
      const { stdout } = await run(process.execPath, [ADMIN_JS, ...args], {
        env: { ...process.env, DATABASE_URL: db.url, REDIS_URL, QUEUE_PREFIX: prefix, NODE_ENV: 'test', LOG_LEVEL: 'silent' },
      });
      const lines = stdout.trim().split('\n');
      return JSON.parse(lines[lines.length - 1]) as Record<string, unknown>;
    },
    async close() {
      await producer.onApplicationShutdown().catch(() => undefined);
      redis.disconnect();
      await orm.close(true);
      await proxy.close();
      await ses.close();
      await db.drop();
      await deletePrefixKeys(prefix);
    },
  };
}

/** `node apps/sessionpix/dist/main.js` with SESSIONPIX_SERVICES=notifications. */
export interface Worker {
  child: ChildProcess;
  opsUrl: string;
  output(): string;
  /** Counter values from this process's /metrics, by the metric's name and labels as printed. */
  metric(line: RegExp): Promise<number>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startWorker(edges: MailEdges, env: Record<string, string> = {}): Promise<Worker> {
  const child = spawn(process.execPath, [MAIN_JS], {
    env: { ...process.env, ...edges.env, SESSIONPIX_SERVICES: 'notifications', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const started = await eventually(
    async () => {
      if (gone) throw new Error(`the worker exited before it started:\n${output}`);
      const line = output.split('\n').find((l) => l.includes('"msg":"sessionpix started"'));
      return line ? (JSON.parse(line) as { ops: string }) : undefined;
    },
    30_000,
    'the notifications worker to start',
  );
  // Started is not yet consuming: the workers wait for readiness.
  await eventually(async () => ((await fetch(`${started.ops}/readyz`)).ok ? true : undefined), 30_000, 'the worker to be ready');
  return {
    child,
    opsUrl: started.ops,
    output: () => output,
    async metric(line) {
      const text = await (await fetch(`${started.ops}/metrics`)).text();
      return text
        .split('\n')
        .filter((l) => line.test(l))
        .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
    },
    async kill(signal = 'SIGTERM') {
      if (!gone) child.kill(signal);
      await exited;
    },
  };
}
