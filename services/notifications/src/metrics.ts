import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '@sessionpix/observability';

/** E-mails finished by this process, by template and outcome (`sent`, `suppressed-by-preference`, …). */
export const emailsTotal = new Counter({
  name: 'sessionpix_emails_total',
  help: 'E-mails the notifications worker finished with, by template and outcome.',
  labelNames: ['template', 'outcome'] as const,
  registers: [metricsRegistry],
});

/**
 * E-mails found mid-send after a crash (or a lost job): SES may or may not have sent them, so
 * they are not sent again. Operators list them with `npm run admin -- email:in-doubt`.
 */
export const emailsInDoubtTotal = new Counter({
  name: 'sessionpix_emails_in_doubt_total',
  help: 'E-mails marked in_doubt (possibly sent; never resent); list them with `admin email:in-doubt`.',
  registers: [metricsRegistry],
});

export const sesCallDuration = new Histogram({
  name: 'sessionpix_ses_send_seconds',
  help: 'Time of SES SendEmail calls, by result.',
  labelNames: ['result'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20],
  registers: [metricsRegistry],
});
