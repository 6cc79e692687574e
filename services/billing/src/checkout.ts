import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { type BillingRpcResponse, hasPaidAccess, planById } from '@sessionpix/contracts';
import { currentQuotaPeriod, emForSystem, MikroORM, photosUsed } from '@sessionpix/db';
import { accountByOrg, ensureAccount, linkCustomer, orgExists } from './store';
import { StripeApi } from './stripe/stripe-api';

/** A request the billing service refuses; the code is one of the contract's. */
export class BillingRequestError extends Error {
  override name = 'BillingRequestError';
  constructor(
    readonly code: 'unknown_plan' | 'no_customer' | 'not_found' | 'invalid_request',
    message: string,
  ) {
    super(message);
  }
}

/** UTC hour (or 5-minute) slot: a repeated click or a retried request gets the same Stripe object. */
function slot(now: Date, minutes: number): string {
  return String(Math.floor(now.getTime() / (minutes * 60_000)));
}

/**
 * What owners ask of billing through the gateway: a Checkout Session, a Customer Portal session,
 * and the org's billing status. Access is never granted here — only the webhook's events do that.
 * Every write to Stripe carries a deterministic idempotency key.
 */
@Injectable()
export class CheckoutService {
  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly api: StripeApi,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private url(path: string): string {
    return new URL(path, this.config.WEB_APP_URL).toString();
  }

  async checkout(orgId: string, userId: string | null, planId: string): Promise<BillingRpcResponse<'checkout'>> {
    const plan = planById(this.config.BILLING_PLANS, planId);
    if (!plan || !plan.lookupKey) throw new BillingRequestError('unknown_plan', `there is no paid plan "${planId}"`);
    const em = emForSystem(this.orm);
    if (!(await orgExists(em, orgId))) throw new BillingRequestError('not_found', 'the organization was not found');
    const account = await ensureAccount(em, orgId);
    if (hasPaidAccess(account.access)) {
      throw new BillingRequestError('invalid_request', 'the organization already has a subscription: change the plan in the billing portal');
    }
    let customerId = account.stripe_customer_id;
    if (!customerId) {
      const [user] = userId
        ? await em.execute<{ email: string }[]>(`select "email" from "user_account" where "id" = ?`, [userId], 'all')
        : [];
      // One customer per org, whatever retries or concurrent clicks do.
      customerId = await this.api.createCustomer(orgId, user?.email ?? null, `sessionpix-customer-${orgId}`);
      if ((await linkCustomer(em, orgId, customerId)) === 'conflict') {
        throw new BillingRequestError('invalid_request', 'the organization is linked to another Stripe customer');
      }
    }
    const priceId = await this.api.priceIdForLookupKey(plan.lookupKey);
    if (!priceId) throw new BillingRequestError('unknown_plan', `Stripe has no active price with lookup_key ${plan.lookupKey}`);
    const session = await this.api.createCheckoutSession(
      {
        orgId,
        customerId,
        priceId,
        successUrl: this.url('/billing?checkout=success'),
        cancelUrl: this.url('/billing?checkout=canceled'),
      },
      `sessionpix-checkout-${orgId}-${plan.id}-${slot(new Date(), 60)}`,
    );
    return { url: session.url, sessionId: session.id };
  }

  async portal(orgId: string): Promise<BillingRpcResponse<'portal'>> {
    const account = await accountByOrg(emForSystem(this.orm), orgId);
    if (!account?.stripe_customer_id) {
      throw new BillingRequestError('no_customer', 'the organization has no billing account yet: start a subscription first');
    }
    const url = await this.api.createPortalSession(
      account.stripe_customer_id,
      this.url('/billing'),
      `sessionpix-portal-${orgId}-${slot(new Date(), 5)}`,
    );
    return { url };
  }

  async status(orgId: string): Promise<BillingRpcResponse<'status'>> {
    const em = emForSystem(this.orm);
    if (!(await orgExists(em, orgId))) throw new BillingRequestError('not_found', 'the organization was not found');
    const period = await currentQuotaPeriod(em, orgId, this.config.BILLING_PLANS);
    const used = await photosUsed(em, orgId, period);
    const account = await accountByOrg(em, orgId);
    const [sub] = account?.stripe_subscription_id
      ? await em.execute<{ status: string; cancel_at_period_end: boolean; current_period_end: Date | null }[]>(
          `select "status", "cancel_at_period_end", "current_period_end" from "billing_subscription" where "stripe_subscription_id" = ?`,
          [account.stripe_subscription_id],
          'all',
        )
      : [];
    return {
      entitlements: {
        planId: period.plan.id,
        planName: period.plan.name,
        access: account?.access ?? 'none',
        periodStart: period.start.toISOString(),
        periodEnd: period.end.toISOString(),
        photosPerPeriod: period.plan.photosPerPeriod,
        photosUsed: used,
        members: period.plan.members,
        storageBytes: period.plan.storageBytes,
      },
      subscription: sub
        ? { status: sub.status, cancelAtPeriodEnd: sub.cancel_at_period_end, currentPeriodEnd: sub.current_period_end ? new Date(sub.current_period_end).toISOString() : null }
        : null,
      card: account?.card_last4 || account?.card_brand ? { brand: account.card_brand, last4: account.card_last4 } : null,
      billingEmail: account?.billing_email ?? null,
    };
  }
}
