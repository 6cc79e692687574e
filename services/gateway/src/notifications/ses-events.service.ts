import { Inject, Injectable, Logger } from '@nestjs/common';
import { emForSystem, MikroORM, suppressEmailAddress } from '@sessionpix/db';
import { z } from 'zod';

/**
 * The parts of an SES event we act on. SES publishes them either as event publishing (a
 * configuration set; `eventType`) or as identity notifications (`notificationType`).
 */
const sesEventSchema = z.object({
  eventType: z.string().optional(),
  notificationType: z.string().optional(),
  mail: z.object({ messageId: z.string().optional() }).partial().optional(),
  bounce: z
    .object({
      bounceType: z.string(),
      bounceSubType: z.string().optional(),
      bouncedRecipients: z.array(z.object({ emailAddress: z.string() }).passthrough()).default([]),
    })
    .passthrough()
    .optional(),
  complaint: z
    .object({
      complaintFeedbackType: z.string().optional(),
      complainedRecipients: z.array(z.object({ emailAddress: z.string() }).passthrough()).default([]),
    })
    .passthrough()
    .optional(),
});

export interface SesEventOutcome {
  type: string;
  suppressed: number;
}

/** Recipient addresses in SES events may carry a display name: `"Ada" <ada@example.com>`. */
function bareAddress(raw: string): string {
  const match = /<([^<>]+)>\s*$/.exec(raw);
  return (match ? match[1] : raw).trim().toLowerCase();
}

/**
 * Applies SES bounce and complaint events: hard (Permanent) bounces and complaints put the
 * address on the suppression list that every send checks. Soft bounces, deliveries and other
 * events change nothing.
 */
@Injectable()
export class SesEvents {
  private readonly log = new Logger('SesEvents');

  constructor(@Inject(MikroORM) private readonly orm: MikroORM) {}

  async apply(message: string): Promise<SesEventOutcome> {
    let json: unknown;
    try {
      json = JSON.parse(message);
    } catch {
      return { type: 'not-json', suppressed: 0 };
    }
    const parsed = sesEventSchema.safeParse(json);
    if (!parsed.success) return { type: 'unknown', suppressed: 0 };
    const event = parsed.data;
    const type = event.eventType ?? event.notificationType ?? 'unknown';
    const messageId = event.mail?.messageId ?? null;
    const em = emForSystem(this.orm);
    let suppressed = 0;
    if (type === 'Bounce' && event.bounce?.bounceType === 'Permanent') {
      for (const r of event.bounce.bouncedRecipients) {
        await suppressEmailAddress(em, {
          address: bareAddress(r.emailAddress),
          reason: 'bounce',
          detail: event.bounce.bounceSubType ?? null,
          sourceMessageId: messageId,
        });
        suppressed += 1;
      }
    } else if (type === 'Complaint' && event.complaint) {
      for (const r of event.complaint.complainedRecipients) {
        await suppressEmailAddress(em, {
          address: bareAddress(r.emailAddress),
          reason: 'complaint',
          detail: event.complaint.complaintFeedbackType ?? null,
          sourceMessageId: messageId,
        });
        suppressed += 1;
      }
    }
    if (suppressed > 0) this.log.warn(`SES ${type}: ${suppressed} address(es) suppressed (message ${messageId ?? '?'})`);
    return { type, suppressed };
  }
}
