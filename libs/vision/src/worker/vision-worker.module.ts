import { Module } from '@nestjs/common';
import { StorageModule } from '@sessionpix/storage';
import { BedrockProvider } from './bedrock.provider';
import { EquipmentCatalog } from './catalog.service';
import { ModelLimiter } from './model-limiter';
import { VisionPricing } from './pricing.provider';
import { PausedItemResumer } from './resume-paused';
import { VisionResultStore } from './result-cache';
import { VisionStep } from './vision-step';

/**
 * What both vision-pass services run on: Bedrock, the step, the shared per-model limiter, the
 * result cache, the price table, the equipment catalog, and resuming paused items.
 */
@Module({
  imports: [StorageModule],
  providers: [BedrockProvider, VisionStep, PausedItemResumer, ModelLimiter, VisionResultStore, VisionPricing, EquipmentCatalog],
  exports: [BedrockProvider, VisionStep, PausedItemResumer, ModelLimiter, VisionResultStore, VisionPricing, EquipmentCatalog],
})
export class VisionWorkerModule {}
