import { Module } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '@sessionpix/config';
import { EventApplier } from './apply';
import { CheckoutService } from './checkout';
import { BillingEventsHandler, BillingMaintenanceHandler } from './handlers';
import { BillingNotices } from './notices';
import { Reconciler } from './reconcile';
import { ReportService } from './report';
import { BillingRpcServer } from './rpc';
import { createStripeClient, STRIPE, StripeApi } from './stripe/stripe-api';
import { StripeSync } from './sync';

/**
 * The billing service: applies Stripe events from the ledger (the `billing-events` queue), keeps
 * reconciling with Stripe (`billing-maintenance`: replay, nightly sweep, P14 purge), and answers
 * the gateway and the billing CLI over Redis request/response. It alone holds STRIPE_SECRET_KEY.
 */
@Module({
  providers: [
    { provide: STRIPE, inject: [APP_CONFIG], useFactory: (config: AppConfig) => createStripeClient(config) },
    StripeApi,
    BillingNotices,
    StripeSync,
    EventApplier,
    Reconciler,
    ReportService,
    CheckoutService,
    BillingEventsHandler,
    BillingMaintenanceHandler,
    BillingRpcServer,
  ],
  exports: [EventApplier, Reconciler, ReportService, CheckoutService, StripeApi],
})
export class BillingModule {}
