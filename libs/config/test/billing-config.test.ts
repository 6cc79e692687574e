import { ConfigError, loadConfig } from '@sessionpix/config';
import { DEFAULT_BILLING_PLANS } from '@sessionpix/contracts';

// The billing service (and, where said, the gateway) alone: other services' edges are their tests' business.
const billing = { SESSIONPIX_SERVICES: 'billing', STRIPE_SECRET_KEY: 'sk_test_abc123' };

function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('billing configuration', () => {
  it('requires the Stripe key where billing runs, and checks its shape', () => {
    expect(problemsOf({ SESSIONPIX_SERVICES: 'billing' })).toEqual([
      { variable: 'STRIPE_SECRET_KEY', message: 'is required by the billing service' },
    ]);
    expect(problemsOf({ ...billing, STRIPE_SECRET_KEY: 'pk_test_abc' })[0]).toMatchObject({ variable: 'STRIPE_SECRET_KEY' });
    expect(problemsOf({ ...billing, STRIPE_SECRET_KEY: 'rk_live_abc' })).toEqual([]);
    expect(loadConfig(billing).STRIPE_API_BASE_URL).toBe('https://api.stripe.com');
  });

  it('reads several webhook secrets (rotation), and requires them in production where the gateway runs', () => {
    const gateway = { SESSIONPIX_SERVICES: 'gateway', AWS_REGION: 'us-east-1', S3_BUCKET: 'b-test' };
    expect(loadConfig({ ...gateway, STRIPE_WEBHOOK_SECRETS: 'whsec_old, whsec_new' }).STRIPE_WEBHOOK_SECRETS).toEqual(['whsec_old', 'whsec_new']);
    expect(problemsOf({ ...gateway, STRIPE_WEBHOOK_SECRETS: 'whsec_ok,nope' })[0]).toMatchObject({ variable: 'STRIPE_WEBHOOK_SECRETS' });
    const production = { ...gateway, NODE_ENV: 'production', API_KEY_PEPPER: 'p'.repeat(32), AUTH_TOKEN_SECRET: 's'.repeat(32), EMAIL_UNSUBSCRIBE_SECRET: 'u'.repeat(32) };
    expect(problemsOf(production)).toEqual([{ variable: 'STRIPE_WEBHOOK_SECRETS', message: expect.stringMatching(/required in production/) }]);
    expect(problemsOf({ ...production, STRIPE_WEBHOOK_SECRETS: 'whsec_x' })).toEqual([]);
    // A worker has no use for them.
    expect(problemsOf({ ...billing, NODE_ENV: 'production' })).toEqual([]);
  });

  it.each(['https://api.stripe.com', 'http://127.0.0.1:12111', 'http://localhost:12111', 'http://[::1]:12111'])(
    'P10: accepts Stripe’s API host or loopback %s',
    (url) => {
      expect(problemsOf({ ...billing, STRIPE_API_BASE_URL: url })).toEqual([]);
    },
  );

  it.each([
    'https://evil.example.com',
    'https://api.stripe.com.evil.example',
    'https://api.stripe.com@evil.example',
    'https://files.stripe.com',
    'https://s3.us-east-1.amazonaws.com',
    'http://stripe:12111',
    'http://10.0.0.5:12111',
    'http://stripe.localhost:12111',
  ])('P10: refuses %s, even with SESSIONPIX_ALLOW_LOCAL_ENDPOINTS', (url) => {
    for (const allowLocal of ['false', 'true']) {
      const problems = problemsOf({ ...billing, STRIPE_API_BASE_URL: url, SESSIONPIX_ALLOW_LOCAL_ENDPOINTS: allowLocal });
      expect(problems, `${url} allowLocal=${allowLocal}`).toEqual([{ variable: 'STRIPE_API_BASE_URL', message: expect.stringMatching(/P10/) }]);
      expect(problems[0].message).toContain(new URL(url).hostname);
    }
  });

  it('P10: requires TLS to api.stripe.com', () => {
    expect(problemsOf({ ...billing, STRIPE_API_BASE_URL: 'http://api.stripe.com' })).toEqual([
      { variable: 'STRIPE_API_BASE_URL', message: expect.stringMatching(/https/) },
    ]);
  });

  it('has built-in plans with one free tier, and reads a plan table as JSON', () => {
    expect(loadConfig(billing).BILLING_PLANS).toEqual(DEFAULT_BILLING_PLANS);
    const plans = [
      { id: 'free', name: 'Free', lookupKey: null, photosPerPeriod: 10, members: 1, storageBytes: 1000 },
      { id: 'pro', name: 'Pro', lookupKey: 'pro_monthly', photosPerPeriod: 1000, members: 5, storageBytes: 10_000 },
    ];
    expect(loadConfig({ ...billing, BILLING_PLANS: JSON.stringify(plans) }).BILLING_PLANS).toEqual(plans);
    expect(problemsOf({ ...billing, BILLING_PLANS: '{not json' })).toEqual([{ variable: 'BILLING_PLANS', message: 'must be a JSON array of plans' }]);
    const twoFree = [plans[0], { ...plans[1], lookupKey: null }];
    expect(problemsOf({ ...billing, BILLING_PLANS: JSON.stringify(twoFree) })[0]).toMatchObject({
      variable: 'BILLING_PLANS',
      message: expect.stringMatching(/exactly one plan/),
    });
    const dupe = [plans[0], plans[1], { ...plans[1], id: 'pro2' }];
    expect(problemsOf({ ...billing, BILLING_PLANS: JSON.stringify(dupe) })[0].message).toMatch(/duplicate lookupKey: pro_monthly/);
  });

  it('takes a billing-team token of at least 32 characters', () => {
    expect(problemsOf({ ...billing, BILLING_ADMIN_TOKEN: 'short' })).toEqual([{ variable: 'BILLING_ADMIN_TOKEN', message: 'must be at least 32 characters' }]);
  });
});
