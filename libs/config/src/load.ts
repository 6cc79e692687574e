import { isIPv4 } from 'node:net';
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
  /** The key that signs built-in access tokens; a fixed development value outside production. */
  authTokenSecret: string;
  /** The key of one-click unsubscribe links; a fixed development value outside production. */
  emailUnsubscribeSecret: string;
};

const DEV_PEPPER = 'sessionpix-development-pepper-not-for-production';
const DEV_AUTH_TOKEN_SECRET = 'sessionpix-development-token-secret-not-for-production';
const DEV_EMAIL_UNSUBSCRIBE_SECRET = 'sessionpix-development-unsubscribe-secret-not-for-production';

/** Which services need which edge: a service run alone with its edge unset must not start. */
const REQUIRED_BY_SERVICE: Partial<Record<ServiceName, (keyof RawConfig)[]>> = {
  gateway: ['S3_BUCKET', 'AWS_REGION'],
  ingest: ['S3_BUCKET', 'AWS_REGION'],
  notifications: ['SES_FROM_ADDRESS', 'AWS_REGION'],
  billing: ['STRIPE_SECRET_KEY'],
};

function isUsRegion(region: string): boolean {
  return region.startsWith('us-');
}

/**
 * Variables the AWS SDK reads by itself. A deployment may set them (a laptop's stand-in keys);
 * no sessionpix code reads them, so the schema does not name them.
 */
export const AWS_SDK_VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'] as const;

interface EndpointRule {
  /** The variables that point a client at this subprocessor. */
  variables: RegExp;
  /** Its hosts, as a person reads them in an error message. */
  hosts: string;
  isSubprocessorHost(host: string): boolean;
  /** False: only the subprocessor or loopback, even with SESSIONPIX_ALLOW_LOCAL_ENDPOINTS. */
  allowPrivate?: boolean;
}

/**
 * P10: outbound calls go only to the named subprocessors. Each variable that can send traffic
 * somewhere is listed with the hosts it may name; anything else is refused at start-up, except
 * loopback (where stand-ins live) and, with SESSIONPIX_ALLOW_LOCAL_ENDPOINTS outside
 * production, private hosts (compose service names). The SDK reads AWS_ENDPOINT_URL and every
 * AWS_ENDPOINT_URL_<SERVICE> by itself, so each one present in the environment is checked, not
 * only those the schema names.
 *
 * Stripe: STRIPE_API_BASE_URL names api.stripe.com (https) or a stand-in on loopback, nothing
 * else — not even a private host with SESSIONPIX_ALLOW_LOCAL_ENDPOINTS.
 */
const OUTBOUND_ENDPOINT_RULES: readonly EndpointRule[] = [
  {
    variables: /^AWS_ENDPOINT_URL(?:_[A-Z0-9_]+)?$/,
    hosts: '*.amazonaws.com or *.api.aws',
    isSubprocessorHost: (host) => host.endsWith('.amazonaws.com') || host.endsWith('.api.aws'),
  },
  {
    variables: /^STRIPE_API_BASE_URL$/,
    hosts: 'api.stripe.com',
    isSubprocessorHost: (host) => host === 'api.stripe.com',
    allowPrivate: false,
  },
];

const AWS_REGION_IN_HOST =
  /(?:^|[.-])((?:us|eu|ap|sa|ca|me|af|il|mx|cn)(?:-gov)?-(?:east|west|north|south|central|northeast|northwest|southeast|southwest)-\d+)(?=\.)/;

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || (isIPv4(host) && host.startsWith('127.'));
}

