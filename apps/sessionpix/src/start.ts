import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '@sessionpix/config';
import { migrateDatabase } from '@sessionpix/db';
import { startProcess } from '@sessionpix/runtime';
import { startS3Standin } from '@sessionpix/testing';
import { loadServices } from './services';

const DATA_DIR = resolve(process.env.SESSIONPIX_DATA_DIR ?? join(__dirname, '..', '..', '..', '.data'));

/**
 * `npm start`: the all-in-one launcher for a laptop or a small install. Edges that are not
 * configured get local stand-ins (this is the only entry point besides the tests allowed to
 * start them), pending migrations are applied, then every service runs in this process.
 */
async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  const notes: string[] = [];

  env.AWS_REGION ??= 'us-east-1';
  if (!env.AWS_ENDPOINT_URL_S3 && !env.S3_BUCKET) {
    env.S3_BUCKET = 'sessionpix-local';
    const dataDir = join(DATA_DIR, 's3');
    mkdirSync(dataDir, { recursive: true });
    // The stand-in runs as a child process that exits with this one.
    const s3 = await startS3Standin({ dataDir, bucket: env.S3_BUCKET, port: Number(env.S3_STANDIN_PORT ?? 0) });
    env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
    env.S3_FORCE_PATH_STYLE = 'true';
    if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE) {
      // The stand-in ignores signatures, but the SDK signs every request. With only these
      // keys there is nothing to call Bedrock with, so vision waits until it is configured.
      env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
      env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
      if (!env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME) env.VISION_ENABLED ??= 'false';
    }
    notes.push(`objects: local S3 stand-in at ${s3.endpoint}, data in ${dataDir}`);
  }

  const config = loadConfig(env);
  Object.assign(process.env, env);
  const migration = await migrateDatabase(config.DATABASE_URL);
  notes.push(
    migration.applied.length > 0 ? `database: applied ${migration.applied.join(', ')}` : 'database: up to date',
  );
  const running = await startProcess({ config, available: loadServices(config.SESSIONPIX_SERVICES) });
  process.stdout.write(
    [
      'sessionpix is running',
      `  API:     ${running.httpUrl ?? '(gateway not in SESSIONPIX_SERVICES)'}  (OpenAPI at /v1/openapi.json)`,
      `  ops:     ${running.opsUrl}/healthz, /readyz, /metrics`,
      ...notes.map((n) => `  ${n}`),
      '  create an organization: npm run admin -- org:create --name "Your Studio"',
      '',
    ].join('\n'),
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `sessionpix failed to start: ${String(err)}`}\n`);
  process.exit(1);
});
