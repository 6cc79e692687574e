import { Module } from '@nestjs/common';
import { StorageModule } from '@sessionpix/storage';
import { BedrockProvider } from './bedrock.provider';
import { PausedItemResumer } from './resume-paused';
import { VisionStep } from './vision-step';

/** What both vision-pass services run on: Bedrock, the step, and resuming paused items. */
@Module({
  imports: [StorageModule],
  providers: [BedrockProvider, VisionStep, PausedItemResumer],
  exports: [BedrockProvider, VisionStep, PausedItemResumer],
})
export class VisionWorkerModule {}
