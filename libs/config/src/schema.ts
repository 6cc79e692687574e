import { z } from 'zod';

import {
  DEFAULT_BILLING_PLANS,
  IDENTITY_PROVIDERS,
  planTableSchema,
  SERVICE_NAMES,
  type ServiceName,
} from '@sessionpix/contracts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

const url = (protocols: string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

const serviceList = z
  .string()
  .transform((raw) => raw.split(',').map((s) => s.trim()).filter(Boolean))
  .pipe(
    z
      .array(z.enum(SERVICE_NAMES, { message: `each entry must be one of ${SERVICE_NAMES.join(', ')}` }))
      .min(1, 'name at least one service'),
  )
  .transform((names) => [...new Set(names)] as ServiceName[]);

/** `address` or `Name <address>`: the parts, or null when it is neither. */
export function parseFromAddress(value: string): { name: string | null; address: string } | null {
  const match = /^\s*(?:(.*?)\s*<([^<>\s]+)>|([^<>\s]+))\s*$/.exec(value);
  if (!match) return null;
  const address = match[2] ?? match[3];
  if (!z.email().safeParse(address).success) return null;
  const name = match[1]?.replace(/^"(.*)"$/, '$1').trim() || null;
  if (name && /[\r\n]/.test(name)) return null;
  return { name, address };
}

/**
 * Every environment variable sessionpix reads, once. `.env.example` and the README's
 * configuration table list the same names; a test keeps the three in step.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  SESSIONPIX_SERVICES: serviceList.default([...SERVICE_NAMES]),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/sessionpix'),
  DATABASE_POOL_MAX: positiveInt.default(10),
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z
    .string()
    .regex(/^[a-z0-9_-]+$/i, 'letters, digits, _ and - only')
    .default('bull'),

  PORT: port.default(3000),
  OPS_PORT: port.default(9464),
  PUBLIC_BASE_URL: url(['http:', 'https:']).default('http://127.0.0.1:3000'),
  SHUTDOWN_GRACE_MS: positiveInt.default(30_000),

  API_KEY_PEPPER: z.string().min(32, 'must be at least 32 characters').optional(),

  /** builtin: argon2id passwords and signed tokens; cognito: verify Cognito-issued JWTs. */
  IDENTITY_PROVIDER: z
    .enum(IDENTITY_PROVIDERS, { message: `must be one of ${IDENTITY_PROVIDERS.join(', ')}` })
    .default('builtin'),
  /** HMAC key that signs the built-in provider's access tokens; required in production. */
  AUTH_TOKEN_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTH_ACCESS_TOKEN_TTL_SECONDS: positiveInt.min(60, 'at least 60').max(3600, 'at most 3600 (1 hour)').default(900),
  AUTH_REFRESH_TOKEN_TTL_SECONDS: positiveInt
    .min(3600, 'at least 3600 (1 hour)')
    .max(90 * 24 * 3600, 'at most 7776000 (90 days)')
    .default(30 * 24 * 3600),
  COGNITO_USER_POOL_ID: z
    .string()
    .regex(/^[a-z]{2}(-gov)?-[a-z]+-\d_[0-9A-Za-z]+$/, 'must be a Cognito user pool id such as us-east-1_AbCdEf123')
    .optional(),
  COGNITO_CLIENT_ID: z.string().regex(/^[\w+]+(,[\w+]+)*$/, 'must be one app client id, or several separated by commas').optional(),
  COGNITO_REGION: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as us-east-1').optional(),
  /** Where links in e-mails point (confirmation, password reset, invitations). */
  WEB_APP_URL: url(['http:', 'https:']).default('http://127.0.0.1:3000'),
  /** Abuse limits on sign-in, sign-up, password reset and token refresh (fixed windows in Redis). */
  AUTH_RATE_LIMIT_WINDOW_SECONDS: positiveInt.max(86_400).default(900),
  AUTH_RATE_LIMIT_PER_IP: positiveInt.default(30),
  AUTH_RATE_LIMIT_PER_ACCOUNT: positiveInt.default(5),

  AWS_REGION: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'must be an AWS region such as us-east-1').optional(),
  SESSIONPIX_ALLOW_NON_US_REGION: bool.default(false),
  /**
   * P10: lets AWS_ENDPOINT_URL_* name private hosts (compose service names, RFC 1918 addresses)
   * besides AWS and loopback. For laptops only: refused when NODE_ENV=production.
   */
  SESSIONPIX_ALLOW_LOCAL_ENDPOINTS: bool.default(false),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a valid S3 bucket name')
    .optional(),
  AWS_ENDPOINT_URL_S3: url(['http:', 'https:']).optional(),
  S3_FORCE_PATH_STYLE: bool.default(false),
  S3_SSE: z.enum(['AES256', 'aws:kms']).default('AES256'),
  S3_SSE_KMS_KEY_ID: z.string().min(1).optional(),

  /** auto: on when a region and credentials (or a Bedrock endpoint) are present. */
  VISION_ENABLED: z.enum(['auto', 'true', 'false']).default('auto'),
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: url(['http:', 'https:']).optional(),
  VISION_PASS1_MODEL: z.string().min(1).default('us.anthropic.claude-haiku-4-5-20251001-v1:0'),
  VISION_PASS2_MODEL: z.string().min(1).default('us.anthropic.claude-sonnet-4-5-20250929-v1:0'),

  VISION_CALL_TIMEOUT_MS: positiveInt.min(1000).default(120_000),
  VISION_THROTTLE_PAUSE_MS: positiveInt.default(5_000),
  /**
   * Pass 1 sends a photo again to this (stronger) model when the first model's identification is
   * unsure or its answer fails validation. The same id as VISION_PASS1_MODEL turns escalation off.
   */
  VISION_PASS1_ESCALATION_MODEL: z.string().min(1).default('us.anthropic.claude-sonnet-4-5-20250929-v1:0'),
  /** Escalate when any device's model_confidence is below this. */
  VISION_PASS1_ESCALATION_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.6),
  /**
   * Requests and tokens per minute per Bedrock model, shared by every replica (a limiter in
   * Redis), as JSON: {"<model id>": {"requestsPerMinute": 200, "tokensPerMinute": 400000}}. "*"
   * applies to models not named. Unset: no limit of our own (Bedrock's throttling still pauses
   * the queue).
   */
  VISION_MODEL_LIMITS: z
    .string()
    .transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of model id → {requestsPerMinute, tokensPerMinute}' });
        return z.NEVER;
      }
    })
    .pipe(
      z.record(
        z.string().min(1),
        z.strictObject({
          requestsPerMinute: z.number().int().positive().optional(),
          tokensPerMinute: z.number().int().positive().optional(),
        }),
      ),
    )
    .optional(),
  /**
   * The model price table (JSON, or a path to a JSON file): {"version": "…", "models": {"<model
   * id or prefix>": {"inputPerMTok", "outputPerMTok", "cacheReadPerMTok", "cacheWritePerMTok"}}}
   * in integer micro-USD per million tokens. Unset: the built-in list prices.
   */
  VISION_PRICE_TABLE: z.string().min(1).optional(),

  AWS_ENDPOINT_URL_SESV2: url(['http:', 'https:']).optional(),
  /** The sender of every e-mail: an address SES has verified, or `Name <address>`. */
  SES_FROM_ADDRESS: z
    .string()
    .refine((v) => parseFromAddress(v) !== null, {
      message: 'must be an e-mail address, or a name and an address such as "sessionpix <no-reply@example.com>"',
    })
    .optional(),
  /** An SES configuration set (event publishing to SNS for bounces and complaints). */
  SES_CONFIGURATION_SET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (at most 64)')
    .optional(),
  /** The SES account's maximum send rate (e-mails per second), shared by every replica; 0 = no limit. */
  SES_MAX_SEND_RATE: z.coerce.number().min(0, 'at least 0').max(100_000).default(14),
  /** HMAC key of the one-click unsubscribe links (P15); at least 32 characters. */
  EMAIL_UNSUBSCRIBE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** The SNS topics SES publishes bounces and complaints to; notifications from any other topic are refused. */
  SES_EVENTS_TOPIC_ARNS: z
    .string()
    .transform((raw) => raw.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(
      z.array(
        z.string().regex(/^arn:aws(-us-gov)?:sns:[a-z]{2}(-gov)?-[a-z]+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/, {
          message: 'each entry must be an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:ses-events',
        }),
      ),
    )
    .optional(),
  /**
   * Tests only: loopback `host:port` pairs trusted, besides sns.<region>.amazonaws.com, to serve
   * SNS signing certificates and subscription confirmations. Refused in production (P10).
   */
  SNS_ALLOWED_LOCAL_HOSTS: z
    .string()
    .transform((raw) => raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[a-z0-9.[\]:-]+:\d{1,5}$/, { message: 'each entry must be host:port' })))
    .optional(),

  /** Billing: the Stripe secret key (sk_… or a restricted rk_…); only the billing service holds it. */
  STRIPE_SECRET_KEY: z
    .string()
    .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9_]+$/, 'must be a Stripe secret key (sk_live_…, sk_test_…) or restricted key (rk_…)')
    .optional(),
  /**
   * The gateway's webhook signing secrets (whsec_…), comma-separated: several are active while a
   * secret is rotated. The gateway never needs the secret key to check a signature.
   */
  STRIPE_WEBHOOK_SECRETS: z
    .string()
    .transform((raw) => raw.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(
      z
        .array(z.string().regex(/^whsec_[A-Za-z0-9_+/=-]+$/, { message: 'each entry must be a webhook signing secret (whsec_…)' }))
        .min(1, 'name at least one whsec_… secret'),
    )
    .optional(),
  /** Where Stripe's API is: api.stripe.com, or a stand-in on loopback (P10). */
  STRIPE_API_BASE_URL: url(['http:', 'https:']).default('https://api.stripe.com'),
  /** The plans as JSON (see DEFAULT_BILLING_PLANS in libs/contracts): price lookup_key → quotas. */
  BILLING_PLANS: z
    .string()
    .default(JSON.stringify(DEFAULT_BILLING_PLANS))
    .transform((raw, ctx) => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON array of plans' });
        return z.NEVER;
      }
    })
    .pipe(planTableSchema),
  /** Lets the billing team read the reconciliation report over the API (GET /v1/admin/billing/report); unset: that route answers 403. */
  BILLING_ADMIN_TOKEN: z.string().min(32, 'must be at least 32 characters').optional(),

  UPLOAD_MAX_FILE_BYTES: positiveInt.default(50 * 1024 * 1024),
  UPLOAD_MAX_REQUEST_BYTES: positiveInt.default(500 * 1024 * 1024),
  UPLOAD_MAX_FILES_PER_REQUEST: positiveInt.max(1000).default(50),
  /**
   * Where the gateway keeps a local copy of a request's second and later photos while they are
   * received (removed once in S3; the first streams straight to S3); needs room for a few photos
   * per request in flight. Unset: the OS temp dir.
   */
  UPLOAD_SPOOL_DIR: z
    .string()
    .refine((dir) => dir.startsWith('/'), 'must be an absolute path')
    .optional(),
  PRESIGNED_UPLOAD_TTL_SECONDS: positiveInt.min(60).max(3600).default(900),
  RENDITION_URL_TTL_SECONDS: positiveInt.min(30).max(3600).default(300),
  INGEST_MAX_INPUT_PIXELS: positiveInt.default(100_000_000),
  SWEEP_INTERVAL_SECONDS: positiveInt.min(10).default(120),
  SWEEP_GRACE_SECONDS: positiveInt.default(60),
  /** Images decoded at once per ingest process: each rotated 12 MP JPEG holds its 36 MB raster while it is written. */
  INGEST_IMAGE_THREADS: positiveInt.max(16).default(1),

  SUPPORT_EMAIL: z.email('must be an e-mail address').default('support@sessionpix.example'),

  INGEST_CONCURRENCY: positiveInt.optional(),
  VISION_PASS1_CONCURRENCY: positiveInt.optional(),
  VISION_PASS2_CONCURRENCY: positiveInt.optional(),
  PURGE_CONCURRENCY: positiveInt.optional(),
  MAINTENANCE_CONCURRENCY: positiveInt.optional(),
  NOTIFICATIONS_CONCURRENCY: positiveInt.optional(),
  EMAIL_BATCH_CONCURRENCY: positiveInt.optional(),
  BILLING_CONCURRENCY: positiveInt.optional(),
  /** Overrides every queue's lock duration (ms); unset: the queue settings table. */
  QUEUE_LOCK_DURATION_MS: positiveInt.min(1000).optional(),
});

export type RawConfig = z.output<typeof configSchema>;
