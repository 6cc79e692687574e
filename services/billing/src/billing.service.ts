import type { ServiceDefinition } from '@sessionpix/runtime';
import { BillingModule } from './billing.module';

export const billingService: ServiceDefinition = { name: 'billing', module: BillingModule };
