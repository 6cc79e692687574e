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
    SHUTDOWN_GRACE_MS: '10000',
    ...env,
  });
}

export function uniquePrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}
