import { HEAP_SLACK_BYTES, HeapSlack } from '../src/heap-slack';
import { garbageCollector } from '../src/image';

describe('HeapSlack: a full collection after a job once enough more is held', () => {
  it('collects only once HEAP_SLACK_BYTES more is held than after the last collection, then counts from there', () => {
    let collections = 0;
    const slack = new HeapSlack(() => void (collections += 1));
    // Kept referenced throughout, so nothing a young-generation collection does changes the count.
    const held: Buffer[] = [];
    const hold = (fraction: number) => held.push(Buffer.alloc(Math.round(HEAP_SLACK_BYTES * fraction), 1));
    hold(0.5);
    slack.jobDone();
    expect(collections).toBe(0);
    hold(0.75);
    slack.jobDone();
    expect(collections).toBe(1);
    hold(0.5);
    slack.jobDone();
    expect(collections).toBe(1);
    hold(0.75);
    slack.jobDone();
    expect(collections).toBe(2);
    expect(held).toHaveLength(4);
  });

  it("the collector it uses by default is V8's own gc, not the stand-in for a V8 that refuses", () => {
    expect(garbageCollector().name).toBe('gc');
  });
});
