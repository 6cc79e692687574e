import { Inject, Injectable, Logger } from '@nestjs/common';
import type { BillingEventStatus } from '@sessionpix/contracts';
import { type EntityManager, emForSystem, MikroORM } from '@sessionpix/db';
import { OutboxDispatcher } from '@sessionpix/queue';
import { billingEventsApplied } from './metrics';
import { linkCustomer, orgExists, upsertDispute, upsertRefund } from './store';
import { StripeApi } from './stripe/stripe-api';
import { StripeSync } from './sync';

/** The ledger columns the worker needs. */
export interface LedgerRow {
  id: string;
  stripe_event_id: string;
  type: string;
  object_id: string | null;
  stripe_customer_id: string | null;
  status: BillingEventStatus;
  run: number;
  attempts: number;
}

type Kind = 'checkout' | 'customer' | 'subscription' | 'invoice' | 'refund' | 'charge_refunds' | 'dispute' | 'payment_method';

/** Which events billing acts on; every other type is recorded as ignored. */
export function kindOf(type: string): Kind | null {
  if (type === 'checkout.session.completed' || type === 'checkout.session.async_payment_succeeded') return 'checkout';
  if (type === 'customer.created' || type === 'customer.updated' || type === 'customer.deleted') return 'customer';
  if (type.startsWith('customer.subscription.')) return 'subscription';
  // invoice.upcoming describes an invoice that does not exist yet (no id to fetch).
  if (type.startsWith('invoice.') && type !== 'invoice.upcoming') return 'invoice';
  if (type.startsWith('refund.') || type === 'charge.refund.updated') return 'refund';
  if (type === 'charge.refunded') return 'charge_refunds';
  if (type.startsWith('charge.dispute.')) return 'dispute';
  if (type.startsWith('payment_method.')) return 'payment_method';
  return null;
}

const FINAL: readonly BillingEventStatus[] = ['applied', 'ignored', 'unmatched'];

interface Outcome {
  status: 'applied' | 'unmatched';
  orgId: string | null;
  outboxIds: string[];
  note?: string;
}

export interface ApplyResult {
  status: BillingEventStatus | 'skipped';
  detail: string;
}

function errorText(err: unknown): string {
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return message.slice(0, 1000);
}

/**
 * Applies one ledgered event. Events are only notifications: the object is fetched again from
 * Stripe, so their order does not matter and a stale or repeated event writes the current state.
 * Everything for one customer happens under a PostgreSQL advisory lock, in one transaction with
 * the ledger row's new status: a Stripe outage or a crash halfway writes nothing, leaves the
 * event `failed` with its error, and the job is retried.
 */
@Injectable()
export class EventApplier {
  private readonly log = new Logger('EventApplier');

  constructor(
    @Inject(MikroORM) private readonly orm: MikroORM,
    private readonly api: StripeApi,
    private readonly sync: StripeSync,
    private readonly dispatcher: OutboxDispatcher,
  ) {}

  async apply(ledgerId: string): Promise<ApplyResult> {
    const em = emForSystem(this.orm);
    const [row] = await em.execute<LedgerRow[]>(`select * from "billing_event" where "id" = ?`, [ledgerId], 'all');
    if (!row) return { status: 'skipped', detail: 'no such ledger row' };
    if (FINAL.includes(row.status)) return { status: 'skipped', detail: `already ${row.status}` };
    const kind = kindOf(row.type);
    if (!kind || !row.object_id) {
      await em.execute(
        `update "billing_event" set "status" = 'ignored', "attempts" = "attempts" + 1, "updated_at" = ?, "applied_at" = ?
          where "id" = ? and "status" not in ('applied', 'ignored', 'unmatched')`,
        [new Date(), new Date(), row.id],
      );
      billingEventsApplied.inc({ outcome: 'ignored' });
      return { status: 'ignored', detail: `billing does not act on ${row.type}` };
    }
    let outcome: Outcome | null;
    try {
      outcome = await em.transactional(async (tx) => {
        await this.sync.lock(tx, row.stripe_customer_id ?? row.object_id!);
        // Under the lock: a duplicate job for this event may have finished meanwhile.
        const [current] = await tx.execute<{ status: BillingEventStatus }[]>(
          `select "status" from "billing_event" where "id" = ? for update`,
          [row.id],
          'all',
        );
        if (FINAL.includes(current.status)) return null;
        const result = await this.run(tx, kind, row);
        await tx.execute(
          `update "billing_event" set "status" = ?, "org_id" = ?, "attempts" = "attempts" + 1, "last_error" = ?,
                  "applied_at" = ?, "updated_at" = ? where "id" = ?`,
          [result.status, result.orgId, result.note ?? null, new Date(), new Date(), row.id],
        );
        return result;
      });
    } catch (err) {
      // Nothing of the attempt was committed; the ledger keeps why, and the job retries.
      await em
        .execute(
          `update "billing_event" set "status" = 'failed', "attempts" = "attempts" + 1, "last_error" = ?, "updated_at" = ?
            where "id" = ? and "status" not in ('applied', 'ignored', 'unmatched')`,
          [errorText(err), new Date(), row.id],
        )
        .catch((e: unknown) => this.log.error(`could not record the failure of ${row.stripe_event_id}: ${String(e)}`));
      billingEventsApplied.inc({ outcome: 'failed' });
      throw err;
    }
    if (!outcome) return { status: 'skipped', detail: 'applied meanwhile' };
    await this.dispatcher.dispatch(outcome.outboxIds);
    billingEventsApplied.inc({ outcome: outcome.status });
    return { status: outcome.status, detail: outcome.note ?? `${row.type} ${row.object_id}` };
  }

