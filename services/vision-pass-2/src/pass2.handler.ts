import { Injectable } from '@nestjs/common';
import type { ItemJob } from '@sessionpix/contracts';
import { ItemPipeline, JobHandler } from '@sessionpix/queue';

/** Pass 2: record the position of every control, given pass 1. */
@Injectable()
export class Pass2Handler {
  constructor(private readonly pipeline: ItemPipeline) {}

  @JobHandler('vision-pass-2')
  async handle(job: ItemJob): Promise<string> {
    const loaded = await this.pipeline.load(job, ['identified']);
    if (!loaded) return 'skipped: not this step’s work';
    await this.pipeline.transition(loaded, {
      status: 'paused',
      reasonCode: 'vision_not_configured',
      reason: 'Analysis is waiting: the vision model is not configured yet. It resumes by itself.',
      retryable: false,
    });
    return 'paused: vision not configured';
  }
}
