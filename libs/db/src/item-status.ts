import type { ItemStatus } from '@sessionpix/contracts';
import type { Item } from './entities';

export interface StatusChange {
  status: ItemStatus;
  /** Stable code for paused, failed and rejected; cleared otherwise. */
  reasonCode?: string | null;
  /** A sentence a user can read. */
  reason?: string | null;
  retryable?: boolean;
}

/** The one place an item's status moves, so reason fields never go stale. */
export function applyStatus(item: Item, change: StatusChange, now = new Date()): void {
  item.status = change.status;
  item.reasonCode = change.reasonCode ?? null;
  item.reason = change.reason ?? null;
  item.retryable = change.retryable ?? false;
  item.statusChangedAt = now;
}
