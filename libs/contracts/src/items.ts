export const ITEM_STATUSES = [
  'uploaded',
  'ingested',
  'identified',
  'analyzed',
  'paused',
  'failed',
  'rejected',
] as const;
export type ItemStatus = (typeof ITEM_STATUSES)[number];

/** Statuses from which no worker will move the item on by itself. */
export const TERMINAL_STATUSES: readonly ItemStatus[] = ['analyzed', 'failed', 'rejected'];

/** P13: carried by every analysis the API or an export returns. */
export const AI_OUTPUT_DISCLAIMER =
  'AI-generated and informational only: check every setting against the equipment before relying on it.';
