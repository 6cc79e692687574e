import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@sessionpix/config';

/*
 * P10: outbound calls go only to AWS (S3, SES, Bedrock, Cognito) and Stripe. Every endpoint a
 * deployment can point an SDK at is checked at start-up: an AWS host or loopback (where the
 * stand-ins live); private hosts such as compose service names only with an explicit opt-in
 * that production refuses.
 */

const ROOT = join(__dirname, '..', '..', '..');
const base = {
  AWS_REGION: 'us-east-1',
  S3_BUCKET: 'sessionpix-test',
  // The notifications service's sender (it runs by default).
  SES_FROM_ADDRESS: 'no-reply@sessionpix.example',
  // The billing service's Stripe key (it runs by default).
  STRIPE_SECRET_KEY: 'sk_test_deploy',
};

function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

/** Endpoint variables the schema names, and two the AWS SDK reads by itself. */
const VARIABLES = [
  'AWS_ENDPOINT_URL_S3',
  'AWS_ENDPOINT_URL_BEDROCK_RUNTIME',
  'AWS_ENDPOINT_URL_SESV2',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_STS',
];

describe('outbound endpoints', () => {
  it.each([
    'https://evil.example.com',
    'https://storage.googleapis.com',
    'https://s3.amazonaws.com.evil.example',
    'https://evilamazonaws.com',
    'https://s3.us-east-1.amazonaws.com@evil.example',
    'https://amazonaws.com',
    'https://bedrock-runtime.cn-north-1.amazonaws.com.cn',
    'https://bedrock-runtime.us-east-1.on.aws',
    'http://169.254.169.254',
    'http://0.0.0.0:9000',
    'http://10.0.0.5:9000',
    'http://minio:9000',
    'http://s3.localhost:9000',
  ])('P10: refuses %s at start-up, naming the variable', (url) => {
    for (const variable of VARIABLES) {
      const problems = problemsOf({ ...base, [variable]: url });
      expect(problems, `${variable}=${url}`).toEqual([
        { variable, message: expect.stringMatching(/P10|P20/) },
      ]);
      expect(problems[0].message, url).toContain(new URL(url).hostname);
    }
  });

  it.each([
    'https://s3.us-east-1.amazonaws.com',
    'https://s3.dualstack.us-east-2.amazonaws.com',
    'https://bedrock-runtime.us-west-2.amazonaws.com',
    'https://email.us-east-1.amazonaws.com',
    'https://bucket.vpce-0a1b2c3d-4e5f6a7b.s3.us-east-1.vpce.amazonaws.com',
    'https://bedrock-runtime.us-gov-west-1.amazonaws.com',
    'https://bedrock-runtime.us-east-1.api.aws',
    'http://127.0.0.1:9000',
    'http://127.0.0.53:4566',
    'http://localhost:4566',
    'http://[::1]:9000',
  ])('P10: accepts the AWS host or loopback %s', (url) => {
    for (const variable of VARIABLES) {
      expect(problemsOf({ ...base, [variable]: url }), `${variable}=${url}`).toEqual([]);
    }
  });

  it('P10: accepts private hosts only with SESSIONPIX_ALLOW_LOCAL_ENDPOINTS, and never in production', () => {
    const local = { ...base, AWS_ENDPOINT_URL_S3: 'http://s3.localhost:9000', AWS_ENDPOINT_URL_SESV2: 'http://ses:8005' };
    expect(problemsOf({ ...local, SESSIONPIX_ALLOW_LOCAL_ENDPOINTS: 'true' })).toEqual([]);
    expect(problemsOf({ ...local, AWS_ENDPOINT_URL_S3: 'http://192.168.1.20:9000', SESSIONPIX_ALLOW_LOCAL_ENDPOINTS: 'true' })).toEqual([]);
    // The opt-in opens private hosts, not the internet.
    expect(
      problemsOf({ ...base, AWS_ENDPOINT_URL_S3: 'https://evil.example.com', SESSIONPIX_ALLOW_LOCAL_ENDPOINTS: 'true' }),
    ).toEqual([{ variable: 'AWS_ENDPOINT_URL_S3', message: expect.stringMatching(/not an allowed endpoint/) }]);

    // A worker, so that no gateway-only production secret is part of the answer.
    const production = {
      ...local,
      NODE_ENV: 'production',
      SESSIONPIX_SERVICES: 'notifications',
      SESSIONPIX_ALLOW_LOCAL_ENDPOINTS: 'true',
      EMAIL_UNSUBSCRIBE_SECRET: 'u'.repeat(32),
    };
    expect(problemsOf(production).map((p) => p.variable).sort()).toEqual([
      'AWS_ENDPOINT_URL_S3',
      'AWS_ENDPOINT_URL_SESV2',
      'SESSIONPIX_ALLOW_LOCAL_ENDPOINTS',
    ]);
    expect(problemsOf(production).find((p) => p.variable === 'SESSIONPIX_ALLOW_LOCAL_ENDPOINTS')?.message).toMatch(
      /refused when NODE_ENV=production/,
    );
  });

  it('P20: refuses an AWS endpoint in a non-US region unless explicitly allowed', () => {
    const env = { ...base, AWS_ENDPOINT_URL_BEDROCK_RUNTIME: 'https://bedrock-runtime.eu-west-1.amazonaws.com' };
    expect(problemsOf(env)).toEqual([
      { variable: 'AWS_ENDPOINT_URL_BEDROCK_RUNTIME', message: expect.stringMatching(/eu-west-1, not a US region/) },
    ]);
    expect(problemsOf({ ...env, SESSIONPIX_ALLOW_NON_US_REGION: 'true' })).toEqual([]);
  });

  it('P10: requires TLS to AWS hosts', () => {
    expect(problemsOf({ ...base, AWS_ENDPOINT_URL_S3: 'http://s3.us-east-1.amazonaws.com' })).toEqual([
      { variable: 'AWS_ENDPOINT_URL_S3', message: expect.stringMatching(/https/) },
    ]);
  });

  it('P10: a service given another host refuses to start, and says which variable is wrong', () => {
    const result = spawnSync('sh', [join(ROOT, 'deploy', 'docker-entrypoint.sh'), 'notifications'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        AWS_ENDPOINT_URL_SESV2: 'https://mail.example.net',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/AWS_ENDPOINT_URL_SESV2: mail\.example\.net is not an allowed endpoint.*\(P10\)/);
  });
});

describe('P10: Stripe', () => {
  it('P10: billing given a Stripe API host other than api.stripe.com refuses to start, naming the variable', () => {
    const result = spawnSync('sh', [join(ROOT, 'deploy', 'docker-entrypoint.sh'), 'billing'], {
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        STRIPE_SECRET_KEY: 'sk_live_deploytest',
        STRIPE_API_BASE_URL: 'https://api.stripe.com.evil.example',
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/STRIPE_API_BASE_URL: api\.stripe\.com\.evil\.example is not an allowed endpoint.*\(P10\)/);
  });

  it('P10: accepts only api.stripe.com over TLS, or a stand-in on loopback', () => {
    expect(problemsOf({ ...base, STRIPE_API_BASE_URL: 'https://api.stripe.com' })).toEqual([]);
    expect(problemsOf({ ...base, STRIPE_API_BASE_URL: 'http://127.0.0.1:12111' })).toEqual([]);
    for (const url of ['http://api.stripe.com', 'https://connect.stripe.com', 'http://stripe:12111']) {
      expect(problemsOf({ ...base, STRIPE_API_BASE_URL: url, SESSIONPIX_ALLOW_LOCAL_ENDPOINTS: 'true' }).map((p) => p.variable), url).toEqual([
        'STRIPE_API_BASE_URL',
      ]);
    }
  });
});

describe('the API key pepper in production', () => {
  it('is required where the gateway runs', () => {
    expect(problemsOf({ ...base, NODE_ENV: 'production', SESSIONPIX_SERVICES: 'gateway' })).toContainEqual({
      variable: 'API_KEY_PEPPER',
      message: 'is required in production',
    });
  });

  it('is not given to workers, and anything that reaches for it there stops naming it', () => {
    const config = loadConfig({ ...base, NODE_ENV: 'production', SESSIONPIX_SERVICES: 'vision-pass-2' });
    expect(config.SESSIONPIX_SERVICES).toEqual(['vision-pass-2']);
    expect(() => config.apiKeyPepper).toThrow(ConfigError);
    expect(() => config.apiKeyPepper).toThrow(/API_KEY_PEPPER/);
    expect(JSON.stringify(config)).not.toContain('apiKeyPepper');
  });
});
