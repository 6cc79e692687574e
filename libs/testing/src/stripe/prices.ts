import type { PlanDefinition } from '@sessionpix/contracts';
import type { PriceSeed } from './shapes';

/** A monthly USD price for every paid plan of a plan table (the fake's catalogue). */
export function seedPricesFor(plans: readonly PlanDefinition[]): PriceSeed[] {
  return plans
    .filter((p): p is PlanDefinition & { lookupKey: string } => p.lookupKey !== null)
    .map((p, i) => ({ lookupKey: p.lookupKey, unitAmount: 2900 + i * 12_000, currency: 'usd', interval: 'month' as const }));
}
