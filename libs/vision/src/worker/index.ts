export { BedrockProvider } from './bedrock.provider';
export { VisionStep, NOT_CONFIGURED, type PassDefinition, type PassRequest } from './vision-step';
export { PausedItemResumer } from './resume-paused';
export { VisionWorkerModule } from './vision-worker.module';
export {
  recordModelCall,
  modelCalls,
  modelQuotaErrors,
  modelTokens,
  modelCostMicroUsd,
  visionEscalations,
  visionResultCache,
  visionLimiterWaits,
} from './model-calls';
export { ModelLimiter, type ModelLimit } from './model-limiter';
export { VisionResultStore, inputDigest, type ResultKey } from './result-cache';
export { VisionPricing } from './pricing.provider';
export { EquipmentCatalog } from './catalog.service';
