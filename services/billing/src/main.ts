import { runMain } from '@sessionpix/runtime';
import { billingService } from './billing.service';

void runMain([billingService], { SESSIONPIX_SERVICES: 'billing' });
