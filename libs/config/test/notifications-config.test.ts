import { ConfigError, loadConfig, parseFromAddress } from '@sessionpix/config';

function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

const notifications = { SESSIONPIX_SERVICES: 'notifications', AWS_REGION: 'us-east-1', SES_FROM_ADDRESS: 'no-reply@sessionpix.example' };

describe('notifications configuration', () => {
  it('requires the sender and the region where the notifications service runs, and only there', () => {
    expect(problemsOf({ SESSIONPIX_SERVICES: 'notifications' }).map((p) => p.variable).sort()).toEqual(['AWS_REGION', 'SES_FROM_ADDRESS']);
    expect(problemsOf({ SESSIONPIX_SERVICES: 'notifications' })[0].message).toMatch(/required by the notifications service/);
    expect(problemsOf({ SESSIONPIX_SERVICES: 'vision-pass-2' }).map((p) => p.variable)).not.toContain('SES_FROM_ADDRESS');
    expect(loadConfig(notifications)).toMatchObject({ SES_MAX_SEND_RATE: 14, SES_FROM_ADDRESS: 'no-reply@sessionpix.example' });
  });

  it('validates the sender: an address, or a name and an address', () => {
    expect(parseFromAddress('sessionpix <no-reply@sessionpix.example>')).toEqual({ name: 'sessionpix', address: 'no-reply@sessionpix.example' });
    expect(parseFromAddress('"Abbey, Lane" <a@b.example>')).toEqual({ name: 'Abbey, Lane', address: 'a@b.example' });
    expect(parseFromAddress('no-reply@sessionpix.example')).toEqual({ name: null, address: 'no-reply@sessionpix.example' });
    for (const bad of ['sessionpix', 'a@b', 'x <not an address>', 'a@b.example, c@d.example']) {
      expect(problemsOf({ ...notifications, SES_FROM_ADDRESS: bad }), bad).toEqual([
        { variable: 'SES_FROM_ADDRESS', message: expect.stringMatching(/must be an e-mail address/) },
      ]);
    }
  });

  it('bounds the send rate (0 turns the limit off)', () => {
    expect(loadConfig({ ...notifications, SES_MAX_SEND_RATE: '0' }).SES_MAX_SEND_RATE).toBe(0);
    expect(loadConfig({ ...notifications, SES_MAX_SEND_RATE: '2.5' }).SES_MAX_SEND_RATE).toBe(2.5);
    expect(problemsOf({ ...notifications, SES_MAX_SEND_RATE: '-1' })[0].variable).toBe('SES_MAX_SEND_RATE');
    expect(problemsOf({ ...notifications, SES_MAX_SEND_RATE: 'fast' })[0].variable).toBe('SES_MAX_SEND_RATE');
  });

  it('P15: requires the unsubscribe link key in production where the gateway or notifications runs, and not elsewhere', () => {
    const production = { ...notifications, NODE_ENV: 'production' };
    expect(problemsOf(production)).toEqual([{ variable: 'EMAIL_UNSUBSCRIBE_SECRET', message: expect.stringMatching(/required in production/) }]);
    expect(problemsOf({ ...production, EMAIL_UNSUBSCRIBE_SECRET: 'short' })[0]).toMatchObject({
      variable: 'EMAIL_UNSUBSCRIBE_SECRET',
      message: 'must be at least 32 characters',
    });
    expect(loadConfig({ ...production, EMAIL_UNSUBSCRIBE_SECRET: 'k'.repeat(32) }).emailUnsubscribeSecret).toBe('k'.repeat(32));
    const worker = loadConfig({ NODE_ENV: 'production', SESSIONPIX_SERVICES: 'vision-pass-2' });
    expect(() => worker.emailUnsubscribeSecret).toThrow(/EMAIL_UNSUBSCRIBE_SECRET/);
    expect(loadConfig(notifications).emailUnsubscribeSecret.length).toBeGreaterThanOrEqual(32);
  });

  it('accepts SES events only from listed SNS topics in US regions (P20)', () => {
    const arns = 'arn:aws:sns:us-east-1:123456789012:ses-events, arn:aws:sns:us-west-2:123456789012:ses-events-2';
    expect(loadConfig({ ...notifications, SES_EVENTS_TOPIC_ARNS: arns }).SES_EVENTS_TOPIC_ARNS).toEqual([
      'arn:aws:sns:us-east-1:123456789012:ses-events',
      'arn:aws:sns:us-west-2:123456789012:ses-events-2',
    ]);
    expect(problemsOf({ ...notifications, SES_EVENTS_TOPIC_ARNS: 'ses-events' })[0].variable).toBe('SES_EVENTS_TOPIC_ARNS');
    const eu = { ...notifications, SES_EVENTS_TOPIC_ARNS: 'arn:aws:sns:eu-west-1:123456789012:ses-events' };
    expect(problemsOf(eu)).toEqual([{ variable: 'SES_EVENTS_TOPIC_ARNS', message: expect.stringMatching(/eu-west-1, not a US region.*P20/) }]);
    expect(problemsOf({ ...eu, SESSIONPIX_ALLOW_NON_US_REGION: 'true' })).toEqual([]);
  });

  it('P10: trusts a local SNS stand-in only on loopback, and never in production', () => {
    expect(loadConfig({ ...notifications, SNS_ALLOWED_LOCAL_HOSTS: '127.0.0.1:4100, localhost:4101' }).SNS_ALLOWED_LOCAL_HOSTS).toEqual([
      '127.0.0.1:4100',
      'localhost:4101',
    ]);
    expect(problemsOf({ ...notifications, SNS_ALLOWED_LOCAL_HOSTS: 'evil.example.com:443' })).toEqual([
      { variable: 'SNS_ALLOWED_LOCAL_HOSTS', message: expect.stringMatching(/evil\.example\.com is not a loopback host \(P10\)/) },
    ]);
    expect(problemsOf({ ...notifications, SNS_ALLOWED_LOCAL_HOSTS: '127.0.0.1' })[0].variable).toBe('SNS_ALLOWED_LOCAL_HOSTS');
    const production = { ...notifications, NODE_ENV: 'production', EMAIL_UNSUBSCRIBE_SECRET: 'k'.repeat(32), SNS_ALLOWED_LOCAL_HOSTS: '127.0.0.1:4100' };
    expect(problemsOf(production)).toEqual([{ variable: 'SNS_ALLOWED_LOCAL_HOSTS', message: expect.stringMatching(/refused when NODE_ENV=production/) }]);
  });
});
