import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { ItemJob } from '@sessionpix/contracts';
import { Analysis } from '@sessionpix/db';
import { type JobContext, JobHandler } from '@sessionpix/queue';
import { type Pass1Output, type PassDefinition, PausedItemResumer, VisionStep } from '@sessionpix/vision';

/** Pass 2 (P3): given pass 1, record the position of every control. */
export const PASS2: PassDefinition = {
  pass: 2,
  input: 'identified',
  output: 'analyzed',
  model: (config) => config.VISION_PASS2_MODEL,
  maxTokens: 8_192,
  request: async (em, item, overview) => {
    const pass1 = await em.findOneOrFail(Analysis, { item: item.id, pass: 1 });
    const identified = pass1.output as unknown as Pass1Output;
    return { images: [overview], context: { pass1: identified }, deviceCount: identified.devices.length };
  },
};

@Injectable()
export class Pass2Handler implements OnApplicationBootstrap {
  constructor(
    private readonly step: VisionStep,
    private readonly resumer: PausedItemResumer,
  ) {}

  @JobHandler('vision-pass-2')
  handle(job: ItemJob, ctx: JobContext): Promise<string> {
    return this.step.run(PASS2, job, ctx);
  }

  onApplicationBootstrap(): void {
    this.resumer.start(PASS2);
  }
}
