import { ConfigError, loadConfig } from '@sessionpix/config';

function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const edges = {
  AWS_REGION: 'us-east-1',
  S3_BUCKET: 'sessionpix-test',
  // The notifications service (one of the default six) needs its sender, and in production its link key.
  SES_FROM_ADDRESS: 'sessionpix <no-reply@sessionpix.example>',
  EMAIL_UNSUBSCRIBE_SECRET: 'u'.repeat(32),
  // Billing needs its Stripe key; the gateway, in production, its webhook signing secrets.
  STRIPE_SECRET_KEY: 'sk_test_configtest',
  STRIPE_WEBHOOK_SECRETS: 'whsec_configtest',
};

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ ...edges });
    expect(config.DATABASE_URL).toBe('postgres://postgres@127.0.0.1:5432/sessionpix');
    expect(config.REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.PORT).toBe(3000);
    expect(config.SESSIONPIX_SERVICES).toEqual([
      'gateway',
      'ingest',
      'vision-pass-1',
      'vision-pass-2',
      'billing',
      'notifications',
    ]);
  });

  it('names the variable that is wrong', () => {
    const problems = problemsOf({ ...edges, DATABASE_URL: 'mysql://x', PORT: 'eighty' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'PORT']);
    expect(problems.find((p) => p.variable === 'DATABASE_URL')?.message).toMatch(/postgres:\/\//);
  });

  it('refuses unknown service names in SESSIONPIX_SERVICES', () => {
    const problems = problemsOf({ ...edges, SESSIONPIX_SERVICES: 'gateway,thumbnailer' });
    expect(problems[0].variable).toBe('SESSIONPIX_SERVICES');
    expect(problems[0].message).toMatch(/one of gateway/);
  });

  it('P20: refuses a non-US AWS region unless explicitly overridden', () => {
    const problems = problemsOf({ ...edges, AWS_REGION: 'eu-west-1' });
    expect(problems).toEqual([
      expect.objectContaining({ variable: 'AWS_REGION', message: expect.stringMatching(/not a US region/) }),
    ]);
    expect(loadConfig({ ...edges, AWS_REGION: 'eu-west-1', SESSIONPIX_ALLOW_NON_US_REGION: 'true' }).AWS_REGION).toBe(
      'eu-west-1',
    );
    expect(loadConfig({ ...edges, AWS_REGION: 'us-west-2' }).AWS_REGION).toBe('us-west-2');
    expect(loadConfig({ ...edges, AWS_REGION: 'us-gov-west-1' }).AWS_REGION).toBe('us-gov-west-1');
  });

  it('requires the edges of the services it runs, and only those', () => {
    const problems = problemsOf({ SESSIONPIX_SERVICES: 'ingest' });
    expect(problems.map((p) => p.variable).sort()).toEqual(['AWS_REGION', 'S3_BUCKET']);
    expect(problems[0].message).toMatch(/required by the ingest service/);
    expect(problemsOf({ SESSIONPIX_SERVICES: 'billing' })).toEqual([
      { variable: 'STRIPE_SECRET_KEY', message: 'is required by the billing service' },
    ]);
    expect(() => loadConfig({ SESSIONPIX_SERVICES: 'billing', STRIPE_SECRET_KEY: 'sk_test_x' })).not.toThrow();
  });

  it('requires a real API key pepper in production', () => {
    expect(problemsOf({ ...edges, NODE_ENV: 'production', AUTH_TOKEN_SECRET: 's'.repeat(32) })).toEqual([
      expect.objectContaining({ variable: 'API_KEY_PEPPER' }),
    ]);
    expect(problemsOf({ ...edges, API_KEY_PEPPER: 'short' })[0].variable).toBe('API_KEY_PEPPER');
  });

  it('validates worker concurrency overrides', () => {
    expect(loadConfig({ ...edges, VISION_PASS2_CONCURRENCY: '20' }).VISION_PASS2_CONCURRENCY).toBe(20);
    expect(problemsOf({ ...edges, VISION_PASS2_CONCURRENCY: '0' })[0].variable).toBe('VISION_PASS2_CONCURRENCY');
  });
});
