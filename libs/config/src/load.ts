import type { ServiceName } from '@sessionpix/contracts';
import { configSchema, type RawConfig } from './schema';

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' + problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export type AppConfig = RawConfig & {
  /** The HMAC key for API key secrets; a fixed development value outside production. */
  apiKeyPepper: string;
};

const DEV_PEPPER = 'sessionpix-development-pepper-not-for-production';

/** Which services need which edge: a service run alone with its edge unset must not start. */
const REQUIRED_BY_SERVICE: Partial<Record<ServiceName, (keyof RawConfig)[]>> = {
  gateway: ['S3_BUCKET', 'AWS_REGION'],
  ingest: ['S3_BUCKET', 'AWS_REGION'],
};

function isUsRegion(region: string): boolean {
  return region.startsWith('us-');
}

/**
 * Parses and validates the environment. Throws a ConfigError naming every bad variable;
 * entry points print it and exit, so a misconfigured pod never half-starts.
 */
export interface LoadOptions {
  /** Check edges for these services instead of SESSIONPIX_SERVICES (tools: none). */
  services?: readonly ServiceName[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, opts: LoadOptions = {}): AppConfig {
  const input: Record<string, string> = {};
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '(environment)'),
        message: issue.message,
      })),
    );
  }
  const config = parsed.data;
  const problems: { variable: string; message: string }[] = [];

  if (config.AWS_REGION && !isUsRegion(config.AWS_REGION) && !config.SESSIONPIX_ALLOW_NON_US_REGION) {
    problems.push({
      variable: 'AWS_REGION',
      message: `${config.AWS_REGION} is not a US region; data is hosted in US regions only (set SESSIONPIX_ALLOW_NON_US_REGION=true to override)`,
    });
  }
  if (config.NODE_ENV === 'production' && !config.API_KEY_PEPPER) {
    problems.push({ variable: 'API_KEY_PEPPER', message: 'is required in production' });
  }
  for (const service of opts.services ?? config.SESSIONPIX_SERVICES) {
    for (const variable of REQUIRED_BY_SERVICE[service] ?? []) {
      if (config[variable] === undefined) {
        problems.push({ variable, message: `is required by the ${service} service` });
      }
    }
  }
  if (config.S3_SSE === 'aws:kms' && !config.S3_SSE_KMS_KEY_ID) {
    problems.push({ variable: 'S3_SSE_KMS_KEY_ID', message: 'is required when S3_SSE=aws:kms' });
  }
  if (problems.length > 0) throw new ConfigError(dedupe(problems));

  return { ...config, apiKeyPepper: config.API_KEY_PEPPER ?? DEV_PEPPER };
}

function dedupe(problems: { variable: string; message: string }[]) {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.variable}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The variables the schema knows, for the configuration-contract test and docs. */
export function configVariableNames(): string[] {
  return Object.keys(configSchema.shape);
}

