import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process, however many services it runs. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'sessionpix_' });

export const jobsCompleted = new Counter({
  name: 'sessionpix_jobs_total',
  help: 'Jobs finished by the workers of this process, by queue and outcome.',
  labelNames: ['queue', 'outcome'] as const,
  registers: [metricsRegistry],
});

export const jobDuration = new Histogram({
  name: 'sessionpix_job_duration_seconds',
  help: 'Wall time of job handlers.',
  labelNames: ['queue'] as const,
  buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [metricsRegistry],
});

export const httpRequests = new Counter({
  name: 'sessionpix_http_requests_total',
  help: 'HTTP requests answered by the gateway, by route and status.',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [metricsRegistry],
});

export const billingEventsApplied = new Counter({
  name: 'sessionpix_billing_events_total',
  help: 'Stripe events the billing worker finished, by outcome (applied, ignored, unmatched, failed).',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});

export const billingReplayCursorAge = new Gauge({
  name: 'sessionpix_billing_replay_cursor_age_seconds',
  help: 'Age of the Stripe event replay cursor; Stripe keeps events 30 days, so alarm well before (25 days).',
  registers: [metricsRegistry],
});

export const billingDriftFound = new Counter({
  name: 'sessionpix_billing_drift_total',
  help: 'Differences reconciliation found between the database and Stripe, by entity and action.',
  labelNames: ['entity', 'action'] as const,
  registers: [metricsRegistry],
});
