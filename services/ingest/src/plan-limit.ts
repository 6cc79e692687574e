import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { PLAN_LIMIT_REASON_CODE } from '@sessionpix/contracts';
import { applyStatus, chargePhoto, currentQuotaPeriod, type EntityManager, OutboxWriter, photosUsed, type QuotaPeriod } from '@sessionpix/db';
import { ItemPipeline, type LoadedItem, OutboxDispatcher } from '@sessionpix/queue';

function day(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/**
 * The photo quota at ingest. A photo counts once it has been decoded (a file that cannot be
 * read is rejected for that and does not count; a duplicate that reuses an earlier upload's
 * results never gets here). The count is one atomic statement in libs/db (`chargePhoto`); over
 * the plan's limit the photo is `rejected` with reasonCode `plan_limit` and the org's owners
 * are told once per period, by an outbox e-mail written in the same transaction.
 */
@Injectable()
export class PlanLimits {
  constructor(
    private readonly outbox: OutboxWriter,
    private readonly dispatcher: OutboxDispatcher,
    private readonly pipeline: ItemPipeline,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Cheap look before decoding: the period when its quota is already used up — unless this photo
   * was counted already (a retry after a crash), which it may then finish.
   */
  async exhausted(em: EntityManager, orgId: string, itemId: string): Promise<QuotaPeriod | null> {
    const charged = await em.execute<{ n: number }[]>(`select count(*)::int as "n" from "plan_usage_charge" where "item_id" = ?`, [itemId], 'all');
    if (Number(charged[0]?.n ?? 0) > 0) return null;
    const period = await currentQuotaPeriod(em, orgId, this.config.BILLING_PLANS);
    return (await photosUsed(em, orgId, period)) >= period.plan.photosPerPeriod ? period : null;
  }

  /** Counts the photo; null when it may proceed, the period when it is over the limit. */
  async charge(em: EntityManager, orgId: string, itemId: string): Promise<QuotaPeriod | null> {
    const charge = await chargePhoto(em, orgId, itemId, this.config.BILLING_PLANS);
    return charge.outcome === 'over_limit' ? charge.period : null;
  }

  /** Rejects the photo for the plan's limit and tells the owners (once per org and period). */
  async reject(loaded: LoadedItem, period: QuotaPeriod): Promise<void> {
    const { em, item } = loaded;
    const orgId = item.org.id;
    const outboxIds = await em.transactional(async (tx) => {
      applyStatus(item, {
        status: 'rejected',
        reasonCode: PLAN_LIMIT_REASON_CODE,
        reason: `This photo was not analysed: the ${period.plan.name} plan allows ${period.plan.photosPerPeriod} photos per period, and this period's have been used. The count starts again on ${day(period.end)}; an owner can change the plan.`,
        retryable: false,
      });
      return this.notifyOwners(tx, orgId, period);
    });
    await this.pipeline.announce(item);
    await this.dispatcher.dispatch(outboxIds);
  }

  private async notifyOwners(em: EntityManager, orgId: string, period: QuotaPeriod): Promise<string[]> {
    const [org] = await em.execute<{ name: string }[]>(`select "name" from "organization" where "id" = ?`, [orgId], 'all');
    if (!org) return [];
    const owners = await em.execute<{ id: string; email: string }[]>(
      `select u."id", u."email" from "membership" m join "user_account" u on u."id" = m."user_id"
        where m."org_id" = ? and m."role" = 'owner' and u."deleted_at" is null order by u."id"`,
      [orgId],
      'all',
    );
    const ids: string[] = [];
    for (const owner of owners) {
      const queued = await this.outbox.queueEmail(em, {
        templateId: 'billing.plan_limit_reached',
        to: owner.email,
        data: {
          orgName: org.name,
          planName: period.plan.name,
          limit: period.plan.photosPerPeriod,
          limitName: 'photos analysed this period',
          periodEnd: period.end.toISOString(),
          manageUrl: new URL('/billing', this.config.WEB_APP_URL).toString(),
        },
        // Once per org and quota period (and owner), however many photos are turned away.
        dedupeKey: `billing.plan_limit_reached:${orgId}:${period.start.toISOString()}:${owner.id}`,
      });
      if (queued.id) ids.push(queued.id);
    }
    return ids;
  }
}
