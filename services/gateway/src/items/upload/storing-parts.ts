import type { Item } from '@sessionpix/db';

export interface PartOutcome {
  item: Item;
  /** Why the object could not be stored; the item must then go. */
  storeError?: unknown;
  /** Stored, but announcing or enqueueing failed: the item stays for the sweeper. */
  handOffError?: unknown;
}

/**
 * The photos of one multipart request whose objects may still be on their way to S3 while the
 * next part is read. At most `maxInFlight` at once, which bounds the local copies on disk.
 * Each one stored is handed on (announced and enqueued) as soon as it is, not at the end.
 */
export class StoringParts {
  private readonly outcomes: PartOutcome[] = [];
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly maxInFlight: number, private readonly handOff: (item: Item) => Promise<void>) {}

  /** Resolves once there is room for another part. */
  async add(item: Item, stored: Promise<void>): Promise<void> {
    const outcome: PartOutcome = { item };
    this.outcomes.push(outcome);
    const settled = stored.then(
      () => this.handOff(item).catch((err: unknown) => void (outcome.handOffError = err)),
      (err: unknown) => void (outcome.storeError = err),
    );
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
    while (this.inFlight.size >= this.maxInFlight) await Promise.race(this.inFlight);
  }

  /** Every part's outcome, in the order the parts came, once none is in flight. */
  async settle(): Promise<PartOutcome[]> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
    return this.outcomes;
  }
}
