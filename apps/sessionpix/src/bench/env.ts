import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppConfig, loadConfig } from '@sessionpix/config';
import { createTestDatabase, type S3Standin, startS3Standin, type TestDatabase } from '@sessionpix/testing';
import { Redis } from 'ioredis';
import type { BenchContext } from './framework';

export const BENCH_BUCKET = 'sessionpix-bench';
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** The one S3 stand-in of the run (a child process), in a temporary directory removed at the end. */
export function sharedS3(ctx: BenchContext): Promise<S3Standin> {
  return ctx.shared(
    's3',
    async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'spx-bench-s3-'));
      ctx.log(`starting the S3 stand-in in ${dataDir}`);
      const s3 = await startS3Standin({ dataDir, bucket: BENCH_BUCKET });
      // The services use the SDK's default credential chain; the stand-in accepts only these.
      process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
      return Object.assign(s3, { dataDir });
    },
    async (s3) => {
      await s3.close();
      rmSync((s3 as S3Standin & { dataDir: string }).dataDir, { recursive: true, force: true });
    },
  );
}

/** A fresh, migrated database for one suite, dropped when the suite ends. */
export async function suiteDatabase(ctx: BenchContext, label: string): Promise<TestDatabase> {
  const db = await createTestDatabase(`bench${label}`);
  ctx.defer(() => db.drop());
  return db;
}

/**
 * A queue prefix nobody else uses, and its keys deleted when the suite ends: with only part
 * of the pipeline running, jobs for the next steps pile up under it.
 */
export function suitePrefix(ctx: BenchContext): string {
  const prefix = `bench${randomBytes(5).toString('hex')}`;
  ctx.defer(async () => void (await deleteQueueKeys(prefix)));
  return prefix;
}

export async function deleteQueueKeys(prefix: string): Promise<number> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: false });
  let deleted = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** Environment variables for a sessionpix process talking to this run's edges. */
export function serviceEnv(opts: {
  s3: S3Standin;
  databaseUrl: string;
  prefix: string;
  services: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    NODE_ENV: 'development',
    SESSIONPIX_SERVICES: opts.services,
    LOG_LEVEL: 'silent',
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL,
    QUEUE_PREFIX: opts.prefix,
    PORT: '0',
    OPS_PORT: '0',
    AWS_REGION: 'us-east-1',
    S3_BUCKET: opts.s3.bucket,
    AWS_ENDPOINT_URL_S3: opts.s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    VISION_ENABLED: 'false',
    SHUTDOWN_GRACE_MS: '10000',
    ...opts.extra,
  };
}

/** loadConfig reads only what it is given: the bench's own environment does not leak in. */
export function serviceConfig(env: Record<string, string>): AppConfig {
  return loadConfig(env);
}
