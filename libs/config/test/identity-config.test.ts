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
const production = { ...edges, NODE_ENV: 'production', API_KEY_PEPPER: 'p'.repeat(32) };
const cognito = { IDENTITY_PROVIDER: 'cognito', COGNITO_USER_POOL_ID: 'us-east-1_AbC123', COGNITO_CLIENT_ID: 'client1' };

describe('identity configuration', () => {
  it('defaults to the built-in provider with documented token lifetimes and limits', () => {
    const config = loadConfig({ ...edges });
    expect(config).toMatchObject({
      IDENTITY_PROVIDER: 'builtin',
      AUTH_ACCESS_TOKEN_TTL_SECONDS: 900,
      AUTH_REFRESH_TOKEN_TTL_SECONDS: 2_592_000,
      AUTH_RATE_LIMIT_WINDOW_SECONDS: 900,
      AUTH_RATE_LIMIT_PER_IP: 30,
      AUTH_RATE_LIMIT_PER_ACCOUNT: 5,
      WEB_APP_URL: 'http://127.0.0.1:3000',
    });
    expect(config.authTokenSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('requires AUTH_TOKEN_SECRET in production for the built-in provider, where the gateway runs', () => {
    expect(problemsOf(production)).toEqual([
      { variable: 'AUTH_TOKEN_SECRET', message: expect.stringMatching(/required in production when IDENTITY_PROVIDER=builtin/) },
    ]);
    expect(problemsOf({ ...production, AUTH_TOKEN_SECRET: 'short' })[0]).toMatchObject({
      variable: 'AUTH_TOKEN_SECRET',
      message: 'must be at least 32 characters',
    });
    expect(loadConfig({ ...production, AUTH_TOKEN_SECRET: 's'.repeat(32) }).authTokenSecret).toBe('s'.repeat(32));
    // A worker has no use for it; reaching for it there names the variable.
    const worker = loadConfig({ ...production, SESSIONPIX_SERVICES: 'vision-pass-2' });
    expect(() => worker.authTokenSecret).toThrow(/AUTH_TOKEN_SECRET/);
    expect(JSON.stringify(worker)).not.toContain('authTokenSecret');
    // Cognito signs its own tokens.
    expect(() => loadConfig({ ...production, ...cognito })).not.toThrow();
  });

  it('requires the Cognito pool and app client when IDENTITY_PROVIDER=cognito', () => {
    const problems = problemsOf({ ...edges, IDENTITY_PROVIDER: 'cognito' });
    expect(problems).toEqual([
      { variable: 'COGNITO_USER_POOL_ID', message: 'is required when IDENTITY_PROVIDER=cognito' },
      { variable: 'COGNITO_CLIENT_ID', message: 'is required when IDENTITY_PROVIDER=cognito' },
    ]);
    expect(loadConfig({ ...edges, ...cognito }).COGNITO_CLIENT_ID).toBe('client1');
  });

  it('validates Cognito values with clear messages', () => {
    expect(problemsOf({ ...edges, ...cognito, COGNITO_USER_POOL_ID: 'pool' })[0]).toMatchObject({
      variable: 'COGNITO_USER_POOL_ID',
      message: expect.stringMatching(/Cognito user pool id such as us-east-1_/),
    });
    expect(problemsOf({ ...edges, ...cognito, COGNITO_REGION: 'us-west-2' })).toEqual([
      { variable: 'COGNITO_REGION', message: expect.stringMatching(/user pool us-east-1_AbC123 is in us-east-1/) },
    ]);
    expect(problemsOf({ ...edges, IDENTITY_PROVIDER: 'ldap' })[0].variable).toBe('IDENTITY_PROVIDER');
  });

  it('P20: refuses a Cognito pool outside the US unless explicitly overridden', () => {
    const eu = { ...edges, ...cognito, COGNITO_USER_POOL_ID: 'eu-west-1_AbC123' };
    expect(problemsOf(eu)).toEqual([
      { variable: 'COGNITO_USER_POOL_ID', message: expect.stringMatching(/eu-west-1 is not a US region/) },
    ]);
    expect(() => loadConfig({ ...eu, SESSIONPIX_ALLOW_NON_US_REGION: 'true' })).not.toThrow();
  });

  it('bounds token lifetimes and rate limits', () => {
    expect(problemsOf({ ...edges, AUTH_ACCESS_TOKEN_TTL_SECONDS: '86400' })[0]).toMatchObject({
      variable: 'AUTH_ACCESS_TOKEN_TTL_SECONDS',
      message: 'at most 3600 (1 hour)',
    });
    expect(problemsOf({ ...edges, AUTH_RATE_LIMIT_PER_ACCOUNT: '0' })[0].variable).toBe('AUTH_RATE_LIMIT_PER_ACCOUNT');
    expect(problemsOf({ ...edges, WEB_APP_URL: 'app.example' })[0].variable).toBe('WEB_APP_URL');
  });
});
