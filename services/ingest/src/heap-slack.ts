import { garbageCollector } from './image';

/** Growth of heap plus native memory held through it, since the last full collection, past which a finished job starts one. */
export const HEAP_SLACK_BYTES = 8 * 1024 * 1024;

/** What this thread's heap holds, its own objects and the native memory they keep (the renditions the image thread hands over). */
function held(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

/**
 * Keeps what the ingest process holds near what it uses. The image thread hands each photo's
 * renditions over (some 4 MB for 12 MP); they outlive a few young-generation collections while
 * they go to S3, and V8 frees such memory only in a full collection, which it starts on its own
 * once some 64 MB more is held. That pile is what a pod's memory limit would have to cover,
 * photo work on top. A full collection (tens of ms) once HEAP_SLACK_BYTES more is held, about
 * every other job, costs 1–2% of a job's time.
 */
export class HeapSlack {
  private heldAfterCollection = held();

  constructor(private readonly collectGarbage: () => void = garbageCollector()) {}

  /** To call when a job has finished and dropped what it held. */
  jobDone(): void {
    if (held() - this.heldAfterCollection < HEAP_SLACK_BYTES) return;
    this.collectGarbage();
    this.heldAfterCollection = held();
  }
}