/** Names a laptop or compose network resolves privately; never a public host. */
function isPrivateHost(host: string): boolean {
  if (isIPv4(host)) {
    const [a, b] = host.split('.').map(Number);
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  if (host.startsWith('[')) return /^\[f[cd][0-9a-f]{0,2}:/.test(host);
  if (/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(host)) return true; // a single label: a compose service
  return ['.localhost', '.local', '.internal', '.lan', '.home.arpa'].some((suffix) => host.endsWith(suffix));
}

function endpointProblem(
  rule: EndpointRule,
  raw: string,
  opts: { allowLocal: boolean; allowNonUsRegion: boolean },
): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be a URL starting with https://';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be a URL starting with https://';
  const host = url.hostname.toLowerCase();
  if (isLoopbackHost(host)) return undefined;
  if (host.endsWith('.amazonaws.com.cn')) {
    return `${host} is in AWS China, which is not a US region (P20) nor a named subprocessor endpoint (P10)`;
  }
  if (rule.isSubprocessorHost(host)) {
    if (url.protocol !== 'https:') return `must use https:// for ${host}`;
    const region = AWS_REGION_IN_HOST.exec(host)?.[1];
    if (region && !isUsRegion(region) && !opts.allowNonUsRegion) {
      return `${host} is in ${region}, not a US region; data is hosted in US regions only (P20)`;
    }
    return undefined;
  }
  if (isPrivateHost(host) && rule.allowPrivate !== false) {
    return opts.allowLocal
      ? undefined
      : `${host} is a private host; only ${rule.hosts} or loopback are allowed (P10). For a local stand-in outside production set SESSIONPIX_ALLOW_LOCAL_ENDPOINTS=true`;
  }
  return `${host} is not an allowed endpoint: outbound calls go only to ${rule.hosts} or to a stand-in on loopback (P10)`;
}

/** Checks every outbound endpoint variable present in the environment (P10). */
function outboundEndpointProblems(env: NodeJS.ProcessEnv, config: RawConfig): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  const production = config.NODE_ENV === 'production';
  if (production && config.SESSIONPIX_ALLOW_LOCAL_ENDPOINTS) {
    problems.push({
      variable: 'SESSIONPIX_ALLOW_LOCAL_ENDPOINTS',
      message: 'is refused when NODE_ENV=production: production calls only AWS and Stripe (P10)',
    });
  }
  const opts = {
    allowLocal: config.SESSIONPIX_ALLOW_LOCAL_ENDPOINTS && !production,
    allowNonUsRegion: config.SESSIONPIX_ALLOW_NON_US_REGION,
  };
  for (const variable of Object.keys(env).sort()) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const rule = OUTBOUND_ENDPOINT_RULES.find((r) => r.variables.test(variable));
    const message = rule && endpointProblem(rule, raw, opts);
    if (message) problems.push({ variable, message });
  }
  return problems;
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
  const services = opts.services ?? config.SESSIONPIX_SERVICES;
  // Only the gateway checks API keys; a worker pod is not given the pepper (see apiKeyPepper below).
  if (config.NODE_ENV === 'production' && !config.API_KEY_PEPPER && services.includes('gateway')) {
    problems.push({ variable: 'API_KEY_PEPPER', message: 'is required in production' });
  }
  if (
    config.NODE_ENV === 'production' &&
    config.IDENTITY_PROVIDER === 'builtin' &&
    !config.AUTH_TOKEN_SECRET &&
    services.includes('gateway')
  ) {
    problems.push({
      variable: 'AUTH_TOKEN_SECRET',
      message: 'is required in production when IDENTITY_PROVIDER=builtin (it signs access tokens)',
    });
  }
  // The gateway checks unsubscribe links, the notifications service writes them.
  if (
    config.NODE_ENV === 'production' &&
    !config.EMAIL_UNSUBSCRIBE_SECRET &&
    (services.includes('gateway') || services.includes('notifications'))
  ) {
    problems.push({
      variable: 'EMAIL_UNSUBSCRIBE_SECRET',
      message: 'is required in production where the gateway or the notifications service runs (it signs unsubscribe links)',
    });
  }
  // Only the gateway receives Stripe's webhooks; without a secret it could check none of them.
  if (config.NODE_ENV === 'production' && !config.STRIPE_WEBHOOK_SECRETS && services.includes('gateway')) {
    problems.push({ variable: 'STRIPE_WEBHOOK_SECRETS', message: 'is required in production where the gateway runs (it checks Stripe webhook signatures)' });
  }
  problems.push(...identityProblems(config));
  problems.push(...outboundEndpointProblems(env, config));
  problems.push(...snsProblems(config));
  for (const service of services) {
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

  const result = { ...config } as AppConfig;
  defineSecret(result, 'apiKeyPepper', config.API_KEY_PEPPER, DEV_PEPPER, {
    variable: 'API_KEY_PEPPER',
    message: 'is required in production to issue or check API keys',
  });
  defineSecret(result, 'authTokenSecret', config.AUTH_TOKEN_SECRET, DEV_AUTH_TOKEN_SECRET, {
    variable: 'AUTH_TOKEN_SECRET',
    message: 'is required in production to issue or check sign-in tokens',
  });
  defineSecret(result, 'emailUnsubscribeSecret', config.EMAIL_UNSUBSCRIBE_SECRET, DEV_EMAIL_UNSUBSCRIBE_SECRET, {
    variable: 'EMAIL_UNSUBSCRIBE_SECRET',
    message: 'is required in production to write or check unsubscribe links',
  });
  return result;
}

