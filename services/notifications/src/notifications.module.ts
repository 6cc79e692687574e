import { Module } from '@nestjs/common';
import { Broadcasts } from './broadcasts';
import { EmailBatchHandler } from './email-batch.handler';
import { OutboxSender } from './outbox-sender';
import { OutboxSweeper } from './outbox-sweeper';
import { SendRateLimiter } from './send-rate';
import { SesMailer } from './ses';

/**
 * The notifications service: transactional e-mail through SES v2 (P7). It consumes the
 * `notifications` queue (one outbox row per job) and `email-batch` (broadcasts and the outbox
 * sweep). Templates are files (src/templates); preferences and the suppression list are checked
 * before every send; the send rate is shared by every replica.
 */
@Module({
  providers: [SesMailer, SendRateLimiter, OutboxSender, Broadcasts, OutboxSweeper, EmailBatchHandler],
})
export class NotificationsModule {}
