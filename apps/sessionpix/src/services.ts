import type { ServiceName } from '@sessionpix/contracts';
import type { ServiceDefinition } from '@sessionpix/runtime';

/**
 * Every service this build carries, loaded only when the process runs it: a worker pod does
 * not pay (in start-up time and memory) for the other five services' code.
 */
const LOADERS: Record<ServiceName, () => ServiceDefinition> = {
  gateway: () => (require('@sessionpix/gateway') as typeof import('@sessionpix/gateway')).gatewayService,
  ingest: () => (require('@sessionpix/ingest') as typeof import('@sessionpix/ingest')).ingestService,
  'vision-pass-1': () =>
    (require('@sessionpix/vision-pass-1') as typeof import('@sessionpix/vision-pass-1')).visionPass1Service,
  'vision-pass-2': () =>
    (require('@sessionpix/vision-pass-2') as typeof import('@sessionpix/vision-pass-2')).visionPass2Service,
  billing: () => (require('@sessionpix/billing') as typeof import('@sessionpix/billing')).billingService,
  notifications: () =>
    (require('@sessionpix/notifications') as typeof import('@sessionpix/notifications')).notificationsService,
};

export function loadServices(names: readonly ServiceName[]): ServiceDefinition[] {
  return names.map((name) => LOADERS[name]());
}
