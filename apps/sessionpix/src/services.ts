import { billingService } from '@sessionpix/billing';
import { gatewayService } from '@sessionpix/gateway';
import { ingestService } from '@sessionpix/ingest';
import { notificationsService } from '@sessionpix/notifications';
import type { ServiceDefinition } from '@sessionpix/runtime';
import { visionPass1Service } from '@sessionpix/vision-pass-1';
import { visionPass2Service } from '@sessionpix/vision-pass-2';

/** Every service this build carries; SESSIONPIX_SERVICES chooses among them. */
export const ALL_SERVICES: readonly ServiceDefinition[] = [
  gatewayService,
  ingestService,
  visionPass1Service,
  visionPass2Service,
  billingService,
  notificationsService,
];