  private unmatched(note: string): Outcome {
    return { status: 'unmatched', orgId: null, outboxIds: [], note };
  }

  private async run(tx: EntityManager, kind: Kind, row: LedgerRow): Promise<Outcome> {
    const objectId = row.object_id!;
    switch (kind) {
      case 'checkout': {
        const session = await this.api.checkoutSession(objectId);
        const orgId = session.clientReferenceId;
        if (!orgId || !(await orgExists(tx, orgId))) return this.unmatched('the checkout session names no org of ours');
        if (!session.customerId) return this.unmatched('the checkout session has no customer');
        if ((await linkCustomer(tx, orgId, session.customerId)) === 'conflict') {
          return this.unmatched(`customer ${session.customerId} is linked to another org`);
        }
        await this.sync.syncCustomer(tx, orgId, await this.api.customer(session.customerId));
        if (session.subscriptionId) await this.sync.syncSubscription(tx, orgId, await this.api.subscription(session.subscriptionId));
        return { status: 'applied', orgId, outboxIds: [] };
      }
      case 'customer': {
        const customer = await this.api.customer(objectId);
        const orgId = await this.sync.orgOfCustomer(tx, customer.id, customer.orgIdHint);
        if (!orgId) return this.unmatched(`customer ${customer.id} belongs to no org of ours`);
        await this.sync.syncCustomer(tx, orgId, customer);
        return { status: 'applied', orgId, outboxIds: [] };
      }
      case 'subscription': {
        const sub = await this.api.subscription(objectId);
        const orgId = await this.sync.orgOfCustomer(tx, sub.customerId, sub.orgIdHint);
        if (!orgId) return this.unmatched(`customer ${sub.customerId} belongs to no org of ours`);
        await this.sync.syncSubscription(tx, orgId, sub);
        return { status: 'applied', orgId, outboxIds: [] };
      }
      case 'invoice': {
        const invoice = await this.api.invoice(objectId);
        const orgId = await this.sync.orgOfCustomer(tx, invoice.customerId);
        if (!orgId) return this.unmatched(`customer ${invoice.customerId} belongs to no org of ours`);
        const { outboxIds } = await this.sync.syncInvoice(tx, orgId, invoice);
        return { status: 'applied', orgId, outboxIds };
      }
      case 'refund':
      case 'charge_refunds': {
        const refunds =
          kind === 'refund' ? [await this.api.refund(objectId)] : await this.api.refundsOfCharge((await this.api.charge(objectId)).id);
        let orgId: string | null = null;
        let matched = 0;
        for (const refund of refunds) {
          const known = refund.customerId ? await this.sync.orgOfCustomer(tx, refund.customerId) : null;
          const result = await upsertRefund(tx, known, refund);
          orgId ??= result.orgId;
          if (result.matched) matched += 1;
        }
        return orgId
          ? { status: 'applied', orgId, outboxIds: [], ...(matched < refunds.length ? { note: 'refund not matched to an invoice' } : {}) }
          : { status: 'unmatched', orgId: null, outboxIds: [], note: 'refund of a payment no org of ours made' };
      }
      case 'dispute': {
        const dispute = await this.api.dispute(objectId);
        let orgId: string | null = null;
        if (dispute.chargeId) {
          const charge = await this.api.charge(dispute.chargeId);
          if (charge.customerId) orgId = await this.sync.orgOfCustomer(tx, charge.customerId);
        }
        const result = await upsertDispute(tx, orgId, dispute);
        return result.orgId
          ? { status: 'applied', orgId: result.orgId, outboxIds: [], ...(result.matched ? {} : { note: 'dispute not matched to an invoice' }) }
          : { status: 'unmatched', orgId: null, outboxIds: [], note: 'dispute of a payment no org of ours made' };
      }
      case 'payment_method': {
        const pm = await this.api.paymentMethod(objectId);
        const customerId = pm.customerId ?? row.stripe_customer_id;
        if (!customerId) return this.unmatched('the payment method belongs to no customer');
        const customer = await this.api.customer(customerId);
        const orgId = await this.sync.orgOfCustomer(tx, customerId, customer.orgIdHint);
        if (!orgId) return this.unmatched(`customer ${customerId} belongs to no org of ours`);
        await this.sync.syncCustomer(tx, orgId, customer);
        return { status: 'applied', orgId, outboxIds: [] };
      }
    }
  }
}
