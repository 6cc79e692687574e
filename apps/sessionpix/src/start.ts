import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '@sessionpix/config';
import { migrateDatabase } from '@sessionpix/db';
import { startProcess } from '@sessionpix/runtime';
import { type FakeStripe, seedPricesFor, startFakeStripe, startS3Standin, startSesStandin } from '@sessionpix/testing';
import { randomBytes } from 'node:crypto';
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

  // Billing: without a Stripe key, a local fake of the Stripe API (checkout links complete at
  // once) that delivers signed webhooks to this gateway.
  let fakeStripe: FakeStripe | undefined;
  if (!env.STRIPE_SECRET_KEY && !env.STRIPE_API_BASE_URL) {
    const plans = loadConfig({ BILLING_PLANS: env.BILLING_PLANS }, { services: [] }).BILLING_PLANS;
    fakeStripe = await startFakeStripe({ prices: seedPricesFor(plans) });
    env.STRIPE_API_BASE_URL = fakeStripe.url;
    env.STRIPE_SECRET_KEY = 'sk_test_sessionpix_local';
    env.STRIPE_WEBHOOK_SECRETS ??= `whsec_${randomBytes(24).toString('base64url')}`;
    notes.push(`payments: local Stripe stand-in at ${fakeStripe.url} (no real payments)`);
  }

  if (!env.AWS_ENDPOINT_URL_SESV2 && !env.SES_FROM_ADDRESS) {
    // No SES configured: e-mail goes to a local SES v2 stand-in, readable in a browser, so a new
    // user can confirm their account on a laptop. The mail lives in its memory only.
    const ses = await startSesStandin({ port: Number(env.SES_STANDIN_PORT ?? 0) });
    env.AWS_ENDPOINT_URL_SESV2 = ses.endpoint;
    env.SES_FROM_ADDRESS = 'sessionpix <no-reply@sessionpix.example>';
    notes.push(`e-mail:  local SES stand-in, nothing leaves this machine; read the mail at ${ses.viewerUrl} (JSON: ${ses.endpoint}/store)`);
  }

  const config = loadConfig(env);
  Object.assign(process.env, env);
  const migration = await migrateDatabase(config.DATABASE_URL);
  notes.push(
    migration.applied.length > 0 ? `database: applied ${migration.applied.join(', ')}` : 'database: up to date',
  );
  const running = await startProcess({ config, available: loadServices(config.SESSIONPIX_SERVICES) });
  if (fakeStripe && running.httpUrl && config.STRIPE_WEBHOOK_SECRETS) {
    fakeStripe.setWebhook({ url: `${running.httpUrl}/v1/billing/webhook`, secret: config.STRIPE_WEBHOOK_SECRETS[0] });
  }
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
