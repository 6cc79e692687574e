export { billingDriftFound, billingEventsApplied, billingReplayCursorAge } from '@sessionpix/observability';
