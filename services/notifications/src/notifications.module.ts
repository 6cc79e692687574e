import { Module } from '@nestjs/common';

/**
 * The notifications service. It runs as its own Deployment and already boots, connects to PostgreSQL
 * and Redis, reports readiness and drains on SIGTERM; its queues and routes join the
 * contracts with the notifications issue.
 */
@Module({})
export class NotificationsModule {}