/**
 * SES events arrive through SNS (P10: its certificates and subscription confirmations are
 * fetched only from sns.<region>.amazonaws.com). Tests may trust a stand-in on loopback; never
 * in production, and never another host. Topics live in US regions (P20).
 */
function snsProblems(config: RawConfig): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  const local = config.SNS_ALLOWED_LOCAL_HOSTS ?? [];
  if (local.length > 0 && config.NODE_ENV === 'production') {
    problems.push({
      variable: 'SNS_ALLOWED_LOCAL_HOSTS',
      message: 'is refused when NODE_ENV=production: SNS certificates come only from sns.<region>.amazonaws.com (P10)',
    });
  }
  for (const entry of local) {
    const host = entry.replace(/:\d+$/, '');
    if (!isLoopbackHost(host)) {
      problems.push({ variable: 'SNS_ALLOWED_LOCAL_HOSTS', message: `${host} is not a loopback host (P10)` });
    }
  }
  for (const arn of config.SES_EVENTS_TOPIC_ARNS ?? []) {
    const region = arn.split(':')[3];
    if (!isUsRegion(region) && !config.SESSIONPIX_ALLOW_NON_US_REGION) {
      problems.push({
        variable: 'SES_EVENTS_TOPIC_ARNS',
        message: `${arn} is in ${region}, not a US region; data is hosted in US regions only (P20)`,
      });
    }
  }
  return problems;
}

/**
 * A secret's value, or its development stand-in outside production. Production without it (a
 * worker, the migrator): anything that reaches for it anyway, such as an admin command run
 * where the secret is not mounted, stops naming the variable instead of silently using the
 * development value.
 */
function defineSecret(
  result: AppConfig,
  key: 'apiKeyPepper' | 'authTokenSecret' | 'emailUnsubscribeSecret',
  value: string | undefined,
  development: string,
  missing: { variable: string; message: string },
): void {
  if (value || result.NODE_ENV !== 'production') {
    result[key] = value ?? development;
    return;
  }
  Object.defineProperty(result, key, {
    enumerable: false,
    get(): never {
      throw new ConfigError([missing]);
    },
  });
}

/**
 * IDENTITY_PROVIDER=cognito needs its pool and app client; the pool's region (or
 * COGNITO_REGION, which must agree with it) is a US region unless explicitly overridden (P20).
 */
function identityProblems(config: RawConfig): { variable: string; message: string }[] {
  const problems: { variable: string; message: string }[] = [];
  if (config.IDENTITY_PROVIDER === 'cognito') {
    for (const variable of ['COGNITO_USER_POOL_ID', 'COGNITO_CLIENT_ID'] as const) {
      if (!config[variable]) problems.push({ variable, message: 'is required when IDENTITY_PROVIDER=cognito' });
    }
  }
  const poolRegion = config.COGNITO_USER_POOL_ID?.split('_')[0];
  if (config.COGNITO_REGION && poolRegion && config.COGNITO_REGION !== poolRegion) {
    problems.push({
      variable: 'COGNITO_REGION',
      message: `is ${config.COGNITO_REGION} but the user pool ${config.COGNITO_USER_POOL_ID} is in ${poolRegion}`,
    });
  }
  const region = config.COGNITO_REGION ?? poolRegion;
  if (region && !isUsRegion(region) && !config.SESSIONPIX_ALLOW_NON_US_REGION) {
    problems.push({
      variable: config.COGNITO_REGION ? 'COGNITO_REGION' : 'COGNITO_USER_POOL_ID',
      message: `${region} is not a US region; data is hosted in US regions only (set SESSIONPIX_ALLOW_NON_US_REGION=true to override)`,
    });
  }
  return problems;
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

