import { Injectable } from '@nestjs/common';
import type { ItemJob } from '@sessionpix/contracts';
import { ItemPipeline, JobHandler } from '@sessionpix/queue';

/** Pass 1: identify every piece of equipment in the photo. */
@Injectable()
export class Pass1Handler {
  constructor(private readonly pipeline: ItemPipeline) {}

  @JobHandler('vision-pass-1')
  async handle(job: ItemJob): Promise<string> {
    const loaded = await this.pipeline.load(job, ['ingested', 'paused']);
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
