import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { BILLING_RPC } from '@sessionpix/contracts';
import { REDIS, RpcServer } from '@sessionpix/queue';
import type { Redis } from 'ioredis';
import { BillingRequestError, CheckoutService } from './checkout';
import { Reconciler } from './reconcile';
import { renderReportCsv, renderReportTable, ReportService } from './report';
import { isStripeUnavailable, StripeNotFoundError } from './stripe/stripe-api';

/**
 * The billing service's side of the request/response contract (libs/contracts BILLING_RPC): the
 * gateway asks for checkout and portal sessions and the billing status; the billing CLI and the
 * admin API for the report, a replay, a resync. Only this service holds the Stripe key.
 */
@Injectable()
export class BillingRpcServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('BillingRpc');
  private server: RpcServer | null = null;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly checkout: CheckoutService,
    private readonly reconciler: Reconciler,
    private readonly reports: ReportService,
  ) {}

  private describe(err: unknown): { code: string; message: string } {
    if (err instanceof BillingRequestError) return { code: err.code, message: err.message };
    if (err instanceof StripeNotFoundError) return { code: 'not_found', message: err.message };
    if (isStripeUnavailable(err)) return { code: 'stripe_unavailable', message: 'Stripe is not answering; try again shortly' };
    this.log.error(`a billing request failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return { code: 'internal', message: 'the billing service failed; see its log' };
  }

  onApplicationBootstrap(): void {
    this.server = new RpcServer(this.redis, this.config.QUEUE_PREFIX, 'billing', 8, (err) => this.describe(err))
      .route(BILLING_RPC.checkout, (r) => this.checkout.checkout(r.orgId, r.userId, r.planId))
      .route(BILLING_RPC.portal, (r) => this.checkout.portal(r.orgId))
      .route(BILLING_RPC.status, (r) => this.checkout.status(r.orgId))
      .route(BILLING_RPC.report, async (r) => {
        const report = await this.reports.build(new Date(r.from), new Date(r.to), r.actor);
        return { report: report as unknown as Record<string, unknown>, table: renderReportTable(report), csv: renderReportCsv(report) };
      })
      .route(BILLING_RPC.replayEvent, async (r) => ({ eventId: r.eventId, ...(await this.reconciler.replayEvent(r.eventId, r.actor)) }))
      .route(BILLING_RPC.resyncOrg, async (r) => ({
        orgId: r.orgId,
        drift: (await this.reconciler.resync(r.orgId, r.actor)) as unknown as Record<string, unknown>[],
      }));
    this.server.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.stop();
  }
}
