export { billingService } from './billing.service';
export { BillingModule } from './billing.module';
