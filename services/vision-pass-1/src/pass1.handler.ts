import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { ItemJob } from '@sessionpix/contracts';
import { type JobContext, JobHandler } from '@sessionpix/queue';
import { type PassDefinition, PausedItemResumer, VisionStep } from '@sessionpix/vision';

/** Pass 1 (P3): identify every piece of equipment and read its labels. */
export const PASS1: PassDefinition = {
  pass: 1,
  input: 'ingested',
  output: 'identified',
  next: 'vision-pass-2',
  model: (config) => config.VISION_PASS1_MODEL,
  maxTokens: 4_096,
  request: async (_em, _item, overview) => ({ images: [overview] }),
};

@Injectable()
export class Pass1Handler implements OnApplicationBootstrap {
  constructor(
    private readonly step: VisionStep,
    private readonly resumer: PausedItemResumer,
  ) {}

  @JobHandler('vision-pass-1')
  handle(job: ItemJob, ctx: JobContext): Promise<string> {
    return this.step.run(PASS1, job, ctx);
  }

  onApplicationBootstrap(): void {
    this.resumer.start(PASS1);
  }
}
