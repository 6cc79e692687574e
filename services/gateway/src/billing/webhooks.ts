import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { STRIPE_WEBHOOK_TOLERANCE_SECONDS } from '@sessionpix/contracts';
import { emForSystem, ledgerMetaOf, MikroORM, recordStripeEvent } from '@sessionpix/db';
import { JobProducer } from '@sessionpix/queue';
import Stripe from 'stripe';
import { ProblemError } from '../http/problem';

export const STRIPE_WEBHOOK_PATH = '/v1/billing/webhook';

/**
 * Stripe's webhook, received at the gateway: the signature is checked on the exact bytes with
 * stripe-node's `webhooks.constructEvent` (Stripe's own 300 s tolerance) against each active
 * secret (several while one is rotated) — the secret key is never needed here. A good event goes
 * into the ledger (metadata and a payload hash only, P5) and onto the `billing-events` queue, and
 * the answer is 200 at once; a duplicate is a no-op. Anything unsigned, forged, stale or altered
 * is a 400 and leaves no row.
 */
@Injectable()
export class StripeWebhooks {
  private readonly log = new Logger('StripeWebhooks');

  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly producer: JobProducer,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async receive(raw: Buffer | undefined, signature: string | undefined): Promise<{ received: true; duplicate: boolean }> {
    const secrets = this.config.STRIPE_WEBHOOK_SECRETS ?? [];
    if (secrets.length === 0) {
      throw new ProblemError(HttpStatus.SERVICE_UNAVAILABLE, 'webhook_not_configured', 'Stripe webhooks are not configured here (STRIPE_WEBHOOK_SECRETS)');
    }
    if (!raw || raw.length === 0 || !signature) {
      throw new ProblemError(HttpStatus.BAD_REQUEST, 'invalid_signature', 'a Stripe webhook needs its body and a Stripe-Signature header');
    }
    let event: Stripe.Event | null = null;
    for (const secret of secrets) {
      try {
        event = Stripe.webhooks.constructEvent(raw, signature, secret, STRIPE_WEBHOOK_TOLERANCE_SECONDS);
        break;
      } catch {
        // the next active secret, if any
      }
    }
    if (!event) {
      throw new ProblemError(
        HttpStatus.BAD_REQUEST,
        'invalid_signature',
        `the Stripe-Signature header does not match this body under any active secret, or is older than ${STRIPE_WEBHOOK_TOLERANCE_SECONDS} s`,
      );
    }
    let meta;
    try {
      meta = ledgerMetaOf(event, raw);
    } catch {
      throw new ProblemError(HttpStatus.BAD_REQUEST, 'invalid_event', 'the body is not a Stripe event');
    }
    const entry = await recordStripeEvent(emForSystem(this.orm), meta, 'webhook');
    // A new row, or one still waiting (an earlier delivery whose enqueue failed): the job id is
    // deterministic, so BullMQ adds it once.
    if (entry.inserted || entry.status === 'received') {
      await this.producer.enqueue('billing-events', { v: 1, ledgerId: entry.id, run: entry.run });
    }
    if (!entry.inserted) this.log.debug(`Stripe delivered ${meta.stripeEventId} again; nothing to do`);
    return { received: true, duplicate: !entry.inserted };
  }
}
