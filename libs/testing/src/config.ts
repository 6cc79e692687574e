import { randomBytes } from 'node:crypto';
import { type AppConfig, loadConfig } from '@sessionpix/config';

/** Configuration for a process under test: its own database and queue prefix, ports picked by the OS. */
export function testConfig(env: Record<string, string | undefined>): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    PORT: '0',
    OPS_PORT: '0',
    QUEUE_PREFIX: uniquePrefix(),
    AWS_REGION: 'us-east-1',
    S3_BUCKET: 'sessionpix-test',
    SES_FROM_ADDRESS: 'sessionpix <no-reply@sessionpix.test>',
    SHUTDOWN_GRACE_MS: '10000',
    // The billing service needs a key; tests point STRIPE_API_BASE_URL at the fake Stripe.
    STRIPE_SECRET_KEY: 'sk_test_sessionpix',
    ...env,
  });
}

export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

/**
 * The variables that point a process at an S3 stand-in. The services use the SDK's default
 * credential chain, so the stand-in's key pair goes into this process's environment.
 */
export function s3TestEnv(s3: {
  endpoint: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}): Record<string, string> {
  process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
  return { AWS_ENDPOINT_URL_S3: s3.endpoint, S3_FORCE_PATH_STYLE: 'true', S3_BUCKET: s3.bucket };
}

/**
 * The variables that point the notifications service at an SES stand-in (or a proxy in front
 * of it). The stand-in accepts any signature but wants one, so when this process has no AWS
 * keys it gets a dummy pair (the SDK's default chain reads them).
 */
export function sesTestEnv(ses: { endpoint: string }): Record<string, string> {
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  return { AWS_ENDPOINT_URL_SESV2: ses.endpoint };
}
